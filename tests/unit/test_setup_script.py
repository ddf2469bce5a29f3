"""scripts/setup.sh, sourced so that its functions run alone: the virtual camera's system
set-up (sudo) runs once, and later runs only say in one line what is still missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"


def system_setup(tmp_path: Path, loaded: bool = False, install_rc: int = 1) -> str:
    """Source setup.sh, point it at a stub install.sh and a marker in tmp_path, run
    system_setup; returns what it printed (stdout + stderr)."""
    stub = tmp_path / "install.sh"
    stub.write_text(f"#!/bin/sh\necho STUB-INSTALL-RAN >> '{tmp_path}/calls'\nexit {install_rc}\n")
    stub.chmod(0o755)
    module = tmp_path / "module"
    if loaded:
        module.mkdir(exist_ok=True)
    script = f"""
        source '{SETUP}'
        sudo() {{ "$@"; }}  # as if sudo said yes: the stub records each run
        SYSTEM_DONE='{tmp_path}/done' LOOPBACK='{module}' INSTALL_SH='{stub}'
        system_setup
    """
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def runs(tmp_path: Path) -> int:
    calls = tmp_path / "calls"
    return calls.read_text().count("STUB-INSTALL-RAN") if calls.exists() else 0


def test_the_system_setup_runs_once_even_when_it_fails(tmp_path):
    first = system_setup(tmp_path)
    assert runs(tmp_path) == 1 and "needs sudo, this once" in first
    assert "starting sketchd anyway" in first  # it failed: said so, and sketchd still starts
    second = system_setup(tmp_path)
    assert runs(tmp_path) == 1  # no second sudo
    lines = [line for line in second.splitlines() if line.strip()]
    assert len(lines) == 1 and "still missing" in lines[0] and "sketchd doctor" in lines[0]


def test_nothing_runs_when_the_module_is_loaded(tmp_path):
    assert system_setup(tmp_path, loaded=True) == ""
    assert runs(tmp_path) == 0


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_setup_sh_is_shellcheck_clean():
    done = subprocess.run(["shellcheck", str(SETUP)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout

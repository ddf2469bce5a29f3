"""Fixtures shared by every test suite. Keep this small; suite-specific ones live beside them."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def private_dirs(home: Path) -> dict[str, str]:
    """HOME and the XDG folders under ``home``, so nothing reads or writes the real home.

    The runtime folder gets a short path of its own: a Unix socket path must stay under 108
    bytes, and pytest's tmp paths can be long.
    """
    run = Path(tempfile.mkdtemp(prefix="sketchd-run-"))
    run.chmod(0o700)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_PICTURES_DIR": str(home / "Pictures"),
        "XDG_RUNTIME_DIR": str(run),
    }
    home.mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty private home for this test (HOME and XDG_* point into it)."""
    env = private_dirs(tmp_path / "home")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield Path(env["HOME"])
    shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)


@pytest.fixture
def sketchd_env(home: Path) -> dict[str, str]:
    """The environment for a ``python -m sketchd`` subprocess living in ``home``."""
    return dict(os.environ)  # os.environ already points into ``home`` here


def wait_until(condition: Callable[[], object], what: str = "", timeout: float = 10.0) -> None:
    """Return as soon as ``condition()`` is true; fail, saying ``what`` did not happen, only
    when it is still false after ``timeout`` seconds. For what another thread or process does
    next: the condition is the test, the deadline only ends a hang (nothing is measured)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what or 'the condition'}: not within {timeout:g} s"
        time.sleep(0.01)

"""sketchd as a user installs it: the wheel and the sdist built by `python -m build`, checked by
`twine check`, the wheel installed into a fresh venv, and the CLI run from there.

CI runs this first, on the clean machine, before anything installs a system package: so it
proves that the wheel works with none of the GUI libraries (libGL, libxcb) a fresh machine
lacks. Run by hand: `pip install build twine pytest`, then `pytest -m install tests/install`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers.env import private_dirs

pytestmark = pytest.mark.install
ROOT = Path(__file__).resolve().parents[2]


def run(*cmd: str | Path, env: dict[str, str] | None = None, ok=(0,)) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=900
    )
    out = done.stdout + done.stderr
    assert done.returncode in ok, f"{cmd} exited {done.returncode}:\n{out}"
    assert "Traceback" not in out, out
    return out


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh venv with nothing but the wheel and what it depends on."""
    where = tmp_path_factory.mktemp("venv") / "v"
    run(sys.executable, "-m", "venv", where)
    run(where / "bin" / "python", "-m", "pip", "install", "-q", *dist.glob("*.whl"))
    return where


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    """A new user's environment: a private home, no display, no session bus."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TMPDIR")}
    return {**keep, **private_dirs(tmp_path / "home")}


def test_the_wheel_and_the_sdist_pass_twine_check(dist):
    files = sorted(p.name for p in dist.iterdir())
    assert any(f.endswith(".whl") for f in files) and any(f.endswith(".tar.gz") for f in files)
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir())


def test_the_wheel_holds_every_data_file_of_the_package(dist):
    tracked = run("git", "-C", ROOT, "ls-files", "sketchd/data").split()
    assert "sketchd/data/sketchd.yaml" in tracked
    wheel = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    assert [f for f in tracked if f not in wheel] == []
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert [f for f in tracked if f not in names] == []


def test_opencv_in_the_venv_needs_no_gui_library(venv):
    cv2 = run(venv / "bin" / "python", "-c", "import cv2; print(cv2.__file__)").strip()
    libs = run("sh", "-c", f"ldd {Path(cv2).parent}/cv2*.so")
    for gui in ("libGL.so", "libxcb.so", "libX11.so", "libgthread", "libgtk"):
        assert gui not in libs, libs


def test_the_cli_works_from_the_fresh_venv(venv, user_env, tmp_path):
    sketchd = venv / "bin" / "sketchd"
    assert run(sketchd, "--version", env=user_env).strip()
    assert "pencil" in run(sketchd, "presets", env=user_env)
    assert ": valid (" in run(sketchd, "config", "check", env=user_env)
    demo = run(
        venv / "bin" / "python",
        "-c",
        "from sketchd import paths; print(paths.default_config_file())",
    ).strip()
    photo = Path(demo).with_name("demo.jpg")
    out = tmp_path / "sketch.png"
    run(sketchd, "render", photo, out, "--preset", "pencil", env=user_env)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shape = run(venv / "bin" / "python", "-c", f"import cv2; print(cv2.imread('{out}').shape)")
    assert shape.strip().startswith("(")
    # the portrait preset's segmentation model comes from the wheel: no download, no mediapipe
    portrait = tmp_path / "portrait.png"
    run(sketchd, "render", photo, portrait, "--preset", "portrait", env=user_env)
    assert portrait.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # doctor and devices explain a machine without a virtual camera: exit 1, never a traceback
    assert "v4l2loopback" in run(sketchd, "doctor", env=user_env, ok=(0, 1))
    run(sketchd, "devices", env=user_env, ok=(0, 1))
    assert "not running" in run(sketchd, "status", env=user_env, ok=(1,))

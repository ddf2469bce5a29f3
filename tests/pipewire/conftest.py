"""The PipeWire suite: sketchd's own camera node against a real PipeWire and WirePlumber
(started by the test in a private runtime folder, as a desktop login starts them) and a real
PipeWire camera app (GStreamer's pipewiresrc). No kernel module is involved: this is the path
for machines without v4l2loopback (Secure Boot, immutable systems, Flatpak), and for apps that
find cameras only through PipeWire. Runs on the host (`.ci/run` starts nothing for it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.env import private_dirs
from tests.helpers.pipewire import Session, missing_tools
from tests.helpers.process import SketchdRun

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.pipewire)


def _skip_or_fail(msg: str) -> None:
    if os.environ.get("SKETCHD_REQUIRE_PIPEWIRE"):
        pytest.fail(msg)  # in CI a silent skip would hide a broken set-up
    pytest.skip(msg)


@pytest.fixture(scope="session")
def session() -> Iterator[Session]:
    missing = missing_tools()
    if missing:
        _skip_or_fail(f"needs PipeWire's tools: {', '.join(missing)} missing")
    from sketchd.platform.linux.pipewire import gst_missing

    if gst_missing():
        _skip_or_fail(gst_missing())
    s = Session().start()
    print(f"PipeWire and WirePlumber ready after {s.ready_after:.1f} s")
    yield s
    s.stop()


@pytest.fixture
def sketchd(session: Session, tmp_path: Path):
    """``sketchd(*args)`` starts a daemon in the session with a private home."""
    made: list[SketchdRun] = []
    home = private_dirs(tmp_path / "home")
    env = dict(session.env, **{k: v for k, v in home.items() if k != "XDG_RUNTIME_DIR"})

    def start(*args: str) -> SketchdRun:
        d = SketchdRun(args, env, tmp_path / f"sketchd{len(made)}.log")
        made.append(d)
        return d

    yield start
    for d in made:
        d.stop()


@pytest.fixture(scope="session")
def photo_path() -> Path:
    """A real photograph: scikit-image's astronaut (shipped in its wheel)."""
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    assert spec and spec.origin, "the PipeWire suite needs scikit-image (the test extra)"
    return Path(spec.origin).parent / "data" / "astronaut.png"

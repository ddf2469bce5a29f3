"""Unit-test fixtures: the whole unit session runs in a private home, and real photographs
come from scikit-image's wheel (no download at test time)."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.env import private_dirs
from tests.helpers.photos import PHOTO_DIR
from tests.helpers.sysfs import FakeSys, install


@pytest.fixture(scope="session", autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No unit test may touch the real home; tests that need an empty one take ``home``."""
    env = private_dirs(tmp_path_factory.mktemp("session") / "home")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield
    shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)


@functools.cache
def _read_photo(name: str) -> np.ndarray:
    img = cv2.imread(str(PHOTO_DIR / name), cv2.IMREAD_COLOR)
    assert img is not None, f"scikit-image ships no readable {name} in {PHOTO_DIR}"
    img.flags.writeable = False  # shared between tests: nobody may change it
    return img


@pytest.fixture(scope="session")
def photo() -> Callable[[str], np.ndarray]:
    """``photo("astronaut.png")`` → that photograph as a read-only HxWx3 BGR uint8 array."""
    return _read_photo


@pytest.fixture
def fake_sys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> FakeSys:
    """A fake /sys, /proc and /dev that `sketchd doctor`'s Linux checks read (helpers/sysfs.py)."""
    return install(tmp_path / "root", monkeypatch)

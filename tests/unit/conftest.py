"""Unit-test fixtures: the whole unit session runs in a private home, and real photographs
come from scikit-image's wheel (no download at test time)."""

from __future__ import annotations

import functools
import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import private_dirs

PHOTO_DIR = Path(importlib.util.find_spec("skimage").origin).parent / "data"
# colour photographs of different kinds: a face, fur, a still life, a night scene, a machine
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")


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

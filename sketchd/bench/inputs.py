"""What every part of ``sketchd bench`` measures on: scikit-image's sample photographs, the
shipped presets, and the frame sizes given with ``--sizes``."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from sketchd.config.schema import Config
from sketchd.errors import SketchdError

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")
# what puts scikit-image (and so its photographs) in: pyproject's "test" extra
INSTALL = "pip install 'sketchd[test]'"


def photo_dir() -> Path:
    """scikit-image's bundled sample photographs (installed with the test extra); without it,
    SketchdError: one line saying what to install."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise SketchdError(f"the benchmark uses scikit-image's sample photographs: {INSTALL}")
    return Path(spec.origin).parent / "data"


def load_photos() -> list[np.ndarray]:
    d = photo_dir()
    out = []
    for name in PHOTOS:
        img = cv2.imread(str(d / name), cv2.IMREAD_COLOR)
        if img is not None:
            out.append(img)
    if not out:
        raise SketchdError(f"no sample photographs readable in {d}: {INSTALL}")
    return out


@functools.cache
def default_config() -> Config:
    """The shipped default config (what every preset the benchmark times comes from)."""
    from sketchd.config import loader, schema

    config, _ = schema.validate(loader.defaults_data())
    assert config is not None  # the shipped defaults are valid (as in loader.load)
    return config


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'640x480,1920x1080' → [(640, 480), (1920, 1080)]; ValueError says what was wrong."""
    out = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        try:
            w, h = (int(v) for v in part.lower().split("x"))
        except ValueError:
            raise ValueError(f"sizes must look like 640x480,1920x1080, not {part!r}") from None
        if w < 16 or h < 16 or w % 2 or h % 2:
            raise ValueError(f"size {part}: width and height must be even and at least 16")
        out.append((w, h))
    if not out:
        raise ValueError("no sizes given")
    return out

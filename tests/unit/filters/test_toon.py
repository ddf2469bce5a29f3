"""``cartoon``'s outlining and enlarging, done plane by plane, is pixel for pixel the plain
OpenCV formulation (adaptiveThreshold, a masked AND, nearest resizes), at every size path:
half-size outlines or not, exact and odd factors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.filters import toon
from tests.helpers.photos import PHOTO_DIR


def odd(n: int) -> int:
    return n if n % 2 else n + 1


def halve(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def reference(frame: np.ndarray, levels: int = 8) -> np.ndarray:
    """cartoon() as first written: the flat colours and outlines composed with OpenCV's
    INTER_NEAREST resizes, adaptiveThreshold and a masked bitwise AND."""
    h, w = frame.shape[:2]
    half = min(h, w) >= 240
    base = halve(frame) if half else frame
    k = 0.5 if half else 1.0
    bh, bw = base.shape[:2]
    cap = (toon.WORK_PIXELS / (h * w)) ** 0.5
    work = min(0.5, cap)
    sw, sh = max(1, round(w * work)), max(1, round(h * work))
    small = base
    while small.shape[1] // 2 >= sw and small.shape[0] // 2 >= sh and min(small.shape[:2]) >= 2:
        small = halve(small)
    if small.shape[:2] != (sh, sw):
        if cap < 0.5 and min(small.shape[:2]) >= 2:
            small = halve(small)
            work = small.shape[1] / w
        else:
            small = cv2.resize(small, (sw, sh), interpolation=cv2.INTER_AREA)
    reach = work / 0.5
    d = max(3, odd(round(7 * reach)))
    for _ in range(2):
        small = cv2.bilateralFilter(small, d, 40, 7 * reach)
    small = cv2.LUT(small, toon.posterize_lut(levels))
    flat = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_NEAREST)
    gray = cv2.medianBlur(cv2.cvtColor(base, cv2.COLOR_BGR2GRAY), odd(round(7 * k)))
    block = max(3, odd(round(9 * k)))
    edges = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 4.0
    )
    out = cv2.bitwise_and(flat, flat, mask=edges)
    if half:
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (640, 360), (320, 180), (642, 362)])
def test_the_same_pixels_as_the_plain_formulation(size):
    photo = cv2.imread(str(PHOTO_DIR / "astronaut.png"))
    frame = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    assert np.array_equal(toon.cartoon(frame), reference(frame))


def test_random_frames():
    rng = np.random.default_rng(5)
    for shape in [(720, 1280, 3), (250, 300, 3), (31, 47, 3)]:
        frame = rng.integers(0, 256, shape, dtype=np.uint8)
        assert np.array_equal(toon.cartoon(frame), reference(frame))

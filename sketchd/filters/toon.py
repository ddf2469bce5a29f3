"""Cartoon: flattened colours with bold outlines."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from sketchd.filters._enlarge import enlarge_plane
from sketchd.filters._frame import as_bgr, as_gray, odd
from sketchd.filters._scratch import scratch
from sketchd.filters.sketch import adaptive_lines


@functools.lru_cache(maxsize=8)
def posterize_lut(levels: int) -> np.ndarray:
    """The table that flattens 256 levels into ``levels`` bands, each at its middle."""
    step = 256.0 / levels
    x = np.arange(256)
    return np.clip((np.floor(x / step) + 0.5) * step, 0, 255).astype(np.uint8)


# the most pixels the bilateral smoothing works on: its cost grows with pixels x diameter^2,
# and what it does to a picture depends on the picture, not on its pixel count
WORK_PIXELS = 140_000


def _halve(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    dst = scratch("cartoon.halve", (h // 2, w // 2, *img.shape[2:]))
    return cv2.resize(img, (w // 2, h // 2), dst=dst, interpolation=cv2.INTER_AREA)


def _nearest(plane: np.ndarray, w: int, h: int, tag: str) -> np.ndarray:
    """``cv2.resize(plane, (w, h), interpolation=INTER_NEAREST)`` into this thread's scratch,
    by ``enlarge_plane`` when that is an exact 2x or 4x (the same pixels in a quarter of the
    time)."""
    ih, iw = plane.shape
    out = scratch(tag, (h, w))
    for f in (2, 4):
        if (w, h) == (f * iw, f * ih):
            return enlarge_plane(plane, f, out)
    return cv2.resize(plane, (w, h), dst=out, interpolation=cv2.INTER_NEAREST)


def cartoon(
    frame: np.ndarray,
    *,
    levels: int = 8,
    smoothing: int = 2,
    scale: float = 0.5,
    edge_block_size: int = 9,
    edge_c: float = 4.0,
    edge_smooth: int = 7,
) -> np.ndarray:
    """Cartoon look: ``posterize(bilateral^smoothing(colour)) AND edges``.

    Colours are smoothed with ``smoothing`` bilateral passes at ``scale`` of the resolution (the
    bilateral filter is the slow part, and flat regions do not need full resolution), cut to
    ``levels`` values per channel, then outlined where an adaptive threshold of the gray
    (``edge_block_size`` neighbourhood, ``edge_c`` margin, after an ``edge_smooth`` median) finds
    an edge. On large frames the smoothing works on at most ~0.14 MP with its diameter scaled to
    match, and the outlines are found at half resolution with the kernels halved, so a 1080p
    frame costs a few milliseconds rather than a hundred.
    """
    bgr = as_bgr(frame)
    h, w = bgr.shape[:2]
    # outlines and the final composite: at half size for large frames
    half = min(h, w) >= 240
    base = _halve(bgr) if half else bgr
    k = 0.5 if half else 1.0
    bh, bw = base.shape[:2]
    # colours: at `scale` of the full size, capped to WORK_PIXELS; where the cap decides, at
    # the first halving under it (an exact 2x area shrink costs a tenth of an odd ratio's)
    cap = (WORK_PIXELS / (h * w)) ** 0.5
    work = min(scale, cap)
    sw, sh = max(1, round(w * work)), max(1, round(h * work))
    small = base
    while small.shape[1] // 2 >= sw and small.shape[0] // 2 >= sh and min(small.shape[:2]) >= 2:
        small = _halve(small)
    if small.shape[:2] != (sh, sw):
        if cap < scale and min(small.shape[:2]) >= 2:
            small = _halve(small)
            work = small.shape[1] / w
        else:
            small = cv2.resize(small, (sw, sh), interpolation=cv2.INTER_AREA)
    reach = work / scale  # the bilateral's diameter and spatial sigma follow the size
    d = max(3, odd(round(7 * reach)))
    for _ in range(smoothing):
        small = cv2.bilateralFilter(small, d, 40, 7 * reach)
    small = cv2.LUT(small, posterize_lut(levels))
    gray = as_gray(base)
    smooth = odd(round(edge_smooth * k)) if edge_smooth > 1 else 1
    if smooth > 1:
        gray = cv2.medianBlur(gray, smooth)
    block = max(3, odd(round(edge_block_size * k)))
    edges = adaptive_lines(gray, block, edge_c)  # = cv2.adaptiveThreshold, in 60 % the time
    # plane by plane: the flat colours enlarged to the edges' size, outlined, enlarged to the
    # frame's (OpenCV's nearest resize of a 3-channel image and its masked AND are slow)
    planes = []
    for i, plane in enumerate(cv2.split(small)):
        flat = _nearest(plane, bw, bh, f"cartoon.flat{i}")
        cv2.bitwise_and(flat, edges, dst=flat)
        planes.append(_nearest(flat, w, h, f"cartoon.out{i}") if half else flat)
    return cv2.merge(planes)

"""Exact nearest-neighbour enlargement by 2 or 4, several times faster than OpenCV's.

``cv2.resize(..., INTER_NEAREST)`` gathers pixel by pixel: a 3-channel 640x360 → 1280x720
takes ~1.0 ms, a 1-channel one 0.44 ms. Repeating a byte f times across is one multiply when
the row is read as wider integers (v·0x0101 is the two bytes v, v; v·0x01010101 four), and
repeating a row down is a plain copy, so a plane costs ~0.1 ms and a BGR frame (split, three
planes, merge) ~0.4 ms. The result is pixel for pixel ``cv2.resize(img, (f·w, f·h),
interpolation=INTER_NEAREST)``: OpenCV's source pixel for an exact factor is ``floor(x / f)``.
"""

from __future__ import annotations

import cv2
import numpy as np

from sketchd.filters._scratch import scratch

_WIDE = {2: (np.uint16, 0x0101), 4: (np.uint32, 0x01010101)}


def enlarge_plane(plane: np.ndarray, factor: int, out: np.ndarray | None = None) -> np.ndarray:
    """``plane`` (uint8, h x w) enlarged ``factor`` (2 or 4) times, nearest neighbour, into
    ``out`` (a new array when None; must be C-contiguous, (factor·h, factor·w) uint8)."""
    h, w = plane.shape
    if out is None:
        out = np.empty((h * factor, w * factor), np.uint8)
    wide, ones = _WIDE[factor]
    rows = out.view(wide).reshape(h, factor, w)  # row y·factor + k of out is rows[y, k]
    np.multiply(plane, wide(ones), out=rows[:, 0], casting="unsafe")
    rows[:, 1:] = rows[:, :1]
    return out


def enlarge(img: np.ndarray, factor: int, tag: str) -> np.ndarray:
    """``img`` (uint8, 1 or 3 channels) enlarged ``factor`` (2 or 4) times, nearest
    neighbour: a new array, the planes in between in this thread's scratch (``tag``)."""
    h, w = img.shape[:2]
    size = (h * factor, w * factor)
    if img.ndim == 2:
        return enlarge_plane(np.ascontiguousarray(img), factor)
    planes = [
        enlarge_plane(p, factor, scratch(f"{tag}.{i}", size)) for i, p in enumerate(cv2.split(img))
    ]
    return cv2.merge(planes)


__all__ = ["enlarge", "enlarge_plane"]

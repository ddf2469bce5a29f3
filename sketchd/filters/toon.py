"""Cartoon: flattened colours with bold outlines."""

from __future__ import annotations

import cv2
import numpy as np

from sketchd.filters._frame import as_bgr, as_gray, odd


def _posterize_lut(levels: int) -> np.ndarray:
    step = 256.0 / levels
    x = np.arange(256)
    return np.clip((np.floor(x / step) + 0.5) * step, 0, 255).astype(np.uint8)


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
    an edge.
    """
    bgr = as_bgr(frame)
    h, w = bgr.shape[:2]
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(bgr, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    for _ in range(smoothing):
        small = cv2.bilateralFilter(small, 7, 40, 7)
    small = cv2.LUT(small, _posterize_lut(levels))
    flat = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST) if small is not bgr else small
    gray = as_gray(bgr)
    if edge_smooth > 1:
        gray = cv2.medianBlur(gray, odd(edge_smooth))
    edges = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, odd(edge_block_size), edge_c
    )
    return cv2.bitwise_and(flat, flat, mask=edges)

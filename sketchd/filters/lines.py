"""Coherent pencil lines: a difference of Gaussians smoothed along the picture's own flow, and
soft-thresholded (XDoG, Winnemöller, Kyprianidis & Olsen 2012, along a smoothed structure
tensor's flow as in Kyprianidis & Döllner 2008), cut down to what runs live on one core.

- the dark side of every edge: ``d = G(kσ)·I − G(σ)·I`` (positive where a pixel is darker
  than its surroundings: a line's own pixels, a contour's darker side);
- the flow: the structure tensor of a quarter-size picture, smoothed, gives each place the
  direction its edges run in, quantised to four (0°, 45°, 90°, 135°). ``d`` is averaged over
  FLOW_LEN pixels along that direction, so a contour's pieces join into one stroke and the
  isolated specks of skin, fabric and sensor noise (no direction, short) fade out;
- the soft threshold: ``ink = gain·(d − ε)``, saturating. A strong edge makes a dark, wide
  line and a faint one a thin, pale line: the weight varies with the edge, not by a rule.

All of it on uint8 (OpenCV's fastest paths), at half size from 600 lines up.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from sketchd.filters._enlarge import enlarge_plane
from sketchd.filters._scratch import scratch

FLOW_LEN = 5  # pixels a line is averaged over along its direction
FLOW_SCALE = 4  # the flow is measured at 1/FLOW_SCALE of the frame's size
FLOW_SIGMA = 1.5  # smoothing of the structure tensor, in pixels of that small picture
HALF_FROM = 600  # frames at least this high (and wide) get their lines at half size
HALF_SIGMA = 0.8  # at half size σ is this much of the full size's (not half: lines stay bold)
K = 1.6  # the wide Gaussian's sigma over the narrow one's (the classic DoG ratio)


@functools.lru_cache(maxsize=8)
def _kernel(direction: int, length: int = FLOW_LEN) -> np.ndarray:
    """A ``length``-pixel line kernel (sum 1) along 0°, 45°, 90° or 135° (``direction`` 0-3,
    image coordinates: y down)."""
    k = np.zeros((length, length), np.float32)
    c = length // 2
    dx, dy = ((1, 0), (1, 1), (0, 1), (-1, 1))[direction]
    for s in range(-c, c + 1):
        k[c + s * dy, c + s * dx] = 1.0
    return k / k.sum()


def flow_directions(gray: np.ndarray, small: np.ndarray | None = None) -> np.ndarray:
    """Per pixel of ``gray``'s quarter-size picture, the direction its edges run in, 0-3
    (0°, 45°, 90°, 135°), from the smoothed structure tensor: uint8. ``small``: that
    quarter-size picture, if the caller has it already."""
    if small is None:
        h, w = gray.shape
        sh, sw = max(1, h // FLOW_SCALE), max(1, w // FLOW_SCALE)
        small = cv2.resize(gray, (sw, sh), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    # the tensor's orientation: 2θ of the gradient from (jxx − jyy, 2·jxy)
    a = cv2.GaussianBlur(gx * gx - gy * gy, (0, 0), FLOW_SIGMA)
    b = cv2.GaussianBlur(2.0 * gx * gy, (0, 0), FLOW_SIGMA)
    # gradient at 0° → edge at 90°, gradient 90° → edge 0°, 45° → 135°, 135° → 45°
    out = np.where(np.abs(a) >= np.abs(b), np.where(a >= 0, 2, 0), np.where(b >= 0, 3, 1))
    return out.astype(np.uint8)


def along_flow(d: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """``d`` (uint8, full size) averaged along each pixel's direction (``directions`` at
    quarter size, enlarged to ``d``'s size)."""
    h, w = d.shape
    if min(h, w) < FLOW_LEN:
        return d
    full = scratch("lines.dir", (h, w))
    if (h, w) == (FLOW_SCALE * directions.shape[0], FLOW_SCALE * directions.shape[1]):
        enlarge_plane(directions, FLOW_SCALE, full)  # = INTER_NEAREST, 8x faster
    else:
        cv2.resize(directions, (w, h), dst=full, interpolation=cv2.INTER_NEAREST)
    out = scratch("lines.flow", (h, w))
    pick = scratch("lines.pick", (h, w))
    for i in range(4):
        cv2.compare(full, float(i), cv2.CMP_EQ, dst=pick)  # type: ignore[call-overload]
        if not cv2.countNonZero(pick):
            continue
        if i == 0:
            smooth = cv2.blur(d, (FLOW_LEN, 1))
        elif i == 2:
            smooth = cv2.blur(d, (1, FLOW_LEN))
        else:
            smooth = cv2.filter2D(d, -1, _kernel(i))
        cv2.copyTo(smooth, pick, out)
    return out


def _ksize(sigma: float) -> tuple[int, int]:
    k = 2 * max(1, round(2.5 * sigma)) + 1
    return (k, k)


def at_half(h: int, w: int) -> bool:
    """Whether an h x w frame's lines are worked on at half size (see ``lines``)."""
    return h >= HALF_FROM and w >= HALF_FROM


def line_ink(
    work: np.ndarray,
    *,
    sigma: float,
    gain: float,
    threshold: float,
    small: np.ndarray | None = None,
) -> np.ndarray:
    """``lines`` of ``work`` at its own size (a thread's scratch: read it before the next
    call); ``small``: ``work`` at 1/FLOW_SCALE, if the caller has it."""
    wh, ww = work.shape
    # kernels cut at ±2.5σ (OpenCV's own choice for uint8 is ±3σ: a third more work)
    narrow = cv2.GaussianBlur(work, _ksize(sigma), sigma, dst=scratch("lines.a", (wh, ww)))
    wide = cv2.GaussianBlur(work, _ksize(sigma * K), sigma * K, dst=scratch("lines.b", (wh, ww)))
    d = cv2.subtract(wide, narrow, dst=wide)  # the dark side of edges, ≥ 0
    if min(wh, ww) >= 2 * FLOW_SCALE:
        d = along_flow(d, flow_directions(work, small))
    # addWeighted saturates at 0 (convertScaleAbs would take the absolute value)
    return cv2.addWeighted(d, gain, d, 0.0, -gain * threshold, dst=scratch("lines.ink", (wh, ww)))


def lines(
    gray: np.ndarray, *, sigma: float = 1.0, gain: float = 12.0, threshold: float = 1.5
) -> np.ndarray:
    """Line ink (uint8, 0 = none .. 255 = black) of a gray frame: ``gain·(flow-smoothed
    (G(1.6σ) − G(σ)) − threshold)``, saturating (see the module). Frames HALF_FROM lines
    high or more are worked on at half size (σ·HALF_SIGMA) and the ink enlarged: a line of a
    720p face is then 2-3 pixels wide, as a pencil's is, at a quarter of the cost."""
    h, w = gray.shape
    if not at_half(h, w):
        return line_ink(gray, sigma=sigma, gain=gain, threshold=threshold).copy()
    work = cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    ink = line_ink(work, sigma=sigma * HALF_SIGMA, gain=gain, threshold=threshold)
    return cv2.resize(ink, (w, h), interpolation=cv2.INTER_LINEAR)


__all__ = ["at_half", "flow_directions", "line_ink", "lines"]

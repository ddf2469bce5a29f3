"""Line-drawing filters: pencil, colour pencil, ink. Pure functions, frame in, frame out."""

from __future__ import annotations

import cv2
import numpy as np

from sketchd.filters._frame import as_bgr, as_gray, gamma_lut, odd


def classic_sketch(frame: np.ndarray) -> np.ndarray:
    """The seed pipeline, kept verbatim as the reference the pencil filter is measured against.

    sketch = divide(gray, 255 - GaussianBlur(255 - gray, 21x21), scale=256)
    """
    gray = as_gray(frame)
    inverted = 255 - gray
    blurred = cv2.GaussianBlur(inverted, (21, 21), 0)
    return cv2.divide(gray, 255 - blurred, scale=256)


def _sigma(ksize: int) -> float:
    # OpenCV's own choice of sigma for a kernel size when sigma=0 is passed
    return 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8


def soft_blur(gray: np.ndarray, ksize: int) -> np.ndarray:
    """GaussianBlur(gray, ksize) computed at reduced resolution when the blur is wide enough.

    A Gaussian of sigma s sampled at 1/f resolution is the same low-pass as sigma s/f, so for
    a wide blur we shrink, blur the small image and enlarge again: the sketch's denominator is
    smooth by construction, so nothing visible is lost and most of the work is skipped.
    """
    ksize = odd(ksize)
    sigma = _sigma(ksize)
    h, w = gray.shape[:2]
    factor = int(sigma // 1.6)  # keep at least ~1.6 px of sigma at the reduced size
    while factor > 1 and (h // factor < 8 or w // factor < 8):
        factor -= 1
    if factor <= 1:
        return cv2.GaussianBlur(gray, (ksize, ksize), sigma)
    small = cv2.resize(gray, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    s = sigma / factor
    small = cv2.GaussianBlur(small, (0, 0), s)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def dodge(gray: np.ndarray, blur: int) -> np.ndarray:
    """The colour-dodge blend at the heart of every sketch: gray * 256 / blur(gray).

    The classic pipeline writes it as divide(gray, 255 - blur(255 - gray)); the blur is linear
    and keeps constants, so the two inversions cancel and the blur can act on gray itself.
    """
    return cv2.divide(gray, soft_blur(gray, blur), scale=256)


def pencil(frame: np.ndarray, *, blur: int = 21, darkness: float = 1.0) -> np.ndarray:
    """Graphite pencil sketch: ``255 * (dodge(gray, blur) / 255) ** darkness``, one channel.

    ``blur`` is the kernel size of the blur (wider = thicker, softer strokes); ``darkness``
    above 1 darkens the lines and shading, below 1 lightens them.
    """
    sketch = dodge(as_gray(frame), blur)
    if darkness != 1.0:
        sketch = cv2.LUT(sketch, gamma_lut(darkness))
    return sketch


def colour_pencil(
    frame: np.ndarray,
    *,
    blur: int = 21,
    darkness: float = 1.5,
    wash: float = 0.4,
    saturation: float = 1.3,
) -> np.ndarray:
    """Pencil lines coloured by the frame: ``paper_wash(hue_at_even_light) * sketch / 255``.

    The colour layer is the frame divided by its own soft brightness, so dark regions still show
    their hue as light strokes on paper instead of turning into photo-like shadows. ``wash``
    pales it towards the white of the paper (0 = full colour, 1 = white); ``saturation`` scales
    how far colours sit from gray.
    """
    bgr = as_bgr(frame)
    gray = as_gray(bgr)
    soft = soft_blur(gray, blur)
    sketch = cv2.divide(gray, soft, scale=256)
    if darkness != 1.0:
        sketch = cv2.LUT(sketch, gamma_lut(darkness))
    # hue at an even, bright level: colour / soft brightness (blurred, so noise stays quiet)
    soft_bgr = cv2.blur(bgr, (5, 5)) if min(gray.shape) >= 5 else bgr
    soft3 = cv2.cvtColor(cv2.max(soft, 16), cv2.COLOR_GRAY2BGR)
    even = cv2.divide(soft_bgr, soft3, scale=200.0)
    even_gray = cv2.cvtColor(cv2.cvtColor(even, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    colour = cv2.addWeighted(even, saturation, even_gray, 1.0 - saturation, 0.0)
    colour = cv2.addWeighted(colour, 1.0 - wash, colour, 0.0, 255.0 * wash)
    return cv2.multiply(colour, cv2.cvtColor(sketch, cv2.COLOR_GRAY2BGR), scale=1.0 / 255.0)


def ink(
    frame: np.ndarray,
    *,
    block_size: int = 9,
    c: float = 7.0,
    smooth: int = 5,
    style: str = "ink",
) -> np.ndarray:
    """Hard black lines on white, from an adaptive threshold of the (median-smoothed) gray.

    ``block_size`` is the neighbourhood the threshold adapts over (odd); ``c`` is how much darker
    than its neighbourhood a pixel must be to become ink (higher = fewer lines); ``smooth`` the
    median kernel that removes speckle first. ``style: charcoal`` lays the lines over a dark,
    heavy pencil shading instead of white paper.
    """
    gray = as_gray(frame)
    smoothed = cv2.medianBlur(gray, odd(smooth)) if smooth > 1 else gray
    lines = cv2.adaptiveThreshold(
        smoothed, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, odd(block_size), c
    )
    if style == "charcoal":
        shading = cv2.LUT(dodge(gray, 31), gamma_lut(3.0))
        return cv2.min(shading, cv2.GaussianBlur(lines, (3, 3), 0))
    return lines


__all__ = ["classic_sketch", "colour_pencil", "dodge", "ink", "pencil", "soft_blur"]

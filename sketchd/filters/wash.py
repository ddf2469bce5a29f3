"""The watercolour under ``drawing_colour``: the frame's colour without its shading (the
graphite does the shading), soft, paled and pooled at its edges.

    even    = bgr / soft(gray)                (the hue and saturation at even light)
    pigment = wash·(saturation·(max(even) − even) + VALUE·(255 − max(even)))
    pigment += POOL·(pigment − box(pigment))₊   (drying water leaves more at a patch's edge)
    out     = paper − pigment − ink             (the paper's grain shows through both)

The colour is made at 1/8 size (a wash has no detail, and its edges bleed; that is also
what keeps it cheap) and enlarged; a gray or white surface gets no pigment, so the paper
stays paper.
"""

from __future__ import annotations

import cv2
import numpy as np

from sketchd.filters import textures
from sketchd.filters._scratch import scratch

SMALL = 4  # quarter() shrinks to 1/SMALL of the frame's size (a power of 2); the wash is
# made at half of that
VALUE = 0.25  # how much a dark colour's darkness shows in its wash (the rest is hue)
POOL = 0.8  # how much darker a patch of wash is at its own edge


def halve(img: np.ndarray) -> np.ndarray:
    """``img`` at half size by area averaging (an exact 2x shrink is OpenCV's fast path)."""
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


def quarter(img: np.ndarray) -> np.ndarray:
    """``img`` at 1/SMALL size by 2x area halvings (OpenCV's fast path: 0.4 ms for a 720p
    BGR frame where one 4x area resize takes 1.8 ms)."""
    for _ in range(SMALL.bit_length() - 1):
        img = halve(img)
    return img


def pigment(small: np.ndarray, *, strength: float, saturation: float) -> np.ndarray:
    """The wash's pigment at 1/(2·SMALL) size (uint8 BGR, 0 = none) from ``small``, the
    frame at 1/SMALL size (``quarter``): see the module."""
    h, w = small.shape[:2]
    small = cv2.resize(small, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    soft = cv2.blur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5))
    soft3 = cv2.cvtColor(np.maximum(soft, np.uint8(16)), cv2.COLOR_GRAY2BGR)
    even = cv2.divide(small, soft3, scale=210.0)
    b, g, r = cv2.split(even)
    top = cv2.cvtColor(cv2.max(cv2.max(b, g), r), cv2.COLOR_GRAY2BGR)
    hue = cv2.subtract(top, even)
    dark = cv2.bitwise_not(top)
    pig = cv2.addWeighted(hue, strength * saturation, dark, strength * VALUE, 0.0)
    pig = cv2.GaussianBlur(pig, (3, 3), 0.8)
    rim = cv2.subtract(pig, cv2.blur(pig, (3, 3)))
    return cv2.addWeighted(pig, 1.0, rim, POOL, 0.0)


def wash(
    small: np.ndarray,
    ink: np.ndarray,
    paper: tuple[int, int, int],
    *,
    strength: float,
    saturation: float,
) -> np.ndarray:
    """``paper − pigment − ink``: BGR, ``ink``'s size (the frame's); ``small`` the frame at
    1/SMALL size (``quarter``)."""
    h, w = ink.shape
    pig = pigment(small, strength=strength, saturation=saturation)
    full = cv2.resize(
        pig, (w, h), dst=scratch("wash.full", (h, w, 3)), interpolation=cv2.INTER_LINEAR
    )
    out = cv2.subtract(textures.paper(h, w, paper), full)
    ink3 = cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR, dst=scratch("wash.ink3", (h, w, 3)))
    return cv2.subtract(out, ink3, dst=out)


__all__ = ["halve", "pigment", "quarter", "wash"]

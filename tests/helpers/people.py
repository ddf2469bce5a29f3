"""Person-segmentation tests' shared pieces: where the astronaut is in scikit-image's 512x512
photograph, a webcam sensor's noise, and a segment stream's mask as a picture."""

from __future__ import annotations

import cv2
import numpy as np

from sketchd.filters.segment import Segment

# regions of the 512x512 astronaut photograph
FACE = np.s_[70:150, 185:255]
SUIT = np.s_[260:480, 40:260]
ROOM = {"flag and wall": np.s_[0:140, 0:120], "shuttle": np.s_[0:140, 380:512]}


def noisy(img: np.ndarray, rng: np.random.Generator, sigma: float = 4.0) -> np.ndarray:
    """``img`` with a webcam sensor's noise: Gaussian, sigma in gray levels, fresh each call."""
    return np.clip(img + rng.normal(0.0, sigma, img.shape), 0, 255).astype(np.uint8)


def mask_at(chain: Segment, h: int, w: int) -> np.ndarray:
    """The stream's smoothed mask at the frame's size, as a person / not-person picture."""
    assert chain.mask is not None
    return cv2.resize(chain.mask, (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5

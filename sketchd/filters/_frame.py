"""Frame helpers shared by the filters: channel normalisation, nothing else."""

from __future__ import annotations

import cv2
import numpy as np


def check(frame: np.ndarray) -> np.ndarray:
    """Reject what no filter can use, with a message that says what was given."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"frame must be a numpy array, not {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8, not {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        return check(frame[:, :, 0])  # HxW from here on, still checked for emptiness
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (3, 4)):
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ValueError(f"frame is empty: {frame.shape}")
        return frame
    raise ValueError(f"frame must be HxW, HxWx1, HxWx3 or HxWx4, not {frame.shape}")


def as_gray(frame: np.ndarray) -> np.ndarray:
    """HxW uint8 luma of a gray, BGR or BGRA frame (never the caller's array for colour)."""
    frame = check(frame)
    if frame.ndim == 2:
        return frame
    code = cv2.COLOR_BGR2GRAY if frame.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(frame, code)


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """HxWx3 BGR view of a gray, BGR or BGRA frame (alpha is dropped)."""
    frame = check(frame)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame


def odd(n: int) -> int:
    """The odd kernel size at or above ``n`` (OpenCV kernels must be odd)."""
    n = max(1, int(n))
    return n if n % 2 else n + 1


def gamma_lut(gamma: float) -> np.ndarray:
    """A 256-entry LUT for ``255 * (x / 255) ** gamma``."""
    x = np.arange(256, dtype=np.float64) / 255.0
    return np.clip(np.round(255.0 * x**gamma), 0, 255).astype(np.uint8)

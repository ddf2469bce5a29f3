"""The demo camera: a real photograph slowly panning, with a ball moving across it.

So anyone can try ``sketchd run --camera demo`` without a webcam. Paced like a camera.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import cv2
import numpy as np

from sketchd.errors import CameraError
from sketchd.pipeline.frames import CameraFrame

PHOTO = Path(__file__).resolve().parent.parent / "data" / "demo.jpg"


def backdrop(photo: np.ndarray, width: int, height: int, zoom: float = 1.25) -> np.ndarray:
    """``photo`` scaled to cover ``width``x``height`` with room (``zoom``) to pan."""
    ph, pw = photo.shape[:2]
    scale = max(width / pw, height / ph) * zoom
    return cv2.resize(photo, (max(width, round(pw * scale)), max(height, round(ph * scale))))


def scene(width: int, height: int, t: float, big: np.ndarray) -> np.ndarray:
    """The demo picture at time ``t`` seconds: a slow pan over ``big`` and a moving ball."""
    bh, bw = big.shape[:2]
    x = int((bw - width) * (0.5 + 0.5 * math.sin(t * 0.35)))
    y = int((bh - height) * (0.5 + 0.5 * math.sin(t * 0.23 + 1.0)))
    frame = big[y : y + height, x : x + width].copy()
    r = max(4, min(width, height) // 14)
    bx = int(r + (width - 2 * r) * (0.5 + 0.5 * math.sin(t * 1.1)))
    by = int(r + (height - 2 * r) * (0.5 + 0.5 * math.cos(t * 0.8)))
    cv2.circle(frame, (bx, by), r, (40, 90, 220), -1, cv2.LINE_AA)
    cv2.circle(frame, (bx - r // 3, by - r // 3), max(1, r // 4), (200, 220, 255), -1, cv2.LINE_AA)
    return frame


class DemoSource:
    name = "demo"

    def __init__(self, width: int, height: int, fps: int, clock=time.monotonic, sleep=time.sleep):
        self.width, self.height, self.fps = width, height, fps
        self._clock, self._sleep = clock, sleep
        self._big: np.ndarray | None = None
        self._seq = 0
        self._t0 = 0.0
        self._next = 0.0

    def open(self) -> str:
        photo = cv2.imread(str(PHOTO))
        if photo is None:
            raise CameraError(f"demo camera: its picture {PHOTO} is missing from the install")
        self._big = backdrop(photo, self.width, self.height)
        self._t0 = self._next = self._clock()
        self._seq = 0
        return f"demo: {self.width}x{self.height} BGR @ {self.fps} fps (animated photo)"

    def read(self) -> CameraFrame:
        if self._big is None:
            raise CameraError("demo camera is not open")
        now = self._clock()
        if self._next > now:
            self._sleep(self._next - now)
        self._next = max(self._next + 1.0 / self.fps, self._clock() - 1.0 / self.fps)
        self._seq += 1
        t = self._clock()
        frame = scene(self.width, self.height, t - self._t0, self._big)
        return CameraFrame(frame, "BGR", self.width, self.height, self._seq, t)

    def close(self) -> None:
        self._big = None

"""Frames into the buffers a virtual camera takes: I420, YUYV, MJPG or BGR, made once per frame.

The format is fixed when the device opens (a call app must never see it change), so on Linux
we send I420, v4l2loopback's native format, and fill it ourselves: a gray sketch is copied into
the Y plane with U = V = 128 kept from before, a colour frame converts in one cvtColor into the
same preallocated buffer. No per-frame allocation, no RGB step.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from sketchd.errors import OutputError

# Call apps read a webcam's I420 as BT.601 video range (Y 16-235), as OpenCV's BGR→I420 and
# pyvirtualcam's own converters write it. A gray frame copied into Y unscaled would show its
# whites and blacks clipped; this table maps full-range gray to video range in one pass.
VIDEO_RANGE = np.round(16 + np.arange(256) * 219 / 255).astype(np.uint8)


PAPER = 246  # the gray of the cards' paper (pipeline/frames.py), for the very first frame


class I420Converter:
    """Gray or BGR frames → one reused I420 buffer (Y plane, then U, then V), video range."""

    def __init__(self, width: int, height: int):
        if width % 2 or height % 2:
            raise OutputError(f"output size {width}x{height}: I420 needs even width and height")
        self.width, self.height = width, height
        self.buffer = np.empty(width * height * 3 // 2, np.uint8)
        self._y = self.buffer[: width * height].reshape(height, width)
        self._uv = self.buffer[width * height :]
        self._planes = self.buffer.reshape(height * 3 // 2, width)
        self._uv[:] = 128
        self._chroma_neutral = True

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim == 2:
            # = VIDEO_RANGE[frame] (no value lands on .5), in a third of cv2.LUT's time
            cv2.convertScaleAbs(frame, dst=self._y, alpha=219.0 / 255.0, beta=16.0)
            if not self._chroma_neutral:
                self._uv[:] = 128
                self._chroma_neutral = True
        else:
            cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420, dst=self._planes)
            self._chroma_neutral = False
        return self.buffer


class YUYVConverter:
    """Gray or BGR frames → one reused YUYV (YUY2) buffer, video range."""

    def __init__(self, width: int, height: int):
        if width % 2:
            raise OutputError(f"output size {width}x{height}: YUYV needs an even width")
        self.buffer = np.empty((height, width, 2), np.uint8)
        self._y = np.empty((height, width), np.uint8)
        self._chroma = np.full((height, width), 128, np.uint8)  # U, V alternating, all 128

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim == 2:
            cv2.convertScaleAbs(frame, dst=self._y, alpha=219.0 / 255.0, beta=16.0)
            cv2.merge((self._y, self._chroma), dst=self.buffer)  # Y0 U Y1 V ...
        else:
            cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_YUY2, dst=self.buffer)
        return self.buffer


class BGRConverter:
    """Gray or BGR frames → BGR (for backends without I420 input)."""

    def __init__(self, width: int, height: int):
        self.buffer = np.empty((height, width, 3), np.uint8)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim == 2:
            cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR, dst=self.buffer)
            return self.buffer
        return frame


class MJPGConverter:
    """Gray or BGR frames → one JPEG per frame (JFIF: full-range Y'CbCr, 4:2:0), with
    simplejpeg (libjpeg-turbo). A gray sketch is encoded from its own plane with flat chroma
    planes: no colour conversion at all."""

    QUALITY = 85  # no visible blocking on pencil lines at 720p; ~100-150 KB a frame

    def __init__(self, width: int, height: int):
        if width % 2 or height % 2:
            raise OutputError(f"output size {width}x{height}: MJPG 4:2:0 needs even sizes")
        self._flat = np.full((height // 2, width // 2), 128, np.uint8)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        import simplejpeg

        frame = np.ascontiguousarray(frame)
        if frame.ndim == 2:
            data = simplejpeg.encode_jpeg_yuv_planes(
                frame, self._flat, self._flat, quality=self.QUALITY, fastdct=True
            )
        else:
            data = simplejpeg.encode_jpeg(
                frame, self.QUALITY, colorspace="BGR", colorsubsampling="420", fastdct=True
            )
        return np.frombuffer(data, np.uint8)


CONVERTERS: dict[str, Callable[[int, int], Callable[[np.ndarray], np.ndarray]]] = {
    "I420": I420Converter,
    "YUYV": YUYVConverter,
    "MJPG": MJPGConverter,
    "BGR": BGRConverter,
}


class Conversions:
    """The device buffers made from each published frame, shared by the sinks that send the
    same format and size: a second virtual camera gets the buffer already made.

    Relies on the publish loop's promise that a frame it sent is never modified afterwards:
    the frame sent last, by identity, needs no new conversion. Used by the publish thread only.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[str, int, int], _Converted] = {}

    def converter(self, fmt: str, width: int, height: int) -> Callable[[np.ndarray], np.ndarray]:
        key = (fmt, width, height)
        if key not in self._made:
            self._made[key] = _Converted(CONVERTERS[fmt](width, height))
        return self._made[key]


class _Converted:
    def __init__(self, convert: Callable[[np.ndarray], np.ndarray]):
        self._convert = convert
        self._frame: np.ndarray | None = None
        self._buffer: np.ndarray | None = None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if frame is not self._frame or self._buffer is None:
            self._buffer = self._convert(frame)
            self._frame = frame
        return self._buffer

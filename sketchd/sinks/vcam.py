"""The virtual camera sink (pyvirtualcam), and the conversion to the buffer it sends.

The format is fixed when the device opens (a call app must never see it change), so on Linux
we send I420, v4l2loopback's native format, and fill it ourselves: a gray sketch is copied into
the Y plane with U = V = 128 kept from before, a colour frame converts in one cvtColor into the
same preallocated buffer. No per-frame allocation, no RGB step.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from sketchd.errors import OutputError

if TYPE_CHECKING:
    from sketchd.pipeline.engine import Pacer
    from sketchd.platform.linux_v4l2out import StreamingWriter

log = logging.getLogger(__name__)


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


class Camera(Protocol):
    """One open virtual camera, as the sink drives it (pyvirtualcam.Camera has this shape).

    The factory that opens it raises OutputError with the reason and its fix. ``send`` takes
    the converter's buffer and may raise anything when the device fails (the sink then closes
    it and reopens it with backoff); ``close`` is called once."""

    @property
    def device(self) -> str: ...

    @property
    def backend(self) -> str: ...

    @property
    def native_fmt(self) -> object: ...  # a name, or pyvirtualcam's PixelFormat

    def send(self, frame: np.ndarray) -> None: ...

    def sleep_until_next_frame(self) -> None: ...

    def close(self) -> None: ...


class LoopbackCamera:
    """sketchd's own producer on a v4l2loopback device: V4L2 streaming I/O, so that every
    stop leaves the device to the next producer (see platform/linux_v4l2out.py)."""

    backend = "v4l2 streaming"

    def __init__(self, writer: StreamingWriter, fps: int):
        from sketchd.pipeline.engine import Pacer

        self.device, self.native_fmt = writer.device, writer.format.name
        self._writer = writer
        self._writer.open()
        self._pacer = Pacer(fps)

    def send(self, frame: np.ndarray) -> None:
        self._writer.send(memoryview(frame.data).cast("B"))

    def sleep_until_next_frame(self) -> None:
        self._pacer.sleep_until_next_frame()

    def close(self) -> None:
        self._writer.close()


def open_camera(
    device: str | None, width: int, height: int, fps: int, fmt: str, backend: str
) -> Camera:
    """The virtual camera for this OS and backend: sketchd's streaming producer on Linux
    (``auto`` or ``v4l2``), else pyvirtualcam (OBS, Unity Capture, or its write()-based
    ``v4l2loopback`` backend when named). Raises OutputError with the fix."""
    from sketchd.devices import install_hint
    from sketchd.platform import is_linux

    if is_linux() and backend in ("auto", "v4l2"):
        from sketchd.platform import linux_v4l2out

        if linux_v4l2out.SUPPORTED or backend == "v4l2":
            if device is None:
                raise OutputError(f"no virtual camera found: {install_hint()}")
            writer = linux_v4l2out.StreamingWriter(device, width, height, fmt, fps=fps)
            try:
                return LoopbackCamera(writer, fps)
            except OSError as e:
                raise OutputError(loopback_failure(device, e)) from None
    import pyvirtualcam

    pix = pyvirtualcam.PixelFormat
    if not hasattr(pix, fmt):
        raise OutputError(
            f"output.format {fmt} needs sketchd's own Linux producer: set output.backend "
            "to auto or v4l2, or output.format to I420"
        )
    try:
        return pyvirtualcam.Camera(
            width, height, fps, fmt=getattr(pix, fmt), device=device,
            backend=None if backend == "auto" else backend,
        )  # fmt: skip
    except Exception as e:  # pyvirtualcam raises RuntimeError/ValueError with the reasons
        reason = " ".join(str(e).split())
        raise OutputError(
            f"cannot open the virtual camera {device or ''}: {reason}\n"
            f"If there is none: {install_hint()}"
        ) from None


def loopback_failure(device: str, error: OSError) -> str:
    """Why a loopback device refused sketchd as its producer, and the fix, in a user's words."""
    from sketchd.devices import install_hint
    from sketchd.platform.linux_v4l2out import FormatMismatch

    head = f"cannot open the virtual camera {device}"
    if isinstance(error, FormatMismatch):
        return (
            f"{head}: a program still reading it holds it at {error.held}, and sketchd sends "
            f"{error.asked}.\nClose that call or app, or set output.width and output.height "
            "to match"
        )
    if error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"{head}: it does not exist.\n{install_hint()}"
    from sketchd.platform.linux_loopback import open_failure_message

    known = open_failure_message(device)  # stuck by the 0.12 bug, or another producer's
    if known:
        return f"{head}: " + known.replace(" Fix: ", "\nFix: ", 1)
    return (
        f"{head}: {error.strerror or error}.\nIf it is not a v4l2loopback device: {install_hint()}"
    )


class VirtualCameraSink:
    """Publishes frames to the virtual camera. Also the loop's pacer (sleep_until_next_frame).

    ``opener`` opens the device (``open_camera``; tests pass a fake)."""

    # after a write fails: close, then reopen after these waits (the last one repeats)
    BACKOFF = (0.5, 1.0, 2.0, 5.0)

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        device: str | None,
        backend: str,
        clock: Callable[[], float] = time.monotonic,
        fmt: str = "I420",
        opener: Callable[..., Camera] = open_camera,
        conversions: Conversions | None = None,
    ):
        self.width, self.height, self.fps = width, height, fps
        # "auto" is resolved at each open (the loopback labelled "Sketch Camera"), so a
        # module loaded after sketchd started is found when the sink tries again
        self.configured = device
        self.device = None if device == "auto" else device
        self.backend, self.fmt = backend, fmt
        self.name = f"virtual camera {self.device or ''}".strip()
        self._cam: Camera | None = None
        self._convert: Callable[[np.ndarray], np.ndarray] | None = None
        self._open_camera = opener
        self._conversions = conversions or Conversions()
        self._clock = clock
        self._pacer: Pacer | None = None  # paces the loop while the device is closed
        self._failures = 0
        self._retry_at = 0.0
        self._lost_reason = ""

    def open(self) -> str:
        from sketchd.devices import output_device
        from sketchd.platform import is_linux

        self.device = output_device(self.configured) if self.configured else None
        fmt = self.fmt if is_linux() else "BGR"
        self._cam = self._open_camera(
            self.device, self.width, self.height, self.fps, fmt, self.backend
        )
        self._convert = self._conversions.converter(fmt, self.width, self.height)
        self.name = f"virtual camera {self._cam.device}"
        # A first frame at once, blank paper: from v4l2loopback 0.13 on the device shows its
        # format as soon as it is set but is no capture device until a frame is queued, and a
        # call app enumerating cameras in that gap would not list "Sketch Camera".
        try:
            self._cam.send(self._convert(np.full((self.height, self.width), PAPER, np.uint8)))
        except Exception as e:
            self._close_quietly()
            raise OutputError(f"writing to {self.device} failed: {e}") from None
        native = getattr(self._cam.native_fmt, "name", self._cam.native_fmt)
        return (
            f"{self._cam.device} ({self._cam.backend}): {self.width}x{self.height} "
            f"@ {self.fps} fps, sending {fmt}, device format {native}"
        )

    def send(self, frame: np.ndarray) -> None:
        """Send one frame. After a failed write the device is closed and reopened with
        backoff; meanwhile every send raises the same OutputError (logged once by the loop)."""
        if self._cam is None:
            if not self._lost_reason:
                raise OutputError("the virtual camera is not open")
            if self._clock() < self._retry_at:
                raise OutputError(self._lost_reason)
            try:
                desc = self.open()
            except OutputError as e:
                self.reopen_later(e)
                raise OutputError(self._lost_reason) from None
            log.info("output: reopened %s", desc)
            self._failures, self._lost_reason = 0, ""
        cam, convert = self._cam, self._convert
        assert cam is not None and convert is not None  # open() set both
        try:
            cam.send(convert(frame))
        except Exception as e:
            device = cam.device
            self._close_quietly()
            self.reopen_later(f"writing to {device} failed: {e}")
            raise OutputError(self._lost_reason) from None

    def reopen_later(self, error: OutputError | str) -> None:
        """Try to open the device again from ``send``, with backoff. The error's first line is
        the reason; its fix (the lines after it) stays in the message the loop reports."""
        wait = self.BACKOFF[min(self._failures, len(self.BACKOFF) - 1)]
        self._failures += 1
        self._retry_at = self._clock() + wait
        self._lost_reason = f"{error}\nsketchd keeps reopening it (with backoff)"

    def _close_quietly(self) -> None:
        try:
            if self._cam is not None:
                self._cam.close()
        except Exception:
            log.debug("closing the failed virtual camera", exc_info=True)
        self._cam = None

    def sleep_until_next_frame(self) -> None:
        if self._cam is not None:
            self._cam.sleep_until_next_frame()
            return
        if self._pacer is None:
            from sketchd.pipeline.engine import Pacer

            self._pacer = Pacer(self.fps)
        self._pacer.sleep_until_next_frame()

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.close()
            finally:
                self._cam = None

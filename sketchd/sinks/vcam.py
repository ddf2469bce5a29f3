"""The virtual camera sink (pyvirtualcam), and the conversion to the buffer it sends.

The format is fixed when the device opens (a call app must never see it change), so on Linux
we send I420, v4l2loopback's native format, and fill it ourselves: a gray sketch is copied into
the Y plane with U = V = 128 kept from before, a colour frame converts in one cvtColor into the
same preallocated buffer. No per-frame allocation, no RGB step.
"""

from __future__ import annotations

import logging
import sys
import time

import cv2
import numpy as np

from sketchd.errors import OutputError

log = logging.getLogger(__name__)


# Call apps read a webcam's I420 as BT.601 video range (Y 16-235), as OpenCV's BGR→I420 and
# pyvirtualcam's own converters write it. A gray frame copied into Y unscaled would show its
# whites and blacks clipped; this table maps full-range gray to video range in one pass.
VIDEO_RANGE = np.round(16 + np.arange(256) * 219 / 255).astype(np.uint8)


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


class BGRConverter:
    """Gray or BGR frames → BGR (for backends without I420 input)."""

    def __init__(self, width: int, height: int):
        self.buffer = np.empty((height, width, 3), np.uint8)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim == 2:
            cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR, dst=self.buffer)
            return self.buffer
        return frame


class _DirectLoopback:
    """Stand-in for pyvirtualcam.Camera writing straight to a v4l2loopback device."""

    backend = "v4l2loopback-direct"
    native_fmt = "I420"

    def __init__(self, device: str, width: int, height: int, fps: int):
        from sketchd.pipeline.engine import Pacer
        from sketchd.platform.linux_v4l2 import LoopbackWriter

        self.device = device
        self._writer = LoopbackWriter(device, width, height)
        self._writer.open()
        self._pacer = Pacer(fps)

    def send(self, buf: np.ndarray) -> None:
        self._writer.send(memoryview(buf))

    def sleep_until_next_frame(self) -> None:
        self._pacer.sleep_until_next_frame()

    def close(self) -> None:
        self._writer.close()


def _refused_loopback(device: str | None, error: Exception) -> bool:
    """pyvirtualcam refusing a v4l2loopback device that is really there: the exclusive_caps
    bug of v4l2loopback 0.12 after a previous producer closed (see LoopbackWriter)."""
    if not device or "not a video output device" not in str(error):
        return False
    from sketchd.platform import linux_v4l2

    return any(d.path == device and d.loopback for d in linux_v4l2.list_devices())


class VirtualCameraSink:
    """Publishes frames to the virtual camera. Also the loop's pacer (sleep_until_next_frame)."""

    # after a write fails: close, then reopen after these waits (the last one repeats)
    BACKOFF = (0.5, 1.0, 2.0, 5.0)

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        device: str | None,
        backend: str,
        clock=time.monotonic,
    ):
        self.width, self.height, self.fps = width, height, fps
        # "auto" is resolved at each open (the loopback labelled "Sketch Camera"), so a
        # module loaded after sketchd started is found when the sink tries again
        self.configured = device
        self.device = None if device == "auto" else device
        self.backend = backend
        self.name = f"virtual camera {self.device or ''}".strip()
        self._cam = None
        self._convert = None
        self._clock = clock
        self._pacer = None  # paces the loop while the device is closed
        self._failures = 0
        self._retry_at = 0.0
        self._lost_reason = ""

    def open(self) -> str:
        import pyvirtualcam

        from sketchd.devices import output_device

        self.device = output_device(self.configured) if self.configured else None
        linux = sys.platform.startswith("linux")
        fmt = pyvirtualcam.PixelFormat.I420 if linux else pyvirtualcam.PixelFormat.BGR
        backend = None if self.backend == "auto" else self.backend
        try:
            self._cam = pyvirtualcam.Camera(
                self.width, self.height, self.fps, fmt=fmt, device=self.device, backend=backend
            )
        except Exception as e:  # pyvirtualcam raises RuntimeError/ValueError with the reasons
            if linux and _refused_loopback(self.device, e):
                log.info(
                    "output: pyvirtualcam refused %s (v4l2loopback 0.12 stops advertising "
                    "output after a previous producer closed); writing to it directly",
                    self.device,
                )
                try:
                    self._cam = _DirectLoopback(self.device, self.width, self.height, self.fps)
                except OSError as e2:
                    raise OutputError(
                        f"cannot open the virtual camera {self.device}: {e2.strerror or e2}.\n"
                        "The v4l2loopback device is stuck after another program used it "
                        "(a known v4l2loopback 0.12 bug). Close every program using it, then "
                        "reload the module: sudo modprobe -r v4l2loopback && "
                        "sudo modprobe v4l2loopback"
                    ) from None
            else:
                from sketchd.devices import install_hint

                reason = " ".join(str(e).split())
                raise OutputError(
                    f"cannot open the virtual camera {self.device or ''}: {reason}\n"
                    f"If there is none: {install_hint()}"
                ) from None
        conv = I420Converter if fmt == pyvirtualcam.PixelFormat.I420 else BGRConverter
        self._convert = conv(self.width, self.height)
        self.name = f"virtual camera {self._cam.device}"
        return (
            f"{self._cam.device} ({self._cam.backend}): {self.width}x{self.height} "
            f"@ {self.fps} fps, sending {fmt.name}, device format {self._cam.native_fmt}"
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
        try:
            self._cam.send(self._convert(frame))
        except Exception as e:
            device = self._cam.device
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

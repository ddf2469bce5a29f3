"""The virtual camera sink: sketchd's streaming producer on Linux, pyvirtualcam elsewhere.

The buffers it sends are made in sinks/convert.py (one conversion per frame, shared by every
device); this module opens, feeds, reopens and closes the device, and says who reads it.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sketchd.errors import OutputError
from sketchd.pipeline.demand import Readers
from sketchd.sinks.convert import PAPER, Conversions

if TYPE_CHECKING:
    from sketchd.pipeline.pacer import Pacer
    from sketchd.platform.linux.v4l2out import StreamingWriter

log = logging.getLogger(__name__)


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
    stop leaves the device to the next producer (see platform/linux/v4l2out.py)."""

    backend = "v4l2 streaming"

    def __init__(self, writer: StreamingWriter, fps: int, holders=None):
        from sketchd.pipeline.pacer import Pacer

        self.device, self.native_fmt = writer.device, writer.format.name
        self._writer = writer
        self._writer.open()
        self._pacer = Pacer(fps)
        # who reads it: the release's client-usage events, else the open file handles
        self._holders = None
        if writer.watch_readers():
            self.readers_how, self.reader_grace = (
                "V4L2 client-usage events (streaming readers)",
                0.0,
            )
        else:
            if holders is None:
                from sketchd.platform.linux.readers import OpenHolders

                holders = OpenHolders(writer.device)
            self._holders = holders
            self.readers_how, self.reader_grace = holders.how, holders.grace

    def readers(self) -> int | None:
        if self._holders is not None:
            return self._holders.readers()
        return self._writer.readers()

    def send(self, frame: np.ndarray) -> None:
        self._writer.send(memoryview(frame.data).cast("B"))

    def sleep_until_next_frame(self) -> None:
        self._pacer.sleep_until_next_frame()

    def close(self) -> None:
        if self._holders is not None:
            self._holders.close()
        self._writer.close()


def open_camera(
    device: str | None, width: int, height: int, fps: int, fmt: str, backend: str
) -> Camera:
    """The virtual camera for this OS and backend: sketchd's streaming producer on Linux
    (``auto`` or ``v4l2``), else pyvirtualcam (OBS, Unity Capture, or its write()-based
    ``v4l2loopback`` backend when named). Raises OutputError with the fix."""
    from sketchd.devices import install_hint, is_pipewire
    from sketchd.platform import is_linux

    if is_linux() and is_pipewire(device, backend):
        from sketchd.sinks.pipewire import open_node

        return open_node(width, height, fps, fmt)
    if is_linux() and backend in ("auto", "v4l2"):
        from sketchd.platform.linux import v4l2out as linux_v4l2out

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
    from sketchd.platform.linux.v4l2out import FormatMismatch

    head = f"cannot open the virtual camera {device}"
    if isinstance(error, FormatMismatch):
        return (
            f"{head}: a program still reading it holds it at {error.held}, and sketchd sends "
            f"{error.asked}.\nClose that call or app, or set output.width and output.height "
            "to match"
        )
    if error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"{head}: it does not exist.\n{install_hint()}"
    from sketchd.platform.linux.loopback import open_failure_message

    known = open_failure_message(device)  # stuck by the 0.12 bug, or another producer's
    if known:
        return f"{head}: " + known.replace(" Fix: ", "\nFix: ", 1)
    return (
        f"{head}: {error.strerror or error}.\nIf it is not a v4l2loopback device: {install_hint()}"
    )


class VirtualCameraSink:
    """Publishes frames to the virtual camera. Also the loop's pacer (sleep_until_next_frame).

    ``opener`` opens the device (``open_camera``; tests pass a fake). While the device is
    closed, a Pacer at ``fps`` made by ``idle_pacer(fps)`` paces the loop (tests pass one with
    a fake clock)."""

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
        idle_pacer: Callable[[int], Pacer] | None = None,
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
        self._idle_pacer = idle_pacer
        self._failures = 0
        self._retry_at = 0.0
        self._lost_reason = ""

    def open(self) -> str:
        from sketchd.devices import is_pipewire, output_device
        from sketchd.platform import is_linux

        self.device = output_device(self.configured) if self.configured else None
        fmt = self.fmt if is_linux() else "BGR"
        if is_pipewire(self.device, self.backend):
            from sketchd.sinks.pipewire import node_format

            fmt = node_format(fmt)
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
        self._announce()
        native = getattr(self._cam.native_fmt, "name", self._cam.native_fmt)
        how = getattr(self._cam, "readers_how", "")
        return (
            f"{self._cam.device} ({self._cam.backend}): {self.width}x{self.height} "
            f"@ {self.fps} fps, sending {fmt}, device format {native}"
            + (f"; its readers seen through {how}" if how else "")
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

    def readers(self) -> Readers | None:
        """Who reads the device, or None where nothing can tell (pyvirtualcam's backends:
        OBS's and Unity Capture's virtual cameras). A device that is not open has none."""
        cam = self._cam
        if cam is None:
            return Readers(0, 0.0, "the device is not open") if self._lost_reason else None
        count = getattr(cam, "readers", None)
        n = count() if count is not None else None
        if n is None:
            return None
        return Readers(n, getattr(cam, "reader_grace", 0.0), getattr(cam, "readers_how", ""))

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
            from sketchd.pipeline.pacer import Pacer

            self._pacer = (self._idle_pacer or Pacer)(self.fps)
        self._pacer.sleep_until_next_frame()

    def _announce(self) -> None:
        """A loopback device that streams (or stopped) is announced to PipeWire again."""
        if isinstance(self._cam, LoopbackCamera):
            from sketchd.platform.linux.pipewire import announce

            said = announce(self._cam.device)
            if said:
                log.info("output: %s", said)

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.close()
                self._announce()
            finally:
                self._cam = None

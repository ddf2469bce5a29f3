"""sketchd's own PipeWire camera: a Video/Source node named "Sketch Camera", no kernel module.

Every app that finds cameras through PipeWire lists it (Flatpak apps through the camera
portal, Firefox on Fedora 41+, OBS's PipeWire source, GNOME Snapshot, Chromium with
WebRtcPipeWireCamera); apps that open /dev/video* themselves need the v4l2loopback output.

Frames go out through GStreamer's ``pipewiresink`` (PyGObject), PipeWire's own client for
GStreamer: ``appsrc ! pipewiresink mode=provide``. pipewiresink 0.3.x copies each frame into a
buffer of its pool, sized when the pool starts; the pool started before the first frame, so
its buffers were 0 bytes and the copy crashed the process as soon as an app linked. sketchd
configures the pool for whole frames first. (Filling the pool's buffers directly is no way
round it: the sink drops a buffer it is given before the app is streaming, and such a buffer
never returns to the pool, so Chromium's capture stalled after one frame.) Who reads the node
is PipeWire's to say: the links to it (platform/linux/pipewire.py ``Links``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from sketchd.errors import OutputError
from sketchd.pipeline.pacer import Pacing
from sketchd.platform.linux import pipewire as linux_pipewire
from sketchd.platform.linux.pipewire import CAMERA_ROLE, NODE_NAME, VIDEO_SOURCE

log = logging.getLogger(__name__)

LABEL = "Sketch Camera"
# GStreamer's names for the formats the converter makes (sinks/convert.py)
GST_FORMATS = {"I420": "I420", "YUYV": "YUY2"}


class Stream(Protocol):
    """The node's stream, as the camera drives it (GstStream; tests pass a fake).

    ``push`` offers one frame's bytes (dropped while no app reads the node); it raises
    OutputError when the stream failed (PipeWire went away). ``close`` is called once."""

    def push(self, data: memoryview) -> None: ...

    def close(self) -> None: ...


class Readers(Protocol):
    """How many apps link the node now (None: cannot tell); ``close`` once."""

    def count(self) -> int | None: ...

    def close(self) -> None: ...


class PipeWireCamera:
    """The node as vcam.VirtualCameraSink drives a camera (sinks/vcam.py ``Camera``)."""

    backend = "PipeWire node"
    readers_how = "PipeWire's links to the node"
    reader_grace = 0.0  # a link is there or not; the config's idle_after covers the gaps

    def __init__(
        self, stream: Stream, readers: Readers, fps: int, fmt: str, pacer: Pacing | None = None
    ):
        from sketchd.pipeline.pacer import Pacer

        self.device = f'PipeWire node "{LABEL}"'
        self.native_fmt = fmt
        self._stream, self._readers = stream, readers
        self._pacer = pacer or Pacer(fps)

    def send(self, frame: np.ndarray) -> None:
        self._stream.push(memoryview(frame.data).cast("B"))

    def readers(self) -> int | None:
        return self._readers.count()

    def sleep_until_next_frame(self) -> None:
        self._pacer.sleep_until_next_frame()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._readers.close()


class GstStream:
    """``appsrc ! pipewiresink mode=provide``: the node lives while this object is open.

    pipewiresink says nothing when PipeWire goes away under it (its stream just stops taking
    frames), so ``push`` also checks, once a second, that the PipeWire socket it connected to
    is still the same file: a restarted PipeWire makes a new one, and the sink then fails and
    is reopened by the caller."""

    SOCKET_CHECK_S = 1.0

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        fmt: str,
        clock: Callable[[], float] = time.monotonic,
    ):
        import gi

        gi.require_version("Gst", "1.0")
        gi.require_version("GstVideo", "1.0")
        from gi.repository import Gst, GstVideo

        if not Gst.is_initialized():
            Gst.init(None)
        self._gst, self._video = Gst, GstVideo.VideoInfo
        self._caps = Gst.Caps.from_string(
            f"video/x-raw,format={GST_FORMATS[fmt]},width={width},height={height},"
            f"framerate={fps}/1,colorimetry=bt601"
        )
        pipeline = Gst.Pipeline.new("sketchd-pipewire")
        src = Gst.ElementFactory.make("appsrc", "src")
        sink = Gst.ElementFactory.make("pipewiresink", "sink")
        if src is None or sink is None:
            raise OutputError("GStreamer's appsrc or pipewiresink is missing")
        src.set_property("caps", self._caps)
        src.set_property("is-live", True)
        src.set_property("do-timestamp", True)
        src.set_property("format", Gst.Format.TIME)
        # never a queue: the newest frame only (the publish loop must not wait on PipeWire)
        src.set_property("max-buffers", 1)
        if src.find_property("leaky-type") is not None:  # GStreamer 1.20+
            Gst.util_set_object_arg(src, "leaky-type", "downstream")
        sink.set_property("mode", "provide")
        sink.set_property("sync", False)
        sink.set_property("client-name", "sketchd")
        props = Gst.Structure.new_empty("props")
        for key, value in (
            ("media.class", VIDEO_SOURCE),
            ("media.role", CAMERA_ROLE),
            ("node.name", NODE_NAME),
            ("node.description", LABEL),
            ("media.name", LABEL),
        ):
            props.set_value(key, value)
        sink.set_property("stream-properties", props)
        pipeline.add(src)
        pipeline.add(sink)
        src.link(sink)
        self._pipeline, self._src = pipeline, src
        self._size = 0
        self._clock = clock
        self._socket = _identity(linux_pipewire.socket_path())
        self._checked = clock()
        if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self._fail("GStreamer could not start the PipeWire stream")
        self._check_bus()
        self._configure_pool()

    def _configure_pool(self) -> None:
        """The sink's buffer pool, configured for whole frames (see the module's docstring)."""
        Gst = self._gst
        query = Gst.Query.new_allocation(self._caps, True)
        if not self._src.get_static_pad("src").peer_query(query) or not (
            query.get_n_allocation_pools()
        ):
            self._fail("pipewiresink offered no buffer pool")
        pool, _size, low, high = query.parse_nth_allocation_pool(0)
        self._size = self._video.new_from_caps(self._caps).size
        pool.set_active(False)
        config = pool.get_config()
        Gst.BufferPool.config_set_params(config, self._caps, self._size, low, high)
        pool.set_config(config)  # False only says it adjusted something
        if not pool.set_active(True):
            self._fail("pipewiresink's buffer pool did not start")

    def push(self, data: memoryview) -> None:
        self._check_bus()
        now = self._clock()
        if now - self._checked >= self.SOCKET_CHECK_S:
            self._checked = now
            if _identity(linux_pipewire.socket_path()) != self._socket:
                self._fail("PipeWire restarted or stopped: the camera node went with it")
        Gst = self._gst
        flow = self._src.emit("push-buffer", Gst.Buffer.new_wrapped(bytes(data[: self._size])))
        if flow not in (Gst.FlowReturn.OK, Gst.FlowReturn.FLUSHING):
            self._fail(f"the PipeWire stream refused a frame ({flow.value_nick})")

    def _check_bus(self) -> None:
        Gst = self._gst
        msg = self._pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, _debug = msg.parse_error()
            self._fail(f"PipeWire: {err.message}")

    def _fail(self, why: str) -> None:
        self.close()
        raise OutputError(why)

    def close(self) -> None:
        pipeline, self._pipeline = getattr(self, "_pipeline", None), None
        if pipeline is not None:
            pipeline.set_state(self._gst.State.NULL)


def _identity(path) -> tuple[int, int, int] | None:
    """Which file ``path`` is (device, inode, change time: a socket made anew may get the
    inode of the one before it), or None when there is none."""
    try:
        st = os.stat(path) if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_dev, st.st_ino, st.st_ctime_ns)


def node_format(fmt: str) -> str:
    """What the node sends for output.format ``fmt``: I420 or YUYV as asked; MJPG is for
    V4L2 readers (Firefox's frame rate), and PipeWire apps take I420."""
    return fmt if fmt in GST_FORMATS else "I420"


def open_node(
    width: int, height: int, fps: int, fmt: str, clock: Callable[[], float] = time.monotonic
) -> PipeWireCamera:
    """The PipeWire camera node, or OutputError saying what is missing and how to get it."""
    missing = linux_pipewire.gst_missing()
    if missing:
        raise OutputError(f"cannot publish a PipeWire camera: {missing}")
    if not linux_pipewire.running():
        raise OutputError(
            "cannot publish a PipeWire camera: PipeWire is not running for this user\n"
            "Fix: log in to a desktop session that runs PipeWire (systemctl --user start "
            "pipewire wireplumber), or use the v4l2loopback output (sketchd doctor)"
        )
    stream = GstStream(width, height, fps, fmt, clock)
    links = linux_pipewire.Links(NODE_NAME)
    return PipeWireCamera(stream, links.start(), fps, fmt)

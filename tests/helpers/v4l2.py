"""A stand-in for the kernel side of a v4l2loopback output device, at the ioctl boundary.

It decodes the structs the writer packs (with its own offsets, not the writer's Struct
objects, so a wrong layout shows), answers as v4l2loopback does (REQBUFS grants at most
``max_buffers``; QUERYBUF gives page-aligned offsets; QBUF makes the frame readers' newest) and
records what a reader would get: the bytes of each queued buffer at QBUF time.
"""

from __future__ import annotations

import errno
import struct
from typing import ClassVar

from sketchd.platform.linux import v4l2out as v

PAGE = 4096


class FakeMapping:
    def __init__(self, length: int):
        self.data = bytearray(length)
        self.closed = False

    def __setitem__(self, index: slice, value) -> None:
        if self.closed:
            raise ValueError("mmap closed or invalid")
        self.data[index] = value

    def close(self) -> None:
        self.closed = True


class FakeLoopback:
    """One device. ``fail`` maps an ioctl name to the errno it raises; ``held`` is the
    (width, height, fourcc) a reader holds the device at (0.12 answers S_FMT with it)."""

    def __init__(self, max_buffers: int = 2):
        self.max_buffers = max_buffers
        self.fail: dict[str, int] = {}
        self.held: tuple[int, int, bytes] | None = None
        self.calls: list[str] = []
        self.fmt: tuple[int, int, bytes, int, int] | None = None  # w h fourcc bpl sizeimage
        self.maps: dict[int, FakeMapping] = {}  # by offset
        self.granted = 0
        self.streaming = False
        self.timeperframe: tuple[int, int] | None = None
        self.frames: list[tuple[int, bytes]] = []  # (buffer index, what a reader gets)
        self.open_fds: set[int] = set()
        self._next_fd = 100
        # client-usage events: 0.13 and later have them (0.12 answers EINVAL to SUBSCRIBE)
        self.usage_events = True
        self.streaming_readers = 0
        self.subscribed = False
        self.events: list[int] = []  # counts queued to the producer, oldest first

    def open_fd(self) -> int:
        """A new file descriptor on the device (what open(2) gives)."""
        self._next_fd += 1
        self.open_fds.add(self._next_fd)
        return self._next_fd

    def readers_stream(self, n: int) -> None:
        """Readers start or stop streaming: v4l2loopback queues the new count."""
        self.streaming_readers = n
        if self.subscribed:
            self.events.append(n)


class FakeKernel:
    """Implements the writer's Kernel protocol against one FakeLoopback."""

    names: ClassVar[dict[int, str]] = {
        v.VIDIOC_S_FMT: "S_FMT",
        v.VIDIOC_REQBUFS: "REQBUFS",
        v.VIDIOC_QUERYBUF: "QUERYBUF",
        v.VIDIOC_QBUF: "QBUF",
        v.VIDIOC_STREAMON: "STREAMON",
        v.VIDIOC_STREAMOFF: "STREAMOFF",
        v.VIDIOC_S_PARM: "S_PARM",
        v.VIDIOC_SUBSCRIBE_EVENT: "SUBSCRIBE_EVENT",
        v.VIDIOC_DQEVENT: "DQEVENT",
    }

    def __init__(self, dev: FakeLoopback | None = None):
        self.dev = dev or FakeLoopback()

    def open(self, path: str) -> int:
        self.dev.calls.append(f"open {path}")
        if "open" in self.dev.fail:
            raise OSError(self.dev.fail["open"], "open failed", path)
        return self.dev.open_fd()

    def close(self, fd: int) -> None:
        self.dev.calls.append("close")
        self.dev.open_fds.discard(fd)
        self.dev.streaming = self.dev.subscribed = False

    def mmap(self, fd: int, length: int, offset: int) -> FakeMapping:
        assert fd in self.dev.open_fds and offset % PAGE == 0
        m = FakeMapping(length)
        self.dev.maps[offset] = m
        return m

    def ioctl(self, fd: int, request: int, arg: bytearray) -> None:
        name = self.names[request]
        d = self.dev
        d.calls.append(name)
        assert fd in d.open_fds
        if name in d.fail:
            raise OSError(d.fail[name], f"{name} failed")
        if name == "S_FMT":
            (kind,) = struct.unpack_from("I", arg, 0)
            w, h, code, field, bpl, size = struct.unpack_from("6I", arg, 8)
            assert kind == v.BUF_TYPE_VIDEO_OUTPUT and field == v.FIELD_NONE
            fourcc = code.to_bytes(4, "little")
            if d.held:
                w, h, fourcc = d.held
                struct.pack_into("3I", arg, 8, w, h, int.from_bytes(fourcc, "little"))
            d.fmt = (w, h, fourcc, bpl, size)
        elif name == "REQBUFS":
            count, kind, memory = struct.unpack_from("3I", arg, 0)
            assert kind == v.BUF_TYPE_VIDEO_OUTPUT and memory == v.MEMORY_MMAP
            d.granted = min(count, d.max_buffers)
            struct.pack_into("I", arg, 0, d.granted)
        elif name == "QUERYBUF":
            index, kind = struct.unpack_from("2I", arg, 0)
            if index >= d.granted:
                raise OSError(errno.EINVAL, "no such buffer")
            size = -(-d.fmt[4] // PAGE) * PAGE
            # m.offset at byte 64, length at 72 (struct v4l2_buffer on 64-bit Linux)
            struct.pack_into("I", arg, 64, index * size)
            struct.pack_into("I", arg, 72, size)
        elif name == "QBUF":
            index, kind, used = struct.unpack_from("3I", arg, 0)
            (memory,) = struct.unpack_from("I", arg, 60)
            assert kind == v.BUF_TYPE_VIDEO_OUTPUT and memory == v.MEMORY_MMAP
            if index >= d.granted:
                raise OSError(errno.EINVAL, "no such buffer")
            size = -(-d.fmt[4] // PAGE) * PAGE
            d.frames.append((index, bytes(d.maps[index * size].data[:used])))
        elif name == "S_PARM":
            kind, _cap, _mode, num, den = struct.unpack_from("5I", arg, 0)
            assert kind == v.BUF_TYPE_VIDEO_OUTPUT
            d.timeperframe = (num, den)
        elif name == "STREAMON":
            assert d.granted, "0.14+ refuses STREAMON before REQBUFS"
            d.streaming = True
        elif name == "STREAMOFF":
            d.streaming = False
        elif name == "SUBSCRIBE_EVENT":
            kind, _id, flags = struct.unpack_from("3I", arg, 0)
            if not d.usage_events or kind != 0x10E00001:
                raise OSError(errno.EINVAL, "no such event")
            d.subscribed = True
            if flags & 1:  # V4L2_EVENT_SUB_FL_SEND_INITIAL
                d.events.append(d.streaming_readers)
        elif name == "DQEVENT":
            if not d.events:
                raise OSError(errno.ENOENT, "no event pending")
            # struct v4l2_event: type at 0, the union's first u32 at 8 (after padding)
            struct.pack_into("I", arg, 0, 0x10E00001)
            struct.pack_into("I", arg, 8, d.events.pop(0))

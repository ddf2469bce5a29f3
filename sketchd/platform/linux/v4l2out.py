"""Publishing to a v4l2loopback device with V4L2 streaming I/O (mmap'ed buffers), raw ioctls.

Why not ``write()`` (pyvirtualcam's Linux backend, ffmpeg's v4l2 muxer): v4l2loopback 0.12.x
records a producer as the device's writer only in ``VIDIOC_STREAMON``. A producer that only
writes is never recorded, so when it closes the device never gets its output side back: with
``exclusive_caps=1`` the next producer's ``VIDIOC_S_FMT`` fails with EINVAL until the module is
reloaded (v4l2loopback issues #442, #470). A producer that streams (S_FMT, REQBUFS, mmap,
STREAMON, QBUF per frame, STREAMOFF), as OBS and GStreamer's v4l2sink do, is released cleanly by
every stop, SIGKILL included (the kernel closes the file), on 0.12.7, 0.13.x and 0.15.x; 0.14 and
later also refuse STREAMON without REQBUFS, which this order satisfies.

Frames go round-robin through the buffers, each written in full then queued (QBUF); the one
written is never the one readers were last handed. v4l2loopback hands an output buffer back at
once, so no DQBUF is needed to reuse one (its DQBUF on 0.12.7 returns the newest buffer, the one
readers are copying, which is why we keep the order ourselves).

Why not linuxpy: it is GPL-3.0 (sketchd is MIT) and its output support targets write(); the
five ioctls here are small enough to keep in one module, with the structs' layouts written out.
The ioctl, open and mmap calls are injectable: tests fake the kernel at exactly that boundary.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import struct
from dataclasses import dataclass
from typing import Protocol


def _ioc(direction: int, nr: int, size: int) -> int:
    """Linux's _IOC(dir, 'V', nr, size) (asm-generic layout: x86, arm, riscv)."""
    return (direction << 30) | (size << 16) | (ord("V") << 8) | nr


_READ, _WRITE = 2, 1

# struct v4l2_format: u32 type, 4 bytes padding, a 200-byte union (its first member
# v4l2_pix_format: width height pixelformat field bytesperline sizeimage colorspace priv ...)
FMT = struct.Struct("I4x8I168x")
# struct v4l2_requestbuffers: count type memory capabilities u8 flags u8 reserved[3]
REQBUFS = struct.Struct("4IB3x")
# struct v4l2_buffer on LP64: index type bytesused flags field (pad) timeval{sec,usec}
# timecode{type flags frames seconds minutes hours userbits[4]} sequence memory m.offset(union,
# 8 bytes) length reserved2 request_fd (pad)
BUFFER = struct.Struct("5I4x2q2I4B4s2IQ3I4x")

# struct v4l2_streamparm: u32 type, then a 200-byte union; its v4l2_outputparm begins
# capability outputmode timeperframe{numerator denominator}
STREAMPARM = struct.Struct("I4I184x")

# struct v4l2_event_subscription: type id flags reserved[5]
EVENT_SUB = struct.Struct("8I")
# struct v4l2_event on LP64: type, (pad), a 64-byte union (v4l2loopback's client usage: u32
# count first), pending sequence, timestamp{tv_sec tv_nsec}, id, reserved[8], (pad)
EVENT = struct.Struct("I4x64s2I2qI8I4x")

VIDIOC_G_FMT = _ioc(_READ | _WRITE, 4, FMT.size)
VIDIOC_S_FMT = _ioc(_READ | _WRITE, 5, FMT.size)
VIDIOC_REQBUFS = _ioc(_READ | _WRITE, 8, REQBUFS.size)
VIDIOC_QUERYBUF = _ioc(_READ | _WRITE, 9, BUFFER.size)
VIDIOC_QBUF = _ioc(_READ | _WRITE, 15, BUFFER.size)
VIDIOC_STREAMON = _ioc(_WRITE, 18, 4)
VIDIOC_STREAMOFF = _ioc(_WRITE, 19, 4)
VIDIOC_S_PARM = _ioc(_READ | _WRITE, 22, STREAMPARM.size)
VIDIOC_DQEVENT = _ioc(_READ, 89, EVENT.size)
VIDIOC_SUBSCRIBE_EVENT = _ioc(_WRITE, 90, EVENT_SUB.size)

# v4l2loopback 0.13 and later queue this event to the producer whenever a reader starts or
# stops streaming (V4L2_EVENT_PRIVATE_START + its offset 0x08E00000 + 1); its payload counts
# the readers streaming (0.13) or is 1 while any does (0.14+). 0.12 has no such event.
EVENT_PRI_CLIENT_USAGE = 0x08000000 + 0x08E00000 + 1
EVENT_SUB_FL_SEND_INITIAL = 1

BUF_TYPE_VIDEO_OUTPUT = 2
MEMORY_MMAP = 1
FIELD_NONE = 1
COLORSPACE_SRGB = 8  # what pyvirtualcam and OBS set; call apps read the Y'CbCr as BT.601

# supported only where struct v4l2_buffer has the layout above (64-bit Linux)
SUPPORTED = BUFFER.size == 88 and FMT.size == 208 and struct.calcsize("l") == 8


@dataclass(frozen=True)
class PixelFormat:
    name: str  # as in the config: "I420", "YUYV", "MJPG"
    fourcc: bytes  # V4L2's code
    bits: int  # per pixel; for a compressed format, the most a frame may take
    compressed: bool = False  # frames of varying size (bytesused says how many bytes)

    def code(self) -> int:
        return int.from_bytes(self.fourcc, "little")

    def bytesperline(self, width: int) -> int:
        return 0 if self.compressed else width * (2 if self.name == "YUYV" else 1)

    def sizeimage(self, width: int, height: int) -> int:
        return width * height * self.bits // 8


# I420 is v4l2loopback's and Chrome's native planar format; never NV12 (Chrome shows grey).
# MJPG costs an encode per frame but is the one format Firefox takes at 30 fps above 800 wide.
FORMATS = {
    "I420": PixelFormat("I420", b"YU12", 12),
    "YUYV": PixelFormat("YUYV", b"YUYV", 16),
    "MJPG": PixelFormat("MJPG", b"MJPG", 32, compressed=True),  # v4l2loopback's own bound
}


class Mapping(Protocol):
    """What ``mmap.mmap`` gives: a writable buffer of the kernel's frame memory."""

    def __setitem__(self, index: slice, value: bytes | memoryview, /) -> None: ...

    def close(self) -> None: ...


class Kernel(Protocol):
    """The system calls the writer makes; ``RealKernel`` is the OS, tests pass a fake."""

    def open(self, path: str) -> int: ...

    def ioctl(self, fd: int, request: int, arg: bytearray) -> None: ...

    def mmap(self, fd: int, length: int, offset: int) -> Mapping: ...

    def close(self, fd: int) -> None: ...


class RealKernel:
    def open(self, path: str) -> int:
        # non-blocking: no ioctl here may ever wait for a reader
        return os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    def ioctl(self, fd: int, request: int, arg: bytearray) -> None:
        fcntl.ioctl(fd, request, arg)

    def mmap(self, fd: int, length: int, offset: int) -> Mapping:
        return mmap.mmap(
            fd, length, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE, offset=offset
        )

    def close(self, fd: int) -> None:
        os.close(fd)


class FormatMismatch(OSError):
    """The device keeps another format than asked: a reader still holds the one set before."""

    def __init__(self, device: str, asked: str, held: str):
        super().__init__(errno.EBUSY, f"{device} is held at {held} by a program reading it")
        self.device, self.asked, self.held = device, asked, held


def describe(width: int, height: int, code: int) -> str:
    fourcc = code.to_bytes(4, "little").decode("ascii", "replace").strip("\0 ")
    return f"{width}x{height} {fourcc}"


class StreamingWriter:
    """One producer on one loopback device: ``open()`` once, ``send()`` per frame, ``close()``.

    ``open`` raises OSError (with the errno the kernel gave: EINVAL for a device stuck by the
    0.12 bug or one that refuses the format, EBUSY for another producer, ENOENT for none) and
    FormatMismatch when a reader holds the device at another size. ``send`` takes one frame in
    the pixel format (exactly ``frame_size`` bytes; a compressed frame at most that many) and
    raises OSError when the device fails (unplugged module, another producer took it); the
    caller then closes and reopens.
    ``close`` never raises and may be called more than once.
    """

    BUFFERS = 4  # asked; v4l2loopback grants at most its max_buffers (2 by default)

    def __init__(
        self,
        device: str,
        width: int,
        height: int,
        fmt: str = "I420",
        kernel: Kernel | None = None,
        fps: int = 30,
    ):
        if width % 2 or height % 2:
            raise ValueError(f"output size {width}x{height}: width and height must be even")
        self.device, self.width, self.height = device, width, height
        self.format, self.fps = FORMATS[fmt], fps
        self.frame_size = self.format.sizeimage(width, height)
        self._k: Kernel = kernel or RealKernel()
        self._fd: int | None = None
        self._maps: list[Mapping] = []
        self._next = 0
        self.buffers = 0  # granted by the driver, after open()
        self.sent = 0
        self._usage: int | None = None  # readers streaming, while subscribed to the events

    def open(self) -> None:
        fd = self._k.open(self.device)
        try:
            self._set_format(fd)
            self._set_frame_rate(fd)
            self._map_buffers(fd)
            self._k.ioctl(fd, VIDIOC_STREAMON, bytearray(struct.pack("I", BUF_TYPE_VIDEO_OUTPUT)))
        except BaseException:
            self._release(fd)
            raise
        self._fd = fd

    def _set_format(self, fd: int) -> None:
        f, w, h = self.format, self.width, self.height
        arg = bytearray(FMT.size)
        FMT.pack_into(
            arg, 0, BUF_TYPE_VIDEO_OUTPUT,
            w, h, f.code(), FIELD_NONE, f.bytesperline(w), f.sizeimage(w, h), COLORSPACE_SRGB, 0,
        )  # fmt: skip
        self._k.ioctl(fd, VIDIOC_S_FMT, arg)
        _type, gw, gh, code, *_ = FMT.unpack(arg)
        if (gw, gh, code) != (w, h, f.code()):
            # 0.12 keeps the format of a device that still has a reader, whatever we ask
            raise FormatMismatch(self.device, describe(w, h, f.code()), describe(gw, gh, code))

    def _set_frame_rate(self, fd: int) -> None:
        """Tell readers the rate frames come at (VIDIOC_S_PARM, 1/fps): without it v4l2loopback
        advertises 30 fps whatever we send, and Chrome's track says so. Not fatal."""
        arg = bytearray(STREAMPARM.pack(BUF_TYPE_VIDEO_OUTPUT, 0, 0, 1, self.fps))
        with contextlib.suppress(OSError):
            self._k.ioctl(fd, VIDIOC_S_PARM, arg)

    def _map_buffers(self, fd: int) -> None:
        req = bytearray(REQBUFS.pack(self.BUFFERS, BUF_TYPE_VIDEO_OUTPUT, MEMORY_MMAP, 0, 0))
        self._k.ioctl(fd, VIDIOC_REQBUFS, req)
        count = REQBUFS.unpack(req)[0]
        if count < 1:
            raise OSError(errno.ENOMEM, f"{self.device} granted no buffers")
        for index in range(count):
            buf = bytearray(BUFFER.size)
            BUFFER.pack_into(buf, 0, *_buffer_fields(index, 0))
            self._k.ioctl(fd, VIDIOC_QUERYBUF, buf)
            fields = BUFFER.unpack(buf)
            offset, length = fields[16], fields[17]
            if self.format.compressed and length >= self.width * self.height // 2:
                self.frame_size = min(self.frame_size, length)  # the most one frame can take
            elif length < self.frame_size:
                raise OSError(
                    errno.EINVAL,
                    f"{self.device}: buffer of {length} bytes for a {self.frame_size}-byte frame",
                )
            self._maps.append(self._k.mmap(fd, length, offset))
        self.buffers = count

    def send(self, frame: bytes | memoryview) -> None:
        if self._fd is None:
            raise OSError(errno.EBADF, f"{self.device} is not open")
        if len(frame) != self.frame_size and not (
            self.format.compressed and 0 < len(frame) <= self.frame_size
        ):
            raise ValueError(f"frame of {len(frame)} bytes for {self.frame_size}")
        index, size = self._next, len(frame)
        self._maps[index][:size] = frame
        buf = bytearray(BUFFER.pack(*_buffer_fields(index, size)))
        self._k.ioctl(self._fd, VIDIOC_QBUF, buf)  # zero timestamp: the driver stamps it
        self._next = (index + 1) % len(self._maps)
        self.sent += 1

    def watch_readers(self) -> bool:
        """Subscribe to v4l2loopback's client-usage events (0.13 and later), with the current
        count sent at once. False where the module has none (0.12 answers EINVAL)."""
        if self._fd is None:
            return False
        arg = bytearray(EVENT_SUB.size)
        EVENT_SUB.pack_into(
            arg, 0, EVENT_PRI_CLIENT_USAGE, 0, EVENT_SUB_FL_SEND_INITIAL, 0, 0, 0, 0, 0
        )
        try:
            self._k.ioctl(self._fd, VIDIOC_SUBSCRIBE_EVENT, arg)
        except OSError:
            return False
        self._usage = 0
        return True

    def readers(self) -> int | None:
        """How many readers stream from the device, from the events queued since the last
        call (never waits: the device is non-blocking, DQEVENT says ENOENT when none is
        pending); None unless watch_readers() succeeded."""
        if self._usage is None or self._fd is None:
            return None
        while True:
            buf = bytearray(EVENT.size)
            try:
                self._k.ioctl(self._fd, VIDIOC_DQEVENT, buf)
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.EAGAIN):
                    return self._usage
                raise
            kind, payload = EVENT.unpack_from(buf)[:2]
            if kind == EVENT_PRI_CLIENT_USAGE:
                self._usage = struct.unpack_from("I", payload)[0]

    def close(self) -> None:
        self._usage = None
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                arg = bytearray(struct.pack("I", BUF_TYPE_VIDEO_OUTPUT))
                self._k.ioctl(fd, VIDIOC_STREAMOFF, arg)
            except OSError:
                pass  # closing the file releases the device all the same
            self._release(fd)

    def _release(self, fd: int) -> None:
        for m in self._maps:
            m.close()
        self._maps.clear()
        self._next = 0
        with contextlib.suppress(OSError):
            self._k.close(fd)


def _buffer_fields(index: int, bytesused: int) -> tuple:
    """struct v4l2_buffer's fields for BUFFER.pack: an output buffer of mmap memory."""
    return (
        index, BUF_TYPE_VIDEO_OUTPUT, bytesused, 0, FIELD_NONE,
        0, 0,  # timestamp
        0, 0, 0, 0, 0, 0, b"\0" * 4,  # timecode
        0, MEMORY_MMAP, 0, 0, 0, 0,  # sequence memory m.offset length reserved2 request_fd
    )  # fmt: skip

"""Who reads the virtual camera: the count on-demand capture turns the webcam on and off by.

Two ways, by release:
- v4l2loopback 0.13 and later queue a client-usage event to the producer whenever a reader
  starts or stops *streaming* (linux_v4l2out.StreamingWriter.readers). A brief open that never
  streams (Chrome lists every camera by opening it for a moment) is never counted.
- 0.12 has no such event: the readers are the other processes holding the device open
  (/proc/PID/fd), counted again when inotify reports an open or a close of the device node,
  and every ``rescan`` seconds in case one was missed. Such a count cannot tell a brief open
  from a call, so it comes with a ``grace``: a reader must stay that long before the webcam
  turns on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from sketchd.platform.linux import loopback as linux_loopback

log = logging.getLogger(__name__)

IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE = 0x20, 0x08, 0x10
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
GRACE = 0.6  # s a holder must stay before it counts (Chrome's listing opens last ~10 ms)


class Inotify:
    """Open and close events of one file, read without blocking (libc's inotify)."""

    def __init__(self, path: str):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE
        if libc.inotify_add_watch(fd, os.fsencode(path), mask) < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, "inotify_add_watch failed", path)
        self.fd = fd

    def pending(self) -> bool:
        """Whether any open or close happened since the last call (drains the queue)."""
        seen = False
        while True:
            try:
                data = os.read(self.fd, 4096)
            except BlockingIOError:
                return seen
            if not data:
                return seen
            seen = True

    def close(self) -> None:
        os.close(self.fd)


class OpenHolders:
    """The number of other processes holding ``path`` open, counted again only on an
    inotify event or every ``rescan`` seconds: a /proc scan costs ~1 ms per 100 processes."""

    grace = GRACE
    how = "open file handles (/proc), woken by inotify"

    def __init__(
        self,
        path: str,
        scan: Callable[[str], int] | None = None,
        events: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rescan: float = 5.0,
    ):
        self.path = path
        self._scan = scan or _count_holders
        self._inotify: Inotify | None = None
        if events is None:
            try:
                self._inotify = Inotify(path)
                events = self._inotify.pending
            except OSError as e:  # no inotify: the periodic rescan alone, every second
                log.debug("readers: no inotify on %s (%s)", path, e)
                rescan = min(rescan, 1.0)
        self._events = events or (lambda: False)
        self._clock, self._rescan = clock, rescan
        self._count, self._at = 0, float("-inf")

    def readers(self) -> int:
        now = self._clock()
        if self._events() or now - self._at >= self._rescan:
            self._count, self._at = self._scan(self.path), now
        return self._count

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None


def _count_holders(path: str, proc: Path = linux_loopback.PROC) -> int:
    return len(linux_loopback.holders_of([path], proc=proc)[path])

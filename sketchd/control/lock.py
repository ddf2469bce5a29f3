"""One daemon per user: an exclusive lock on ``sketchd.pid`` in the runtime folder, held for
the daemon's whole life. A second daemon finds it taken and stops with "sketchd is already
running (pid N)"."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from sketchd.control.runtime import runtime_dir
from sketchd.errors import SketchdError
from sketchd.platform import is_windows

LOCK_NAME = "sketchd.pid"


class AlreadyRunning(SketchdError):
    """Another daemon holds the instance lock; ``pid`` is its pid when it wrote one."""

    def __init__(self, pid: int | None):
        self.pid = pid
        super().__init__(
            f"sketchd is already running (pid {pid})"
            if pid
            else "sketchd is already running (its pid is unknown)"
        )


class InstanceLock:
    """An exclusive lock on ``sketchd.pid`` held for the daemon's whole life.

    The OS drops the lock when the process dies, however it dies, so a stale pid file never
    blocks a new start."""

    def __init__(self, path: Path | None = None):
        """``path``: the lock file (default: ``sketchd.pid`` in the runtime folder). Raises
        SketchdError when the default's folder cannot be prepared (runtime.runtime_dir)."""
        self.path = path or runtime_dir() / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock and write our pid into the file; returns self.

        Raises AlreadyRunning when another process holds it, OSError when the file cannot be
        opened or written."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunning(pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the file and drop the lock; does nothing when not held. Raises OSError only
        when closing the file fails."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the lock
        self._fd = None

    def __enter__(self) -> InstanceLock:
        """Raises what acquire() raises."""
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _lock_posix(fd: int) -> None:
    """Raises OSError (EWOULDBLOCK) when another process holds the lock."""
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _lock_windows(fd: int) -> None:
    """Raises OSError when another process holds the lock."""
    # msvcrt's stubs are empty unless mypy checks for win32, and it checks for Linux here
    msvcrt: Any = importlib.import_module("msvcrt")
    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _choose_lock() -> Callable[[int], None]:
    """The non-blocking exclusive file lock for this OS."""
    return _lock_windows if is_windows() else _lock_posix


_lock = _choose_lock()


def _read_pid(fd: int) -> int | None:
    """The pid in the lock file, or None when it holds none (or cannot be read)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None

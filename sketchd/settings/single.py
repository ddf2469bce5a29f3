"""One settings window per user: the first `sketchd settings` listens on a Unix socket in the
user's runtime folder (0700, the socket 0600); a second one finds it, asks it to come to the
front and exits. Only this user can open the folder, so only they can raise the window.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SOCKET_NAME = "settings.sock"


def socket_path() -> Path:
    from sketchd.control.runtime import runtime_dir

    return runtime_dir() / SOCKET_NAME


def raise_running(path: Path, timeout: float = 2.0) -> bool:
    """Ask a window listening at ``path`` to come to the front; False when none listens."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
            s.sendall(b"raise\n")
            return s.recv(16).startswith(b"ok")
        except OSError:
            return False


class Single:
    """The window's claim on ``path``. ``claim()`` → False when another window has it (it was
    asked to come to the front); then ``serve(on_raise)`` until ``close()``."""

    def __init__(self, path: Path):
        self.path = path
        self._sock: socket.socket | None = None
        self._closing = threading.Event()

    def claim(self) -> bool:
        if raise_running(self.path):
            return False
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # nobody answers there: a window that crashed left it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        except OSError:
            sock.close()
            return not raise_running(self.path)  # lost a race to another window
        finally:
            os.umask(old)
        sock.listen(4)
        sock.settimeout(0.5)
        self._sock = sock
        return True

    def serve(self, on_raise: Callable[[], None]) -> None:
        """Call ``on_raise()`` (from a thread of its own) whenever another window asks."""
        threading.Thread(
            target=self._run, args=(on_raise,), name="sketchd-single", daemon=True
        ).start()

    def _run(self, on_raise: Callable[[], None]) -> None:
        while not self._closing.is_set() and self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with conn:
                conn.settimeout(1.0)
                try:
                    if conn.recv(16).startswith(b"raise"):
                        on_raise()
                        conn.sendall(b"ok\n")
                except OSError as e:
                    log.debug("settings: raise request: %s", e)

    def close(self) -> None:
        self._closing.set()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                self.path.unlink()

"""The daemon's control channel: one running sketchd, commanded by `sketchd preset …`, the tray
or a desktop shortcut.

- protocol.py: the JSON-lines requests and replies, the limits, the dispatch to the Controller;
- unix.py: the transport on Linux/macOS, a Unix socket (0600) in the user's runtime folder
  (0700); windows.py: a named pipe guarded by a per-user key. Never a network port;
- lock.py: the single-instance lock (``sketchd.pid`` in the same folder).

The transport is chosen once, at import, by ``choose_transport``. Callers use only what is here::

    lock = control.InstanceLock().acquire()   # AlreadyRunning when another daemon has it
    channel = control.serve(controller)       # … channel.close() at the end
    control.request("preset", name="ink")     # in the CLI: the daemon's result
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from sketchd.control import protocol
from sketchd.control.lock import LOCK_NAME, AlreadyRunning, InstanceLock
from sketchd.control.protocol import (
    MAX_CLIENTS,
    MAX_REQUEST,
    TIMEOUT,
    BadRequest,
    Controllable,
    NotRunning,
    handle,
)
from sketchd.control.runtime import runtime_dir

# the Unix transport's own names, which tests and the benchmark use to reach a daemon whose
# runtime folder they chose (``request(..., path=...)``)
from sketchd.control.unix import SOCKET_NAME, Server, socket_path
from sketchd.platform import is_windows

__all__ = [
    "LOCK_NAME",
    "MAX_CLIENTS",
    "MAX_REQUEST",
    "SOCKET_NAME",
    "TIMEOUT",
    "AlreadyRunning",
    "BadRequest",
    "Channel",
    "Controllable",
    "InstanceLock",
    "NotRunning",
    "Server",
    "Transport",
    "handle",
    "request",
    "runtime_dir",
    "serve",
    "socket_path",
]


class Channel(Protocol):
    """A running control channel."""

    def close(self) -> None:
        """Stop serving; never raises."""


class Transport(Protocol):
    """What a transport module (unix.py, windows.py) provides."""

    def serve(self, controller: Controllable) -> Channel:
        """Serve ``controller`` until the channel's close(). Raises SketchdError when the
        channel cannot be created."""

    def exchange(self, line: bytes, timeout: float, path: Path | None) -> bytes:
        """Send one request line, return the reply line (b"" for none). Raises NotRunning when
        no daemon answers, SketchdError when the exchange fails."""


def choose_transport() -> Transport:
    """The transport for this OS: the one place that looks at the platform."""
    if is_windows():
        from sketchd.control import windows

        return windows
    from sketchd.control import unix

    return unix


_transport = choose_transport()


def serve(controller: Controllable) -> Channel:
    """The control channel for this OS, serving ``controller``, started; close() stops it.

    Raises SketchdError when it cannot be created (socket path too long, runtime folder not
    ours, pipe or socket refused by the OS)."""
    return _transport.serve(controller)


def request(cmd: str, timeout: float = 10.0, path: Path | None = None, **args: Any) -> Any:
    """Send one command to the running daemon; return its result. ``path``: the daemon's Unix
    socket when not the default one (ignored on Windows).

    Raises NotRunning when no daemon answers, UsageError with the daemon's message when it
    refuses the request, SketchdError when the exchange fails or the reply makes no sense."""
    line = protocol.encode(protocol.request_message(cmd, args))
    return protocol.decode_reply(_transport.exchange(line, timeout, path))

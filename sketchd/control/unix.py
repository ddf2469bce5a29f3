"""The control channel on Linux and macOS: a Unix socket (mode 0600) in the user's runtime
folder (mode 0700), never a network port. The server runs in the daemon, the client in the CLI;
what goes over the socket is protocol.py's.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import struct
import threading
import time
from pathlib import Path

from sketchd import paths
from sketchd.control import protocol
from sketchd.control.protocol import MAX_CLIENTS, MAX_REQUEST, TIMEOUT, Controllable, NotRunning
from sketchd.control.runtime import runtime_dir
from sketchd.errors import SketchdError

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
SUN_PATH_MAX = 104  # bytes in sockaddr_un.sun_path: 108 on Linux, 104 on macOS


def socket_path() -> Path:
    """Where the daemon listens (the folder may not exist yet)."""
    return paths.runtime_dir() / SOCKET_NAME


# ---------------------------------------------------------------- server (in the daemon)


class Server:
    """Serves ``controller`` on the Unix socket ``path`` (default: socket_path()) until
    ``close()``.

    ``timeout``: the seconds a client has to send its whole request; ``max_clients``: the
    connections served at once (more wait in the listen backlog)."""

    def __init__(
        self,
        controller: Controllable,
        path: Path | None = None,
        *,
        timeout: float = TIMEOUT,
        max_clients: int = MAX_CLIENTS,
    ):
        self.controller = controller
        self.path = path or socket_path()
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(max_clients)
        self._closing = threading.Event()

    def start(self) -> Server:
        """Bind, listen and serve in a thread; returns self once clients can connect. The
        caller holds the InstanceLock, so a socket file already there is stale and replaced.

        Raises SketchdError when the path is too long for a Unix socket, the runtime folder
        cannot be prepared, or the socket cannot be created."""
        if len(os.fsencode(self.path)) >= SUN_PATH_MAX:
            raise SketchdError(
                f"the control socket path {self.path} is too long for a Unix socket; "
                "set XDG_RUNTIME_DIR to a shorter folder"
            )
        runtime_dir()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600: no window where others could connect
        try:
            sock.bind(str(self.path))
        except OSError as e:
            sock.close()
            raise SketchdError(f"cannot create the control socket {self.path}: {e}") from None
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(socket.SOMAXCONN)
        sock.settimeout(0.5)  # how often the accept loop looks at _closing
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="sketchd-control", daemon=True)
        self._thread.start()
        log.info("control: listening on %s", self.path)
        return self

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None  # start() makes it before it starts this thread
        while not self._closing.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError as e:
                if self._closing.is_set():
                    break
                log.warning("control: accept failed: %s", e)
                self._closing.wait(0.2)
                continue
            self._slots.acquire()
            threading.Thread(
                target=self._client, args=(conn,), name="sketchd-control-client", daemon=True
            ).start()

    def _client(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(self.timeout)
                if not _same_user(conn):
                    _send(conn, protocol.error_reply("refused: another user"))
                    return
                try:
                    line = _read_line(conn)
                except protocol.BadRequest as e:
                    _send(conn, protocol.error_reply(str(e)))
                    return
                _send(conn, protocol.handle(self.controller, line))
        except OSError as e:  # the client went away: nothing to answer
            log.debug("control: client: %s", e)
        except Exception:
            log.exception("control: client handling failed")
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop serving and remove the socket file. Never raises; clients being served finish
        on their own (within ``timeout``)."""
        self._closing.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
            self._sock.close()
            self._sock = None
        if self._thread is not None:
            self._thread.join(1.0)
        with contextlib.suppress(OSError):
            self.path.unlink()


def serve(controller: Controllable) -> Server:
    """A Server for ``controller`` on the default socket, started. Raises what start() raises."""
    return Server(controller).start()


def _same_user(conn: socket.socket) -> bool:
    """The socket's 0600 mode already keeps others out; on Linux also check the peer's uid.
    Raises OSError when the peer's credentials cannot be read."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _read_line(conn: socket.socket) -> bytes:
    """One request line, without its newline; all that came when the client shut down its side
    first. Raises protocol.BadRequest when it is empty, too large or not complete within
    the socket's timeout, OSError when the connection fails."""
    buf = bytearray()
    while True:
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            timeout = conn.gettimeout() or 0.0  # the one in effect, for the message
            message = protocol.incomplete(timeout) if buf else protocol.no_request(timeout)
            raise protocol.BadRequest(message) from None
        if not chunk:
            if not buf:
                raise protocol.BadRequest(protocol.EMPTY)
            return bytes(buf)  # the client shut down its side: take what came
        i = chunk.find(b"\n")
        if i >= 0:
            buf += chunk[:i]
            if len(buf) > MAX_REQUEST:
                break
            return bytes(buf)
        buf += chunk
        if len(buf) > MAX_REQUEST:
            break
    raise protocol.BadRequest(protocol.too_large())


def _send(conn: socket.socket, reply: protocol.Message) -> None:
    """Raises OSError when the client went away."""
    conn.sendall(protocol.encode(reply))


# ---------------------------------------------------------------- client (the CLI)


def exchange(line: bytes, timeout: float, path: Path | None = None) -> bytes:
    """Send one request line to the daemon listening on ``path`` (default: socket_path()) and
    return its reply line (b"" when it closed without one).

    Raises NotRunning when nobody listens there, SketchdError when the daemon is busy or does
    not answer within ``timeout`` seconds, or the connection fails."""
    path = path or socket_path()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    with sock:
        try:
            _connect(sock, path, timeout)
        except (FileNotFoundError, ConnectionRefusedError):
            raise NotRunning(
                "sketchd is not running (start it with `sketchd run`, or from the menu)"
            ) from None
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK):
                raise NotRunning("sketchd is not running (start it with `sketchd run`)") from None
            raise SketchdError(f"cannot reach sketchd at {path}: {e.strerror or e}") from None
        try:
            sock.sendall(line)
            data = bytearray()
            while b"\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            raise SketchdError(f"sketchd did not answer within {timeout:g} s") from None
        except OSError as e:
            raise SketchdError(f"the connection to sketchd failed: {e.strerror or e}") from None
    return bytes(data)


def _connect(sock: socket.socket, path: Path, timeout: float) -> None:
    """Connect, waiting while the daemon's backlog is full (EAGAIN on a Unix socket): busy
    clients hold their slot for at most the server's timeout.

    Raises SketchdError when still busy after ``timeout`` seconds, OSError (FileNotFoundError,
    ConnectionRefusedError, …) when nobody listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SketchdError(f"sketchd is busy: no answer within {timeout:g} s") from None
            time.sleep(0.05)

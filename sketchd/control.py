"""The daemon's control channel: one running sketchd, commanded by `sketchd preset …`, the tray
or a desktop shortcut.

Protocol: one JSON object per line, one request per connection::

    → {"cmd": "preset", "name": "cartoon"}
    ← {"ok": true, "result": {...}}        or   {"ok": false, "error": "what was wrong"}

Reachable only by the same user: on Linux/macOS a Unix socket (mode 0600) in the user's runtime
folder (mode 0700), never a network port; on Windows a named pipe (sketchd/control_windows.py).
A request larger than ``MAX_REQUEST`` bytes, one that does not arrive within ``TIMEOUT`` seconds,
or one that is not a JSON object with a known ``cmd`` gets an error reply; none stops the daemon.

Single instance: the daemon holds an exclusive lock on ``sketchd.pid`` in the same folder; a
second daemon finds it taken and exits with "sketchd is already running (pid N)".
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sketchd import paths
from sketchd.errors import SketchdError, UsageError

log = logging.getLogger(__name__)

MAX_REQUEST = 16 * 1024  # bytes; a real request is well under 100
TIMEOUT = 2.0  # seconds a client has to send its whole request
MAX_CLIENTS = 8  # connections served at once; more wait in the listen backlog
SOCKET_NAME = "control.sock"
LOCK_NAME = "sketchd.pid"


class NotRunning(SketchdError):
    """No daemon answers on the control channel."""


class AlreadyRunning(SketchdError):
    def __init__(self, pid: int | None):
        self.pid = pid
        super().__init__(
            f"sketchd is already running (pid {pid})"
            if pid
            else "sketchd is already running (its pid is unknown)"
        )


class BadRequest(Exception):
    """A request that cannot be understood; its message goes back to the client."""


# ---------------------------------------------------------------- the runtime folder


def runtime_dir() -> Path:
    """The user's private runtime folder, created 0700 (and checked: ours, not group/world)."""
    d = paths.runtime_dir()
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = d.stat()
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise SketchdError(f"{d} belongs to another user; remove it or set XDG_RUNTIME_DIR")
        if st.st_mode & 0o077:
            os.chmod(d, 0o700)
    except OSError as e:
        raise SketchdError(f"cannot prepare the runtime folder {d}: {e.strerror}") from None
    return d


def socket_path() -> Path:
    return paths.runtime_dir() / SOCKET_NAME


# ---------------------------------------------------------------- single instance


class InstanceLock:
    """An exclusive lock on ``sketchd.pid`` held for the daemon's whole life.

    The OS drops the lock when the process dies, however it dies, so a stale pid file never
    blocks a new start."""

    def __init__(self, path: Path | None = None):
        self.path = path or runtime_dir() / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
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
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the lock
        self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


# ---------------------------------------------------------------- requests → controller


def _flag(req: dict, key: str = "on") -> bool:
    value = req.get(key)
    if isinstance(value, bool):
        return value
    if value in ("on", "off"):
        return value == "on"
    raise BadRequest(f"{key!r} must be true/false or 'on'/'off', not {value!r}")


def _settings_reply(s) -> dict:
    return {"preset": s.preset, "bypass": s.bypass, "privacy": s.privacy, "mirror": s.mirror}


COMMANDS: dict[str, Callable[[Any, dict], Any]] = {
    "ping": lambda c, r: {"pid": os.getpid()},
    "status": lambda c, r: c.status(),
    "preset": lambda c, r: _settings_reply(c.set_preset(_text(r, "name"))),
    "next": lambda c, r: _settings_reply(c.next_preset()),
    "bypass": lambda c, r: _settings_reply(c.set_bypass(_flag(r))),
    "privacy": lambda c, r: _settings_reply(c.set_privacy(_flag(r))),
    "mirror": lambda c, r: _settings_reply(c.set_mirror(_flag(r))),
    "snapshot": lambda c, r: {"path": str(c.snapshot())},
    "reload": lambda c, r: c.reload(),
    "quit": lambda c, r: c.quit(),
}


def _text(req: dict, key: str) -> str:
    value = req.get(key)
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string, not {value!r}")
    return value


def handle(controller, raw: bytes) -> dict:
    """One request line → its reply. Never raises: every failure is an error reply."""
    try:
        try:
            req = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise BadRequest(f"not a JSON line: {e}") from None
        if not isinstance(req, dict) or not isinstance(req.get("cmd"), str):
            raise BadRequest('expected a JSON object like {"cmd": "status"}')
        cmd = req["cmd"]
        if cmd not in COMMANDS:
            raise BadRequest(f"unknown command {cmd!r}; known: {', '.join(COMMANDS)}")
        return {"ok": True, "result": COMMANDS[cmd](controller, req)}
    except (BadRequest, SketchdError) as e:
        return {"ok": False, "error": str(e)}
    except Exception as e:  # a bug must not take the daemon down with it
        log.exception("control: request failed")
        return {"ok": False, "error": f"internal error: {type(e).__name__}: {e}"}


# ---------------------------------------------------------------- server (in the daemon)


class Server:
    """Serves ``controller`` on the Unix socket until ``close()``."""

    def __init__(self, controller, path: Path | None = None):
        self.controller = controller
        self.path = path or socket_path()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._closing = threading.Event()

    def start(self) -> Server:
        """Bind and listen. The caller holds the InstanceLock, so an old socket is stale."""
        if len(os.fsencode(self.path)) >= 104:  # sun_path: 108 bytes on Linux, 104 on macOS
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
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="sketchd-control", daemon=True)
        self._thread.start()
        log.info("control: listening on %s", self.path)
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
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
                conn.settimeout(TIMEOUT)
                if not _same_user(conn):
                    _send(conn, {"ok": False, "error": "refused: another user"})
                    return
                try:
                    line = _read_line(conn)
                except BadRequest as e:
                    _send(conn, {"ok": False, "error": str(e)})
                    return
                _send(conn, handle(self.controller, line))
        except OSError as e:  # the client went away: nothing to answer
            log.debug("control: client: %s", e)
        except Exception:
            log.exception("control: client handling failed")
        finally:
            self._slots.release()

    def close(self) -> None:
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


def _same_user(conn: socket.socket) -> bool:
    """The socket's 0600 mode already keeps others out; on Linux also check the peer's uid."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _read_line(conn: socket.socket) -> bytes:
    buf = bytearray()
    while True:
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            raise BadRequest(
                f"incomplete request: no newline within {TIMEOUT:g} s"
                if buf
                else f"no request within {TIMEOUT:g} s"
            ) from None
        if not chunk:
            if not buf:
                raise BadRequest("empty request")
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
    raise BadRequest(f"request too large (limit {MAX_REQUEST} bytes)")


def _send(conn: socket.socket, reply: dict) -> None:
    conn.sendall(json.dumps(reply).encode() + b"\n")


# ---------------------------------------------------------------- client (the CLI)


def request(cmd: str, timeout: float = 10.0, path: Path | None = None, **args) -> Any:
    """Send one command to the running daemon; return its result.

    Raises NotRunning when no daemon answers, SketchdError with the daemon's message when it
    refuses the request."""
    if sys.platform == "win32":
        from sketchd import control_windows

        reply = control_windows.request({"cmd": cmd, **args}, timeout)
    else:
        reply = _unix_request(path or socket_path(), {"cmd": cmd, **args}, timeout)
    if not isinstance(reply, dict) or "ok" not in reply:
        raise SketchdError(f"the daemon sent a reply sketchd does not understand: {reply!r}")
    if not reply["ok"]:
        raise UsageError(reply.get("error", "the daemon refused the request"))
    return reply.get("result")


def _unix_request(path: Path, req: dict, timeout: float) -> Any:
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
            sock.sendall(json.dumps(req).encode() + b"\n")
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
    if not data:
        raise SketchdError("sketchd closed the connection without an answer")
    try:
        return json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        raise SketchdError("sketchd sent a reply that is not JSON") from None


def _connect(sock: socket.socket, path: Path, timeout: float) -> None:
    """Connect, waiting while the daemon's backlog is full (EAGAIN on a Unix socket): busy
    clients hold their slot for at most ``TIMEOUT`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SketchdError(f"sketchd is busy: no answer within {timeout:g} s") from None
            time.sleep(0.05)


def serve(controller):
    """The control channel for this OS, started (chosen in one place)."""
    if sys.platform == "win32":
        from sketchd import control_windows

        return control_windows.Server(controller, handle).start()
    return Server(controller).start()

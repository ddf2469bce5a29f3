"""The control channel on Windows: a named pipe (multiprocessing.connection, AF_PIPE).

Windows has no Unix-socket permission bits, and a named pipe's default ACL lets other users
open it for reading. So every connection must also prove it knows a random key that only this
user can read: ``control.key`` in the user's own app-data folder (its ACL is the user's).
The same JSON requests and replies as on Linux/macOS (protocol.py), one per pipe message.

Not exercised by CI (which runs Linux); the shape follows multiprocessing's documented API.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import secrets
import threading
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

from sketchd import paths
from sketchd.control import protocol
from sketchd.control.protocol import MAX_REQUEST, TIMEOUT, Controllable, NotRunning
from sketchd.errors import SketchdError

log = logging.getLogger(__name__)

KEY_NAME = "control.key"


def pipe_name() -> str:
    return rf"\\.\pipe\sketchd-{getpass.getuser()}"


def _key_file() -> Path:
    return paths.runtime_dir() / KEY_NAME


class Server:
    """Serves ``controller`` on this user's pipe until ``close()``. ``timeout``: the seconds a
    client has to send its request."""

    def __init__(self, controller: Controllable, *, timeout: float = TIMEOUT):
        self.controller = controller
        self.timeout = timeout
        self._listener: Listener | None = None
        self._closing = threading.Event()

    def start(self) -> Server:
        """Write a new key, open the pipe and serve in a thread; returns self.

        Raises SketchdError when the pipe cannot be created, OSError when the key cannot be
        written."""
        key = secrets.token_bytes(32)
        f = _key_file()
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(key)
        try:
            self._listener = Listener(pipe_name(), family="AF_PIPE", authkey=key)
        except OSError as e:
            raise SketchdError(f"cannot create the control pipe {pipe_name()}: {e}") from None
        threading.Thread(target=self._serve, name="sketchd-control", daemon=True).start()
        log.info("control: listening on %s", pipe_name())
        return self

    def _serve(self) -> None:
        listener = self._listener
        assert listener is not None  # start() makes it before it starts this thread
        while not self._closing.is_set():
            try:
                conn = listener.accept()
            except Exception as e:  # a client failing the key check lands here too
                if self._closing.is_set():
                    break
                log.warning("control: refused a connection: %s", e)
                continue
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: Connection) -> None:
        with conn:
            try:
                if not conn.poll(self.timeout):
                    reply = protocol.error_reply(protocol.no_request(self.timeout))
                    conn.send_bytes(protocol.encode(reply))
                    return
                raw = conn.recv_bytes(maxlength=MAX_REQUEST)
                conn.send_bytes(protocol.encode(protocol.handle(self.controller, raw)))
            except Exception as e:
                log.debug("control: client: %s", e)

    def close(self) -> None:
        """Stop serving and remove the key file. Never raises."""
        self._closing.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with contextlib.suppress(OSError):
            os.remove(_key_file())


def serve(controller: Controllable) -> Server:
    """A Server for ``controller``, started. Raises what start() raises."""
    return Server(controller).start()


def exchange(line: bytes, timeout: float, path: Path | None = None) -> bytes:
    """Send one request line to the daemon and return its reply. ``path`` is ignored: there is
    one pipe per user.

    Raises NotRunning when no daemon has the pipe open, SketchdError when it does not answer
    within ``timeout`` seconds; OSError, EOFError or multiprocessing.AuthenticationError when
    the connection fails later."""
    try:
        key = _key_file().read_bytes()
        conn = Client(pipe_name(), family="AF_PIPE", authkey=key)
    except (FileNotFoundError, ConnectionError):
        raise NotRunning("sketchd is not running (start it with `sketchd run`)") from None
    with conn:
        conn.send_bytes(line)
        if not conn.poll(timeout):
            raise SketchdError(f"sketchd did not answer within {timeout:g} s")
        return conn.recv_bytes()

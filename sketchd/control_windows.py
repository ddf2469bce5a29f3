"""The control channel on Windows: a named pipe (multiprocessing.connection, AF_PIPE).

Windows has no Unix-socket permission bits, and a named pipe's default ACL lets other users
open it for reading. So every connection must also prove it knows a random key that only this
user can read: ``control.key`` in the user's own app-data folder (its ACL is the user's).
The same JSON requests and replies as on Linux/macOS (sketchd/control.py).

Not exercised by CI (which runs Linux); the shape follows multiprocessing's documented API.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import secrets
import threading
from multiprocessing.connection import Client, Listener

from sketchd import paths
from sketchd.errors import SketchdError

log = logging.getLogger(__name__)


def pipe_name() -> str:
    return rf"\\.\pipe\sketchd-{getpass.getuser()}"


def _key_file():
    return paths.runtime_dir() / "control.key"


class Server:
    def __init__(self, controller, handle):
        self.controller, self.handle = controller, handle
        self._listener: Listener | None = None
        self._closing = threading.Event()

    def start(self) -> Server:
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

    def _client(self, conn) -> None:
        with conn:
            try:
                if not conn.poll(2.0):
                    conn.send_bytes(b'{"ok": false, "error": "no request within 2 s"}')
                    return
                raw = conn.recv_bytes(maxlength=16 * 1024)
                conn.send_bytes(json.dumps(self.handle(self.controller, raw)).encode())
            except Exception as e:
                log.debug("control: client: %s", e)

    def close(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._listener.close()
        with contextlib.suppress(OSError):
            os.remove(_key_file())


def request(req: dict, timeout: float):
    from sketchd.control import NotRunning

    try:
        key = _key_file().read_bytes()
        conn = Client(pipe_name(), family="AF_PIPE", authkey=key)
    except (FileNotFoundError, ConnectionError):
        raise NotRunning("sketchd is not running (start it with `sketchd run`)") from None
    with conn:
        conn.send_bytes(json.dumps(req).encode())
        if not conn.poll(timeout):
            raise SketchdError(f"sketchd did not answer within {timeout:g} s")
        return json.loads(conn.recv_bytes())

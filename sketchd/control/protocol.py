"""The control protocol, apart from any transport: what a request and a reply look like, the
limits a server enforces, and the dispatch of a request to the Controller.

One JSON object per line, one request per connection::

    → {"cmd": "preset", "name": "cartoon"}
    ← {"ok": true, "result": {...}}        or   {"ok": false, "error": "what was wrong"}

A request larger than ``MAX_REQUEST`` bytes, one that does not arrive within ``TIMEOUT``
seconds, or one that is not a JSON object with a known ``cmd`` gets an error reply; none stops
the daemon. Nothing here opens a socket or a pipe: the transports (unix.py, windows.py) move the
bytes this module makes and reads.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sketchd.errors import SketchdError, UsageError

log = logging.getLogger(__name__)

MAX_REQUEST = 16 * 1024  # bytes; a real request is well under 100
TIMEOUT = 2.0  # seconds a client has to send its whole request
MAX_CLIENTS = 8  # connections served at once; more wait in the listen backlog

Message = dict[str, Any]  # a request or a reply, before encoding / after decoding


class NotRunning(SketchdError):
    """No daemon answers on the control channel."""


class BadRequest(Exception):
    """A request that cannot be understood; its message goes back to the client."""


class SettingsView(Protocol):
    """The part of the daemon's Settings a reply reports."""

    @property
    def preset(self) -> str: ...
    @property
    def bypass(self) -> bool: ...
    @property
    def privacy(self) -> bool: ...
    @property
    def mirror(self) -> bool: ...


class Controllable(Protocol):
    """What the commands call: the daemon's Controller (sketchd/controller.py), or a fake.

    Each method may raise SketchdError with a message for the user; it becomes the error
    reply."""

    def status(self) -> dict[str, Any]: ...
    def set_preset(self, name: str) -> SettingsView: ...
    def next_preset(self) -> SettingsView: ...
    def set_bypass(self, on: bool) -> SettingsView: ...
    def set_privacy(self, on: bool) -> SettingsView: ...
    def set_mirror(self, on: bool) -> SettingsView: ...
    def snapshot(self) -> Path: ...
    def reload(self) -> dict[str, Any]: ...
    def quit(self) -> None: ...
    def settings_info(self) -> dict[str, Any]: ...
    def set_chain(self, name: str, chain: list) -> SettingsView: ...
    def preview(self, width: int) -> dict[str, Any]: ...


# ---------------------------------------------------------------- encoding


def encode(message: Mapping[str, Any]) -> bytes:
    """``message`` as its JSON line, newline included. Raises TypeError when a value is not
    JSON (a bug in the caller, never the user's input)."""
    return json.dumps(message).encode() + b"\n"


def request_message(cmd: str, args: Mapping[str, Any]) -> Message:
    """The request for ``cmd`` with its arguments, e.g. ``{"cmd": "bypass", "on": true}``."""
    return {"cmd": cmd, **args}


def ok_reply(result: Any) -> Message:
    return {"ok": True, "result": result}


def error_reply(message: str) -> Message:
    return {"ok": False, "error": message}


def decode_reply(raw: bytes) -> Any:
    """The result in the reply line ``raw`` (what follows a first newline is ignored).

    Raises SketchdError when ``raw`` is empty, not JSON or not a reply; UsageError with the
    daemon's message when it refused the request."""
    if not raw:
        raise SketchdError("sketchd closed the connection without an answer")
    try:
        reply = json.loads(raw.split(b"\n", 1)[0])
    except ValueError:  # UnicodeDecodeError included
        raise SketchdError("sketchd sent a reply that is not JSON") from None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise SketchdError(f"the daemon sent a reply sketchd does not understand: {reply!r}")
    if not reply["ok"]:
        raise UsageError(reply.get("error", "the daemon refused the request"))
    return reply.get("result")


# ---------------------------------------------------------------- what a transport refuses
# (the messages of its error replies; the transport raises BadRequest with one, or replies it)

EMPTY = "empty request"


def too_large() -> str:
    return f"request too large (limit {MAX_REQUEST} bytes)"


def no_request(timeout: float) -> str:
    return f"no request within {timeout:g} s"


def incomplete(timeout: float) -> str:
    return f"incomplete request: no newline within {timeout:g} s"


# ---------------------------------------------------------------- requests → controller


def _flag(req: Message, key: str = "on") -> bool:
    value = req.get(key)
    if isinstance(value, bool):
        return value
    if value in ("on", "off"):
        return value == "on"
    raise BadRequest(f"{key!r} must be true/false or 'on'/'off', not {value!r}")


def _text(req: Message, key: str) -> str:
    value = req.get(key)
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string, not {value!r}")
    return value


def _list(req: Message, key: str) -> list:
    value = req.get(key)
    if not isinstance(value, list):
        raise BadRequest(f"{key!r} must be a list, not {value!r}")
    return value


def _width(req: Message) -> int:
    """The preview's panel width; its range is the preview's to check (pipeline/preview.py)."""
    value = req.get("width")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'width' must be an integer, not {value!r}")
    return value


def _settings_reply(s: SettingsView) -> Message:
    return {"preset": s.preset, "bypass": s.bypass, "privacy": s.privacy, "mirror": s.mirror}


# each command: (controller, request) → the reply's result; may raise BadRequest, SketchdError
COMMANDS: dict[str, Callable[[Controllable, Message], Any]] = {
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
    # the settings window
    "info": lambda c, r: c.settings_info(),
    "set_chain": lambda c, r: _settings_reply(c.set_chain(_text(r, "name"), _list(r, "chain"))),
    "preview": lambda c, r: c.preview(_width(r)),
}


def handle(controller: Controllable, raw: bytes) -> Message:
    """One request line (its newline optional) → its reply. Never raises: every failure,
    a bug in a command included, is an error reply."""
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
        return ok_reply(COMMANDS[cmd](controller, req))
    except (BadRequest, SketchdError) as e:
        return error_reply(str(e))
    except Exception as e:  # a bug must not take the daemon down with it
        log.exception("control: request failed")
        return error_reply(f"internal error: {type(e).__name__}: {e}")

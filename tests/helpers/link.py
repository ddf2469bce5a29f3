"""A Controller reached the way the settings window reaches the daemon, without a socket:
each request encoded, dispatched by the control protocol and its reply decoded, so refusals
come back as the same UsageError with the same message as over the real channel."""

from __future__ import annotations

from typing import Any

from sketchd.control import protocol


def requester(controller: protocol.Controllable):
    """``request(cmd, **args)`` for ``controller``, like ``control.request``."""

    def request(cmd: str, **args: Any) -> Any:
        line = protocol.encode(protocol.request_message(cmd, args))
        reply = protocol.handle(controller, line.rstrip(b"\n"))
        return protocol.decode_reply(protocol.encode(reply))

    return request

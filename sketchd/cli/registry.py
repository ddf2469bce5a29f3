"""The table of sub-commands and the arguments several of them share.

Each command module registers its commands with :func:`command` when it is imported; the
package's ``__init__`` imports them in the order ``sketchd --help`` lists them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

# name -> (help, add arguments, handler); filled by the @command decorator below
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, help: str):
    """Register a sub-command: the decorated function adds its arguments; ``handler`` runs it."""

    def wrap(add_args):
        def with_handler(handler):
            COMMANDS[name] = (help, add_args, handler)
            return handler

        add_args.handler = with_handler
        return add_args

    return wrap


def config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="config file (default: the user's file)")


def load(args, preset: str | None = None):
    from sketchd import config

    cfg, _ = config.load(getattr(args, "config", None))
    return config.with_preset(cfg, preset)


def device(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def camera_arg(text: str) -> str:
    """--camera checked like camera.device (argparse reports a problem, exit 2)."""
    from sketchd.config.schema import camera_device

    value, err = camera_device(text)
    if err:
        raise argparse.ArgumentTypeError(err)
    return str(value)


CAMERA_HELP = "camera: index, /dev/videoN, its name as `sketchd devices` lists it, or 'demo'"

"""Command line: argument parsing and printing only. Every command calls into the package.

This module builds the parser and runs a command; the commands themselves are in the modules
beside it, each registered in ``registry.COMMANDS``: files (render, presets, config), live
(run), window (settings, preview), device_list (devices), benchmark (bench), remote (the
running daemon's commands; status's text in status), system (autostart, doctor).

Errors a user can act on (SketchdError) print one clear message and exit 1 or 2; nothing here
prints a traceback for them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from sketchd import __version__
from sketchd.cli.registry import COMMANDS as _COMMANDS
from sketchd.errors import ConfigError, SketchdError

# the command modules, in the order `sketchd --help` lists their commands
for _module in ("files", "live", "window", "device_list", "benchmark", "remote", "system"):
    importlib.import_module(f"{__name__}.{_module}")

# commands that run for a while log what they do; one-shot commands only print their result
_CHATTY = {"run"}


def _setup_logging(verbose: int, quiet: bool, chatty: bool, to_file: bool = False) -> None:
    from sketchd import logs

    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose or chatty else logging.WARNING
    if quiet:
        level = logging.WARNING
    logs.setup(level, to_file=to_file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchd",
        description="A pencil-sketch virtual webcam. With no command: `sketchd run`.",
    )
    parser.add_argument("--version", action="version", version=f"sketchd {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    # the same two options after the command (`sketchd run -v`), without resetting them
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, _) in _COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text, parents=[common]))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # plain `sketchd` (with or without run's options) means `sketchd run`
    no_command = not any(a in _COMMANDS or a in ("-h", "--help", "--version") for a in argv)
    if no_command and "run" in _COMMANDS:
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet, args.command in _CHATTY, to_file=args.command == "run")
    try:
        return _COMMANDS[args.command][2](args) or 0
    except ConfigError as e:
        print(f"sketchd: {e}", file=sys.stderr)
        return e.exit_code
    except SketchdError as e:
        print(f"sketchd: error: {e}", file=sys.stderr)
        return e.exit_code
    except ImportError as e:  # a compiled module's system library is missing: say which
        from sketchd.platform.missing_lib import explain

        line = explain(e, args.command)
        if line is None:
            raise
        print(f"sketchd: error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

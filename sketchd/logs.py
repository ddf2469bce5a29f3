"""Logging for sketchd: short lines on stderr, and for the daemon a rotating log file.

The daemon usually starts at login with nobody watching its stderr, so `sketchd run` also
writes to ``sketchd.log`` in the platform's log folder (``~/.local/state/sketchd/log`` on Linux),
kept to a few hundred KB. `sketchd status` and `sketchd doctor` point at it.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from sketchd import paths

MAX_BYTES = 512 * 1024
BACKUPS = 2


def log_file() -> Path:
    return paths.log_dir() / "sketchd.log"


def setup(level: int, to_file: bool = False) -> Path | None:
    """Configure the root logger; with ``to_file`` also the rotating file (returns its path,
    or None when it cannot be written — then sketchd says so on stderr and goes on)."""
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("sketchd: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [console]
    root.setLevel(level)
    if not to_file:
        return None
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as e:
        root.warning("cannot write the log file %s: %s; logging to the terminal only", path, e)
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    # the file keeps INFO even when the terminal is quiet: it is what a bug report needs
    handler.setLevel(min(level, logging.INFO))
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    console.setLevel(level)
    return path

"""A private home for a test or a daemon it starts: nothing reads or writes the real one."""

from __future__ import annotations

import tempfile
from pathlib import Path


def private_dirs(home: Path) -> dict[str, str]:
    """HOME and the XDG folders under ``home``, so nothing reads or writes the real home.

    The runtime folder gets a short path of its own: a Unix socket path must stay under 108
    bytes, and pytest's tmp paths can be long.
    """
    run = Path(tempfile.mkdtemp(prefix="sketchd-run-"))
    run.chmod(0o700)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_PICTURES_DIR": str(home / "Pictures"),
        "XDG_RUNTIME_DIR": str(run),
    }
    home.mkdir(parents=True, exist_ok=True)
    return env

"""The user's private runtime folder, where the control socket, the instance lock and (on
Windows) the pipe's key live; shared by the lock and the transports so neither imports the
other."""

from __future__ import annotations

import os
from pathlib import Path

from sketchd import paths
from sketchd.errors import SketchdError


def runtime_dir() -> Path:
    """The user's private runtime folder, created 0700 (and checked: ours, not group/world).

    Raises SketchdError when it belongs to another user or cannot be created or fixed."""
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

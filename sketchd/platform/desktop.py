"""The desktop per OS, for the tray: which pystray backend each OS has natively, where its loop
must run, and how a file is opened in the user's default application.

Linux has no native backend here: the tray picks AppIndicator or GTK itself once
platform/linux/desktop says there is a desktop session.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sketchd.errors import SketchdError
from sketchd.platform import name

# OS → (pystray backend, where its icon shows)
_NATIVE_TRAY = {
    "windows": ("win32", "Windows notification area"),
    "macos": ("darwin", "macOS menu bar"),
}
_MAIN_THREAD_TRAY = "darwin"  # AppKit's event loop runs on the main thread only


def native_tray(platform: str | None = None) -> tuple[str, str] | None:
    """(pystray backend, where the icon shows) on an OS whose tray always works (Windows,
    macOS); None elsewhere (Linux: it depends on the session)."""
    return _NATIVE_TRAY.get(name(platform))


def tray_loop_on_main_thread(backend: str) -> bool:
    """Whether pystray's ``backend`` must run its loop on the main thread (macOS's)."""
    return backend == _MAIN_THREAD_TRAY


def spawn(argv: list[str]) -> subprocess.Popen:
    """Start ``argv`` detached: no stdin/stdout/stderr of ours, and in its own session, so a
    Ctrl-C or SIGTERM to the daemon's process group leaves it alone."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def open_with_default_app(path: Path, platform: str | None = None) -> None:
    """Open ``path`` in the user's default application for it (a folder: the file manager).
    Raises SketchdError when the OS's opener cannot be started."""
    os_name = name(platform)
    try:
        if os_name == "windows":
            os.startfile(path)  # type: ignore[attr-defined]
        elif os_name == "macos":
            spawn(["open", str(path)])
        else:
            spawn(["xdg-open", str(path)])
    except OSError as e:
        raise SketchdError(f"cannot open {path}: {e.strerror or e}") from None

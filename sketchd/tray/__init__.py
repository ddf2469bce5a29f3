"""The tray icon: a pure menu model (model.py), Pillow icons (icon.py) and the pystray adapter
(backend.py), which is imported only when a tray is really wanted.

``choose_backend`` picks pystray's backend in one place, without importing pystray:
Linux → appindicator where its typelib is installed, else gtk; never xorg (no menu, and clicks
never arrive). No display or no session bus → no tray, with the reason; sketchd runs headless.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install the tray's packages: pip install 'sketchd[tray]' and "
    "apt install gir1.2-ayatanaappindicator3-0.1 (or your distribution's equivalent)"
)


def _has_typelib(namespace: str, version: str) -> bool:
    try:
        import gi

        gi.require_version(namespace, version)
    except (ImportError, ValueError):
        return False
    return True


def _session_bus(env: Mapping[str, str]) -> bool:
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    run = env.get("XDG_RUNTIME_DIR")
    if not run:
        return False
    return Path(run, "bus").exists()


def choose_backend(
    env: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
    has_typelib: Callable[[str, str], bool] = _has_typelib,
) -> tuple[str | None, str]:
    """(pystray backend, why) — backend None means: no tray here, ``why`` says why."""
    if platform == "win32":
        return "win32", "Windows notification area"
    if platform == "darwin":
        return "darwin", "macOS menu bar"
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return None, "no display (DISPLAY and WAYLAND_DISPLAY are not set)"
    if not _session_bus(env):
        return None, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    if not has_typelib("Gtk", "3.0"):
        return None, f"GTK 3 for Python (PyGObject) is missing; {INSTALL_HINT}"
    wanted = env.get("PYSTRAY_BACKEND")
    if wanted == "xorg":
        log.warning("tray: ignoring PYSTRAY_BACKEND=xorg (it shows no menu); choosing another")
    elif wanted == "gtk" or (wanted == "appindicator" and _appindicator(has_typelib)):
        return wanted, f"PYSTRAY_BACKEND={wanted}"
    if _appindicator(has_typelib):
        return "appindicator", "AppIndicator (StatusNotifierItem)"
    return "gtk", "GTK status icon (no AppIndicator typelib; " + INSTALL_HINT + ")"


def _appindicator(has_typelib) -> bool:
    return has_typelib("AyatanaAppIndicator3", "0.1") or has_typelib("AppIndicator3", "0.1")


def start(controller):
    """Show the tray for ``controller``; None (logged) when there cannot be one here.
    On macOS the tray is returned unstarted (``main_thread``): its loop needs the main thread."""
    backend, why = choose_backend()
    if backend is None:
        log.warning("tray: %s; running headless (control with `sketchd status`, "
                    "`sketchd preset NAME`, `sketchd quit`)", why)  # fmt: skip
        return None
    log.info("tray: using pystray's %s backend (%s)", backend, why)
    from sketchd.tray.backend import Tray

    tray = Tray(controller, backend)
    if tray.main_thread:
        return tray  # the caller runs it on the main thread: tray.run_in_main_thread(stop)
    return tray if tray.start() else None

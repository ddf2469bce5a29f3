"""The tray icon: a pure menu model (model.py), Pillow icons (icon.py) and the pystray adapter
(backend.py), which is imported only when a tray is really wanted.

``choose_backend`` picks pystray's backend in one place, without importing pystray (and
`sketchd doctor` asks it too): Windows and macOS → their own (platform/desktop.py); Linux →
appindicator where its typelib is installed, else gtk; never xorg (no menu, and clicks never
arrive). No desktop session (platform/linux/desktop.py: no display or no session bus) → no tray,
with the reason; sketchd runs headless.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

from sketchd.platform.desktop import native_tray
from sketchd.platform.linux.desktop import session_problem

log = logging.getLogger(__name__)

APPINDICATOR_PKG = "gir1.2-ayatanaappindicator3-0.1"  # Debian/Ubuntu
INSTALL_HINT = (
    "install the tray's packages: pip install 'sketchd[tray]' and "
    f"apt install {APPINDICATOR_PKG} (or your distribution's equivalent)"
)
# the GObject typelibs choose_backend asks ``has_typelib`` about: (namespace, version)
GTK = ("Gtk", "3.0")
APPINDICATORS = (("AyatanaAppIndicator3", "0.1"), ("AppIndicator3", "0.1"))
TYPELIBS = (GTK, *APPINDICATORS)


def _has_typelib(namespace: str, version: str) -> bool:
    try:
        import gi

        gi.require_version(namespace, version)
    except (ImportError, ValueError):
        return False
    return True


def choose_backend(
    env: Mapping[str, str] = os.environ,
    platform: str | None = None,
    has_typelib: Callable[[str, str], bool] = _has_typelib,
) -> tuple[str | None, str]:
    """(pystray backend, why) — backend None means: no tray here, ``why`` says why (for no
    desktop session: platform/linux/desktop's NO_DISPLAY or NO_SESSION_BUS, as they are).
    ``platform`` (as sketchd.platform.current() names an OS) defaults to this one."""
    native = native_tray(platform)
    if native is not None:
        return native
    problem = session_problem(env)
    if problem is not None:
        return None, problem
    if not has_typelib(*GTK):
        return None, f"GTK 3 for Python (PyGObject) is missing; {INSTALL_HINT}"
    wanted = env.get("PYSTRAY_BACKEND")
    if wanted == "xorg":
        log.warning("tray: ignoring PYSTRAY_BACKEND=xorg (it shows no menu); choosing another")
    elif wanted == "gtk" or (wanted == "appindicator" and _appindicator(has_typelib)):
        return wanted, f"PYSTRAY_BACKEND={wanted}"
    if _appindicator(has_typelib):
        return "appindicator", "AppIndicator (StatusNotifierItem)"
    return "gtk", "GTK status icon (no AppIndicator typelib; " + INSTALL_HINT + ")"


def _appindicator(has_typelib: Callable[[str, str], bool]) -> bool:
    return any(has_typelib(*lib) for lib in APPINDICATORS)


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

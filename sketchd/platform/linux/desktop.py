"""Whether this Linux process is inside a desktop session: a display to draw on and a D-Bus
session bus, which the tray (StatusNotifierItem, notifications) needs. Read from the
environment only: nothing here connects to X, Wayland or the bus.

The tray (sketchd/tray) decides with ``session_problem`` and `sketchd doctor` words the same
answer as a check, so the two never disagree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

NO_DISPLAY = "no display (DISPLAY and WAYLAND_DISPLAY are not set)"
NO_SESSION_BUS = "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"


def has_display(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def has_session_bus(env: Mapping[str, str] | None = None) -> bool:
    """DBUS_SESSION_BUS_ADDRESS is set, or systemd's per-user bus socket ($XDG_RUNTIME_DIR/bus)
    exists: libdbus and GDBus find that one without the variable."""
    env = os.environ if env is None else env
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    run = env.get("XDG_RUNTIME_DIR")
    return bool(run and Path(run, "bus").exists())


def session_problem(env: Mapping[str, str] | None = None) -> str | None:
    """Why there is no desktop session here (``NO_DISPLAY`` or ``NO_SESSION_BUS``), or None."""
    if not has_display(env):
        return NO_DISPLAY
    if not has_session_bus(env):
        return NO_SESSION_BUS
    return None

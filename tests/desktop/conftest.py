"""The real-tray suite: run inside ../shared/tools/desktop/desktop-session (Xvfb, a private
session bus, dunst, and xfce4-panel as the StatusNotifierItem tray).

Every test here is marked ``desktop``. Without a display and a tray they are skipped, unless
SKETCHD_REQUIRE_DESKTOP=1 (CI), where that is a failure: a suite that silently skips must not
look green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.desktop)


def _missing() -> str | None:
    if not os.environ.get("DISPLAY"):
        return "no DISPLAY"
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no DBUS_SESSION_BUS_ADDRESS"
    for tool in ("xdotool", "xwininfo", "xprop", "import"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (../shared/tools/desktop/setup.sh)"
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    if '"xfce4-panel"' not in tree and '"trayer"' not in tree:
        return "no system tray (xfce4-panel or trayer) on the display"
    return None


@pytest.fixture(scope="session", autouse=True)
def _desktop_present():
    why = _missing()
    if why:
        if os.environ.get("SKETCHD_REQUIRE_DESKTOP") == "1":
            pytest.fail(f"SKETCHD_REQUIRE_DESKTOP=1 but {why}: run inside desktop-session")
        pytest.skip(f"needs a desktop with a tray ({why}); run inside desktop-session")

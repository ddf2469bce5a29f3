"""What tray items do that is not the controller's: open a window, a file, start at login.

Each returns a short message for the user (shown as a notification), or None. How a file is
opened and a program started on each OS: platform/desktop.py.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sketchd import paths
from sketchd.platform import autostart as autostart_module
from sketchd.platform import desktop

log = logging.getLogger(__name__)


class Actions:
    def __init__(self, controller, autostart=autostart_module):
        """``autostart``: what turns start-at-login on and off (``is_enabled``, ``enable``,
        ``disable``), sketchd.platform.autostart unless a test hands in another."""
        self.controller = controller
        self.autostart = autostart

    # -- Settings…
    def settings(self) -> str | None:
        """Open the settings window (`sketchd settings`), which talks to this daemon over the
        control channel; a second one brings the first to the front."""
        argv = [sys.executable, "-m", "sketchd", "settings"]
        log.info("settings window: %s", " ".join(argv))
        desktop.spawn(argv)
        return None

    # -- Open config file
    def config_file(self) -> Path:
        return self.controller.config_path or paths.config_file()

    def open_config(self) -> str | None:
        file = self.config_file()
        created = False
        if not file.exists():  # what `sketchd config init` does
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(paths.default_config_file().read_bytes())
            log.info("config: wrote the default config to %s", file)
            created = True
        desktop.open_with_default_app(file)
        return f"Created {file} with the defaults" if created else None

    # -- Start at login
    def autostart_enabled(self) -> bool | None:
        """On/off, or None when it cannot be told (the item is then shown disabled). May run a
        command (systemctl): call it on start and after a change, not on every redraw."""
        try:
            return bool(self.autostart.is_enabled())
        except Exception as e:  # a broken unit file, systemctl missing or hanging …
            log.warning("autostart: cannot tell whether sketchd starts at login: %s", e)
            return None

    def set_autostart(self, on: bool) -> str | None:
        (self.autostart.enable if on else self.autostart.disable)()
        return "sketchd will start at login" if on else "sketchd will no longer start at login"

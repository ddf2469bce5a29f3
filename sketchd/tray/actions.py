"""What tray items do that is not the controller's: open a window, a file, start at login.

Each returns a short message for the user (shown as a notification), or None.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from sketchd import paths
from sketchd.errors import SketchdError

log = logging.getLogger(__name__)


def _spawn(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C or SIGTERM to the daemon's group leaves it alone
    )


def open_with_desktop(path: Path) -> None:
    """Open ``path`` in the user's default application (chosen per OS in one place)."""
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]
        elif sys.platform == "darwin":
            _spawn(["open", str(path)])
        else:
            _spawn(["xdg-open", str(path)])
    except OSError as e:
        raise SketchdError(f"cannot open {path}: {e.strerror or e}") from None


class Actions:
    def __init__(self, controller, autostart=None):
        self.controller = controller
        self.autostart = autostart if autostart is not None else load_autostart()

    # -- Preview window
    def preview(self) -> str | None:
        cfg = self.controller.config
        if cfg.camera.device != "demo":
            # TODO(issue 4): a preview fed by the daemon's own frames. A real webcam is held by
            # the daemon's capture thread and most drivers refuse a second reader (EBUSY).
            log.warning(
                "preview window: the camera is in use by the daemon; an in-daemon preview is "
                "not built yet (TODO). Stop sketchd and run `sketchd preview` meanwhile."
            )
            return "Preview needs the camera, which sketchd is using: quit, then `sketchd preview`"
        argv = [sys.executable, "-m", "sketchd", "preview", "--camera", "demo"]
        argv += ["--preset", self.controller.settings.preset]
        if self.controller.config_path:
            argv += ["--config", str(self.controller.config_path)]
        log.info("preview window: %s", " ".join(argv))
        _spawn(argv)
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
        open_with_desktop(file)
        return f"Created {file} with the defaults" if created else None

    # -- Start at login
    def autostart_enabled(self) -> bool | None:
        """On/off, or None when start-at-login is not available. May run a command (systemctl):
        call it on start and after a change, not on every redraw."""
        if self.autostart is None:
            return None
        try:
            if callable(getattr(self.autostart, "is_enabled", None)):
                return bool(self.autostart.is_enabled())
            st = self.autostart.status()
        except Exception as e:
            log.warning("autostart: cannot tell whether sketchd starts at login: %s", e)
            return None
        if isinstance(st, bool):
            return st
        if isinstance(st, list | tuple):
            return any(getattr(s, "enabled", False) for s in st)
        return bool(getattr(st, "enabled", False))

    def set_autostart(self, on: bool) -> str | None:
        if self.autostart is None:
            return "Start at login is not available in this build"
        (self.autostart.enable if on else self.autostart.disable)()
        return "sketchd will start at login" if on else "sketchd will no longer start at login"


def load_autostart():
    """The autostart module (sketchd/platform/autostart) if this build has it, else None."""
    try:
        from sketchd.platform import autostart
    except ImportError:
        return None
    if not all(callable(getattr(autostart, f, None)) for f in ("enable", "disable", "status")):
        log.info("autostart: sketchd.platform.autostart lacks enable/disable/status; not wired")
        return None
    return autostart

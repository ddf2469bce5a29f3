"""Where sketchd keeps things, per OS (platformdirs knows each platform's conventions).

Config is the user's and never rewritten by sketchd; state (last preset, toggles) and logs are
sketchd's own and live elsewhere.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import platformdirs

APP = "sketchd"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def config_file() -> Path:
    """The user's config: ~/.config/sketchd/sketchd.yaml on Linux (XDG_CONFIG_HOME honoured)."""
    return config_dir() / "sketchd.yaml"


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP, appauthor=False))


def runtime_dir() -> Path:
    """Per-user runtime folder for the control socket and the pid file.

    Where XDG_RUNTIME_DIR is unset (su, containers, some SSH logins) platformdirs falls back
    to a private folder it checks (/run/user/UID, else runtime-UID in the temp folder) and
    warns; the fallback is right for sketchd, so the warning, which a user can do nothing
    about, is not shown on every command."""
    category = getattr(platformdirs, "RuntimeDirWarning", UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category)
        return Path(platformdirs.user_runtime_dir(APP, appauthor=False))


def snapshot_dir(configured: str = "auto") -> Path:
    """The configured snapshot folder, or the user's Pictures/sketchd."""
    if configured and configured != "auto":
        return Path(os.path.expanduser(configured))
    return Path(platformdirs.user_pictures_dir()) / APP


def default_config_file() -> Path:
    """The commented default config shipped inside the package."""
    return Path(__file__).parent / "data" / "sketchd.yaml"


def user_config_root() -> Path:
    """The per-user config root itself, not sketchd's folder in it: ~/.config on Linux
    (XDG_CONFIG_HOME honoured). XDG autostart entries and systemd user units live under it."""
    return Path(platformdirs.user_config_dir())

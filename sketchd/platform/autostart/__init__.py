"""Start sketchd at login: one small module per mechanism, chosen here by OS and nowhere else.

    Linux    xdg (~/.config/autostart/sketchd.desktop, the default) or
             systemd (~/.config/systemd/user/sketchd.service + systemctl --user enable)
    macOS    launchagent (~/Library/LaunchAgents/io.github.sketchd.plist)
    Windows  windows (the HKCU ...\\CurrentVersion\\Run value "sketchd")

Importing this package writes nothing and runs nothing. On Linux only one mechanism should be
on at a time (two would start two sketchd), so enabling one disables the other.
"""

from __future__ import annotations

import sys

from sketchd.platform.autostart._base import (
    Autostart,
    AutostartError,
    Status,
    launch_command,
)

__all__ = [
    "Autostart",
    "AutostartError",
    "Status",
    "disable",
    "enable",
    "is_enabled",
    "launch_command",
    "mechanisms",
    "status",
]


def mechanisms(platform: str | None = None) -> list[str]:
    """The mechanisms this OS has, the default first."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux") or platform.startswith("freebsd"):
        return ["xdg", "systemd"]
    if platform == "darwin":
        return ["launchagent"]
    if platform == "win32":
        return ["windows"]
    return []


def get(name: str | None = None, platform: str | None = None) -> Autostart:
    """The mechanism called ``name`` (default: this OS's default)."""
    names = mechanisms(platform)
    if not names:
        raise AutostartError(
            f"starting at login is not supported on {platform or sys.platform}; "
            "add `sketchd run` to your session's startup programs by hand"
        )
    name = name or names[0]
    if name not in names:
        raise AutostartError(
            f"no autostart mechanism {name!r} on this system; it has: {', '.join(names)}"
        )
    if name == "xdg":
        from sketchd.platform.autostart.xdg import XdgAutostart

        return XdgAutostart()
    if name == "systemd":
        from sketchd.platform.autostart.systemd_user import SystemdUserAutostart

        return SystemdUserAutostart()
    if name == "launchagent":
        from sketchd.platform.autostart.launchagent import LaunchAgentAutostart

        return LaunchAgentAutostart()
    from sketchd.platform.autostart.windows import WindowsRunKeyAutostart

    return WindowsRunKeyAutostart()


def status(platform: str | None = None) -> list[Status]:
    """The state of every mechanism this OS has (``[s for s in ... if s.enabled]`` is what is
    active)."""
    return [get(name, platform).status() for name in mechanisms(platform)]


def enable(name: str | None = None, platform: str | None = None) -> list[Status]:
    """Turn on ``name`` (default: this OS's default) and turn off the others. The chosen
    mechanism's status comes first."""
    chosen = get(name, platform)
    result = [chosen.enable()]
    for other in mechanisms(platform):
        if other != chosen.name:
            mech = get(other, platform)
            if mech.status().enabled:
                result.append(mech.disable())
    return result


def disable(name: str | None = None, platform: str | None = None) -> list[Status]:
    """Turn off ``name``, or with no name every mechanism that is on (so sketchd no longer
    starts at login at all)."""
    if name is not None:
        return [get(name, platform).disable()]
    result = [get(n, platform).disable() for n in mechanisms(platform)]
    return result or [get(None, platform).disable()]


def is_enabled(platform: str | None = None) -> bool:
    """Whether sketchd starts at login by any mechanism (the tray's "Start at login" check)."""
    return any(s.enabled for s in status(platform))

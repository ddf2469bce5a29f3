"""Linux, for those who prefer systemd: a user unit, ~/.config/systemd/user/sketchd.service,
enabled with ``systemctl --user enable``.

The unit is wanted by graphical-session.target, which GNOME, KDE and other systemd-managed
sessions start after they have imported DISPLAY/WAYLAND_DISPLAY into the user manager: the
tray needs them. It restarts sketchd if it crashes, not when it is quit on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sketchd import paths
from sketchd.platform.autostart._base import (
    AutostartError,
    Status,
    launch_command,
    read_text,
    reject_control_characters,
    remove_file,
    run,
    write_file,
)

UNIT = "sketchd.service"
TARGET = "graphical-session.target"

# an argument with one of these (or empty) goes in double quotes; a word starting with one of
# "-@:+!" would be read as an ExecStart prefix, and a lone ";" as a command separator
_NEEDS_QUOTES = re.compile(r"[\s\"'\\;]|^[-@:+!]")


def exec_start(argv: Sequence[str]) -> str:
    """``argv`` as an ExecStart value: systemd splits words on whitespace, honours double
    quotes and C-style backslash escapes, expands ``%`` specifiers everywhere and ``$VARIABLES``
    in the arguments (not the program path); so ``\\`` and ``"`` are escaped, ``%`` doubled,
    ``$`` doubled in arguments, and such words double-quoted (checked with systemd-analyze)."""
    reject_control_characters(argv, f"the systemd unit {UNIT}")
    words = []
    for i, arg in enumerate(argv):
        word = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
        if i:  # $VARIABLES are expanded in the arguments only, not in the program's path
            word = word.replace("$", "$$")
        if not arg or _NEEDS_QUOTES.search(arg):
            word = f'"{word}"'
        words.append(word)
    return " ".join(words)


def unit(argv: Sequence[str]) -> str:
    return (
        "[Unit]\n"
        "Description=sketchd pencil-sketch virtual webcam\n"
        f"PartOf={TARGET}\n"
        f"After={TARGET}\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start(argv)}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "\n"
        "[Install]\n"
        f"WantedBy={TARGET}\n"
    )


class SystemdUserAutostart:
    name = "systemd"

    def __init__(self, command: Sequence[str] | None = None, config_root: Path | None = None):
        self._command = tuple(command) if command else None
        self._root = config_root

    @property
    def unit_dir(self) -> Path:
        return (self._root or paths.user_config_root()) / "systemd" / "user"

    @property
    def path(self) -> Path:
        return self.unit_dir / UNIT

    @property
    def wants_link(self) -> Path:
        """The link `systemctl --user enable` makes; its presence is what "enabled" means."""
        return self.unit_dir / f"{TARGET}.wants" / UNIT

    def command(self) -> tuple[str, ...]:
        return self._command or launch_command()

    def status(self, detail: str = "", changed: bool = False) -> Status:
        text = read_text(self.path)
        linked = self.wants_link.is_symlink() or self.wants_link.exists()
        command = ""
        if text is not None:
            for line in text.splitlines():
                if line.startswith("ExecStart="):
                    command = line.removeprefix("ExecStart=")
        if text is not None and not linked and not detail:
            detail = f"the unit file is there but not enabled (`systemctl --user enable {UNIT}`)"
        if text is None and linked and not detail:
            detail = f"{self.wants_link} points to a unit that is gone"
        enabled = text is not None and linked
        return Status(self.name, enabled, str(self.path), command, detail, changed)

    def enable(self) -> Status:
        wrote = write_file(self.path, unit(self.command()).encode())
        before = self.status()
        try:
            if wrote:
                run(["systemctl", "--user", "daemon-reload"])
            if wrote or not before.enabled:
                run(["systemctl", "--user", "enable", UNIT])
        except AutostartError as e:
            raise AutostartError(
                f"{e}; {self.path} is written: in your desktop session run "
                f"`systemctl --user daemon-reload && systemctl --user enable {UNIT}`"
            ) from None
        changed = wrote or not before.enabled
        return self.status("enabled" if changed else "already enabled", changed)

    def disable(self) -> Status:
        before = self.status()
        present = before.enabled or self.path.exists()
        if present:
            # disable removes the wants link; it must run while the unit file still exists
            run(["systemctl", "--user", "disable", UNIT])
        removed = remove_file(self.path)
        if removed:
            run(["systemctl", "--user", "daemon-reload"])
        changed = present or removed
        return self.status("disabled" if changed else "already disabled", changed)

"""macOS: a LaunchAgent, ~/Library/LaunchAgents/io.github.sketchd.plist, which launchd loads at
every login (RunAtLoad).

launchd also keeps a per-user "disabled" list that overrides the plist (System Settings →
Login Items can add sketchd to it), so enabling clears that with ``launchctl enable``. Disabling
only removes the plist: a sketchd running now (perhaps the tray that asked) keeps running.
"""

from __future__ import annotations

import os
import plistlib
from collections.abc import Sequence
from pathlib import Path

from sketchd import paths
from sketchd.platform.autostart._base import (
    AutostartError,
    Status,
    launch_command,
    plain_command,
    reject_control_characters,
    remove_file,
    run,
    write_file,
)

LABEL = "io.github.sketchd"


def plist(argv: Sequence[str], log_dir: Path) -> bytes:
    reject_control_characters(argv, f"the LaunchAgent {LABEL}.plist")
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": list(argv),
            "RunAtLoad": True,
            # restart after a crash, not after the user quits from the tray
            "KeepAlive": {"SuccessfulExit": False},
            "ProcessType": "Interactive",
            "StandardOutPath": str(log_dir / "launchd.log"),
            "StandardErrorPath": str(log_dir / "launchd.log"),
        }
    )


class LaunchAgentAutostart:
    name = "launchagent"

    def __init__(self, command: Sequence[str] | None = None, home: Path | None = None):
        self._command = tuple(command) if command else None
        self._home = home

    @property
    def path(self) -> Path:
        return (self._home or Path.home()) / "Library" / "LaunchAgents" / f"{LABEL}.plist"

    def command(self) -> tuple[str, ...]:
        return self._command or launch_command()

    def _domain(self) -> str:
        return f"gui/{os.getuid()}"

    def status(self, detail: str = "", changed: bool = False) -> Status:
        try:
            data = plistlib.loads(self.path.read_bytes())
        except FileNotFoundError:
            return Status(self.name, False, str(self.path), detail=detail, changed=changed)
        except (OSError, plistlib.InvalidFileException, ValueError) as e:
            raise AutostartError(f"cannot read {self.path}: {e}") from None
        argv = data.get("ProgramArguments") if isinstance(data, dict) else None
        command = plain_command(argv) if isinstance(argv, list) else ""
        return Status(self.name, True, str(self.path), command, detail, changed)

    def enable(self) -> Status:
        logs = paths.log_dir()
        try:  # launchd does not create the folder of StandardOutPath
            logs.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AutostartError(f"cannot create {logs}: {e.strerror or e}") from None
        changed = write_file(self.path, plist(self.command(), logs))
        run(["launchctl", "enable", f"{self._domain()}/{LABEL}"])
        return self.status("written" if changed else "already enabled", changed)

    def disable(self) -> Status:
        changed = remove_file(self.path)
        return self.status("removed" if changed else "already disabled", changed)

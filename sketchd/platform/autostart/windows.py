"""Windows: a value named "sketchd" under the per-user Run key,
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run.

Explorer runs each value of that key at login; it needs no file and no admin rights, and the
entry shows up (and can be switched off) in Task Manager → Startup apps. ``winreg`` exists only
on Windows, so it is imported when a method runs, never at import.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from sketchd.platform.autostart._base import (
    AutostartError,
    Status,
    launch_command,
    reject_control_characters,
)

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE = "sketchd"
LOCATION = rf"HKEY_CURRENT_USER\{RUN_KEY}\{VALUE}"
_WINDOWS_ONLY = f"{LOCATION} exists only on Windows"


def command_line(argv: Sequence[str]) -> str:
    """``argv`` as one Windows command line (the MS C runtime's quoting rules)."""
    reject_control_characters(argv, LOCATION)
    return subprocess.list2cmdline(list(argv))


class WindowsRunKeyAutostart:
    name = "windows"

    def __init__(self, command: Sequence[str] | None = None):
        self._command = tuple(command) if command else None

    def command(self) -> tuple[str, ...]:
        return self._command or launch_command()

    def _read(self) -> str | None:
        import winreg

        # after the import, so off Windows this still fails as before (ModuleNotFoundError);
        # it tells mypy that the rest is Windows-only (typeshed's winreg is empty elsewhere)
        if sys.platform != "win32":
            raise AutostartError(_WINDOWS_ONLY)
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, VALUE)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise AutostartError(f"cannot read {LOCATION}: {e.strerror or e}") from None
        return str(value)

    def status(self, detail: str = "", changed: bool = False) -> Status:
        value = self._read()
        return Status(self.name, value is not None, LOCATION, value or "", detail, changed)

    def enable(self) -> Status:
        import winreg

        if sys.platform != "win32":  # for mypy: see _read
            raise AutostartError(_WINDOWS_ONLY)
        line = command_line(self.command())
        if self._read() == line:
            return self.status("already enabled")
        try:
            with winreg.CreateKeyEx(
                winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE
            ) as k:
                winreg.SetValueEx(k, VALUE, 0, winreg.REG_SZ, line)
        except OSError as e:
            raise AutostartError(f"cannot write {LOCATION}: {e.strerror or e}") from None
        return self.status("written", True)

    def disable(self) -> Status:
        import winreg

        if sys.platform != "win32":  # for mypy: see _read
            raise AutostartError(_WINDOWS_ONLY)
        if self._read() is None:
            return self.status("already disabled")
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as k:
                winreg.DeleteValue(k, VALUE)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise AutostartError(f"cannot remove {LOCATION}: {e.strerror or e}") from None
        return self.status("removed", True)

"""What every autostart mechanism shares: the status it reports, its error, the command that
started this sketchd, and careful file writing and command running.

A mechanism is a small class with ``name``, ``status()``, ``enable()`` and ``disable()``. Its
constructor only remembers paths; nothing touches the disk or runs a command before one of
those three is called. ``enable`` and ``disable`` are idempotent and return the new status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sketchd.errors import SketchdError


class AutostartError(SketchdError):
    """Starting at login could not be turned on or off: says which file or command, and why."""


@dataclass(frozen=True)
class Status:
    """Whether one mechanism starts sketchd at login, where that is recorded, and what it runs."""

    mechanism: str  # "xdg", "systemd", "launchagent", "windows"
    enabled: bool
    location: str  # the file or registry value that holds the entry
    command: str = ""  # what runs at login, as written in the entry
    detail: str = ""  # e.g. "already enabled", "unit file present but not enabled"
    changed: bool = False  # whether the last enable/disable changed anything

    def describe(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        text = f"{self.mechanism}: {state} ({self.location})"
        if self.enabled and self.command:
            text += f", runs {self.command}"
        if self.detail:
            text += f"; {self.detail}"
        return text


class Autostart(Protocol):
    name: str

    def status(self) -> Status: ...

    def enable(self) -> Status: ...

    def disable(self) -> Status: ...


def launch_command(
    *,
    argv0: str | None = None,
    executable: str | None = None,
    frozen: bool | None = None,
    platform: str | None = None,
) -> tuple[str, ...]:
    """The command that starts this same sketchd again, for ``sketchd run`` at login.

    A frozen build (PyInstaller …) is its own executable. A console script (``sketchd`` from
    pip, a venv or pipx) is itself, by the path it was started with: pipx's ~/.local/bin link
    stays valid across upgrades, so links are not resolved. Anything else (``python -m
    sketchd``, the tray of a dev checkout) is this interpreter with ``-m sketchd``; a venv's
    python is kept as is, so the venv's packages are used. On Windows the windowless
    pythonw.exe is preferred, so no console window opens at login.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    platform = sys.platform if platform is None else platform
    if frozen:
        return (os.path.abspath(executable), "run")
    stem = Path(argv0).name.lower().removesuffix(".exe").removesuffix("-script.py")
    if stem == "sketchd" and os.path.isfile(argv0):
        return (os.path.abspath(argv0), "run")
    if not executable:
        raise AutostartError(
            "cannot tell which Python runs sketchd (sys.executable is empty); "
            "start it as `sketchd` or `python -m sketchd` and try again"
        )
    python = os.path.abspath(executable)
    if platform == "win32" and Path(python).name.lower() == "python.exe":
        windowless = Path(python).with_name("pythonw.exe")
        if windowless.is_file():
            python = str(windowless)
    return (python, "-m", "sketchd", "run")


def plain_command(argv: Sequence[str]) -> str:
    """A command for people to read (and paste into a POSIX shell)."""
    import shlex

    return shlex.join(argv)


def reject_control_characters(argv: Sequence[str], where: str) -> None:
    """Newlines and other control characters cannot be written into a login entry safely."""
    for arg in argv:
        if any(ord(c) < 32 or ord(c) == 127 for c in arg):
            raise AutostartError(
                f"cannot write {where}: the command {plain_command(argv)!r} holds a control "
                "character; move sketchd to a folder without one"
            )


def read_text(path: Path) -> str | None:
    """The file's text, or None when there is none. Other errors say which file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise AutostartError(f"cannot read {path}: {_why(e)}") from None


def write_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically (temporary file, then rename). False when the file
    already holds exactly that, so enabling twice changes nothing."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as e:
        raise AutostartError(f"cannot read {path}: {_why(e)}") from None
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise AutostartError(f"cannot write {path}: {_why(e)}") from None
    return True


def remove_file(path: Path) -> bool:
    """Remove ``path``; False when it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as e:
        raise AutostartError(f"cannot remove {path}: {_why(e)}") from None
    return True


def run(
    cmd: Sequence[str], *, check: bool = True, timeout: float = 30
) -> subprocess.CompletedProcess:
    """Run a system command (systemctl, launchctl) with its output captured; on failure raise
    AutostartError with the command, its exit status and what it printed."""
    try:
        done = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise AutostartError(f"`{plain_command(cmd)}` failed: {cmd[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise AutostartError(
            f"`{plain_command(cmd)}` did not finish within {timeout:g} s"
        ) from None
    except OSError as e:
        raise AutostartError(f"`{plain_command(cmd)}` failed: {_why(e)}") from None
    if check and done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise AutostartError(
            f"`{plain_command(cmd)}` failed with exit status {done.returncode}: " + " / ".join(said)
        )
    return done


def _why(e: Exception) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__

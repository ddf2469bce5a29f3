"""Linux desktop sessions: an XDG autostart entry, ~/.config/autostart/sketchd.desktop.

Every XDG-compliant session (GNOME, KDE, XFCE, Cinnamon, MATE, LXQt …) starts the entries in
$XDG_CONFIG_HOME/autostart at login, with the session's DISPLAY and D-Bus, which the tray needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sketchd import paths
from sketchd.platform.autostart._base import (
    Status,
    launch_command,
    plain_command,
    read_text,
    reject_control_characters,
    remove_file,
    write_file,
)

FILE_NAME = "sketchd.desktop"

# characters that force an argument of Exec into double quotes (Desktop Entry spec, "The Exec key")
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# inside double quotes these four are escaped with a backslash
_ESCAPED_IN_QUOTES = re.compile(r'(["`$\\])')


def exec_value(argv: Sequence[str]) -> str:
    """``argv`` as the value of an Exec key.

    Per the spec: an argument with a reserved character is put in double quotes, with ``"``,
    `````, ``$`` and ``\\`` escaped by a backslash inside them; ``%`` is doubled (field codes);
    then the value as a whole gets the string escaping, which turns every backslash into two.
    So one literal backslash in a quoted argument is written as four.
    """
    reject_control_characters(argv, "an autostart entry")
    words = []
    for arg in argv:
        if arg and not _RESERVED.intersection(arg):
            word = arg
        else:
            word = '"' + _ESCAPED_IN_QUOTES.sub(r"\\\1", arg) + '"'
        words.append(word.replace("%", "%%"))
    return " ".join(words).replace("\\", "\\\\")


_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def parse_exec(value: str) -> list[str]:
    """The argv an Exec value stands for: the reverse of ``exec_value`` (string escapes, then
    quoting, then ``%%``). Raises ValueError for an unterminated quote or escape."""
    text, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            if i + 1 >= len(value):
                raise ValueError("a lone backslash at the end")
            nxt = value[i + 1]
            text.append(_STRING_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            text.append(c)
            i += 1
    line = "".join(text)
    argv: list[str] = []
    word: list[str] | None = None
    i = 0
    while i < len(line):
        c = line[i]
        if c == '"':
            word = word if word is not None else []
            i += 1
            while True:
                if i >= len(line):
                    raise ValueError("an unterminated double quote")
                c = line[i]
                if c == '"':
                    break
                if c == "\\" and i + 1 < len(line) and line[i + 1] in '"`$\\':
                    i += 1
                    c = line[i]
                word.append(c)
                i += 1
        elif c in " \t":
            if word is not None:
                argv.append("".join(word))
                word = None
        else:
            word = word if word is not None else []
            word.append(c)
        i += 1
    if word is not None:
        argv.append("".join(word))
    return [a.replace("%%", "%") for a in argv]


def entry(argv: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=sketchd\n"
        "Comment=Pencil-sketch virtual webcam in the system tray\n"
        f"Exec={exec_value(argv)}\n"
        "Icon=camera-web\n"
        "Terminal=false\n"
        "Categories=AudioVideo;Video;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def _keys(text: str) -> dict[str, str]:
    """Keys of the [Desktop Entry] group (enough to tell whether it is switched off)."""
    keys: dict[str, str] = {}
    group = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
        elif group == "Desktop Entry" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), value.strip())
    return keys


class XdgAutostart:
    name = "xdg"

    def __init__(self, command: Sequence[str] | None = None, config_root: Path | None = None):
        self._command = tuple(command) if command else None
        self._root = config_root

    @property
    def path(self) -> Path:
        return (self._root or paths.user_config_root()) / "autostart" / FILE_NAME

    def command(self) -> tuple[str, ...]:
        return self._command or launch_command()

    def status(self, detail: str = "", changed: bool = False) -> Status:
        text = read_text(self.path)
        if text is None:
            return Status(self.name, False, str(self.path), detail=detail, changed=changed)
        keys = _keys(text)
        off = keys.get("Hidden", "").lower() == "true" or (
            keys.get("X-GNOME-Autostart-enabled", "").lower() == "false"
        )
        if off and not detail:
            detail = "the entry is there but switched off (Hidden or X-GNOME-Autostart-enabled)"
        try:
            command = plain_command(parse_exec(keys.get("Exec", "")))
        except ValueError as e:
            command = keys.get("Exec", "")
            detail = detail or f"its Exec line cannot be read: {e}"
        return Status(self.name, not off, str(self.path), command, detail, changed)

    def enable(self) -> Status:
        changed = write_file(self.path, entry(self.command()).encode())
        return self.status("written" if changed else "already enabled", changed)

    def disable(self) -> Status:
        changed = remove_file(self.path)
        return self.status("removed" if changed else "already disabled", changed)

"""The settings window's state and what each click asks of the running daemon. No Tk here:
view.py draws this model and calls its methods; the tests drive it with a fake daemon.

Edits are live: every change of a step or a value goes to the daemon at once (``set_chain``,
held in the daemon's memory), and the window remembers which presets it changed. Save writes
those presets into the user's file (yamledit.py), then asks the daemon to reload it; Revert asks
the daemon to reload the file as it is, which drops every unsaved edit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sketchd import paths
from sketchd.errors import ConfigError, SketchdError
from sketchd.settings import yamledit
from sketchd.settings.controls import controls

Request = Callable[..., Any]  # control.request: (cmd, **args) → the daemon's result
StepData = dict[str, Any]  # {"filter": name, "params": {...}}


@dataclass
class Info:
    """The daemon's answer to "info", as the window shows it."""

    preset: str = ""
    presets: list[dict[str, Any]] = field(default_factory=list)
    bypass: bool = False
    privacy: bool = False
    mirror: bool = False
    camera: str = ""
    camera_desc: str = ""
    output: str = ""
    fps: float = 0.0
    config: str = ""

    @classmethod
    def of(cls, data: dict[str, Any]) -> Info:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def step(filter_name: str) -> StepData:
    """A new step of ``filter_name`` with its defaults."""
    return {"filter": filter_name, "params": {c.param: c.default for c in controls(filter_name)}}


class SettingsModel:
    """``request``: how to reach the daemon (``control.request``); ``config_file``: where to
    save when the daemon reads no file of its own (the user's config file)."""

    def __init__(self, request: Request, config_file: Path | None = None):
        self._request = request
        self._config_file = config_file
        self.info = Info()
        self.chain: list[StepData] = []  # the active preset's chain, as the window shows it
        self.edited: dict[str, list[StepData]] = {}  # presets changed since the last save
        self.message = ""  # the last thing to tell the user (an error, "Saved …")

    # -- what the daemon says
    def refresh(self) -> Info:
        """Ask the daemon what runs now; the chain shown follows the active preset."""
        self.info = Info.of(self._request("info"))
        by_name = {p["name"]: p for p in self.info.presets}
        if self.info.preset in by_name:
            self.chain = copy.deepcopy(by_name[self.info.preset]["chain"])
        return self.info

    @property
    def names(self) -> list[str]:
        """The presets, in config order."""
        return [p["name"] for p in self.info.presets]

    @property
    def dirty(self) -> bool:
        return bool(self.edited)

    @property
    def config_file(self) -> Path:
        if self.info.config:
            return Path(self.info.config)
        return self._config_file or paths.config_file()

    def preview(self, width: int) -> dict[str, Any]:
        """A preview pair from the daemon (frames.py makes it pictures)."""
        return self._request("preview", width=width)

    # -- presets and toggles
    def select(self, name: str) -> None:
        self._request("preset", name=name)
        self.refresh()

    def toggle(self, which: str, on: bool) -> None:
        """``which``: bypass, privacy or mirror."""
        if which not in ("bypass", "privacy", "mirror"):
            raise ValueError(which)
        self._request(which, on=on)
        setattr(self.info, which, on)

    def snapshot(self) -> str:
        path = self._request("snapshot")["path"]
        self.message = f"Snapshot saved: {path}"
        return path

    # -- the chain, edited live
    def _apply(self, chain: list[StepData]) -> bool:
        """Send ``chain`` for the active preset; on refusal keep the old one and say why."""
        name = self.info.preset
        try:
            self._request("set_chain", name=name, chain=raw_chain(chain))
        except SketchdError as e:
            self.message = str(e)
            return False
        self.chain = chain
        self.edited[name] = copy.deepcopy(chain)
        self.message = ""
        return True

    def set_param(self, index: int, param: str, value: Any) -> bool:
        chain = copy.deepcopy(self.chain)
        chain[index]["params"][param] = value
        return self._apply(chain)

    def add_step(self, filter_name: str, at: int | None = None) -> bool:
        chain = copy.deepcopy(self.chain)
        chain.insert(len(chain) if at is None else at, step(filter_name))
        return self._apply(chain)

    def remove_step(self, index: int) -> bool:
        chain = copy.deepcopy(self.chain)
        del chain[index]
        return self._apply(chain)

    def move_step(self, index: int, delta: int) -> bool:
        to = index + delta
        if not (0 <= index < len(self.chain) and 0 <= to < len(self.chain)):
            return False
        chain = copy.deepcopy(self.chain)
        chain.insert(to, chain.pop(index))
        return self._apply(chain)

    # -- the file
    def save(self) -> bool:
        """Every edited preset into the user's file, in place; then the daemon reloads it."""
        return self._save(dict(self.edited))

    def save_as(self, name: str, description: str = "") -> bool:
        """The active chain as a new preset ``name`` after the active one, saved (with the
        other edits); the daemon then switches to it."""
        name = name.strip()
        if not name:
            self.message = "a preset needs a name"
            return False
        if name in self.names:
            self.message = f"there is already a preset named {name!r}"
            return False
        edits = {k: v for k, v in self.edited.items() if k != self.info.preset}
        edits[name] = copy.deepcopy(self.chain)
        if not self._save(edits, new=(name, description)):
            return False
        self.select(name)
        return True

    def _save(self, edits: dict[str, list[StepData]], new: tuple[str, str] | None = None) -> bool:
        path = self.config_file
        try:
            text = yamledit.read_text(path)
            for name, chain in edits.items():
                if new is not None and name == new[0]:
                    text = yamledit.edit(
                        text, name, chain, description=new[1] or None, after=self.info.preset
                    )
                else:
                    text = yamledit.edit(text, name, chain)
            yamledit.write(path, text)
        except ConfigError as e:
            self.message = f"Not saved: {e.first}"
            return False
        except (OSError, ValueError) as e:
            self.message = f"Not saved: {path}: {e}"
            return False
        self.edited.clear()
        self.message = f"Saved to {path}"
        self.reload()
        return True

    def revert(self) -> None:
        """Drop every unsaved edit: the daemon reads the file again."""
        self.reload()
        self.edited.clear()
        self.message = "Reverted to the saved file"

    def reload(self) -> None:
        try:
            self._request("reload")
        except SketchdError as e:
            self.message = str(e)
        self.refresh()


def raw_chain(chain: list[StepData]) -> list[Any]:
    """``chain`` as a config file writes it: ``[{filter: {param: value}}, ...]``."""
    return [{s["filter"]: dict(s["params"])} for s in chain]

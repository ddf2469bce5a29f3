"""The tray menu as data: daemon state in, menu items out. No GUI here, so it is unit-tested.

The pystray adapter (backend.py) turns these items into a menu and sends each click to
``activate``, which calls the controller; nothing here touches a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["label", "action", "check", "radio", "separator"]


@dataclass(frozen=True)
class View:
    """What the tray shows, taken from the controller's status."""

    preset: str
    presets: tuple[str, ...]
    fps: float = 0.0
    camera: str = "starting"  # starting | live | lost | standby
    bypass: bool = False
    privacy: bool = False
    mirror: bool = False
    autostart: bool | None = None  # None: start-at-login is not available here
    output_error: str = ""  # why the virtual camera takes no frames now ("" when it does)


@dataclass(frozen=True)
class Item:
    id: str  # what ``activate`` receives: "preset:NAME", "bypass", "quit" …
    text: str
    kind: Kind = "action"
    checked: bool = False
    enabled: bool = True
    default: bool = False  # the left-click action where the tray has one (gtk backend)


SEPARATOR = Item("-", "", "separator")


def title(name: str) -> str:
    """A preset's name as people read it: colour_pencil → Colour pencil."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def view_from_status(status: dict, autostart: bool | None = None) -> View:
    return View(
        preset=status["preset"],
        presets=tuple(status.get("presets", (status["preset"],))),
        fps=float(status.get("fps", 0.0)),
        camera=status.get("camera", "starting"),
        bypass=bool(status.get("bypass")),
        privacy=bool(status.get("privacy")),
        mirror=bool(status.get("mirror")),
        autostart=autostart,
        output_error=str(status.get("output_error") or ""),
    )


def icon_kind(v: View) -> str:
    """Which icon: a virtual camera that takes no frames wins (the call sees nothing of
    sketchd), then privacy (nothing of the camera goes out), then a lost camera, then bypass,
    else the preset."""
    if v.output_error:
        return "output"
    if v.privacy:
        return "privacy"
    if v.camera == "lost":
        return "lost"
    if v.camera == "standby":
        return "standby"
    if v.bypass:
        return "bypass"
    return "preset"


def state_line(v: View) -> str:
    """The disabled first line, e.g. "Pencil · 30 fps"."""
    fps = f"{v.fps:.0f} fps"
    if v.output_error:
        return "Virtual camera unavailable · retrying"
    if v.privacy:
        return "Privacy · camera off"
    if v.camera == "lost":
        return f"Camera unavailable · {fps}"
    if v.camera == "starting":
        return "Starting camera…"
    if v.camera == "standby":
        return "Standby · no app is using Sketch Camera"
    name = "Bypass (unfiltered)" if v.bypass else title(v.preset)
    return f"{name} · {fps}"


def tooltip(v: View, limit: int = 160) -> str:
    """The hover text: the state line, and for a failing virtual camera the reason."""
    text = f"sketchd: {state_line(v)}"
    if v.output_error:
        reason = " ".join(v.output_error.split())
        text += f"\n{reason if len(reason) <= limit else reason[: limit - 1] + '…'}"
    return text


def items(v: View) -> list[Item]:
    """The whole menu, top to bottom."""
    menu = [Item("state", state_line(v), "label", enabled=False), SEPARATOR]
    menu += [
        Item(f"preset:{name}", title(name), "radio", checked=name == v.preset) for name in v.presets
    ]
    menu += [
        SEPARATOR,
        Item("bypass", "Bypass (unfiltered camera)", "check", checked=v.bypass),
        Item("privacy", "Privacy (camera off card)", "check", checked=v.privacy),
        Item("mirror", "Mirror", "check", checked=v.mirror),
        SEPARATOR,
        # no default (left-click) item: an accidental click must not write a photo to disk
        Item("snapshot", "Snapshot"),
        Item("settings", "Settings…"),
        Item("open_config", "Open config file"),
        Item("reload", "Reload config"),
        Item(
            "autostart",
            "Start at login",
            "check",
            checked=bool(v.autostart),
            enabled=v.autostart is not None,
        ),
        SEPARATOR,
        Item("quit", "Quit"),
    ]
    return menu


def activate(item_id: str, controller, view: View, actions) -> str | None:
    """Carry out a click. Returns a message to show the user, if any.

    ``actions`` does what is not the controller's: the settings window, opening the config file,
    start at login (see tray/actions.py)."""
    if item_id.startswith("preset:"):
        controller.set_preset(item_id.split(":", 1)[1])
    elif item_id == "bypass":
        controller.set_bypass(not view.bypass)
    elif item_id == "privacy":
        controller.set_privacy(not view.privacy)
    elif item_id == "mirror":
        controller.set_mirror(not view.mirror)
    elif item_id == "snapshot":
        return f"Snapshot saved: {controller.snapshot()}"
    elif item_id == "reload":
        result = controller.reload()
        changed = ", ".join(result["changed"]) or "nothing changed"
        return f"Config reloaded ({changed})"
    elif item_id == "settings":
        return actions.settings()
    elif item_id == "open_config":
        return actions.open_config()
    elif item_id == "autostart":
        return actions.set_autostart(not view.autostart)
    elif item_id == "quit":
        controller.quit()
    else:
        raise ValueError(f"unknown menu item {item_id!r}")
    return None

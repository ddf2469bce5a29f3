"""A camera given by its name: which device it is now, and the same camera again after a replug.

USB cameras often come back at another /dev/videoN after an unplug, so a name is looked up
again at every open. A name picks, by the first rule that matches anything:

1. the devices with exactly that name, as `sketchd devices` lists it ("HD Pro Webcam C920");
2. the same name ignoring case and surrounding spaces;
3. the physical cameras whose name contains it, ignoring case ("c920"), when exactly one name
   does; two different names containing it is an error that lists both.

Loopback devices (virtual cameras: OBS, ffmpeg, the rig's "Fake Webcam") are taken by their
whole name only (rules 1 and 2), and never sketchd's own "Sketch Camera"; "auto" takes none.
When several devices have the chosen name (two cameras of one model), the one used last time
wins: same /dev/v4l/by-id link, else same bus (USB port), else same path; otherwise the lowest
number. The log says which one was taken, and when the camera turns up at another node.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sketchd import devices
from sketchd.devices import Device, quoted
from sketchd.errors import CameraError
from sketchd.platform import CARD_LABEL

log = logging.getLogger(__name__)

KEYWORDS = ("auto", "demo")


def is_name(device: int | str) -> bool:
    """Whether camera.device names a camera (not an index, a path, "auto" or "demo")."""
    return isinstance(device, str) and device not in KEYWORDS and not device.startswith("/")


@dataclass(frozen=True)
class Choice:
    device: Device
    why: str = ""  # why this one, when several devices have its name


def _fold(text: str) -> str:
    return text.strip().casefold()


def choose(name: str, found: Sequence[Device], last: Device | None = None) -> Choice:
    """The device ``name`` picks among ``found`` (see the module's rules), preferring the one
    that was ``last`` used. Raises CameraError listing the cameras when it picks none."""
    if _fold(name) == _fold(CARD_LABEL) and any(d.kind == "virtual" for d in found):
        raise CameraError(
            f"{quoted(name)} is sketchd's own virtual camera (what it publishes to), not a "
            "camera to read; name the webcam as `sketchd devices` lists it"
        )
    usable = [d for d in found if not (d.kind == "virtual" and d.name == CARD_LABEL)]
    matches = [d for d in usable if d.name == name]
    if not matches:
        matches = [d for d in usable if _fold(d.name) == _fold(name)]
    if not matches and _fold(name):
        part = [d for d in usable if d.kind == "camera" and _fold(name) in _fold(d.name)]
        names = sorted({d.name for d in part})
        if len(names) > 1:
            listed = ", ".join(quoted(n) for n in names)
            raise CameraError(
                f"camera {quoted(name)} is part of several camera names: {listed}; "
                "give the whole name as `sketchd devices` lists it"
            )
        matches = part
    if not matches:
        raise CameraError(no_such_name(name, found))
    if len(matches) == 1:
        return Choice(matches[0])
    return _prefer(matches, last)


def _prefer(matches: list[Device], last: Device | None) -> Choice:
    paths = ", ".join(d.path for d in matches)
    head = f"{len(matches)} devices are named {quoted(matches[0].name)} ({paths})"
    if last is not None:
        for attr, what in (("by_id", "/dev/v4l/by-id link"), ("bus_info", "bus"), ("path", "path")):
            value = getattr(last, attr)
            same = [d for d in matches if value and getattr(d, attr) == value]
            if same:
                return Choice(same[0], f"{head}: took the one with the same {what} as before")
    lowest = min(matches, key=_number)
    tail = "name one by its path (/dev/videoN) to choose"
    return Choice(lowest, f"{head}: took the lowest number; {tail}")


def _number(d: Device) -> tuple[int, str]:
    digits = "".join(c for c in d.path if c.isdigit())
    return (int(digits) if digits else -1, d.path)


def describe(d: Device) -> str:
    """`/dev/video0 "HD Pro Webcam C920" (bus usb-0000:00:14.0-1)`, as logs and errors show it."""
    where = [f"bus {d.bus_info}"] if d.bus_info else []
    where += [d.by_id] if d.by_id else []
    return f"{d.path} {quoted(d.name)}" + (f" ({', '.join(where)})" if where else "")


def no_such_name(name: str, found: Sequence[Device]) -> str:
    cams = [d for d in found if d.kind == "camera"]
    loops = [d for d in found if d.kind == "virtual"]
    text = f"no camera named {quoted(name)}. "
    text += (
        "Cameras found: " + ", ".join(describe(d) for d in cams) + "."
        if cams
        else "No physical camera found."
    )
    if loops:
        text += " Virtual cameras (taken by their whole name only): "
        text += ", ".join(describe(d) for d in loops) + "."
    names = sorted({d.name for d in found if d.name != CARD_LABEL})
    hint = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if hint:
        text += f" Did you mean {quoted(hint[0])}?"
    return text + (
        "\nName it as `sketchd devices` lists it, pick one with --camera /dev/videoN "
        "(or camera.device in the config), or try --camera demo."
    )


class CameraFinder:
    """Looks up one configured camera name at every open and remembers the device it found,
    so that among cameras of the same name the same one is taken again after a replug.

    ``lister`` lists the candidate devices (the OS boundary; tests pass their own). Used by the
    capture thread only."""

    def __init__(self, name: str, lister: Callable[[], list[Device]] | None = None):
        self.name = name
        self._lister = lister
        self.last: Device | None = None

    def find(self) -> Device:
        """The device the name picks now. Raises CameraError (with the cameras found) when the
        name picks none; the capture thread then shows the placeholder and retries."""
        try:
            found = self._lister() if self._lister is not None else devices.named_cameras()
        except OSError as e:  # a device vanishing mid-listing: the next attempt lists again
            raise CameraError(f"cannot list the cameras: {e}") from e
        choice = choose(self.name, found, self.last)
        d, before = choice.device, self.last
        self.last = d
        if before is None:
            log.info("camera: %s is %s%s", quoted(self.name), _where(d), _why(choice))
        elif d.path != before.path:
            log.info(
                "camera: %s is now %s (was %s)%s",
                quoted(self.name),
                _where(d),
                before.path,
                _why(choice),
            )
        elif (d.bus_info, d.by_id) != (before.bus_info, before.by_id):
            log.info(
                "camera: %s is %s, another device than before (%s)%s",
                quoted(self.name),
                _where(d),
                _where(before),
                _why(choice),
            )
        return d


def _where(d: Device) -> str:
    extra = [f"bus {d.bus_info}"] if d.bus_info else []
    extra += [d.by_id] if d.by_id else []
    return d.path + (f" ({', '.join(extra)})" if extra else "")


def _why(choice: Choice) -> str:
    return f"; {choice.why}" if choice.why else ""

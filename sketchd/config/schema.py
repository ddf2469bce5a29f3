"""The config schema: typed dataclasses, and ``validate`` which collects every problem at once.

Each problem names its key path, what was expected, what was found and, when the value came from
a file, its line: ``presets.cartoon.chain[0].cartoon.edge_block_size: must be an odd integer
from 3 to 255, not 4 (line 31)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sketchd.errors import did_you_mean, no_preset
from sketchd.filters.registry import FILTERS, Param, Step


@dataclass(frozen=True)
class CameraConfig:
    device: int | str = "auto"  # "auto" (first real camera), an index, a path, a name, "demo"
    width: int = 1280
    height: int = 720
    fps: int = 30
    format: str = "auto"  # auto | MJPG | YUYV
    # on-demand: open the camera only while an app reads Sketch Camera (where that can be
    # told: Linux's v4l2loopback), closed idle_after seconds after the last one left
    on_demand: bool = True
    idle_after: float = 5.0


@dataclass(frozen=True)
class OutputConfig:
    # auto = the v4l2loopback device labelled "Sketch Camera"; a tuple publishes to each
    device: str | tuple[str, ...] = "auto"
    width: int = 1280
    height: int = 720
    fps: int = 30
    format: str = "I420"  # I420 | YUYV | MJPG (Linux; never NV12: Chrome shows it grey)
    backend: str = "auto"  # auto: sketchd's V4L2 streaming producer on Linux, else pyvirtualcam
    mirror: bool = False

    @property
    def devices(self) -> tuple[str, ...]:
        return self.device if isinstance(self.device, tuple) else (self.device,)


@dataclass(frozen=True)
class SnapshotConfig:
    folder: str = "auto"  # auto = the user's Pictures/sketchd


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Config:
    camera: CameraConfig = field(default_factory=CameraConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    snapshots: SnapshotConfig = field(default_factory=SnapshotConfig)
    preset: str = "pencil"
    presets: dict[str, Preset] = field(default_factory=dict)


# section -> field -> Param-like check. Reuses the filter Param for uniform messages.
_SECTIONS: dict[str, dict[str, Param]] = {
    "camera": {
        "width": Param("int", "", 16, 7680),
        "height": Param("int", "", 16, 4320),
        "fps": Param("int", "", 1, 240),
        "format": Param("choice", "", choices=("auto", "MJPG", "YUYV")),
        "idle_after": Param("float", "", 0, 3600),
    },
    "output": {
        "width": Param("int", "", 16, 7680),
        "height": Param("int", "", 16, 4320),
        "fps": Param("int", "", 1, 120),
        "format": Param("choice", "", choices=("I420", "YUYV", "MJPG")),
        "backend": Param(
            "choice",
            "",
            choices=("auto", "v4l2", "pipewire", "v4l2loopback", "obs", "unitycapture"),
        ),
    },
    "snapshots": {},
}
_TOP_KEYS = ("camera", "output", "snapshots", "preset", "presets")
_STRING_FIELDS = {("camera", "device"), ("output", "device"), ("snapshots", "folder")}
_BOOL_FIELDS = {("output", "mirror"), ("camera", "on_demand")}


class _Problems:
    def __init__(self, lines: dict[str, int]):
        self.lines = lines
        self._found: list[tuple[float, str]] = []

    def add(self, path: str, message: str) -> None:
        line = self.lines.get(path)
        # one line per problem, whatever the keys hold: a key with a newline is shown escaped
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in f"{path}: {message}")
        text += f" (line {line})" if line else ""
        self._found.append((line or float("inf"), text))

    @property
    def items(self) -> list[str]:
        """Every problem, in file order (those from the defaults last)."""
        return [text for _, text in sorted(self._found, key=lambda item: item[0])]

    def unknown(self, path: str, key: Any, known) -> None:
        self.add(path, f"unknown key; {did_you_mean(key, known, 'expected one of ')}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _mapping(p: _Problems, path: str, value: Any) -> dict | None:
    if isinstance(value, dict):
        return value
    p.add(path, f"must be a mapping (key: value lines), not {_show(value)}")
    return None


def _section(p: _Problems, name: str, raw: Any, cls):
    data = _mapping(p, name, raw)
    if data is None:
        return cls()
    fields = _SECTIONS[name]
    known = list(cls.__dataclass_fields__)
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{name}.{key}"
        if key not in known:
            p.unknown(path, key, known)
        elif (name, key) in _BOOL_FIELDS:
            if isinstance(value, bool):
                out[key] = value
            else:
                p.add(path, f"must be true or false, not {_show(value)}")
        elif (name, key) in _STRING_FIELDS:
            if (name, key) in _DEVICE_CHECKS:
                checked, err = _DEVICE_CHECKS[name, key](value)
                if err:
                    p.add(path, err)
                else:
                    out[key] = checked
            elif isinstance(value, str) and value.strip():
                out[key] = value
            else:
                p.add(path, f"must be a non-empty string, not {_show(value)}")
        else:
            good, problem = fields[key].check(value)
            if problem:
                p.add(path, problem)
            else:
                out[key] = good
    return cls(**out)


MAX_OUTPUTS = 4


def output_device(value: Any) -> tuple[str | tuple[str, ...] | None, str]:
    """output.device checked → (a device, or a tuple of them, and "") or (None, what is wrong).

    A list publishes the same frames to each device: one per call app that should read
    "Sketch Camera" at the same time (v4l2loopback 0.12 breaks a second reader of one device).
    """
    if isinstance(value, str) and value.strip():
        return value, ""
    if (
        isinstance(value, list)
        and 1 <= len(value) <= MAX_OUTPUTS
        and all(isinstance(v, str) and v.strip() for v in value)
    ):
        if len(set(value)) == len(value):
            return (value[0] if len(value) == 1 else tuple(value)), ""
        return None, f"lists a device twice: {_show(value)}"
    return None, (
        f"must be 'auto', a device path, or a list of up to {MAX_OUTPUTS} device paths, "
        f"not {_show(value)}"
    )


CAMERA_DEVICE_FORMS = (
    "'auto', a camera index (0, 1 …), a path, a camera's name as `sketchd devices` lists it, "
    "or 'demo'"
)


def camera_device(value: Any) -> tuple[int | str | None, str]:
    """camera.device (and --camera) checked → (the value, "") or (None, what is wrong).
    A string of digits is an index; any other string not a keyword or a path is a name."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value, ""
    if not isinstance(value, str) or not value.strip():
        return None, f"must be {CAMERA_DEVICE_FORMS}, not {_show(value)}"
    if not value.isprintable():
        return None, f"must be one line of text, not {_show(value)}"
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text), ""
    low = text.lower()
    if low in ("auto", "demo") and value != low:
        return None, f"{_show(value)} is no keyword: did you mean {low!r} (lower case)?"
    node = low.removeprefix("dev/")
    if node.startswith("video") and node[5:].isascii() and node[5:].isdigit():
        return None, f"{_show(value)} is no path: did you mean '/dev/{node}'?"
    return value, ""


def _step(p: _Problems, path: str, raw: Any) -> Step | None:
    params: Any
    if isinstance(raw, str):
        name, params = raw, {}
    elif isinstance(raw, dict) and len(raw) == 1:
        name, params = next(iter(raw.items()))
        params = {} if params is None else params
    else:
        p.add(path, f"must be a filter name or {{filter: {{param: value}}}}, not {_show(raw)}")
        return None
    if name not in FILTERS:
        p.add(path, f"unknown filter {_show(name)}; {did_you_mean(name, FILTERS)}")
        return None
    spec = FILTERS[name]
    if not isinstance(params, dict):
        p.add(f"{path}.{name}", f"must be a mapping of parameters, not {_show(params)}")
        return None
    values = spec.defaults()
    ok = True
    for key, value in params.items():
        sub = f"{path}.{name}.{key}"
        if key not in spec.params:
            known = list(spec.params) or ["(this filter takes no parameters)"]
            p.unknown(sub, key, known)
            ok = False
            continue
        good, err = spec.params[key].check(value)
        if err:
            p.add(sub, err)
            ok = False
        else:
            values[key] = good
    return Step(name, values) if ok else None


def _preset(p: _Problems, name: str, raw: Any) -> Preset | None:
    path = f"presets.{name}"
    if not isinstance(name, str) or not name.strip():
        p.add(path, "a preset name must be a non-empty string")
        return None
    data = _mapping(p, path, raw)
    if data is None:
        return None
    description = ""
    steps: list[Step] = []
    ok = True
    for key, value in data.items():
        if key == "description":
            if isinstance(value, str):
                description = value
            else:
                p.add(f"{path}.description", f"must be text, not {_show(value)}")
        elif key == "chain":
            if not isinstance(value, list) or not value:
                p.add(f"{path}.chain", f"must be a non-empty list of filters, not {_show(value)}")
                ok = False
                continue
            for i, item in enumerate(value):
                step = _step(p, f"{path}.chain[{i}]", item)
                ok = ok and step is not None
                if step is not None:
                    steps.append(step)
        else:
            p.unknown(f"{path}.{key}", key, ["description", "chain"])
    if "chain" not in data:
        p.add(path, "has no 'chain' (the list of filters it applies)")
        return None
    return Preset(name, description, tuple(steps)) if ok else None


def validate(data: Any, lines: dict[str, int] | None = None) -> tuple[Config | None, list[str]]:
    """Check a whole config mapping → (Config, []) or (None, every problem found)."""
    p = _Problems(lines or {})
    if not isinstance(data, dict):
        p.add("(top level)", f"must be a mapping of sections, not {_show(data)}")
        return None, p.items
    for key in data:
        if key not in _TOP_KEYS:
            p.unknown(str(key), key, _TOP_KEYS)
    camera = _section(p, "camera", data.get("camera", {}), CameraConfig)
    output = _section(p, "output", data.get("output", {}), OutputConfig)
    for key in ("width", "height"):
        if getattr(output, key) % 2:  # I420 and YUYV need it; Chrome mutes odd-width I420
            p.add(f"output.{key}", f"must be even, not {getattr(output, key)}")
    snapshots = _section(p, "snapshots", data.get("snapshots", {}), SnapshotConfig)
    presets: dict[str, Preset] = {}
    raw_presets = _mapping(p, "presets", data.get("presets", {}))
    for name, raw in (raw_presets or {}).items():
        preset = _preset(p, name, raw)
        if preset is not None:
            presets[name] = preset
    active = data.get("preset", next(iter(raw_presets or {}), "pencil"))
    if not isinstance(active, str):
        p.add("preset", f"must be the name of a preset, not {_show(active)}")
    elif raw_presets and active not in raw_presets:  # none at all is reported below
        p.add("preset", no_preset(active, raw_presets))  # a name may be a number
    if not raw_presets and raw_presets is not None:
        p.add("presets", "must define at least one preset")
    if p.items:
        return None, p.items
    return Config(camera, output, snapshots, active, presets), []


def check_preset(raw: Any, name: str = "preset") -> tuple[Preset | None, list[str]]:
    """Validate one preset mapping on its own (for library use)."""
    p = _Problems({})
    preset = _preset(p, name, raw)
    return (preset if not p.items else None), p.items


_DEVICE_CHECKS: dict[tuple[str, str], Callable[[Any], tuple[Any, str]]] = {
    ("camera", "device"): camera_device,
    ("output", "device"): output_device,
}

"""``sketchd doctor``: what `sketchd run` needs, checked one by one, each with the command that
fixes it.

``run_checks`` returns ``Check`` values and prints nothing (the CLI prints ``report``). Checks
marked ``required`` decide whether `run` can work; the others (tray, autostart, exclusive_caps)
are worth fixing but `run` works without them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sketchd.config.schema import Config

log = logging.getLogger(__name__)

APPINDICATOR_PKG = "gir1.2-ayatanaappindicator3-0.1"


def __getattr__(name: str) -> str:
    """``doctor.MODPROBE`` and ``doctor.RELOAD``: the Linux commands, whose text lives with the
    rest of v4l2loopback's in platform/linux_v4l2 (imported only when asked: it needs fcntl)."""
    if name in ("MODPROBE", "RELOAD"):
        from sketchd.platform import linux_v4l2

        return str(getattr(linux_v4l2, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    summary: str
    fix: str = ""  # the exact command (or, where there is none, the action) that fixes it
    required: bool = True  # whether `sketchd run` cannot work while this fails
    details: tuple[str, ...] = ()


def run_checks(
    *,
    config_path: str | None = None,
    camera: int | str | None = None,
    output: str | None = None,
    timeout: float = 5.0,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Check]:
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    config_check, cfg = _config(config_path)
    if camera is not None:
        cfg = replace(cfg, camera=replace(cfg.camera, device=camera))
    if output is not None:
        cfg = replace(cfg, output=replace(cfg.output, device=output))
    checks = [config_check, _camera(cfg, timeout)]
    if platform.startswith("linux"):
        from sketchd import doctor_v4l2

        checks += doctor_v4l2.checks(cfg.output.devices)
    else:
        checks.append(_pyvirtualcam(cfg, platform))
    checks.append(_tray(platform, env))
    checks.append(_autostart(platform))
    return checks


def run_can_work(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)


def report(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    pad = " " * (width + 3)
    lines = []
    for c in checks:
        mark = "✓" if c.ok else "✗"
        summary = c.summary if c.required or c.ok else f"{c.summary} (optional)"
        first, *rest = summary.splitlines() or [""]
        lines.append(f"{mark} {c.name:<{width}} {first}")
        lines += [pad + r for r in rest]
        lines += [pad + "  " + d for d in c.details]
        if c.fix:
            fix_first, *fix_rest = c.fix.splitlines()
            lines.append(f"{pad}fix: {fix_first}")
            lines += [f"{pad}     {r}" for r in fix_rest]
    if run_can_work(checks):
        lines.append("→ `sketchd run` can work")
    else:
        failed = ", ".join(c.name for c in checks if c.required and not c.ok)
        lines.append(f"→ `sketchd run` cannot work until this is fixed: {failed}")
    return "\n".join(lines)


# ---------------------------------------------------------------- config


def _config(path: str | None) -> tuple[Check, Config]:
    from sketchd import config, paths
    from sketchd.config.schema import Config
    from sketchd.errors import ConfigError

    try:
        cfg, used = config.load(path)
    except ConfigError as e:
        n = len(e.problems)
        return Check(
            "config",
            False,
            f"{e.source}: {n} problem{'s' if n != 1 else ''}",
            fix=f"edit {e.source}, then check it with: sketchd config check {e.source}",
            details=tuple(e.problems),
        ), Config()
    if used is None:
        summary = f"built-in defaults (no file at {paths.config_file()})"
    else:
        summary = f"{used}: valid"
    return Check(
        "config", True, f"{summary}; {len(cfg.presets)} presets, active: {cfg.preset}"
    ), cfg


# ---------------------------------------------------------------- camera


def _camera(cfg: Config, timeout: float) -> Check:
    from sketchd.errors import CameraError
    from sketchd.sources.camera import probe_camera

    device = cfg.camera.device
    fix = "sketchd devices   # then: sketchd doctor --camera /dev/videoN"
    try:
        return Check("camera", True, probe_camera(cfg.camera, timeout))
    except CameraError as e:
        text = str(e)
        if "cannot be opened" in text and isinstance(device, str) and device.startswith("/dev/"):
            fix = f"fuser -v {device}   # shows the program holding it; close that program"
        return Check("camera", False, text, fix)
    except Exception as e:  # an OpenCV backend error, a driver fault …
        log.debug("doctor: camera probe failed", exc_info=True)
        return Check("camera", False, f"{device}: {type(e).__name__}: {e}", fix)


# ---------------------------------------------------------------- virtual camera


def _pyvirtualcam(cfg: Config, platform: str) -> Check:
    guide = "packaging/" + ("macos" if platform == "darwin" else "windows") + "/README.md"
    fix = (
        "install OBS Studio 26 or later (https://obsproject.com), click 'Start Virtual Camera' "
        f"once, then quit OBS; see {guide}"
    )
    try:
        import pyvirtualcam
    except ImportError:
        return Check("virtual camera", False, "pyvirtualcam is missing", "pip install sketchd")
    backend = None if cfg.output.backend == "auto" else cfg.output.backend
    try:
        with pyvirtualcam.Camera(width=64, height=48, fps=5, backend=backend) as cam:
            return Check("virtual camera", True, f"{cam.backend}: {cam.device}")
    except Exception as e:
        return Check("virtual camera", False, f"no virtual camera backend works: {e}", fix)


# ---------------------------------------------------------------- tray

# run in a child process: importing gi and probing typelibs must not touch this process
_TYPELIB_PROBE = """
import json, sys
out = {}
try:
    import gi
except ImportError:
    print(json.dumps(None)); sys.exit()
for ns, v in (("Gtk", "3.0"), ("AyatanaAppIndicator3", "0.1"), ("AppIndicator3", "0.1")):
    try:
        gi.require_version(ns, v); out[ns] = True
    except (ValueError, ImportError):
        out[ns] = False
print(json.dumps(out))
"""


def _typelibs() -> dict[str, bool] | None:
    """Which GObject typelibs load (None: no PyGObject)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _TYPELIB_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return json.loads(done.stdout or "null")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None


def _tray(platform: str, env: Mapping[str, str]) -> Check:
    def no(summary: str, fix: str = "") -> Check:
        return Check("tray", False, summary, fix, required=False)

    if importlib.util.find_spec("pystray") is None:
        return no("pystray is not installed", "pip install sketchd")
    if platform in ("win32", "darwin"):
        return Check("tray", True, "pystray is installed", required=False)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return no(
            "no display (DISPLAY and WAYLAND_DISPLAY are not set): sketchd runs without a tray",
            "run sketchd from a desktop session (or `sketchd autostart enable`)",
        )
    run = env.get("XDG_RUNTIME_DIR")
    if not env.get("DBUS_SESSION_BUS_ADDRESS") and not (run and Path(run, "bus").exists()):
        return no(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
            "run sketchd from a desktop session, or: dbus-run-session -- sketchd run",
        )
    libs = _typelibs()
    if libs is None:
        return no(
            "PyGObject (gi) is not installed for this Python",
            "sudo apt install libgirepository1.0-dev libcairo2-dev && pip install 'sketchd[tray]'",
        )
    if not libs.get("Gtk"):
        return no("GTK 3 introspection data is missing", "sudo apt install gir1.2-gtk-3.0")
    if libs.get("AyatanaAppIndicator3") or libs.get("AppIndicator3"):
        return Check("tray", True, "AppIndicator backend (menu on click)", required=False)
    return no(
        "no AppIndicator: the GTK fallback shows no icon on GNOME/KDE panels",
        f"sudo apt install {APPINDICATOR_PKG}",
    )


# ---------------------------------------------------------------- autostart


def _autostart(platform: str) -> Check:
    from sketchd.platform import autostart

    try:
        states = autostart.status(platform)
    except autostart.AutostartError as e:
        return Check("autostart", False, str(e), required=False)
    if not states:
        return Check("autostart", True, f"not supported on {platform}", required=False)
    active = [s for s in states if s.enabled]
    if not active:
        return Check(
            "autostart",
            True,
            "off: sketchd does not start at login (`sketchd autostart enable` turns it on)",
            required=False,
        )
    s = active[0]
    try:
        program = shlex.split(s.command)[0] if s.command else ""
    except ValueError:
        program = ""
    if program and os.path.isabs(program) and not os.path.exists(program):
        return Check(
            "autostart",
            False,
            f"{s.mechanism} entry {s.location} runs {program}, which is gone",
            "sketchd autostart enable   (rewrites it with this sketchd)",
            required=False,
        )
    more = f" (also on: {', '.join(x.mechanism for x in active[1:])})" if active[1:] else ""
    return Check("autostart", True, f"{s.mechanism}: {s.location}{more}", required=False)

"""The checks `sketchd doctor` runs on every OS: the config, the camera, pyvirtualcam (macOS,
Windows), the tray and autostart; each returns one ``Check`` and prints nothing. The Linux
virtual-camera checks are in doctor/v4l2.py."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sketchd.doctor.report import Check
from sketchd.platform import guide_for_os
from sketchd.platform.linux.desktop import NO_DISPLAY, NO_SESSION_BUS

if TYPE_CHECKING:
    from sketchd.config.schema import Config

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- config


def config_check(path: str | None) -> tuple[Check, Config]:
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


def camera_check(cfg: Config, timeout: float) -> Check:
    from sketchd.errors import CameraError
    from sketchd.sources import probe_camera

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


def pyvirtualcam_check(cfg: Config, platform: str) -> Check:
    fix = (
        "install OBS Studio 26 or later (https://obsproject.com), click 'Start Virtual Camera' "
        f"once, then quit OBS; see {guide_for_os(platform)}"
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

# run in a child process: importing gi and probing typelibs must not touch this process.
# argv[1]: the (namespace, version) pairs to try, as JSON
_TYPELIB_PROBE = """
import json, sys
try:
    import gi
except ImportError:
    print(json.dumps(None)); sys.exit()
out = {}
for ns, v in json.loads(sys.argv[1]):
    try:
        gi.require_version(ns, v); out[ns] = True
    except (ValueError, ImportError):
        out[ns] = False
print(json.dumps(out))
"""


def typelibs() -> dict[str, bool] | None:
    """Which of the tray's GObject typelibs load (None: no PyGObject)."""
    from sketchd.tray import TYPELIBS

    try:
        done = subprocess.run(
            [sys.executable, "-c", _TYPELIB_PROBE, json.dumps(TYPELIBS)],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return json.loads(done.stdout or "null")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None


_NO_SESSION_FIX = {
    NO_DISPLAY: "run sketchd from a desktop session (or `sketchd autostart enable`)",
    NO_SESSION_BUS: "run sketchd from a desktop session, or: dbus-run-session -- sketchd run",
}


def tray_check(platform: str, env: Mapping[str, str]) -> Check:
    """What the tray itself would choose here (sketchd.tray.choose_backend, with the typelibs
    probed in a child process), and the fix when that is no icon or one GNOME/KDE never show."""
    from sketchd import tray

    def no(summary: str, fix: str = "") -> Check:
        return Check("tray", False, summary, fix, required=False)

    if importlib.util.find_spec("pystray") is None:
        return no("pystray is not installed", "pip install sketchd")
    probed: list[dict[str, bool] | None] = []

    def has_typelib(namespace: str, version: str) -> bool:
        if not probed:  # once, and only once the tray asks (no session: never)
            probed.append(typelibs())
        libs = probed[0]
        return bool(libs and libs.get(namespace))

    backend, why = tray.choose_backend(env, platform, has_typelib)
    if backend == "appindicator":
        return Check("tray", True, "AppIndicator backend (menu on click)", required=False)
    if backend == "gtk":
        if any(has_typelib(*lib) for lib in tray.APPINDICATORS):  # PYSTRAY_BACKEND=gtk
            return no(
                f"GTK status icon ({why}): GNOME/KDE panels show no icon for it",
                "unset PYSTRAY_BACKEND (AppIndicator is installed)",
            )
        return no(
            "no AppIndicator: the GTK fallback shows no icon on GNOME/KDE panels",
            f"sudo apt install {tray.APPINDICATOR_PKG}",
        )
    if backend is not None:  # Windows, macOS
        return Check("tray", True, f"pystray is installed ({why})", required=False)
    if why in _NO_SESSION_FIX:
        return no(f"{why}: sketchd runs without a tray", _NO_SESSION_FIX[why])
    if probed and probed[0] is None:
        return no(
            "PyGObject (gi) is not installed for this Python",
            "sudo apt install libgirepository1.0-dev libcairo2-dev && pip install 'sketchd[tray]'",
        )
    return no("GTK 3 introspection data is missing", "sudo apt install gir1.2-gtk-3.0")


# ---------------------------------------------------------------- autostart


def autostart_check(platform: str) -> Check:
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

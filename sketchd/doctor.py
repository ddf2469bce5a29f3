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

from sketchd.devices import CARD_LABEL

log = logging.getLogger(__name__)

MODPROBE = (
    'sudo modprobe v4l2loopback devices=1 video_nr=10 card_label="Sketch Camera" exclusive_caps=1'
)
RELOAD = f"sudo modprobe -r v4l2loopback && {MODPROBE}"
INSTALL = "sudo apt install v4l2loopback-dkms"
AT_BOOT = "sudo packaging/linux/install.sh"
APPINDICATOR_PKG = "gir1.2-ayatanaappindicator3-0.1"


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
        checks += _linux_virtual_camera(cfg.output.device)
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


def _config(path: str | None):
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


def _camera(cfg, timeout: float) -> Check:
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


def _linux_virtual_camera(configured: str) -> list[Check]:
    from sketchd.platform import linux_v4l2 as v4l2

    checks = []
    if v4l2.module_loaded():
        params = v4l2.module_params()
        shown = {k: params[k] for k in ("devices", "exclusive_caps", "card_label") if k in params}
        summary = "loaded" + (
            " (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else ""
        )
        checks.append(Check("v4l2loopback", True, summary))
    else:
        checks.append(
            Check(
                "v4l2loopback",
                False,
                "the v4l2loopback kernel module is not loaded",
                f"{MODPROBE}\n(not installed? {INSTALL}; to load it at every boot: {AT_BOOT})",
            )
        )
    found = v4l2.list_devices()
    loopbacks = [d for d in found if d.loopback]
    if not checks[0].ok:
        pass  # no module, no loopback devices: the check above says what to do
    elif loopbacks:
        listed = ", ".join(f'{d.path} "{d.name}"' for d in loopbacks)
        checks.append(Check("loopback devices", True, listed))
    else:
        checks.append(
            Check(
                "loopback devices",
                False,
                "the module is loaded but made no device",
                RELOAD,
            )
        )
    checks += _output_device(configured, found, loopbacks)
    return checks


def _output_device(configured: str, found, loopbacks) -> list[Check]:
    from sketchd.platform import linux_v4l2 as v4l2

    labelled = [d for d in loopbacks if d.name == CARD_LABEL]
    if configured != "auto":
        dev = next((d for d in found if d.path == configured), None)
        use = labelled[0].path if labelled else (loopbacks[0].path if loopbacks else None)
        fix = f"sketchd run --output {use}" if use else MODPROBE
        if dev is None and not os.path.exists(configured):
            return [Check("virtual camera", False, f"{configured}: no such device", fix)]
        if dev is None or not dev.loopback:
            what = f"driver {dev.driver!r}" if dev and dev.driver else "not a video device"
            if dev and not dev.driver:
                what = f'"{dev.name}"' if dev.name else "unknown driver"
            return [
                Check(
                    "virtual camera",
                    False,
                    f"{configured} is not a v4l2loopback device ({what}): "
                    "sketchd can only publish to one",
                    fix,
                )
            ]
        chosen = dev
    elif labelled:
        chosen = labelled[0]
    elif len(loopbacks) == 1:
        chosen = loopbacks[0]
    elif loopbacks:
        listed = ", ".join(f'{d.path} "{d.name}"' for d in loopbacks)
        return [
            Check(
                "virtual camera",
                False,
                f'none is labelled "{CARD_LABEL}" among {listed}',
                f"sketchd run --output {loopbacks[0].path}   (or output.device in the config)",
            )
        ]
    else:
        return [
            Check(
                "virtual camera",
                False,
                "no virtual camera to publish to",
                MODPROBE,
            )
        ]
    where = f'{chosen.path} "{chosen.name}"'
    checks = [Check("virtual camera", True, f"{where}: sketchd publishes here")]
    excl = v4l2.exclusive_caps_for(chosen)
    if excl is False:
        checks.append(
            Check(
                "exclusive_caps",
                False,
                f"off for {chosen.path}: Chrome, Zoom and other WebRTC apps will not list it",
                RELOAD,
                required=False,
            )
        )
    else:
        said = "on" if excl else "cannot be told from the module's parameters"
        checks.append(Check("exclusive_caps", True, f"{said} for {chosen.path}", required=False))
    if chosen.name != CARD_LABEL:
        checks.append(
            Check(
                "card label",
                False,
                f'{chosen.path} is "{chosen.name}", not "{CARD_LABEL}": call apps list it so',
                RELOAD,
                required=False,
            )
        )
    return checks


def _pyvirtualcam(cfg, platform: str) -> Check:
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

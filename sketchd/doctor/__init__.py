"""``sketchd doctor``: what `sketchd run` needs, checked one by one, each with the command that
fixes it.

``run_checks`` returns ``Check`` values and prints nothing (the CLI prints ``report``). Checks
marked ``required`` decide whether `run` can work; the others (tray, autostart, exclusive_caps)
are worth fixing but `run` works without them. ``report.py`` holds ``Check`` and the wording,
``checks.py`` the checks every OS runs, ``v4l2.py`` the Linux virtual-camera checks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from sketchd.doctor import checks as common
from sketchd.doctor.report import Check, report, run_can_work
from sketchd.platform import current, is_linux

__all__ = ["Check", "report", "run_can_work", "run_checks"]


def __getattr__(name: str) -> str:
    """``doctor.MODPROBE`` and ``doctor.RELOAD``: the Linux commands, whose text lives with the
    rest of v4l2loopback's in platform/linux/v4l2 (imported only when asked: it needs fcntl)."""
    if name in ("MODPROBE", "RELOAD"):
        from sketchd.platform.linux import v4l2 as linux_v4l2

        return str(getattr(linux_v4l2, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_checks(
    *,
    config_path: str | None = None,
    camera: int | str | None = None,
    output: str | None = None,
    timeout: float = 5.0,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Check]:
    platform = current() if platform is None else platform
    env = os.environ if env is None else env
    config_check, cfg = common.config_check(config_path)
    if camera is not None:
        cfg = replace(cfg, camera=replace(cfg.camera, device=camera))
    if output is not None:
        cfg = replace(cfg, output=replace(cfg.output, device=output))
    checks = [config_check, common.camera_check(cfg, timeout)]
    if is_linux(platform):
        from sketchd.doctor import pipewire, v4l2  # fcntl, ioctls: Linux only

        node, loopback = _outputs(cfg.output.devices, cfg.output.backend)
        found = v4l2.checks(loopback or ("auto",))
        if not loopback:  # only the PipeWire node: v4l2loopback is for other apps
            found = [replace(c, required=False) for c in found]
        checks += found + pipewire.checks(node, bool(loopback))
    else:
        checks.append(common.pyvirtualcam_check(cfg, platform))
    checks.append(common.tray_check(platform, env))
    checks.append(common.autostart_check(platform))
    return checks


def _outputs(configured: tuple[str, ...], backend: str) -> tuple[bool, tuple[str, ...]]:
    """Whether the config publishes sketchd's PipeWire node, and the v4l2loopback outputs it
    names (each "auto" or a path) — "auto" is the node only where no loopback device exists."""
    from sketchd import devices
    from sketchd.errors import OutputError

    if devices.is_pipewire(None, backend):
        return True, ()
    node, loopback = False, []
    for device in configured:
        try:
            resolved = devices.output_device(device)
        except OutputError:
            resolved = device  # no device at all: the v4l2loopback checks say why
        if resolved == devices.PIPEWIRE:
            node = True
        else:
            loopback.append(device)
    return node, tuple(loopback)

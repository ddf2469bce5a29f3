"""Which cameras and virtual cameras this machine has, per OS, chosen in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sketchd.errors import OutputError
from sketchd.platform import CARD_LABEL, guide_for_os, is_linux


@dataclass(frozen=True)
class Device:
    path: str
    name: str
    kind: str  # "camera" | "virtual"
    note: str = ""
    bus_info: str = ""  # where it is plugged in (Linux: QUERYCAP bus_info)
    by_id: str = ""  # a stable link to it (Linux: /dev/v4l/by-id/...), "" when none


def cameras() -> list[Device]:
    """Physical cameras (Linux: V4L2 capture devices that are not loopback devices)."""
    if not is_linux():
        return []
    from sketchd.platform.linux import v4l2 as linux_v4l2

    return [
        Device(d.path, d.name, "camera", d.driver, d.bus_info, d.by_id)
        for d in linux_v4l2.list_devices()
        if not d.loopback and d.capture
    ]


def named_cameras() -> list[Device]:
    """Every device a camera name may pick: the physical cameras, and the loopback devices
    (kind "virtual"), since a loopback device fed by another program (OBS, ffmpeg) is a camera
    too when it is named. A loopback device may not deliver a picture yet: opening it says so."""
    if not is_linux():
        return []
    from sketchd.platform.linux import v4l2 as linux_v4l2

    return [
        Device(d.path, d.name, "virtual" if d.loopback else "camera", d.driver, d.bus_info, d.by_id)
        for d in linux_v4l2.list_devices()
        if d.loopback or d.capture
    ]


def virtual_cameras() -> list[Device]:
    """Virtual camera devices sketchd can publish to (Linux: v4l2loopback devices)."""
    if not is_linux():
        return []
    from sketchd.platform.linux import v4l2 as linux_v4l2

    out = []
    for d in linux_v4l2.list_devices():
        if d.loopback:
            excl = linux_v4l2.exclusive_caps_for(d)
            note = {True: "exclusive_caps=1", False: "exclusive_caps=0", None: ""}[excl]
            out.append(Device(d.path, d.name, "virtual", note, d.bus_info, d.by_id))
    return out


def describe_cameras() -> str:
    if not is_linux():
        return "Cameras are picked by index (0 = the first camera)."
    found = cameras()
    if not found:
        return "No camera found (nothing in /sys/class/video4linux besides virtual cameras)."
    listed = ", ".join(f"{d.path} {quoted(d.name)}" for d in found)
    return f"Cameras found: {listed}."


def quoted(name: str) -> str:
    """A device name as it can be pasted into the config (a YAML string) and a shell command."""
    return json.dumps(name, ensure_ascii=False)


def install_hint() -> str:
    """What to install for a virtual camera on this OS. On Linux with v4l2loopback not
    loaded, why (never installed, never built for this kernel, Secure Boot, a container) and
    that cause's own fix: never "install it" to a user who just did."""
    if is_linux():
        from sketchd.platform.linux import v4l2 as linux_v4l2

        if not linux_v4l2.module_loaded():
            from sketchd.platform.linux.module import why_not_loaded

            cause = why_not_loaded()
            return f"{cause.problem}.\nFix: {cause.fix}"
        return linux_v4l2.INSTALL_HINT
    return (
        "install OBS Studio (version 26 or later) and start its Virtual Camera once; "
        f"sketchd then publishes through it (see {guide_for_os()})"
    )


PIPEWIRE = "pipewire"  # output.device's name for sketchd's own PipeWire camera node


def is_pipewire(device: str | None, backend: str) -> bool:
    """Whether an output (a resolved output.device entry, with output.backend) is sketchd's own
    PipeWire node: named so, or every output is one with ``backend: pipewire``."""
    return device == PIPEWIRE or backend == PIPEWIRE


def output_device(configured: str) -> str | None:
    """The device to publish to: the configured path, or on Linux the loopback device labelled
    "Sketch Camera" (else the only loopback device), else sketchd's PipeWire node ("pipewire")
    where PipeWire runs and no v4l2loopback device exists. None lets pyvirtualcam choose
    (Windows, macOS). Raises OutputError with what to install when there is none."""
    if configured != "auto":
        return configured
    if not is_linux():
        return None
    found = virtual_cameras()
    if not found and pipewire_camera_possible():
        return PIPEWIRE
    labelled = [d for d in found if d.name == CARD_LABEL]
    if labelled:
        return labelled[0].path
    if len(found) == 1:
        return found[0].path
    if found:
        listed = ", ".join(f"{d.path} ({d.name})" for d in found)
        raise OutputError(
            f'no virtual camera is labelled "{CARD_LABEL}" among {listed}; pick one with '
            "--output /dev/videoN (or output.device in the config)"
        )
    raise OutputError(f"no virtual camera found: {install_hint()}")


def pipewire_camera_possible() -> bool:
    """Whether sketchd's own PipeWire camera can be published here (PipeWire runs for this
    user and GStreamer's PipeWire plugin is installed)."""
    from sketchd.platform.linux import pipewire as linux_pipewire

    return linux_pipewire.running() and not linux_pipewire.gst_missing()

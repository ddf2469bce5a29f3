"""``devices``: the cameras and virtual cameras found, and which ones ``sketchd run`` would
use."""

from __future__ import annotations

import contextlib

from sketchd.cli.registry import command, config_arg, load


@command("devices", "list cameras and virtual cameras, and which ones sketchd would use")
def _devices_args(p):
    config_arg(p)


@_devices_args.handler
def _devices(args) -> int:
    from sketchd import devices
    from sketchd.errors import CameraError, OutputError
    from sketchd.sources.camera import resolve_device

    cfg = load(args)
    cams, virt = devices.cameras(), devices.virtual_cameras()
    try:
        cam = resolve_device(cfg.camera.device)
    except CameraError:
        cam = None
    cam_path = f"/dev/video{cam}" if isinstance(cam, int) else cam
    outs: list[str | None] = []
    for configured in cfg.output.devices:
        with contextlib.suppress(OutputError):
            outs.append(devices.output_device(configured))
    print("Cameras (camera.device or --camera takes the path, or the name as quoted here):")
    for d in cams:
        print(_device_line(d, d.path == cam_path))
    if not cams:
        print(f"   (none) {devices.describe_cameras()}")
    print("Virtual cameras:")
    for d in virt:
        used = " (read as the camera)" if d.path == cam_path else ""
        print(_device_line(d, d.path in (*outs, cam_path), used))
    if not virt:
        print(f"   (none) {devices.install_hint()}")
    _pipewire(devices.PIPEWIRE in outs or devices.is_pipewire(None, cfg.output.backend))
    print("* = what `sketchd run` would use with this config")
    return 0


def _device_line(d, marked: bool, extra: str = "") -> str:
    """` * /dev/video0     "HD Pro Webcam C920"  bus usb-0000:00:14.0-1  [uvcvideo]` and, when
    udev made one, its /dev/v4l/by-id link on the next line."""
    from sketchd.devices import quoted

    line = f" {'*' if marked else ' '} {d.path:<14} {quoted(d.name)}"
    line += f"  bus {d.bus_info}" if d.bus_info else ""
    line += (f"  [{d.note}]" if d.note else "") + extra
    return line + (f"\n   {'':<14} {d.by_id}" if d.by_id else "")


def _pipewire(publishes: bool) -> None:
    """The cameras PipeWire lists (what Flatpak apps, OBS's PipeWire source and the camera
    portal offer), sketchd's own node marked when the config publishes it."""
    from sketchd.platform import is_linux

    if not is_linux():
        return
    from sketchd.devices import quoted
    from sketchd.platform.linux import pipewire as pw

    print("PipeWire cameras (what apps that use PipeWire or the camera portal list):")
    if not pw.running():
        print("   (PipeWire is not running for this user)")
        return
    nodes = pw.video_sources(pw.dump() or [])
    for n in nodes:
        ours = n.name == pw.NODE_NAME
        where = n.device or ("sketchd's own node" if ours else f"pid {n.pid}" if n.pid else "")
        print(
            f" {'*' if ours and publishes else ' '} node {n.id:<9} {quoted(n.description)}  {where}"
        )
    if not nodes:
        note = "sketchd's node appears while `sketchd run` publishes it" if publishes else ""
        print(f"   (none) {note}".rstrip())

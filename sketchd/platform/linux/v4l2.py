"""Linux video devices from /sys/class/video4linux and VIDIOC_QUERYCAP (no extra packages)."""

from __future__ import annotations

import fcntl
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SYS_CLASS = Path("/sys/class/video4linux")
SYS_MODULE = Path("/sys/module/v4l2loopback")
BY_ID = Path("/dev/v4l/by-id")
LOOPBACK_DRIVER = "v4l2 loopback"

# struct v4l2_capability: driver[16] card[32] bus_info[32] version capabilities device_caps res[3]
_CAP = struct.Struct("16s32s32sIII3I")
VIDIOC_QUERYCAP = 0x80000000 | (_CAP.size << 16) | (ord("V") << 8) | 0
CAP_VIDEO_CAPTURE = 0x00000001
CAP_VIDEO_OUTPUT = 0x00000002
CAP_DEVICE_CAPS = 0x80000000


@dataclass(frozen=True)
class VideoDevice:
    path: str  # /dev/videoN
    name: str  # card label, e.g. "Sketch Camera"
    driver: str  # e.g. "uvcvideo", "v4l2 loopback" ("" when the node could not be queried)
    loopback: bool
    capture: bool  # can be read (a webcam, or a loopback device with a producer)
    output: bool  # can be written (a loopback device)
    bus_info: str = ""  # VIDIOC_QUERYCAP bus_info, e.g. "usb-0000:00:14.0-1" (the port)
    by_id: str = ""  # its /dev/v4l/by-id/ link (udev's name from vendor, model, serial)

    @property
    def number(self) -> int:
        m = re.search(r"(\d+)$", self.path)
        return int(m.group(1)) if m else -1


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def querycap(dev: str) -> tuple[str, str, int] | None:
    """(driver, card, device caps) of a V4L2 node, or None when it cannot be opened."""
    cap = capability(dev)
    return None if cap is None else (cap[0], cap[1], cap[3])


def capability(dev: str) -> tuple[str, str, str, int] | None:
    """(driver, card, bus_info, device caps) of a V4L2 node (VIDIOC_QUERYCAP), or None when it
    cannot be opened."""
    try:
        fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        try:
            fd = os.open(dev, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return None
    try:
        buf = bytearray(_CAP.size)
        fcntl.ioctl(fd, VIDIOC_QUERYCAP, buf)
    except OSError:
        return None
    finally:
        os.close(fd)
    driver, card, bus, _ver, caps, dcaps, *_ = _CAP.unpack(bytes(buf))
    use = dcaps if caps & CAP_DEVICE_CAPS else caps
    return (_text(driver), _text(card), _text(bus), use)


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode(errors="replace")


def by_id_links(by_id_dir: Path = BY_ID) -> dict[str, str]:
    """/dev/videoN (its real path) -> its /dev/v4l/by-id/ link, as udev made them ({} without
    udev). A camera keeps its by-id name across ports and replugs; its number may change."""
    try:
        links = sorted(by_id_dir.iterdir())
    except OSError:
        return {}
    out: dict[str, str] = {}
    for link in links:
        out.setdefault(os.path.realpath(link), str(link))
    return out


def list_devices(
    sys_class: Path = SYS_CLASS,
    dev_dir: str = "/dev",
    by_id_dir: Path = BY_ID,
    query: Callable[[str], tuple[str, str, str, int] | None] = capability,
) -> list[VideoDevice]:
    """Every /dev/videoN the kernel knows, in number order."""
    if not sys_class.is_dir():
        return []
    links = by_id_links(by_id_dir)
    found = []
    for entry in sys_class.iterdir():
        if not entry.name.startswith("video"):
            continue
        path = f"{dev_dir}/{entry.name}"
        name = _read(entry / "name")
        # v4l2loopback devices are virtual and expose max_openers; real cameras are neither
        sys_loopback = "/virtual/" in str(entry.resolve()) and (entry / "max_openers").exists()
        cap = query(path)
        driver = cap[0] if cap else ""
        caps = cap[3] if cap else 0
        loopback = sys_loopback or driver == LOOPBACK_DRIVER
        found.append(
            VideoDevice(
                path=path,
                name=name or (cap[1] if cap else ""),
                driver=driver,
                loopback=loopback,
                capture=bool(caps & CAP_VIDEO_CAPTURE) or (loopback and not cap),
                output=bool(caps & CAP_VIDEO_OUTPUT) or loopback,
                bus_info=cap[2] if cap else "",
                by_id=links.get(os.path.realpath(path), ""),
            )
        )
    return sorted(found, key=lambda d: d.number)


def module_loaded(sys_module: Path = SYS_MODULE) -> bool:
    return sys_module.is_dir()


def module_params(sys_module: Path = SYS_MODULE) -> dict[str, str]:
    """v4l2loopback's parameters as the kernel has them (exclusive_caps, video_nr …)."""
    params = sys_module / "parameters"
    if not params.is_dir():
        return {}
    return {p.name: _read(p) for p in sorted(params.iterdir())}


def exclusive_caps_for(device: VideoDevice, sys_module: Path = SYS_MODULE) -> bool | None:
    """Whether exclusive_caps is on for this loopback device (None when it cannot be told)."""
    params = module_params(sys_module)
    nrs = [x.strip() for x in params.get("video_nr", "").split(",")]
    flags = [x.strip() for x in params.get("exclusive_caps", "").split(",")]
    if str(device.number) in nrs:
        i = nrs.index(str(device.number))
        if i < len(flags):
            return flags[i] in ("Y", "1")
    return None


# sketchd's devices: "Sketch Camera" at /dev/video10 and "Sketch Camera 2" at /dev/video12, for a
# second call app at once (one device serves one call app; 0.12 ends the other reader's stream).
# exclusive_caps=1: Chrome, Zoom and other WebRTC apps list only such devices. The same options
# are in packaging/linux/modprobe.d; per-release fixes are in platform/linux/loopback.py.
MODPROBE_OPTIONS = (
    'devices=2 video_nr=10,12 card_label="Sketch Camera,Sketch Camera 2" exclusive_caps=1,1'
)
MODPROBE = f"sudo modprobe v4l2loopback {MODPROBE_OPTIONS}"
RELOAD = f"sudo modprobe -r v4l2loopback && {MODPROBE}"

INSTALL_HINT = (
    "install and load v4l2loopback:\n"
    "  sudo apt install v4l2loopback-dkms\n"
    f"  {MODPROBE}\n"
    "or run packaging/linux/install.sh once, which also loads it at every boot"
)

"""Per-OS pieces, each in its own module, chosen in one place (``sketchd.devices`` etc.)."""

from __future__ import annotations

import sys

# the card label of sketchd's v4l2loopback device (Linux): call apps list the camera by it, and
# devices.py picks the device to publish to by it
CARD_LABEL = "Sketch Camera"


def tune_memory() -> bool:
    """Let the C allocator keep frame-sized buffers between frames, where we know how
    (glibc on Linux: platform/linux/malloc.py). True when something was set."""
    if sys.platform.startswith("linux"):
        from sketchd.platform.linux import malloc as linux_malloc

        return linux_malloc.keep_frame_buffers()
    return False


def current() -> str:
    """This OS as Python names it (``sys.platform``). Functions that take a ``platform`` take
    this kind of name, so that tests can hand them another OS; None means this one."""
    return sys.platform


def name(platform: str | None = None) -> str:
    """The OS's short name: "linux", "macos", "windows", else its ``sys.platform`` name."""
    platform = current() if platform is None else platform
    if platform.startswith("linux"):
        return "linux"
    return {"darwin": "macos", "win32": "windows"}.get(platform, platform)


def is_linux(platform: str | None = None) -> bool:
    return name(platform) == "linux"


def is_macos(platform: str | None = None) -> bool:
    return name(platform) == "macos"


def is_windows(platform: str | None = None) -> bool:
    return name(platform) == "windows"


def guide_for_os(platform: str | None = None) -> str:
    """The setup guide for this OS in the repository. Other OSes get the Windows one: they have
    no v4l2loopback, and it explains OBS's virtual camera, which pyvirtualcam publishes to."""
    folder = name(platform)
    return f"packaging/{folder if folder in ('linux', 'macos') else 'windows'}/README.md"


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB, from getrusage: its ru_maxrss is in bytes
    on macOS and in KiB on Linux and the other Unixes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if is_macos() else 1024.0)

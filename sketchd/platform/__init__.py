"""Per-OS pieces, each in its own module, chosen in one place (``sketchd.devices`` etc.)."""

from __future__ import annotations

import os
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


# OpenCV's worker threads spin (sched_yield) for a while after every parallel call, and so
# does the caller: at 30 calls of a few hundred microseconds a frame that spinning was a sixth
# of the daemon's CPU (720p, pencil: 13.9 % of a core against 11.6 % without it), for no
# frame sooner. Read once, when OpenCV loads.
QUIET_THREAD_POOL = {
    "OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER": "0",
    "OPENCV_THREAD_POOL_ACTIVE_WAIT_MAIN": "0",
}


def quiet_thread_pool() -> bool:
    """OpenCV's worker threads sleep between frames instead of spinning (the user's own
    settings of those variables win). Must run before OpenCV is first imported: True when it
    did, False when cv2 was already loaded (then it changes nothing)."""
    if "cv2" in sys.modules:
        return False
    for key, value in QUIET_THREAD_POOL.items():
        os.environ.setdefault(key, value)
    return True


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

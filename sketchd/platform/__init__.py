"""Per-OS pieces, each in its own module, chosen in one place (``sketchd.devices`` etc.)."""

from __future__ import annotations

import sys


def tune_memory() -> bool:
    """Let the C allocator keep frame-sized buffers between frames, where we know how
    (glibc on Linux: platform/linux_malloc.py). True when something was set."""
    if sys.platform.startswith("linux"):
        from sketchd.platform import linux_malloc

        return linux_malloc.keep_frame_buffers()
    return False


def is_linux() -> bool:
    return sys.platform.startswith("linux")

"""What a desktop test reads off the screen and out of /proc about a window it did not draw:
slider handles by their colour, a window's geometry, a process's open device files."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def _accent(png: Path, box: tuple[int, int, int, int]):
    """The connected areas of the Sun Valley theme's accent blue (#005fb8) in ``box``."""
    x0, y0, x1, y1 = box
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)[y0:y1, x0:x1]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    blue = ((b > 150) & (r < 60) & (g > 60) & (g < 140)).astype(np.uint8)
    return cv2.connectedComponentsWithStats(blue)


def accent_boxes(png: Path, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the filled accent areas (a selected button) in ``box``, largest first."""
    n, _, stats, _ = _accent(png, box)
    found = sorted(range(1, n), key=lambda i: -stats[i, 4])
    return [(int(stats[i, 0]) + box[0], int(stats[i, 1]) + box[1], int(stats[i, 2]),
             int(stats[i, 3])) for i in found]  # fmt: skip


def accent_blobs(png: Path, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """Centres (x, y) of the round slider handles drawn in the accent colour inside ``box``
    = (x0, y0, x1, y1) of screenshot ``png``, top row first."""
    x0, y0 = box[:2]
    n, _, stats, centres = _accent(png, box)
    found = []
    for i in range(1, n):
        w, h, area = stats[i, 2], stats[i, 3], stats[i, 4]
        if 8 <= w <= 24 and 8 <= h <= 24 and area >= 0.5 * w * h:  # a filled disc
            found.append((int(centres[i][0]) + x0, int(centres[i][1]) + y0))
    return sorted(found, key=lambda c: (c[1] // 6, c[0]))


def geometry(window_info: str) -> tuple[int, int, int, int]:
    """(x, y, w, h) from `xdotool getwindowgeometry --shell`'s output."""
    g = dict(line.split("=", 1) for line in window_info.split())
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def pids_running(*words: str) -> list[int]:
    """The processes whose command line holds all ``words`` (as separate arguments)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if all(w.encode() in argv for w in words):
            found.append(int(d.name))
    return found


def open_devices(pid: int, prefix: str = "/dev/video") -> list[str]:
    """The files under ``prefix`` that process ``pid`` holds open."""
    out = []
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(prefix):
            out.append(target)
    return out

"""Driving the desktop the way a person would: find the tray icon, click it, read the menu
popup's geometry, click a row, take screenshots. xdotool/xwininfo/xprop/import underneath."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from sketchd.tray import model

ROW = 25  # px per menu row in GTK3's default theme (Adwaita, DejaVu Sans 10)
PAD = 4  # px above the first row and below the last


def sh(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout


def wait(check, timeout: float, what: str, step: float = 0.1):
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(step)


# -- the tray


def tray_area() -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the tray holding the icon(s): xfce4-panel's systray plugin socket
    (1 px wide while empty) or trayer's panel."""
    tree = sh("xwininfo", "-root", "-tree").splitlines()
    geom = re.compile(r" (\d+)x(\d+)\+(-?\d+)\+(-?\d+) +\+(-?\d+)\+(-?\d+)")
    for i, line in enumerate(tree):
        if '("xfce4-panel" "Xfce4-panel")' in line and "children:" in "".join(tree[i + 1 : i + 2]):
            m = geom.search(tree[i + 2])
        elif '("panel" "trayer")' in line:
            m = geom.search(line)
        else:
            continue
        if m:
            w, h, _, _, x, y = map(int, m.groups())
            return x, y, w, h
    return None


def icon_docked() -> tuple[int, int, int, int] | None:
    area = tray_area()
    return area if area and area[2] >= 16 else None


def icon_centre() -> tuple[int, int]:
    x, y, w, h = wait(icon_docked, 15, "the sketchd icon docked in the tray")
    return x + w // 2, y + h // 2


def click(x: int, y: int, button: int = 1) -> None:
    sh("xdotool", "mousemove", str(x), str(y))
    time.sleep(0.15)
    sh("xdotool", "click", str(button))


# -- the menu


def menu_geometry() -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the visible popup menu, or None."""
    for w in sh("xdotool", "search", "--onlyvisible", "--name", "").split():
        if "POPUP_MENU" not in sh("xprop", "-id", w, "_NET_WM_WINDOW_TYPE"):
            continue
        g = dict(
            line.split("=", 1) for line in sh("xdotool", "getwindowgeometry", "--shell", w).split()
        )
        if int(g["HEIGHT"]) > 60:
            return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])
    return None


def open_menu(button: int, tries: int = 3) -> tuple[int, int, int, int]:
    """Click the icon until its menu shows, as a person would click again. The first click
    can land while the panel is still fetching the menu over D-Bus (seen on a loaded
    machine); a tray that never opens it still fails after ``tries`` clicks."""
    for attempt in range(1, tries + 1):
        x, y = icon_centre()
        click(x, y, button)
        try:
            geom = wait(menu_geometry, 5, f"the menu opened ({tries} clicks)")
        except AssertionError:
            if attempt == tries:
                raise
            continue
        time.sleep(0.3)  # let it draw
        return geom
    raise AssertionError("unreachable")


def close_menu() -> None:
    sh("xdotool", "key", "Escape")
    wait(lambda: menu_geometry() is None, 3, "the menu closed")


def row_centres(presets, height: int) -> dict[str, int]:
    """Item id → y of its row's centre below the menu's top, from the menu model itself
    (separators take what the rows leave of the height)."""
    items = model.items(model.View(preset=presets[0], presets=tuple(presets)))
    rows = sum(1 for i in items if i.kind != "separator")
    seps = len(items) - rows
    sep = (height - 2 * PAD - rows * ROW) / max(seps, 1)
    y, out = float(PAD), {}
    for i in items:
        if i.kind == "separator":
            y += sep
        else:
            out[i.id] = round(y + ROW / 2)
            y += ROW
    return out


def pick(item_id: str, presets, geom) -> None:
    mx, my, _mw, mh = geom
    click(mx + 60, my + row_centres(presets, mh)[item_id])


def marked(shot: Path, item_id: str, presets, geom) -> bool:
    """Whether the radio dot / check mark of ``item_id`` is drawn in screenshot ``shot``."""
    mx, my, _mw, mh = geom
    y = my + row_centres(presets, mh)[item_id]
    img = Image.open(shot).convert("L")
    # the indicator sits in the first ~25 px of the row: count dark pixels there
    dark = sum(
        img.getpixel((x, yy)) < 100 for x in range(mx + 6, mx + 24) for yy in range(y - 5, y + 6)
    )
    return dark > 35  # outlines alone: 12-20 dark pixels; a dot or tick: 50+


def screenshot(path: Path, crop: tuple[int, int, int, int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sh("import", "-window", "root", str(path))
    if crop:
        Image.open(path).crop(crop).save(path)
    return path


def notification_shot(path: Path) -> Path:
    """The bottom-left corner, where the session's dunst shows notifications."""
    screenshot(path)
    img = Image.open(path)
    img.crop((0, img.height - 150, 460, img.height)).save(path)
    return path


# -- the daemon


def private_env(root: Path) -> dict[str, str]:
    """The desktop's DISPLAY and session bus, with a private home for sketchd."""
    run = Path(tempfile.mkdtemp(prefix="sketchd-run-"))
    run.chmod(0o700)
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    env.update(
        HOME=str(root),
        XDG_CONFIG_HOME=str(root / ".config"),
        XDG_STATE_HOME=str(root / ".local/state"),
        XDG_DATA_HOME=str(root / ".local/share"),
        XDG_CACHE_HOME=str(root / ".cache"),
        XDG_PICTURES_DIR=str(root / "Pictures"),
        XDG_RUNTIME_DIR=str(run),
    )
    root.mkdir(parents=True, exist_ok=True)
    return env


class Daemon:
    """A real `sketchd run` in a subprocess, and the CLI to talk to it."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        self.env, self.log = env, log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sketchd", "run", "-v", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sketchd", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def status(self) -> dict:
        r = self.cli("status", "--json")
        assert r.returncode == 0, r.stderr + self.text()
        return json.loads(r.stdout)

    def text(self) -> str:
        return self.log.read_text()

    def wait_log(self, needle: str, timeout: float = 20) -> None:
        def seen():
            assert self.proc.poll() is None, f"the daemon exited:\n{self.text()}"
            return needle in self.text()

        wait(seen, timeout, f"{needle!r} in the daemon's log")

    def wait_status(self, check, timeout: float, what: str) -> float:
        t0 = time.monotonic()
        wait(lambda: check(self.status()), timeout, what, step=0.05)
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

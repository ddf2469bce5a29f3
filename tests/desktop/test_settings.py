"""The settings window on a real desktop, opened from the tray: live frames from the daemon's
own stream, a slider dragged with the mouse changes the published picture, Save writes the
new value into the config file with its comments, and the window never holds a camera.
Screenshots go to $SKETCHD_SCREENSHOTS (e.g. docs/) or the desktop session's scratch folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageStat

from sketchd import control
from tests.desktop import desk
from tests.helpers import screen

TITLE = "sketchd settings"


@pytest.fixture
def shots(tmp_path) -> Path:
    where = os.environ.get("SKETCHD_SCREENSHOTS") or os.environ.get("DESKTOP_SESSION_OUT")
    return Path(where) if where else tmp_path


def windows() -> list[str]:
    return desk.sh("xdotool", "search", "--onlyvisible", "--name", f"^{TITLE}$").split()


def brightness(d: desk.Daemon, n: int = 3) -> float:
    """The published picture's mean gray level over ``n`` snapshots (the demo scene moves)."""
    means = []
    for _ in range(n):
        png = Path(d.cli("snapshot").stdout.strip())
        means.append(float(np.asarray(Image.open(png).convert("L")).mean()))
    return float(np.mean(means))


def test_settings_window_from_the_tray(tmp_path, shots):
    env = desk.private_env(tmp_path / "home")
    env["PYSTRAY_BACKEND"] = "appindicator"
    sock = Path(env["XDG_RUNTIME_DIR"]) / "sketchd" / control.SOCKET_NAME
    config = Path(env["XDG_CONFIG_HOME"]) / "sketchd" / "sketchd.yaml"
    d = desk.Daemon(env, tmp_path / "daemon.log", "--camera", "demo", "--output", "null")
    notes = ["sketchd run --camera demo --output null; no config file yet"]
    try:
        d.wait_log("tray: appindicator backend", 30)
        d.wait_status(lambda s: s["camera"] == "live", 30, "the demo camera live")
        presets = d.status()["presets"]
        click_settings(d, presets, 1)
        win = desk.wait(windows, 30, "the settings window")[0]
        x, y, w, h = screen.geometry(desk.sh("xdotool", "getwindowgeometry", "--shell", win))
        notes.append(f"Settings… → window {w}x{h} at {x},{y}")
        desk.sh("xdotool", "mousemove", "0", str(y + h + 20))  # no tooltip in the pictures

        # live frames: two screenshots of the preview differ (the demo scene moves)
        preview = (x + 230, y, x + w, y + h // 2)
        desk.wait(lambda: pids_ready(env), 10, "the window's process")
        time.sleep(1.5)
        a = desk.screenshot(tmp_path / "a.png", crop=preview)
        time.sleep(0.6)
        b = desk.screenshot(tmp_path / "b.png", crop=preview)
        moved = sum(ImageStat.Stat(ImageChops.difference(Image.open(a), Image.open(b))).mean)
        assert moved > 1, f"the preview did not change ({moved:.2f})"
        notes.append(f"preview: two screenshots 0.6 s apart differ by {moved:.1f} levels")
        desk.screenshot(shots / "settings.png", crop=(x, y, x + w, y + h))

        # a slider dragged with the mouse: the pencil step's blur (the top row's last handle)
        full = desk.screenshot(tmp_path / "full.png")
        handles = screen.accent_blobs(full, (x + 230, y + h // 2, x + w, y + h - 40))
        top = [c for c in handles if abs(c[1] - handles[0][1]) <= 4]
        hx, hy = top[-1]
        before = brightness(d)
        steps = [("mousemove", hx, hy), ("mousedown", 1)]
        steps += [("mousemove", hx + dx, hy) for dx in range(20, 101, 20)] + [("mouseup", 1)]
        for step in steps:
            desk.sh("xdotool", *map(str, step))
            time.sleep(0.1)
        blur = desk.wait(lambda: pencil_blur(sock) != 21 and pencil_blur(sock), 5, "blur changed")
        time.sleep(0.5)
        after = brightness(d)
        assert before - after > 25, (before, after)  # the scene's own drift: < 10 a second
        notes.append(
            f"dragged Blur 100 px → blur {blur} in the daemon; published picture mean gray "
            f"{before:.0f} → {after:.0f}"
        )
        desk.sh("xdotool", "mousemove", "0", str(y + h + 20))
        time.sleep(0.5)
        desk.screenshot(shots / "settings-edited.png", crop=(x, y, x + w, y + h))

        # Save (Ctrl+S): the file is made from the commented default, with the new value
        assert not config.exists()
        keys(win, x, y, "ctrl+s")
        desk.wait(config.exists, 5, f"{config} written")
        text = config.read_text()
        assert text.startswith("# sketchd configuration") and "# Each preset is" in text
        assert f"- pencil: {{blur: {blur}, darkness: 1.0}}" in text
        d.wait_log("config: applied", 5)
        notes.append(f"Ctrl+S → {config.name} written: pencil blur {blur}, comments kept")

        # the window holds no camera; a second Settings… raises the same window
        pids = pids_ready(env)
        assert pids and all(screen.open_devices(p) == [] for p in pids)
        click_settings(d, presets, 2)
        desk.wait(lambda: pids_ready(env) == pids, 15, "the second call gone, the first kept")
        assert windows() == [win]
        notes.append(
            f"settings process {pids}: no /dev/video* open; a second Settings… → same window"
        )

        keys(win, x, y, "ctrl+w")
        desk.wait(lambda: not windows(), 10, "the window closed")
        desk.wait(lambda: not pids_ready(env), 10, "the window's process ended")
        assert d.proc.poll() is None and "Traceback" not in d.text()
    finally:
        d.stop()
    report = "\n".join(notes) + "\n"
    print(report)
    out = os.environ.get("DESKTOP_SESSION_OUT")
    (Path(out) if out else tmp_path).joinpath("settings.txt").write_text(report)


def click_settings(d: desk.Daemon, presets, nth: int, tries: int = 3) -> None:
    """Settings… from the tray menu, until the daemon says it started the window the
    ``nth`` time; clicked again, as a person would, when a click on a loaded machine lands
    before the menu is ready."""
    for attempt in range(1, tries + 1):
        geom = desk.open_menu(1)
        time.sleep(0.5 * attempt)  # a loaded machine draws the menu late
        desk.pick("settings", presets, geom)
        try:
            desk.wait(lambda: d.text().count("settings window:") >= nth, 5, "Settings… taken")
            return
        except AssertionError:
            if attempt == tries:
                raise
            if desk.menu_geometry() is not None:
                desk.close_menu()


def keys(win: str, x: int, y: int, combo: str) -> None:
    """A key press for the window: with no window manager, Tk takes keys while the pointer is
    over its window (focus follows the pointer)."""
    desk.sh("xdotool", "mousemove", str(x + 100), str(y + 30))
    time.sleep(0.2)
    desk.sh("xdotool", "key", "--window", win, combo)


def pids_ready(env: dict[str, str]) -> list[int]:
    """The settings window's processes of this test's daemon (its runtime folder)."""
    mine = []
    for pid in screen.pids_running("sketchd", "settings"):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"XDG_RUNTIME_DIR={env['XDG_RUNTIME_DIR']}".encode() in environ.split(b"\0"):
            mine.append(pid)
    return mine


def pencil_blur(sock: Path) -> int:
    info = control.request("info", path=sock)
    chain = next(p["chain"] for p in info["presets"] if p["name"] == "pencil")
    return next(s["params"]["blur"] for s in chain if s["filter"] == "pencil")

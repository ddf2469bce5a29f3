"""The tray on a real desktop: click the icon, pick items, and check the daemon reacted
(status, snapshot files, the published picture changing). Screenshots go to
$SKETCHD_SCREENSHOTS (e.g. docs/) or the desktop session's scratch folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageStat

from sketchd import control
from tests.desktop import desk

OPEN_BUTTON = {"appindicator": 1, "gtk": 3}  # appindicator: left click; gtk: right click


@pytest.fixture
def shots(tmp_path) -> Path:
    where = os.environ.get("SKETCHD_SCREENSHOTS") or os.environ.get("DESKTOP_SESSION_OUT")
    return Path(where) if where else tmp_path


def report(tmp_path: Path, name: str, lines: list[str]) -> None:
    """What was clicked and observed, with timings: printed (-s) and kept beside the logs."""
    text = "\n".join(lines) + "\n"
    print(text)
    out = os.environ.get("DESKTOP_SESSION_OUT")
    (Path(out) if out else tmp_path).joinpath(f"{name}.txt").write_text(text)


def colourful(png: Path) -> float:
    """Mean channel spread: 0 for a gray picture."""
    img = Image.open(png).convert("RGB")
    r, g, b = img.split()
    spread = ImageChops.add(ImageChops.difference(r, g), ImageChops.difference(g, b))
    return ImageStat.Stat(spread).mean[0]


def differs(a: Path, b: Path) -> float:
    diff = ImageChops.difference(Image.open(a).convert("RGB"), Image.open(b).convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def new_snapshot(folder: Path, before: set[Path]) -> Path | None:
    found = set(folder.glob("*.png")) - before if folder.exists() else set()
    return next(iter(found)) if found else None


@pytest.mark.parametrize("backend", ["appindicator", "gtk"])
def test_the_menu_drives_the_daemon(backend, tmp_path, shots):
    env = desk.private_env(tmp_path / "home")
    env["PYSTRAY_BACKEND"] = backend
    sock = Path(env["XDG_RUNTIME_DIR"]) / "sketchd" / control.SOCKET_NAME
    pictures = Path(env["XDG_PICTURES_DIR"]) / "sketchd"
    d = desk.Daemon(env, tmp_path / "daemon.log", "--camera", "demo", "--output", "null")
    button = OPEN_BUTTON[backend]
    notes = [f"backend {backend} (open the menu with button {button})"]
    try:
        d.wait_log(f"tray: {backend} backend", 30)
        d.wait_status(lambda s: s["camera"] == "live", 30, "the demo camera live")
        presets = d.status()["presets"]
        desk.icon_centre()
        time.sleep(0.5)
        tray_png = desk.screenshot(shots / f"tray-{backend}.png", crop=(0, 0, 240, 36))

        # the control channel's round trip, measured from outside
        t0 = time.monotonic()
        for _ in range(20):
            control.request("status", path=sock)
        notes.append(
            f"control channel: status round trip {(time.monotonic() - t0) / 20 * 1e3:.1f} ms"
        )
        pencil = Path(d.cli("snapshot").stdout.strip())
        assert colourful(pencil) < 1, "pencil is a gray picture"

        # 1. pick another preset
        geom = desk.open_menu(button)
        full = desk.screenshot(tmp_path / "menu1.png")
        assert desk.marked(full, "preset:pencil", presets, geom)
        assert not desk.marked(full, "preset:cartoon", presets, geom)
        mx, my, mw, mh = geom
        desk.screenshot(shots / f"tray-menu-{backend}.png", crop=(0, 0, mx + mw + 12, my + mh + 12))
        desk.pick("preset:cartoon", presets, geom)
        took = d.wait_status(
            lambda s: s["preset"] == "cartoon", 3, "preset cartoon after the click"
        )
        notes.append(f"clicked Cartoon → status preset cartoon after {took * 1e3:.0f} ms")
        time.sleep(0.3)
        cartoon = Path(d.cli("snapshot").stdout.strip())
        assert colourful(cartoon) > 5 and differs(cartoon, pencil) > 10
        notes.append(
            f"published picture: gray pencil → colour cartoon (spread {colourful(cartoon):.0f})"
        )

        # 2. Bypass; the menu now shows the radio on Cartoon (update_menu reached the tray)
        geom = desk.open_menu(button)
        full = desk.screenshot(tmp_path / "menu2.png")
        assert desk.marked(full, "preset:cartoon", presets, geom)
        assert not desk.marked(full, "preset:pencil", presets, geom)
        desk.pick("bypass", presets, geom)
        took = d.wait_status(lambda s: s["bypass"], 3, "bypass on after the click")
        notes.append(f"clicked Bypass → status bypass on after {took * 1e3:.0f} ms")

        # 3. Snapshot from the menu: a new file, showing the unfiltered camera
        before = set(pictures.glob("*.png"))
        geom = desk.open_menu(button)
        full = desk.screenshot(tmp_path / "menu3.png")
        assert desk.marked(full, "bypass", presets, geom)
        desk.pick("snapshot", presets, geom)
        snap = desk.wait(lambda: new_snapshot(pictures, before), 3, "a snapshot file")
        time.sleep(0.2)
        assert differs(snap, cartoon) > 10 and colourful(snap) > 5
        notes.append(f"clicked Snapshot → {snap.name} (unfiltered colour, not the cartoon)")
        d.wait_log("notification: sketchd: Snapshot saved", 3)
        time.sleep(1.0)
        desk.notification_shot(shots / f"tray-notification-{backend}.png")

        # 4. Settings…: the settings window of this daemon opens; Ctrl+W closes it
        geom = desk.open_menu(button)
        desk.pick("settings", presets, geom)
        window = desk.wait(
            lambda: desk.sh("xdotool", "search", "--onlyvisible", "--name", "sketchd settings"),
            30,
            "the settings window",
        ).split()[0]
        desk.sh("xdotool", "windowactivate", "--sync", window)
        desk.sh("xdotool", "key", "--window", window, "ctrl+w")
        desk.wait(
            lambda: not desk.sh("xdotool", "search", "--onlyvisible", "--name", "sketchd settings"),
            10,
            "the settings window closed by Ctrl+W",
        )
        assert d.proc.poll() is None and d.status()["camera"] == "live"
        notes.append("clicked Settings… → the settings window opened; Ctrl+W closed it")

        # 5. Start at login (the autostart module): an XDG autostart entry appears, item checked
        entry = Path(env["XDG_CONFIG_HOME"]) / "autostart" / "sketchd.desktop"
        geom = desk.open_menu(button)
        full = desk.screenshot(tmp_path / "menu4.png")
        assert not desk.marked(full, "autostart", presets, geom)
        desk.pick("autostart", presets, geom)
        desk.wait(entry.exists, 5, f"{entry} written")
        d.wait_log("notification: sketchd: sketchd will start at login", 3)
        time.sleep(0.3)
        geom = desk.open_menu(button)
        full = desk.screenshot(tmp_path / "menu5.png")
        assert desk.marked(full, "autostart", presets, geom)
        desk.close_menu()
        notes.append(f"clicked Start at login → {entry.name} written, item checked")

        # 6. Quit from the menu: the daemon exits cleanly and removes its socket
        geom = desk.open_menu(button)
        desk.pick("quit", presets, geom)
        t0 = time.monotonic()
        assert d.proc.wait(5) == 0, d.text()
        notes.append(f"clicked Quit → exit 0 after {time.monotonic() - t0:.2f} s")
        assert not sock.exists()
        assert "Traceback" not in d.text()
        assert desk.wait(lambda: not desk.icon_docked(), 5, "the icon gone from the tray")
        assert tray_png.exists()
    finally:
        d.stop()
    report(tmp_path, f"tray-{backend}", notes)


def test_without_a_session_bus_the_daemon_runs_headless(tmp_path):
    env = desk.private_env(tmp_path / "home")
    env.pop("DBUS_SESSION_BUS_ADDRESS")
    d = desk.Daemon(env, tmp_path / "daemon.log", "--camera", "demo", "--output", "null")
    try:
        d.wait_log("running headless", 30)
        assert "no D-Bus session bus" in d.text()
        d.wait_status(lambda s: s["camera"] == "live", 30, "live")
        assert d.cli("preset", "ink").returncode == 0
        assert d.cli("quit").returncode == 0
        assert d.proc.wait(5) == 0
    finally:
        d.stop()


def test_a_missing_virtual_camera_shows_in_the_tray_and_the_daemon_stays(tmp_path, shots):
    """Started at login before the v4l2loopback module (here: an output that is not there):
    the tray daemon stays up, the tray shows why with the fix, and it keeps trying."""
    env = desk.private_env(tmp_path / "home")
    env["PYSTRAY_BACKEND"] = "appindicator"
    d = desk.Daemon(env, tmp_path / "daemon.log", "--camera", "demo", "--output", "/dev/video77")
    notes = ["sketchd run --camera demo --output /dev/video77 (no such device)"]
    try:
        d.wait_log("tray: appindicator backend", 30)
        d.wait_status(lambda s: "/dev/video77" in s["output_error"], 30, "the output error")
        d.wait_log("notification: Virtual camera unavailable", 10)
        assert "v4l2loopback" in d.text()  # the fix, in the log and the notification
        desk.icon_centre()
        time.sleep(1.0)
        tray = desk.screenshot(shots / "tray-output-error.png", crop=(0, 0, 240, 36))
        rgb = np.asarray(Image.open(tray).convert("RGB")).astype(int)
        red = int(((rgb[..., 0] > 170) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)).sum())
        assert red > 20, f"no red warning mark in the tray icon ({red} red pixels)"
        notes.append(f"tray icon: grey pencil with a red '!' ({red} red pixels)")
        desk.notification_shot(shots / "tray-output-error-notification.png")
        geom = desk.open_menu(OPEN_BUTTON["appindicator"])
        desk.screenshot(shots / "menu-output-error.png")
        desk.close_menu()
        st = d.cli("status")
        # nothing goes out, so no fps and no frame count: the error, with its fix
        assert "output:    nothing goes out: " in st.stdout, st.stdout
        assert "keeps reopening" in st.stdout and "fps" not in st.stdout, st.stdout
        notes.append(f"menu opened at {geom}; sketchd status shows the output error")
        time.sleep(1.0)
        assert d.proc.poll() is None and "/dev/video77" in d.status()["output_error"]
        assert d.cli("quit").returncode == 0
        assert d.proc.wait(5) == 0, d.text()
        notes.append("quit → exit 0")
    finally:
        d.stop()
    report(tmp_path, "tray-output-error", notes)

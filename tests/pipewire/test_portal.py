"""A browser through the camera portal: Chromium with WebRtcPipeWireCamera asks
xdg-desktop-portal for the camera, gets a PipeWire connection that shows only camera nodes
(media.role Camera), and reads Sketch Camera there — the path of every Flatpak call app.

The portal runs as a desktop session starts it: D-Bus activation on the session bus, with the
display and desktop name a login hands to the bus (dbus-update-activation-environment), its
GTK backend on that display (Xvfb). For an app outside a sandbox the portal still asks the user
through that backend; the test stores the answer the user's "Allow" would store (the
permission store's devices/camera entry), since a headless test cannot click the dialog.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sketchd.pipeline.engine import CARDS
from sketchd.pipeline.frames import card
from tests.helpers import browser
from tests.helpers.pipewire import Session

PORTAL = Path("/usr/libexec/xdg-desktop-portal")
GTK_BACKEND = Path("/usr/share/xdg-desktop-portal/portals/gtk.portal")


def _need_portal() -> None:
    missing = [str(p) for p in (PORTAL, GTK_BACKEND) if not p.exists()]
    missing += [] if shutil.which("Xvfb") else ["Xvfb"]
    if missing:
        msg = f"needs xdg-desktop-portal, xdg-desktop-portal-gtk and xvfb: {missing} missing"
        if os.environ.get("SKETCHD_REQUIRE_PIPEWIRE"):
            pytest.fail(msg)
        pytest.skip(msg)


def grant_camera(env: dict) -> None:
    """What the portal stores when the user allows the camera (for apps outside Flatpak,
    whose app id is empty)."""
    done = subprocess.run(
        ["gdbus", "call", "--session", "--dest", "org.freedesktop.impl.portal.PermissionStore",
         "--object-path", "/org/freedesktop/impl/portal/PermissionStore", "--method",
         "org.freedesktop.impl.portal.PermissionStore.SetPermission",
         "devices", "true", "camera", "", "['yes']"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_chromium_finds_and_reads_sketch_camera_through_the_camera_portal(
    session: Session, sketchd, tmp_path: Path
):
    _need_portal()
    binary = browser.need("chromium", "chromium-browser")
    display = subprocess.Popen(["Xvfb", ":87", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    env = dict(session.env, DISPLAY=":87", XDG_CURRENT_DESKTOP="GNOME")
    page = browser.PageServer("Sketch Camera", duration_ms=3000, snapshots=3)
    app = None
    d = sketchd("--camera", "demo", "--output", "pipewire")  # on demand: off until the call
    try:
        assert d.wait_log("camera: standby", 60), d.text()
        login = ["dbus-update-activation-environment", "DISPLAY", "XDG_CURRENT_DESKTOP"]
        subprocess.run(login, env=env, check=True, timeout=60)
        grant_camera(env)
        home = tmp_path / "browser"
        home.mkdir()
        t0 = time.monotonic()
        app = browser.chromium(binary, page.url, tmp_path, home, pipewire_env=env)
        result = page.wait(120, app.alive)
        took = time.monotonic() - t0
        assert result, f"no result from the page: {page.log}\n{app.tail()}"
        assert "error" not in result, browser.summary(result)
        assert result["track_label"] == "Sketch Camera", browser.summary(result)
        assert "Camera access granted by the XDG portal" in app.tail(400), app.tail()
        assert result["frames"] >= 20 and result["distinct_pictures"] >= 10, browser.summary(result)
        assert d.wait_log("camera: on", 1), d.text()
        picture = browser.decode_snapshot(result["snapshots"][-1])  # 2 s into the call
        assert picture.shape == (720, 1280)
        starting = card(1280, 720, *CARDS["starting"])
        assert float(abs(picture.astype(int) - starting).mean()) > 10, "still the card"
        assert float((picture > 200).mean()) > 0.3, "a pencil sketch: mostly paper"
        if os.environ.get("SKETCHD_SCREENSHOTS"):  # what the call app showed, for the docs
            import cv2

            out = Path(os.environ["SKETCHD_SCREENSHOTS"]) / "portal-chromium.png"
            cv2.imwrite(str(out), cv2.resize(picture, (640, 360), interpolation=cv2.INTER_AREA))
        print(f"Chromium through the portal: {browser.summary(result)} in {took:.1f} s")
    finally:
        if app is not None:
            app.stop()
        page.close()
        display.terminate()
        display.wait(10)

"""Hot reload in a desktop session: an edit applies within 2 s; a broken edit keeps the old
config running, logs every problem and shows one notification; "Reload config" in the menu."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from sketchd import control
from tests.desktop import desk

CONFIG = """\
camera: {{device: demo, width: 320, height: 240}}
output: {{width: 320, height: 240}}
preset: tint
presets:
  tint:
    description: the camera on coloured paper (a colour you can measure)
    chain:
      - paper_tint: {{colour: '{colour}', strength: 1.0}}
  pencil:
    chain: [pencil]
"""


def tint(sock: Path) -> str:
    png = control.request("snapshot", path=sock)["path"]
    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=float)
    r, b = rgb[..., 0].mean(), rgb[..., 2].mean()
    return "red" if r > 3 * b + 1 else "blue" if b > 3 * r + 1 else "mixed"


def test_hot_reload(tmp_path):
    shots = Path(
        os.environ.get("SKETCHD_SCREENSHOTS") or os.environ.get("DESKTOP_SESSION_OUT") or tmp_path
    )
    env = desk.private_env(tmp_path / "home")
    sock = Path(env["XDG_RUNTIME_DIR"]) / "sketchd" / control.SOCKET_NAME
    cfg = tmp_path / "sketchd.yaml"
    cfg.write_text(CONFIG.format(colour="#ff0000"))
    d = desk.Daemon(env, tmp_path / "daemon.log", "--config", str(cfg), "--output", "null")
    notes = []
    try:
        d.wait_log("tray: appindicator backend", 30)
        d.wait_status(lambda s: s["camera"] == "live", 30, "live")
        assert tint(sock) == "red"

        # an edit applies within 2 s, while the output keeps publishing
        published = d.status()["published"]
        t0 = time.monotonic()
        cfg.write_text(CONFIG.format(colour="#0000ff"))
        desk.wait(lambda: tint(sock) == "blue", 2.0, "the new colour published", step=0.05)
        took = time.monotonic() - t0
        assert d.status()["published"] > published
        assert "reopening" not in d.text()  # no device was reopened for a parameter
        notes.append(f"edit → new parameters published after {took:.2f} s (limit 2 s)")

        # a broken edit: the old config runs on, every problem logged, one notification
        cfg.write_text(
            CONFIG.format(colour="#00ff00").replace("strength: 1.0", "strength: 9") + "prset: ink\n"
        )
        d.wait_log("notification: Config not applied", 3)
        time.sleep(1.5)
        text = d.text()
        assert text.count("notification: Config not applied") == 1
        assert "strength" in text and "prset: unknown key; did you mean 'preset'?" in text
        assert "(line 8)" in text
        assert tint(sock) == "blue" and d.proc.poll() is None
        desk.notification_shot(shots / "reload-error-notification.png")
        notes.append("broken edit → old config kept, 2 problems logged, 1 notification")

        # "Reload config" from the menu, with the file fixed
        cfg.write_text(CONFIG.format(colour="#ff0000"))
        desk.wait(lambda: tint(sock) == "red", 2.0, "fixed config applied", step=0.05)
        presets = d.status()["presets"]
        geom = desk.open_menu(1)
        desk.pick("reload", presets, geom)
        d.wait_log("notification: sketchd: Config reloaded (nothing changed)", 3)
        notes.append("menu Reload config → 'Config reloaded (nothing changed)'")
        assert d.cli("quit").returncode == 0
        assert d.proc.wait(5) == 0
    finally:
        d.stop()
    print("\n".join(notes))

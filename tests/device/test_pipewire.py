"""Sketch Camera through PipeWire in the guest, in the order of a real login: the module loaded
at boot, then udevd, the D-Bus session, PipeWire and WirePlumber, then `sketchd run`.

One daemon publishes to the v4l2loopback device and to its own PipeWire node at once
(``output.device: [/dev/video10, pipewire]``): a V4L2 app (ffmpeg) and a PipeWire app
(GStreamer's pipewiresrc, linked by WirePlumber as the portal's apps are) both receive the
sketch of the webcam; the node is a camera sandboxed apps may be handed (media.role Camera).
Then sketchd is killed: the node goes with it, and a new sketchd brings it back.

Debian 12's PipeWire (0.3.65, the guest's) cannot read a v4l2loopback device at all, so
sketchd does not announce its loopback device to it; the test checks that PipeWire lists no
picture-less "Sketch Camera (V4L2)" node and that the log says what to use instead.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.pipewire import Consumer, Session

from .conftest import OUT_DEV, Reader, Sketchd, read_camera_y, wait_for_output
from .pictures import H, W, config_file, expected, live_diff

pytestmark = pytest.mark.usefixtures("fresh_loopback")


def ours(props: dict) -> bool:
    return props.get("node.name") == "sketchd"


def loopback(props: dict) -> bool:
    return bool(props.get("api.v4l2.path"))


def own_node(session: Session, timeout: float) -> dict | None:
    return session.wait_camera(ours, timeout)


def test_v4l2_and_pipewire_apps_both_receive_the_sketch(photo, feeder, tmp_path: Path):
    t0 = time.monotonic()
    took: dict[str, float] = {}
    session = Session(parent=Path("/run"), udev=True).start()  # sockets need the guest's tmpfs
    took["session"] = time.monotonic() - t0
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    want = expected(read_camera_y(), "pencil")
    config = config_file(tmp_path, "pencil", device=[OUT_DEV, "pipewire"])
    args = ["--no-tray", "--always-on", "--camera", "/dev/video11", "--config", str(config)]
    sk = Sketchd(args, session.env, tmp_path / "sketchd.log")
    apps: list = []
    try:
        assert wait_for_output(120), sk.text()
        node = own_node(session, 120)
        took["node listed"] = time.monotonic() - t0
        assert node is not None, session.logs() + sk.text()
        assert node.get("media.role") == "Camera", node
        app = Consumer(session.env, node["id"], W, H)
        apps.append(app)
        v4l2 = Reader(W, H)
        apps.append(v4l2)
        assert app.wait_frames(8, 180), app.stop() + sk.text()
        took["PipeWire app's first frame"] = time.monotonic() - t0
        assert v4l2.wait_frames(8, 120), sk.text()
        pw_diff = live_diff([y for _, y in app.frames], want)
        v4l2_diff = live_diff([y for _, y in v4l2.frames], want)
        assert pw_diff < 2.0, f"PipeWire app: mean |Δ| {pw_diff:.2f} against the sketch"
        assert v4l2_diff < 2.0, f"V4L2 app: mean |Δ| {v4l2_diff:.2f} against the sketch"
        # PipeWire 0.3.65 cannot read the loopback device: it must not be offered to apps
        assert not [c for c in session.cameras() if loopback(c)], session.cameras()
        assert "cannot read a v4l2loopback device" in sk.text(), sk.text()
        for a in apps:
            a.stop()
        apps.clear()

        os.kill(sk.proc.pid, signal.SIGKILL)
        sk.stop()
        gone_at = time.monotonic()
        session.wait_camera(ours, 60, gone=True)
        took["node gone after the kill"] = time.monotonic() - gone_at
        again = Sketchd(args, session.env, tmp_path / "sketchd2.log")
        sk = again
        node = own_node(session, 180)
        assert node is not None, again.text()
        app = Consumer(session.env, node["id"], W, H)
        apps.append(app)
        assert app.wait_frames(3, 180), app.stop() + again.text()
        took["frames again after a restart"] = time.monotonic() - gone_at
    finally:
        for a in apps:
            a.stop()
        sk.stop()
        session.stop()
        print("steps (s):", {k: round(v, 1) for k, v in took.items()}, "session:", session.timings)

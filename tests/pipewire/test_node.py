"""sketchd's PipeWire camera against a real PipeWire + WirePlumber and a real camera app."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from sketchd.filters import build
from sketchd.pipeline.frames import fit
from sketchd.sinks.convert import VIDEO_RANGE
from sketchd.sinks.vcam import VirtualCameraSink
from tests.helpers.pipewire import Consumer, Session

W, H = 640, 360


def ours(props: dict) -> bool:
    return props.get("node.name") == "sketchd"


def test_a_camera_app_receives_the_sketch_pixel_for_pixel(session: Session, photo_path: Path):
    """The node as the daemon drives it (VirtualCameraSink → PipeWire node), the pencil sketch
    of a real photograph going out, and what the app receives, compared on the Y plane."""
    img = cv2.imread(str(photo_path))
    sketch = fit(build("pencil")(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)), W, H)
    want = cv2.LUT(sketch, VIDEO_RANGE)
    with pytest.MonkeyPatch.context() as mp:  # this process is the daemon here
        for key in ("XDG_RUNTIME_DIR", "PIPEWIRE_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
            mp.setenv(key, session.env[key])
        sink = VirtualCameraSink(W, H, 15, "pipewire", "auto", fmt="I420")
        opened = sink.open()
        assert 'PipeWire node "Sketch Camera"' in opened
        try:
            node = session.wait_camera(ours, 20)
            assert node is not None
            assert node["media.role"] == "Camera" and node["node.description"] == "Sketch Camera"
            app = Consumer(session.env, node["id"], W, H)
            end = time.monotonic() + 30
            linked = False
            while time.monotonic() < end and app.proc.poll() is None:
                sink.send(sketch)
                sink.sleep_until_next_frame()
                readers = sink.readers()
                linked = readers is not None and readers.count == 1
                if len(app.frames) >= 5 and linked:
                    break
            err = app.stop()
            assert len(app.frames) >= 5, f"the app got {len(app.frames)} frames: {err}"
            assert linked, f"PipeWire never showed the app's link: {sink.readers()}"
            got = app.frames[-1][1]
            diff = np.abs(got.astype(np.int16) - want.astype(np.int16))
            assert float(diff.mean()) < 0.5 and int(diff.max()) <= 2, (
                f"mean |Δ| {diff.mean():.2f}, max {diff.max()}"
            )
        finally:
            sink.close()
    session.wait_camera(ours, 10, gone=True)


def test_the_daemon_publishes_without_a_module_and_comes_back_after_a_kill(session, sketchd):
    """`sketchd run --output pipewire`: the node is listed as a camera apps may use through
    the portal; killed (SIGKILL) it leaves no stale node; started again, the app gets frames."""
    first = sketchd("--camera", "demo", "--always-on", "--output", "pipewire")
    assert first.wait_log("first live frame", 60), first.text()
    node = session.wait_camera(ours, 20)
    assert node is not None and node["media.class"] == "Video/Source"
    app = Consumer(session.env, node["id"], 1280, 720)
    assert app.wait_frames(5, 30), app.stop() + first.text()
    frame = app.frames[-1][1]
    assert float((frame > 200).mean()) > 0.5, "a pencil sketch is mostly paper"
    app.stop()
    first.stop(kill=True)
    session.wait_camera(ours, 10, gone=True)
    again = sketchd("--camera", "demo", "--always-on", "--output", "pipewire")
    assert again.wait_log("first live frame", 60), again.text()
    node = session.wait_camera(ours, 20)
    assert node is not None
    app = Consumer(session.env, node["id"], 1280, 720)
    assert app.wait_frames(5, 30), app.stop() + again.text()
    app.stop()


def test_on_demand_the_camera_opens_while_an_app_reads_the_node(session, sketchd, tmp_path):
    config = tmp_path / "sketchd.yaml"
    config.write_text(
        "camera: {on_demand: true, idle_after: 1}\noutput: {width: 640, height: 360, fps: 15}\n"
    )
    d = sketchd("--camera", "demo", "--output", "pipewire", "--config", str(config))
    assert d.wait_log("camera: standby", 60), d.text()
    node = session.wait_camera(ours, 20)
    assert node is not None
    mark = len(d.text())
    app = Consumer(session.env, node["id"], 640, 360)
    assert d.wait_log("camera: on", 30, after=mark), app.stop() + d.text()
    assert app.wait_frames(3, 30), app.stop() + d.text()
    mark = len(d.text())
    app.stop()
    assert d.wait_log("camera: standby", 30, after=mark), d.text()


def test_the_node_comes_back_after_pipewire_restarts(session, sketchd):
    d = sketchd("--camera", "demo", "--always-on", "--output", "pipewire")
    assert d.wait_log("first live frame", 60), d.text()
    session.wait_camera(ours, 20)
    session.restart_pipewire()
    assert d.wait_log("output: reopened", 60), d.text() + session.logs()
    node = session.wait_camera(ours, 20)
    assert node is not None
    app = Consumer(session.env, node["id"], 1280, 720)
    assert app.wait_frames(3, 30), app.stop() + d.text()
    app.stop()

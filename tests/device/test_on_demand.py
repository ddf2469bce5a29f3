"""On-demand capture on the real module: the webcam (/dev/video11, fed by ffmpeg) is open only
while a call app reads Sketch Camera (ffmpeg reading /dev/video10). Readers are seen through
v4l2loopback's client-usage events on 0.13 and later, through /proc and inotify on 0.12."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from tests.device.conftest import CAM_DEV, OUT_DEV, Reader, read_camera_y, wait_for_output
from tests.device.pictures import H, W, expected, is_placeholder

IDLE = 2  # camera.idle_after in these tests
# each test feeds the webcam anew: on 0.12 a feeder that stopped can leave /dev/video11 refusing
# the next one (the write()-only producer bug), so every test starts on a freshly loaded module
pytestmark = pytest.mark.usefixtures("fresh_loopback")


def config(tmp_path: Path) -> Path:
    path = tmp_path / "sketchd.yaml"
    path.write_text(
        "camera: {width: 640, height: 480, fps: 30, format: YUYV, on_demand: true, "
        f"idle_after: {IDLE}}}\n"
        f"output: {{width: {W}, height: {H}, fps: 15}}\n"
        "preset: pencil\n"
    )
    return path


def holds(pid: int, dev: str) -> bool:
    """Whether process ``pid`` has ``dev`` open (its /proc/PID/fd links)."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if os.readlink(fd) == dev:
                return True
        except OSError:
            continue
    return False


def wait(cond, timeout: float, step: float = 0.05) -> float | None:
    """Seconds until ``cond()`` held, or None after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(step)
    return None


def test_the_webcam_is_open_only_while_a_call_app_reads(photo, feeder, sketchd, tmp_path):
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    camera_y = read_camera_y()
    sk = sketchd("--camera", CAM_DEV, "--config", str(config(tmp_path)), on_demand=True)
    assert wait_for_output(90), sk.text()
    pid = sk.proc.pid
    # nobody reads: sketchd holds Sketch Camera, never the webcam
    time.sleep(3)
    assert holds(pid, OUT_DEV) and not holds(pid, CAM_DEV), sk.text()
    assert "camera: " + CAM_DEV not in sk.text()  # never opened, so never described
    # a call app opens Sketch Camera: the webcam opens, the sketch goes out
    want = expected(camera_y, "pencil")
    t_open = time.monotonic()
    reader = Reader(W, H)
    try:
        opened = wait(lambda: holds(pid, CAM_DEV), 60)
        assert opened is not None, sk.text()

        def live() -> bool:
            got = [y for t, y in reader.frames if not is_placeholder(y)]
            return bool(got) and np.abs(got[-1].astype(np.int16) - want).mean() <= 2.0

        to_live = wait(live, 60)
        assert to_live is not None, sk.text()
        first_live = next(
            t for t, y in reader.frames if np.abs(y.astype(np.int16) - want).mean() <= 2.0
        )
    finally:
        reader.stop()
    # it leaves: the webcam closes idle_after seconds later (slack for the VM)
    closed = wait(lambda: not holds(pid, CAM_DEV), IDLE + 2 + 8)
    assert closed is not None, sk.text()
    assert holds(pid, OUT_DEV)  # Sketch Camera itself stays, listed for the next call
    text = sk.text()
    assert "camera: on (1 app reading Sketch Camera)" in text, text
    # the release decides how readers are seen: 0.13 and later send client-usage events
    release = os.environ.get("V4L2VM_LOOPBACK", "")
    if release.startswith(("0.13", "0.15")):
        assert "its readers seen through V4L2 client-usage events" in text, text
    elif release.startswith("0.12"):
        assert "its readers seen through open file handles (/proc)" in text, text
    assert f"camera: standby (no app has read Sketch Camera for {IDLE} s)" in text, text
    report = (
        f"reader open → webcam open {opened:.2f} s, → first live frame "
        f"{first_live - t_open:.2f} s (in the VM); reader gone → webcam closed {closed:.2f} s "
        f"(idle_after {IDLE} s); readers seen through: "
        + ("client-usage events" if "client-usage events" in text else "/proc and inotify")
    )
    print(report)
    (tmp_path / "on_demand.txt").write_text(report + "\n")


def test_a_brief_open_like_chromes_listing_leaves_the_webcam_off(photo, feeder, sketchd, tmp_path):
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    sk = sketchd("--camera", CAM_DEV, "--config", str(config(tmp_path)), on_demand=True)
    assert wait_for_output(90), sk.text()
    for _ in range(5):  # what a browser does listing cameras: open, query, close
        fd = os.open(OUT_DEV, os.O_RDWR | os.O_NONBLOCK)
        time.sleep(0.01)
        os.close(fd)
        time.sleep(0.3)
    seen = wait(lambda: holds(sk.proc.pid, CAM_DEV), 5)
    assert seen is None, "a listing open switched the webcam on\n" + sk.text()
    assert "camera: on" not in sk.text()


def test_a_chromium_call_turns_the_webcam_on_and_sees_the_sketch(photo, feeder, sketchd, tmp_path):
    """The real call app: Chromium lists the cameras (brief opens), then getUserMedia streams
    Sketch Camera. The webcam opens for the call, the page sees the live sketch (its first
    frames may still be the standby card), and the webcam closes once the call ends."""
    import shutil
    import tempfile

    import cv2

    from sketchd.sinks.convert import VIDEO_RANGE
    from tests.helpers import browser as clients

    binary = clients.need("chromium", "chromium-browser")
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    want = expected(read_camera_y(), "pencil")
    sk = sketchd("--camera", CAM_DEV, "--config", str(config(tmp_path)), on_demand=True)
    assert wait_for_output(90) and sk.wait_log("first frame (standby card) out", 120), sk.text()
    assert not holds(sk.proc.pid, CAM_DEV)
    clients.loopback_up()
    server = clients.PageServer("Sketch Camera", duration_ms=12000)  # snapshots at 0, 4, 8 s
    home = Path(tempfile.mkdtemp(prefix="sketchd-chromium-"))
    browser = clients.chromium(binary, server.url, tmp_path, home)
    try:
        result = server.wait(480, browser.alive)
    finally:
        browser.stop()
        server.close()
        shutil.rmtree(home, ignore_errors=True)
    assert result is not None and "error" not in result, (result, browser.tail(), sk.text())
    snaps = [cv2.LUT(clients.decode_snapshot(s), VIDEO_RANGE) for s in result["snapshots"]]
    for i, y in enumerate(snaps):
        cv2.imwrite(str(tmp_path / f"chromium-on-demand-{i}.png"), y)
    diffs = [float(np.abs(y.astype(np.int16) - want).mean()) for y in snaps]
    assert diffs[-1] <= 2.0, f"the call's last snapshot is not the live sketch: {diffs}"
    text = sk.text()
    assert "reading Sketch Camera)" in text and "camera: on (" in text, text
    assert sk.wait_log(f"camera: standby (no app has read Sketch Camera for {IDLE} s)", 60), text
    closed = wait(lambda: not holds(sk.proc.pid, CAM_DEV), 30)
    assert closed is not None, sk.text()
    report = (
        f"chromium on demand: {result['frames']} frames in {result['seconds']:.1f} s; "
        f"snapshots vs the sketch, mean |Δ| {', '.join(f'{d:.2f}' for d in diffs)}; "
        "webcam closed after the call"
    )
    print(report)
    (tmp_path / "chromium_on_demand.txt").write_text(report + "\n")

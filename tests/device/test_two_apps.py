"""Two call apps at once, each on its own output device: one leaving does not end the other.

On v4l2loopback 0.12.7, when one of two readers of one device stops with VIDIOC_REQBUFS(0)
(Chromium and GStreamer do), the other reader's next DQBUF fails and its stream ends
(v4l2loopback #454, #459): a kernel bug, not sketchd's. The answer is a device per app:
output.device lists /dev/video10 "Sketch Camera" and /dev/video12 "Sketch Camera 2", and
sketchd writes every frame to both. Here GStreamer reads one and leaves, ffmpeg keeps reading
the other. Runs inside ../shared/tools/v4l2vm on every release.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from .conftest import CAM_DEV, OUT_DEV, Reader, read_camera_y, wait_for_output
from .pictures import H, W, config_file, expected, live_diff


def test_one_app_leaving_leaves_the_other_its_stream(
    second_output, photo, feeder, sketchd, tmp_path
):
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    want = expected(read_camera_y(), "pencil")
    config = config_file(tmp_path, device=[OUT_DEV, second_output])
    sk = sketchd("--camera", CAM_DEV, "--config", str(config))
    assert wait_for_output(90) and wait_for_output(90, second_output), sk.text()
    assert sk.wait_log("first live frame out", 120), sk.text()
    gst_log = tmp_path / "gst.log"
    with gst_log.open("wb") as log:
        gst = subprocess.Popen(  # the app that leaves: GStreamer ends with REQBUFS(0)
            ["gst-launch-1.0", "-e", "v4l2src", f"device={OUT_DEV}", "!", "fakesink"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    stays = Reader(W, H, second_output)
    try:
        end = time.monotonic() + 90
        while live_diff([y for _, y in stays.frames], want) > 2.0 and time.monotonic() < end:
            time.sleep(0.2)
        assert live_diff([y for _, y in stays.frames], want) <= 2.0, sk.text()
        time.sleep(3)  # both apps reading
        # SIGINT before gst-launch has set up its handler kills it (exit -2, seen on 0.13 in the
        # guest, where it starts slowly): leave only once its pipeline plays
        end = time.monotonic() + 60
        while b"PLAYING" not in gst_log.read_bytes() and time.monotonic() < end:
            time.sleep(0.2)
        assert gst.poll() is None, gst_log.read_text()
        gst.send_signal(signal.SIGINT)  # leaves as a closed call does
        assert gst.wait(60) == 0, gst_log.read_text()
        t_left, n_left = time.monotonic(), len(stays.frames)
        time.sleep(5)
        after = [y for t, y in stays.frames if t > t_left]
        assert stays.proc.poll() is None, "the other app's stream ended"
        assert len(after) >= 5, f"only {len(after)} frames in 5 s after the first app left"
        diff = live_diff(after, want)
        assert diff <= 2.0, f"mean |Δ| {diff:.2f}"
    finally:
        stays.stop()
        if gst.poll() is None:
            gst.kill()
    report = (
        f"{os.environ.get('V4L2VM_LOOPBACK', '?')}: two outputs; GStreamer left {OUT_DEV}, "
        f"ffmpeg on {second_output} got {len(after)} frames in the next 5 s "
        f"({n_left} before), live, mean |Δ| {diff:.2f}"
    )
    print(report)
    (tmp_path / "report.txt").write_text(report)

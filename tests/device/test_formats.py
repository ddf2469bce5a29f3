"""Each output format through the real v4l2loopback device: what the device offers a call app
(VIDIOC_G_FMT as ffmpeg reads it) and what the app decodes, against the preset applied to the
camera frame. I420 is test_live's; here YUYV and MJPG (the one Firefox takes at 30 fps above
800 pixels wide). Runs inside ../shared/tools/v4l2vm on every release.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import CAM_DEV, OUT_DEV, Reader, read_camera_y, wait_for_output
from .pictures import H, W, config_file, expected, is_placeholder

pytestmark = pytest.mark.usefixtures("fresh_loopback")
# what ffmpeg's v4l2 demuxer names each fourcc, and how close a decoded frame must come
FORMATS = {"YUYV": ("yuyv422", 2.0), "MJPG": ("mjpeg", 3.0)}


def device_format() -> str:
    """The format the loopback device offers readers, from sysfs (no open needed)."""
    return (Path("/sys/class/video4linux") / Path(OUT_DEV).name / "format").read_text().strip()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_call_app_decodes_the_sketch_in_each_format(fmt, photo, feeder, sketchd, tmp_path):
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    camera_y = read_camera_y()
    config = config_file(tmp_path, format=fmt)
    sk = sketchd("--camera", CAM_DEV, "--config", str(config))
    assert wait_for_output(90), sk.text()
    assert sk.wait_log("camera: /dev/video11", 90), sk.text()
    offered = device_format()
    assert offered.startswith(f"{fmt}:{W}x{H}"), offered
    listed = subprocess.run(
        ["ffmpeg", "-hide_banner", "-f", "v4l2", "-list_formats", "all", "-i", OUT_DEV],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    name, tolerance = FORMATS[fmt]
    assert name in listed.stderr, listed.stderr
    reader = Reader(W, H)  # decodes whatever the device offers to yuv420p (video range)
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end and not any(not is_placeholder(y) for _, y in reader.frames):
            time.sleep(0.2)
        assert reader.wait_frames(8, 90), sk.text()
    finally:
        reader.stop()
    live = [y for _, y in reader.frames if not is_placeholder(y)]
    assert live, "the reader only saw placeholder cards"
    diff = np.abs(live[-1].astype(np.int16) - expected(camera_y, "pencil").astype(np.int16))
    cv2.imwrite(str(tmp_path / f"received-{fmt}.png"), live[-1])
    report = (
        f"{os.environ.get('V4L2VM_LOOPBACK', '?')} {fmt}: device offers {offered}; "
        f"{len(reader.frames)} frames read, {len(live)} live, mean |Δ| {diff.mean():.2f}"
    )
    print(report)
    (tmp_path / "report.txt").write_text(report)
    assert diff.mean() <= tolerance, report

"""Real video-call clients read "Sketch Camera" while one `sketchd run` publishes to it.

ffmpeg (test_live.py) proves the bytes; these prove that what people actually join calls with
finds the camera by its name and shows the sketch: Chromium through getUserMedia (as
Meet/Teams/Zoom-on-the-web do; Firefox is in test_firefox.py), GStreamer's v4l2src (as native
apps do), and a client that opens and closes the device again and again before reading (as
Chrome does while enumerating). Each test writes its figures to report.txt and prints them.

Runs inside ../shared/tools/v4l2vm; a browser takes minutes to show a page there (next to sketchd
on 2 emulated cores), hence the timeouts, and frame rates seen there say nothing about speed.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import time
from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from tests.helpers import browser as clients

from .browsers import LABEL, Live, judge, report, run_browser, start_live
from .conftest import (
    CAM_DEV,
    LOOPBACK_OPTS,
    OUT_DEV,
    Feeder,
    Reader,
    guest_env,
    read_camera_y,
    reload_loopback,
    run_sketchd,
)
from .pictures import H, W, config_file


@pytest.fixture(scope="module")
def live(photo, tmp_path_factory) -> Iterator[Live]:
    """One sketchd for the module: these clients only read (none changes the output), so
    they share it instead of each starting its own (~25 s each in the guest). It keeps
    publishing while they come and go, which is also what a user's daemon does."""
    reload_loopback(LOOPBACK_OPTS, (OUT_DEV, CAM_DEV))  # fresh devices, as fresh_loopback
    tmp = tmp_path_factory.mktemp("clients")
    feed = Feeder(["-loop", "1", "-framerate", "30", "-i", str(photo)]).start()
    camera_y = read_camera_y()
    sk = run_sketchd(["--camera", CAM_DEV, "--config", str(config_file(tmp))], guest_env(tmp),
                     tmp / "sketchd.log")  # fmt: skip
    try:
        yield start_live(sk, camera_y, tmp, (W, H), "I420")
    finally:
        sk.stop()
        feed.stop()


def test_chromium_get_user_media(live):
    binary = clients.need("chromium", "chromium-browser")
    run_browser("chromium", lambda *a: clients.chromium(binary, *a), live)


CAPS = re.compile(
    r"v4l2src0\.GstPad:src: caps = video/x-raw, format=\(string\)(\w+), "
    r"width=\(int\)(\d+), height=\(int\)(\d+).*?framerate=\(fraction\)(\d+/\d+)"
)


def test_gstreamer_v4l2src(live):
    gst = clients.need("gst-launch-1.0")
    raw, n = live.tmp / "gst.i420", 8
    cmd = [
        gst, "-v", "v4l2src", f"device={OUT_DEV}", f"num-buffers={n}",
        "!", "videoconvert", "!", "video/x-raw,format=I420",
        "!", "filesink", f"location={raw}",
    ]  # fmt: skip
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    caps = CAPS.search(done.stdout)
    assert caps, done.stdout[-3000:]
    fmt, width, height, rate = caps[1], int(caps[2]), int(caps[3]), caps[4]
    assert (width, height) == live.size, caps[0]
    w, h = live.size
    data = np.fromfile(raw, np.uint8)
    size = w * h * 3 // 2
    assert data.size == n * size, f"{data.size} bytes for {n} frames of {size}"
    frames = [data[i * size : i * size + w * h].reshape(h, w) for i in range(n)]
    got, diff, n_live = judge(live, frames)
    cv2.imwrite(str(live.tmp / "gstreamer-frame.png"), got)
    report(
        live.tmp,
        f"gstreamer: {n} buffers of {fmt} {width}x{height} @ {rate} in {took:.1f}s "
        f"(incl. start), {n_live} live; "
        f"mean |Δ| {diff.mean():.2f}, p99 {np.percentile(diff, 99):.0f}",
    )
    assert diff.mean() <= 2.0, f"mean |Δ| {diff.mean():.2f}"
    assert np.percentile(diff, 99) <= 16


# struct v4l2_fmtdesc: index, type, flags, description[32], pixelformat, mbus_code, reserved[3]
_FMTDESC = struct.Struct("3I32s2I3I")
VIDIOC_ENUM_FMT = 0xC0000000 | (_FMTDESC.size << 16) | (ord("V") << 8) | 2
BUF_TYPE_VIDEO_CAPTURE = 1


def probe(dev: str) -> tuple[str, str]:
    """Open, QUERYCAP, ENUM_FMT, close: what a browser does to every node while listing."""
    from sketchd.platform.linux.v4l2 import _CAP, VIDIOC_QUERYCAP

    fd = os.open(dev, os.O_RDWR)
    try:
        cap = bytearray(_CAP.size)
        fcntl.ioctl(fd, VIDIOC_QUERYCAP, cap)
        desc = bytearray(_FMTDESC.pack(0, BUF_TYPE_VIDEO_CAPTURE, 0, b"", 0, 0, 0, 0, 0))
        fcntl.ioctl(fd, VIDIOC_ENUM_FMT, desc)
    finally:
        os.close(fd)
    card = _CAP.unpack(bytes(cap))[1].split(b"\0", 1)[0].decode()
    fourcc = _FMTDESC.unpack(bytes(desc))[4].to_bytes(4, "little").decode(errors="replace")
    return card, fourcc


def test_open_close_ten_times_then_read(live):
    t0 = time.monotonic()
    seen = [probe(OUT_DEV) for _ in range(10)]
    took = time.monotonic() - t0
    assert set(seen) == {(LABEL, "YU12")}, seen
    reader = Reader(W, H)
    try:
        assert reader.wait_frames(8, 120), f"{len(reader.frames)} frames\n{live.sk.text()}"
    finally:
        reader.stop()
    got, diff, _ = judge(live, [y for _, y in reader.frames])
    cv2.imwrite(str(live.tmp / "ffmpeg-after-churn.png"), got)
    times = [t for t, y in reader.frames if not live.is_placeholder(y)]
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    report(
        live.tmp,
        f"open/close x10 in {took:.2f}s ({seen[0][0]!r}, {seen[0][1]}), then ffmpeg read "
        f"{len(reader.frames)} frames, {len(times)} live at {fps:.1f} fps; "
        f"mean |Δ| {diff.mean():.2f}",
    )
    assert diff.mean() <= 2.0, f"mean |Δ| {diff.mean():.2f}"
    assert live.sk.proc.poll() is None, live.sk.text()

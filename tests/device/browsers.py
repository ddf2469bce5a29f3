"""What the device suite's browser and reader tests share: a publishing sketchd with the
picture its clients should receive, how a received frame is judged, and a browser run through
tests/helpers/browser.py's page (no tests here)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sketchd.filters import build
from sketchd.pipeline.frames import card, fit
from sketchd.sinks.convert import VIDEO_RANGE
from tests.helpers import browser as clients

from .conftest import Sketchd, wait_for_output

LABEL = "Sketch Camera"
RELEASE = os.environ.get("V4L2VM_LOOPBACK", "?")
# launch to result, next to sketchd and the feeder in the guest: the page loads 80-120 s
# (Chromium) or 130-200 s (Firefox) after launch, then getUserMedia and frames take ~60 s more
BROWSER_TIMEOUT = 480
# Browsers turn I420 into RGB for the canvas and the test turns their gray back into
# video-range Y. Measured for Chromium 156 and Firefox ESR 153: mean |Δ| 0.00, max 0 (BT.601
# limited→full range and back is exact on gray), so the bounds are the ffmpeg tests' own.
BROWSER_MEAN, BROWSER_P99 = 2.0, 16
# MJPG is lossy (quality 85): Firefox 153 on 0.15.0 decoded it to mean |Δ| 2.67, p99 17, where
# ffmpeg decodes it to 0.86 (test_formats.py); twice that is the bound
MJPG_MEAN, MJPG_P99 = 5.5, 34


@dataclass
class Live:
    """A publishing sketchd and what its clients should receive."""

    sk: Sketchd
    want: np.ndarray  # the Y plane a client should receive
    placeholder: np.ndarray  # the Y plane of the "camera unavailable" card
    size: tuple[int, int]
    tmp: Path
    fmt: str = "I420"

    def is_placeholder(self, y: np.ndarray) -> bool:
        return float(np.abs(y.astype(np.int16) - self.placeholder).mean()) < 3.0


def start_live(
    sk: Sketchd, camera_y: np.ndarray, tmp: Path, size: tuple[int, int], fmt: str
) -> Live:
    """Waits until ``sk`` publishes its first live frame, and gives the pencil sketch its
    clients should receive: the preset on the webcam's Y plane ``camera_y`` (read before
    sketchd opened it), fitted, video range (test_live.py's expected())."""
    w, h = size
    assert wait_for_output(90), sk.text()
    assert sk.wait_log("camera: /dev/video11", 90), sk.text()
    # From 0.13 on, sysfs shows the format once sketchd has set it, ~1.5 s (in the guest) before
    # its first frame, and until that frame the node is no capture device (ENUM_FMT: EINVAL).
    # Clients start once the sketch is out, as a user would join a call after it works.
    assert sk.wait_log("first live frame out", 120), sk.text()
    want = cv2.LUT(fit(build("pencil")(camera_y), w, h), VIDEO_RANGE)
    ref = card(w, h, "Camera unavailable", "sketchd keeps trying; the picture returns by itself")
    ref_y = cv2.LUT(ref, VIDEO_RANGE).astype(np.int16)
    return Live(sk, want, ref_y, (w, h), tmp, fmt)


def judge(live: Live, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """The last frame that is not the placeholder card, its |Δ| to the expected sketch, and
    how many frames were live."""
    assert frames, "no frames received"
    good = [y for y in frames if not live.is_placeholder(y)]
    assert good, f"all {len(frames)} frames were the placeholder card"
    got = good[-1]
    assert got.shape[::-1] == live.size, got.shape
    return got, np.abs(got.astype(np.int16) - live.want.astype(np.int16)), len(good)


def report(tmp: Path, text: str) -> None:
    print(text)
    with (tmp / "report.txt").open("a") as f:
        f.write(text + "\n")


def run_browser(name: str, launch, live: Live) -> dict:
    """Serve the page, start the browser on it, wait for its result; checks what is common to
    every browser and reports the figures."""
    clients.loopback_up()
    server = clients.PageServer(LABEL)
    home = Path(tempfile.mkdtemp(prefix=f"sketchd-{name}-"))  # tmpfs in the guest
    browser = launch(server.url, live.tmp, home)
    try:
        result = server.wait(BROWSER_TIMEOUT, browser.alive)
        t_end, status = time.monotonic(), browser.proc.poll()
    finally:
        browser.stop()
        server.close()
        shutil.rmtree(home, ignore_errors=True)
    steps = "\n".join(f"  +{t - browser.started:5.1f}s {msg}" for t, msg in server.log)
    context = (
        f"{name} exit status {status} (None: still running when the test gave up)\n"
        f"{name} page log:\n{steps}\n{name} output (tail):\n{browser.tail()}"
    )
    assert result is not None, f"no result from {name} in {BROWSER_TIMEOUT}s\n{context}"
    assert "error" not in result, f"{result['error']}\n{clients.summary(result)}\n{context}"
    loaded = server.log[0][0] - browser.started if server.log else float("nan")
    report(
        live.tmp,
        f"{name}: requested the page {loaded:.1f}s after launch, result after "
        f"{t_end - browser.started:.1f}s\n{name}: {clients.summary(result)}\n{steps}",
    )
    assert LABEL in result["labels"], result["labels"]
    assert result["track_label"] == LABEL
    settings = result["settings"]
    assert (settings["width"], settings["height"]) == live.size, settings
    assert tuple(result["video_size"]) == live.size
    assert result["frames"] >= 3, clients.summary(result)

    snaps = [clients.decode_snapshot(s) for s in result["snapshots"]]
    for i, gray in enumerate(snaps):
        cv2.imwrite(str(live.tmp / f"{name}-frame{i}.png"), gray)
    _, diff, n_live = judge(live, [cv2.LUT(g, VIDEO_RANGE) for g in snaps])
    fps = (result["frames"] - 1) / result["seconds"] if result["seconds"] else 0.0
    captured = result.get("track_stats", {}).get("deliveredFrames", "?")
    report(
        live.tmp,
        f"{name}: {result['frames']} frames presented in {result['seconds']:.1f}s = {fps:.1f} "
        f"fps (settings frameRate {settings.get('frameRate')}; captured by the track: "
        f"{captured}), {result['distinct_pictures']} distinct pictures; {n_live} of "
        f"{len(snaps)} snapshots live, the last vs the sketch: mean |Δ| {diff.mean():.2f}, "
        f"p99 {np.percentile(diff, 99):.0f}, max {diff.max()}",
    )
    mean_max, p99_max = (MJPG_MEAN, MJPG_P99) if live.fmt == "MJPG" else (BROWSER_MEAN, BROWSER_P99)
    assert diff.mean() <= mean_max, f"mean |Δ| {diff.mean():.2f}"
    assert np.percentile(diff, 99) <= p99_max
    assert live.sk.proc.poll() is None, live.sk.text()
    return result

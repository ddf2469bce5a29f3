"""`sketchd run` against a real v4l2loopback device: webcam in, sketch out, unplug, errors.

Runs inside ../shared/tools/v4l2vm (code is 15-25x slower there: timeouts are generous).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.wait import poll

from .conftest import CAM_DEV, ROOT, Reader, read_camera_y, wait_for_output
from .pictures import H, W, config_file, expected, is_placeholder, live_diff


# what the call app must receive after the preset given on the command line (ink): each
# preset `sketchd preset NAME` switches the running daemon to. The seed's pencil; and the
# graphite drawing (hatched tone and lines on tinted paper: a colour frame out of a gray one),
# whose path through the device is the colour presets' (CI runs it on one release).
@pytest.mark.parametrize(
    "switches", [["pencil"], ["pencil", "drawing"]], ids=["pencil_only", "with_drawing"]
)
@pytest.mark.usefixtures("fresh_loopback")
def test_call_app_receives_each_preset_switched_from_the_command_line(
    switches, photo, feeder, sketchd, vm_env, tmp_path
):
    """One daemon, one call app reading all along: the sketch of the webcam as `--preset ink`
    starts it, then as `sketchd preset NAME` switches it over the control channel. Each
    picture is the preset applied to the camera frame sketchd saw (mean |Δ| <= 2), and not
    the picture before it."""
    feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    camera_y = read_camera_y()
    sk = sketchd("--camera", CAM_DEV, "--config", str(config_file(tmp_path)), "--preset", "ink")
    assert wait_for_output(90), sk.text()
    assert sk.wait_log("camera: /dev/video11", 90), sk.text()
    reader = Reader(W, H)
    lines = []
    try:
        assert reader.wait_frames(8, 90), sk.text()
        lines.append(_received(reader, camera_y, "ink", tmp_path))
        assert "preset 'ink' from the command line" in sk.text()
        before = "ink"
        for preset in switches:
            switched = subprocess.run(
                [sys.executable, "-m", "sketchd", "preset", preset],
                env=vm_env, capture_output=True, text=True, timeout=120, cwd=ROOT,
            )  # fmt: skip
            assert switched.returncode == 0, switched.stderr
            want = expected(camera_y, preset)
            assert poll(
                lambda w=want: live_diff([y for _, y in reader.frames[-3:]], w) <= 2.0, 60
            ), f"no {preset} picture after the switch\n{sk.text()}"
            lines.append(_received(reader, camera_y, preset, tmp_path, before))
            before = preset
    finally:
        reader.stop()
    print("\n".join(lines))
    (tmp_path / "reader.txt").write_text("\n".join(lines))
    assert "delivers 640x480 YUYV" in sk.text()
    assert sk.proc.poll() is None and "Traceback" not in sk.text()


def _received(
    reader: Reader, camera_y: np.ndarray, preset: str, tmp: Path, before: str = ""
) -> str:
    """Checks the newest live frame against ``preset`` (and that it is not ``before``), saves
    it, and says what was received."""
    live = [(t, y) for t, y in reader.frames if not is_placeholder(y)]
    assert live, "the reader only saw placeholder cards"
    got = live[-1][1]
    assert got.shape == (H, W)
    diff = np.abs(got.astype(np.int16) - expected(camera_y, preset).astype(np.int16))
    assert diff.mean() <= 2.0, f"{preset}: mean |Δ| {diff.mean():.2f}"
    assert np.percentile(diff, 99) <= 16, f"{preset}: p99 |Δ| {np.percentile(diff, 99)}"
    if before:
        other = np.abs(got.astype(np.int16) - expected(camera_y, before)).mean()
        assert other > 2.0, f"{preset} looks like {before} ({other:.2f})"
    cv2.imwrite(str(tmp / f"received-{preset}.png"), got)
    times = [t for t, _ in live[-30:]]
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return (
        f"{preset}: {len(reader.frames)} frames of {got.shape[1]}x{got.shape[0]} so far, "
        f"{len(live)} live, {fps:.1f} fps lately, mean |Δ| {diff.mean():.2f}"
    )


@pytest.mark.usefixtures("fresh_loopback")
def test_unplug_publishes_placeholder_and_resumes(photo, feeder, sketchd, tmp_path):
    feed = feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
    sk = sketchd("--camera", CAM_DEV, "--config", str(config_file(tmp_path)))
    assert wait_for_output(90), sk.text()
    reader = Reader(W, H)
    try:
        assert reader.wait_frames(5, 90)
        deadline = time.monotonic() + 60
        while is_placeholder(reader.frames[-1][1]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not is_placeholder(reader.frames[-1][1]), "never went live"
        # unplug: stop the feeder and remove the node, like a USB camera pulled out
        t_unplug = time.monotonic()
        feed.stop()
        node = Path(CAM_DEV)
        st = node.stat()
        node.unlink()
        assert poll(lambda: is_placeholder(reader.frames[-1][1]), 60), "no placeholder"
        t_card = next(t for t, y in reader.frames if t > t_unplug and is_placeholder(y))
        n_before = len(reader.frames)
        time.sleep(3)
        assert len(reader.frames) > n_before, "the virtual camera stopped while unplugged"
        # replug
        import os

        os.mknod(CAM_DEV, st.st_mode, st.st_rdev)
        t_replug = time.monotonic()
        feeder("-loop", "1", "-framerate", "30", "-i", str(photo))
        assert poll(lambda: not is_placeholder(reader.frames[-1][1]), 90), sk.text()
        t_live = next(t for t, y in reader.frames if t > t_replug and not is_placeholder(y))
    finally:
        reader.stop()
    times = [t for t, _ in reader.frames if t >= t_unplug]
    gaps = np.diff(times)
    report = (
        f"unplug→placeholder {1000 * (t_card - t_unplug):.0f} ms, "
        f"replug→live {1000 * (t_live - t_replug):.0f} ms, "
        f"largest gap between received frames {1000 * gaps.max():.0f} ms, "
        f"{len(times)} frames received after the unplug"
    )
    print(report)
    (tmp_path / "unplug.txt").write_text(report)
    assert sk.proc.poll() is None, "sketchd exited"
    assert gaps.max() < 2.0, report  # the VM is 15-25x slower; on the host it is ~2 frames


def test_no_such_camera_is_one_clear_message(vm_env):
    r = subprocess.run(
        [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "/dev/video99"],
        env=vm_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 1
    assert "no camera at '/dev/video99'" in r.stderr
    assert "--camera" in r.stderr and "sketchd devices" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_virtual_camera_is_one_clear_message(vm_env):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sketchd",
            "run",
            "--no-tray",
            "--camera",
            "demo",
            "--output",
            "/dev/video77",
        ],
        env=vm_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 1, r.stderr
    assert "cannot open the virtual camera /dev/video77" in r.stderr
    assert "v4l2loopback" in r.stderr and "exclusive_caps=1" in r.stderr
    assert "Traceback" not in r.stderr


def test_devices_lists_the_loopback_devices(vm_env):
    r = subprocess.run(
        [sys.executable, "-m", "sketchd", "devices"],
        env=vm_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "* /dev/video10" in r.stdout and "Sketch Camera" in r.stdout
    assert "Fake Webcam" in r.stdout

"""The virtual camera sink through pyvirtualcam (backend "v4l2loopback", and what Windows and
macOS use), with pyvirtualcam faked at the OS boundary: what is sent, and how
a failing device is closed, reported once and reopened with backoff. The real device is in
tests/device."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
import pyvirtualcam

from sketchd.errors import OutputError
from sketchd.pipeline.pacer import Pacer
from sketchd.sinks.vcam import VirtualCameraSink
from tests.helpers.clock import Clock, Ticks

W, H = 64, 48
PYVC = "v4l2loopback"  # pyvirtualcam's own Linux backend


class FakeDevice:
    """Stands in for pyvirtualcam.Camera; a class-level script says when it fails."""

    opened: ClassVar[list[FakeDevice]] = []
    attempts = 0  # opens tried, failed or not
    fail_opens = 0
    fail_send_at: ClassVar[set[int]] = set()
    sends = 0

    def __init__(self, width, height, fps, fmt, device=None, backend=None):
        FakeDevice.attempts += 1
        if FakeDevice.fail_opens:
            FakeDevice.fail_opens -= 1
            raise RuntimeError("device busy")
        self.width, self.height, self.fmt = width, height, fmt
        self.device, self.backend, self.native_fmt = device or "/dev/video10", "fake", "I420"
        self.frames: list[np.ndarray] = []
        self.closed = False
        self.paced = 0
        FakeDevice.opened.append(self)

    def send(self, buf):
        FakeDevice.sends += 1
        if FakeDevice.sends in FakeDevice.fail_send_at:
            raise RuntimeError("write: No such device")
        self.frames.append(buf.copy())

    def sleep_until_next_frame(self):
        self.paced += 1

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    FakeDevice.opened, FakeDevice.fail_opens, FakeDevice.attempts = [], 0, 0
    FakeDevice.fail_send_at, FakeDevice.sends = set(), 0
    monkeypatch.setattr(pyvirtualcam, "Camera", FakeDevice)
    monkeypatch.setattr("sys.platform", "linux")
    return FakeDevice


def test_sends_i420_of_the_right_size(fake):
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", PYVC)
    desc = sink.open()
    assert "/dev/video10" in desc and "I420" in desc
    sink.send(np.full((H, W), 255, np.uint8))
    assert (fake.opened[0].frames[0][: W * H] == 227).all()  # blank paper, sent at open
    buf = fake.opened[0].frames[1]
    assert buf.size == W * H * 3 // 2
    assert (buf[: W * H] == 235).all()  # white in video range
    assert fake.opened[0].fmt == pyvirtualcam.PixelFormat.I420


def test_a_failed_write_closes_reports_and_reopens_with_backoff(fake):
    clock = Clock(10.0)
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", PYVC, clock=clock)
    sink.open()
    frame = np.zeros((H, W), np.uint8)
    fake.fail_send_at = {3}  # send 1 is the blank frame sent at open
    sink.send(frame)
    lost = r"writing to /dev/video10 failed: write: No such device\nsketchd keeps reopening"
    with pytest.raises(OutputError, match=lost) as first:
        sink.send(frame)
    assert fake.opened[0].closed
    # during the backoff: the same message (the loop logs it once), no reopen attempts
    with pytest.raises(OutputError) as again:
        sink.send(frame)
    assert str(again.value) == str(first.value) and len(fake.opened) == 1
    # the device is still busy at the first retry: the wait grows
    fake.fail_opens = 1
    clock.t += sink.BACKOFF[0]
    with pytest.raises(OutputError, match="device busy"):
        sink.send(frame)
    clock.t += sink.BACKOFF[0]
    with pytest.raises(OutputError):
        sink.send(frame)
    assert len(fake.opened) == 1
    clock.t += sink.BACKOFF[1]
    sink.send(frame)  # reopened, and the frame went out
    assert len(fake.opened) == 2 and len(fake.opened[1].frames) == 2  # blank, then the frame


def test_cannot_open_says_what_to_install(fake):
    fake.fail_opens = 1
    sink = VirtualCameraSink(W, H, 30, None, PYVC)
    with pytest.raises(OutputError, match="v4l2loopback"):
        sink.open()


def test_paces_the_loop_while_the_device_is_closed(fake):
    """No device (not there yet, or lost): the sink still paces the loop at its rate instead
    of letting it spin; once the device is open, the device paces it."""
    clock, slept = Clock(10.0), []

    def sleep(d: float) -> None:
        slept.append(d)
        clock.t += d

    sink = VirtualCameraSink(
        W, H, 50, "/dev/video10", PYVC, idle_pacer=lambda fps: Pacer(fps, clock, sleep)
    )
    for _ in range(6):
        clock.t += 0.001  # the tick's own work
        sink.sleep_until_next_frame()
    # 50 fps: each tick sleeps what is left of its 1/50 s (the first one starts the schedule)
    assert slept == pytest.approx([0.02] + [0.019] * 5)
    sink.open()
    sink.sleep_until_next_frame()
    assert fake.opened[0].paced == 1 and len(slept) == 6


def test_a_device_missing_at_start_is_retried_while_the_loop_runs(fake):
    """A tray daemon started at login before the v4l2loopback module: it keeps publishing
    into the void, says why with the fix, and the first frames go out once the device opens.
    The backoff runs on a hand-driven clock; the test waits on the loop's ticks."""
    from dataclasses import replace

    from sketchd import paths
    from sketchd.config.loader import parse
    from sketchd.controller import Controller
    from sketchd.daemon import Daemon
    from sketchd.sources.demo import DemoSource

    config = parse(paths.default_config_file().read_text())
    # the camera always on: a lost device has no readers, so on demand the loop would be in
    # standby, sending (and retrying the device) twice a second only
    config = replace(config, camera=replace(config.camera, on_demand=False))
    clock = Clock(10.0)
    fake.fail_opens = 1
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", PYVC, clock=clock)
    d = Daemon(config, DemoSource(W, H, 30), [sink], pacer=sink)
    with pytest.raises(OutputError, match="device busy"):
        d.start()  # from a terminal: the user's to fix, at once
    assert not fake.opened

    fake.fail_opens = 3  # at start, and at the first two retries
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", PYVC, clock=clock)
    ticks = Ticks(sink)
    d = Daemon(config, DemoSource(W, H, 30), [sink], pacer=ticks)
    d.start(retry_output=True)
    try:
        ticks.wait_for(lambda: d.stats.output_error != "")
        err = Controller(config, d).status()["output_error"]
        assert "cannot open the virtual camera /dev/video10: device busy" in err
        assert "keeps reopening it" in err and "v4l2loopback" in err  # with its fix
        tried, n = fake.attempts, ticks.count
        ticks.wait_for(lambda: ticks.count >= n + 3)
        assert fake.attempts == tried  # the clock has not moved: no retry yet
        for wait in sink.BACKOFF[:2]:
            tried = fake.attempts
            clock.t += wait
            ticks.wait_for(lambda tried=tried: fake.attempts > tried)  # tried, still busy
        assert not fake.opened and fake.attempts == tried + 1
        clock.t += sink.BACKOFF[2]
        ticks.wait_for(lambda: d.stats.output_error == "" and d.stats.published > 0)
        assert len(fake.opened) == 1 and fake.opened[0].frames, "the device never opened"
        assert Controller(config, d).status()["output_error"] == ""
    finally:
        d.stop()

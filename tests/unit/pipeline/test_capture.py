"""The capture thread (pipeline/capture.py) run in the test's own thread, with scripted
cameras: retries with backoff, reopening after a failed read, dropping torn frames."""

from __future__ import annotations

import threading

from sketchd.errors import CameraError
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.frames import CameraFrame
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from tests.helpers.pipeline import frame, jpeg, mjpg, photo


class ScriptedSource:
    """A camera that fails to open ``fail_opens`` times, then fails its ``reads``-th read, and
    stops the capture (``stop``) with its ``stop_after``-th frame."""

    name = "scripted"

    def __init__(self, fail_opens: int, reads: int, stop: threading.Event, stop_after: int):
        self.fail_opens, self.reads = fail_opens, reads
        self.stop, self.stop_after = stop, stop_after
        self.opens = self.closes = self.seq = 0

    def open(self) -> str:
        self.opens += 1
        if self.opens <= self.fail_opens:
            raise CameraError("no camera at '/dev/video0'")
        return "scripted 120x90"

    def read(self) -> CameraFrame:
        self.seq += 1
        if self.seq == self.reads:
            raise CameraError("read failed")
        if self.seq == self.stop_after:
            self.stop.set()
        return frame(photo(), self.seq, float(self.seq))

    def close(self) -> None:
        self.closes += 1


class Backoff(threading.Event):
    """The capture's stop event: records each wait (the backoff between opens) and returns at
    once, so Capture.run goes through its retries in the test's own thread."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_capture_retries_with_backoff_and_reopens_after_a_read_failure():
    stop, box, stats = Backoff(), Mailbox(), Stats()
    src = ScriptedSource(fail_opens=3, reads=5, stop=stop, stop_after=20)
    Capture(src, box, stop, stats, backoff=(0.25, 0.5)).run()  # in this thread: no timing
    assert stop.waits == [0.25, 0.5, 0.5]  # after each failed open; the last wait repeats
    assert src.opens == 5  # 3 failures, the first session, the reopen after the read failure
    got, version = box.latest()
    assert got is not None and got.seq == 20 and version == 19  # all but the failed read
    assert src.closes >= 2 and not stats.camera_open  # closed after the failure and at the end
    assert stats.camera_desc == "scripted 120x90" and stats.camera_error == ""


class ListSource:
    """A camera that delivers ``frames`` once, then asks the capture thread to stop."""

    name = "list"

    def __init__(self, frames: list[CameraFrame], stop: threading.Event):
        self.frames, self.stop = list(frames), stop

    def open(self) -> str:
        return "list"

    def read(self) -> CameraFrame:
        f = self.frames.pop(0)
        if not self.frames:
            self.stop.set()
        return f

    def close(self) -> None:
        pass


def test_capture_drops_torn_frames_so_the_last_good_one_stays_in_the_mailbox():
    whole = jpeg(photo())
    cut = whole[: whole.size // 3]
    stop, stats, box = threading.Event(), Stats(), Mailbox()
    frames = [mjpg(whole, 1), mjpg(cut, 2), mjpg(cut, 3)]
    Capture(ListSource(frames, stop), box, stop, stats).run()  # in this thread: no timing
    got, version = box.latest()
    assert got is not None and got.seq == 1 and version == 1
    assert stats.torn_frames == 2

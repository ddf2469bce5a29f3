"""On-demand capture: the webcam is open only while an app reads Sketch Camera. The readers
come from a fake kernel (client-usage events, 0.13+) or a scripted /proc count (0.12); the
clock is a hand-driven one, so no test waits."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.demand import Demand, Readers, combine
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from sketchd.platform.linux import v4l2out as v
from sketchd.platform.linux.readers import OpenHolders
from sketchd.sinks import vcam
from sketchd.sinks.memory import RecordingSink
from tests.helpers.clock import Clock
from tests.helpers.pipeline import frame, photo, publisher
from tests.helpers.v4l2 import FakeKernel, FakeLoopback

W, H = 64, 48


# -- the state machine -----------------------------------------------------------------------


def test_a_streaming_reader_turns_the_camera_on_at_once_and_off_idle_after_it_left():
    d = Demand(idle_after=5.0)
    assert d.update(0.0, 0) is False
    assert d.update(1.0, 1) is True and "1 app reading" in d.why
    assert d.update(2.0, 0) is True  # left: still on for idle_after
    assert d.update(6.9, 0) is True
    assert d.update(7.0, 0) is False and "for 5 s" in d.why
    assert d.changed_at == 7.0


def test_a_reader_back_within_idle_after_keeps_the_camera_on():
    d = Demand(idle_after=5.0)
    d.update(0.0, 1)
    d.update(1.0, 0)
    d.update(5.5, 2)  # back before 6.0
    assert d.update(8.0, 2) is True and d.update(12.0, 2) is True


def test_with_grace_a_brief_open_never_turns_the_camera_on():
    d = Demand(idle_after=5.0)
    assert d.update(0.0, 1, grace=0.6) is False  # Chrome lists the cameras: open ...
    assert d.update(0.03, 0, grace=0.6) is False  # ... and closed 30 ms later
    assert d.update(1.0, 1, grace=0.6) is False  # a call opens it
    assert d.update(1.5, 1, grace=0.6) is False
    assert d.update(1.6, 1, grace=0.6) is True  # and stays: on


def test_a_hold_turns_it_on_without_readers_or_grace():
    d = Demand(idle_after=2.0)
    assert d.update(0.0, 0, grace=0.6, hold=True) is True
    assert "preview or a snapshot" in d.why
    assert d.update(1.0, 0) is True and d.update(3.0, 0) is False


def test_combine_needs_every_sink_to_know():
    assert combine([Readers(1, 0.0, "a"), Readers(2, 0.6, "b")]) == Readers(3, 0.6, "a; b")
    assert combine([Readers(1), None]) is None
    assert combine([]) is None


# -- where the readers come from -------------------------------------------------------------


def writer(dev: FakeLoopback) -> v.StreamingWriter:
    return v.StreamingWriter("/dev/video10", W, H, "I420", kernel=FakeKernel(dev))


def test_client_usage_events_count_streaming_readers_from_the_first_call():
    dev = FakeLoopback()
    dev.streaming_readers = 1  # a call was already streaming when sketchd (re)started
    cam = vcam.LoopbackCamera(writer(dev), 30)
    assert cam.readers() == 1 and cam.reader_grace == 0.0 and "events" in cam.readers_how
    dev.readers_stream(0)
    dev.readers_stream(2)  # two events queued between two ticks: the newest wins
    assert cam.readers() == 2
    assert cam.readers() == 2  # no new event: the count stands
    cam.close()
    assert not dev.open_fds


def test_on_0_12_the_camera_counts_the_devices_other_holders():
    dev = FakeLoopback()
    dev.usage_events = False  # 0.12: SUBSCRIBE_EVENT answers EINVAL
    counts = iter([0, 1])
    holders = OpenHolders("/dev/video10", scan=lambda p: next(counts), events=lambda: True)
    cam = vcam.LoopbackCamera(writer(dev), 30, holders=holders)
    assert cam.reader_grace > 0 and "/proc" in cam.readers_how
    assert [cam.readers(), cam.readers()] == [0, 1]


def test_open_holders_rescan_only_on_an_inotify_event_or_after_rescan_seconds():
    clock, scans, events = Clock(0.0), [], [False]
    h = OpenHolders(
        "/dev/video10", scan=lambda p: scans.append(p) or len(scans), events=lambda: events[0],
        clock=clock, rescan=5.0,
    )  # fmt: skip
    assert h.readers() == 1  # the first call scans
    clock.t = 4.0
    assert h.readers() == 1 and len(scans) == 1  # nothing happened: no /proc scan
    events[0] = True
    assert h.readers() == 2  # an open or close of the node: scanned again
    events[0] = False
    clock.t = 9.5
    assert h.readers() == 3  # and every 5 s in case one was missed


def test_the_sink_reports_no_readers_while_its_device_is_lost_and_none_for_pyvirtualcam():
    class Pyvirtualcam:  # OBS's virtual camera: nothing tells who reads it
        device, backend, native_fmt = "OBS Virtual Camera", "obs", "I420"
        unplugged = False

        def send(self, frame):
            if self.unplugged:
                raise OSError("the device went away")

        def close(self):
            pass

    cam = Pyvirtualcam()
    sink = vcam.VirtualCameraSink(W, H, 30, None, "obs", opener=lambda *a: cam)
    sink.open()
    assert sink.readers() is None
    cam.unplugged = True
    with pytest.raises(OutputError, match="the device went away"):
        sink.send(np.zeros((H, W, 3), np.uint8))
    assert sink.readers() == Readers(0, 0.0, "the device is not open")


# -- the publish loop and the capture thread --------------------------------------------------


class Watched(RecordingSink):
    def __init__(self, count: int = 0, grace: float = 0.0):
        super().__init__()
        self.watching, self.grace = count, grace

    def readers(self) -> Readers:
        return Readers(self.watching, self.grace, "scripted")


def on_demand(clock: Clock, sink: Watched):
    return publisher(clock=clock, sinks=[sink], demand=Demand(idle_after=5.0))


def test_standby_sends_a_card_twice_a_second_and_a_reader_wakes_the_camera():
    clock, sink = Clock(), Watched()
    p = on_demand(clock, sink)
    start = clock.t
    for _ in range(30):  # one second of ticks at 30 fps, nobody reading
        p.tick()
        clock.t += 1 / 30
    assert p.stats.camera == "standby" and not p.wanted.is_set()
    assert 2 <= sink.count <= 3  # the device stays listed, at a fraction of the cost
    assert np.array_equal(sink.frames[-1][1], p.card("standby"))
    assert p.stats.readers == 0 and p.stats.standby_since == start  # off from the start
    sink.watching = 1
    p.tick()
    assert p.wanted.is_set() and p.stats.camera == "starting"
    assert np.array_equal(sink.frames[-1][1], p.card("starting"))
    p.mailbox.put(frame(photo(), 1, clock.t))
    p.tick()
    assert p.stats.camera == "live"
    sink.watching = 0  # the call ends
    p.tick()
    assert p.wanted.is_set()  # on for idle_after yet
    clock.t += 5.1
    p.tick()
    assert not p.wanted.is_set() and p.stats.camera == "standby"
    assert p.stats.standby_since == clock.t


def test_a_sink_that_cannot_tell_keeps_the_camera_on():
    clock = Clock()
    p = publisher(clock=clock, sinks=[RecordingSink()], demand=Demand())
    p.tick()
    assert p.wanted.is_set() and p.stats.readers is None


class Wanted(threading.Event):
    """The capture's ``wanted``, turned on again by the "publish loop" as soon as the capture
    waits for it: the test runs Capture.run in its own thread, with no timing at all."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        self.set()
        return True


class Switching:
    """A camera whose reads follow a script: "off" clears ``wanted``, "stop" stops capture."""

    name = "switching"

    def __init__(self, wanted: threading.Event, stop: threading.Event, script: list[str]):
        self.wanted, self.stop, self.script = wanted, stop, list(script)
        self.log: list[str] = []

    def open(self) -> str:
        self.log.append("open")
        return "switching"

    def read(self):
        step = self.script.pop(0)
        if step == "off":
            self.wanted.clear()
        elif step == "stop":
            self.stop.set()
        self.log.append("read")
        return frame(photo(), len(self.log), 0.0)

    def close(self) -> None:
        self.log.append("close")


def test_capture_closes_the_camera_when_not_wanted_and_opens_it_again():
    stop, wanted = threading.Event(), Wanted()
    wanted.set()
    cam = Switching(wanted, stop, ["read", "off", "read", "stop"])
    stats = Stats()
    Capture(cam, Mailbox(), stop, stats, wanted=wanted).run()
    assert cam.log[:4] == ["open", "read", "read", "close"]  # closed once not wanted
    assert wanted.waits == 1  # then it waited, camera closed, until wanted again
    assert cam.log[4:7] == ["open", "read", "read"]  # and opened again
    assert stats.camera_open is False


def test_capture_never_opens_the_camera_while_it_is_not_wanted():
    stop, wanted = threading.Event(), threading.Event()
    cam = Switching(wanted, stop, [])
    stop.set()
    Capture(cam, Mailbox(), stop, Stats(), wanted=wanted).run()
    assert "open" not in cam.log


@pytest.mark.parametrize("count", [0, 3])
def test_status_fields_follow_the_readers(count):
    clock, sink = Clock(), Watched(count)
    p = on_demand(clock, sink)
    p.tick()
    assert p.stats.readers == count and p.stats.readers_how == "scripted"
    assert p.wanted.is_set() == (count > 0)


def test_after_a_standby_a_frame_left_from_before_is_never_shown_as_live():
    clock, sink = Clock(), Watched(1)
    p = on_demand(clock, sink)
    p.tick()  # a reader: on
    p.mailbox.put(frame(photo(), 1, clock.t))
    p.tick()
    assert p.stats.camera == "live"
    sink.watching = 0
    p.tick()
    clock.t += 5.1
    p.mailbox.put(frame(photo()[::-1].copy(), 2, clock.t - 0.05))  # the camera's last frame
    p.tick()
    assert p.stats.camera == "standby"
    clock.t += 0.2
    sink.watching = 1  # back within a second: that frame is 0.25 s old, but from before
    p.tick()
    assert p.stats.camera == "starting"
    assert np.array_equal(sink.frames[-1][1], p.card("starting"))
    p.mailbox.put(frame(photo(), 3, clock.t))  # the camera's first new frame
    p.tick()
    assert p.stats.camera == "live"


def test_a_hold_keeps_the_camera_on_for_its_seconds_on_the_loops_clock():
    clock, sink = Clock(), Watched(0)
    p = on_demand(clock, sink)
    p.tick()
    assert p.stats.camera == "standby"
    p.hold(2.0)
    p.tick()
    assert p.wanted.is_set()
    clock.t += 2.1  # the hold is over: idle_after (5 s) from here
    p.tick()
    assert p.wanted.is_set()
    clock.t += 5.0
    p.tick()
    assert not p.wanted.is_set() and p.stats.camera == "standby"


def test_a_frame_requested_in_standby_opens_the_camera_and_is_a_live_one():
    clock, sink = Clock(), Watched(0)
    p = on_demand(clock, sink)
    p.tick()
    assert p.stats.camera == "standby"
    with pytest.raises(TimeoutError):
        p.request_frame(0.0)  # nothing live at once; the camera is held open meanwhile
    got: list = []
    asker = threading.Thread(target=lambda: got.append(p.request_frame(10.0)))
    asker.start()
    for seq in range(1, 100_000):  # ticks until it has its frame: no time is measured
        p.tick()
        p.mailbox.put(frame(photo(), seq, clock.t))
        clock.t += 0.001
        if not asker.is_alive():
            break
    asker.join()
    assert p.stats.camera == "live" and got and got[0] is not None
    assert not any(np.array_equal(got[0], p.card(k)) for k in ("standby", "starting"))


def test_a_frame_requested_while_live_comes_at_once():
    clock, sink = Clock(), Watched(1)
    p = on_demand(clock, sink)
    assert p.request_frame(5.0) is None  # nothing published yet
    p.tick()
    p.mailbox.put(frame(photo(), 1, clock.t))
    p.tick()
    assert p.stats.camera == "live" and p.request_frame(0.0) is p.last_published


def test_turning_on_demand_off_wants_the_camera_at_the_next_tick():
    clock, sink = Clock(), Watched(0)
    p = on_demand(clock, sink)
    p.tick()
    assert not p.wanted.is_set() and p.on_demand
    p.set_demand(None)
    assert not p.on_demand  # asked: the status says so at once
    p.tick()
    assert p.wanted.is_set() and p.stats.camera == "starting" and p.stats.standby_since is None
    p.set_demand(3.0)
    p.tick()  # a new state machine, off: nobody reads
    assert not p.wanted.is_set() and p.stats.camera == "standby"

"""The Daemon's ownership of its devices: what start, reopen and stop open and close, and in
which order, with the sinks recorded at the OS boundary. No thread timing is asserted: each
test waits for a state, or runs before the threads start or after they stop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.errors import OutputError
from sketchd.pipeline.demand import Readers
from sketchd.pipeline.frames import CameraFrame
from sketchd.pipeline.pacer import Pacer
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource
from tests.helpers.clock import Ticks
from tests.helpers.wait import wait_until


def replace_size(config, width: int, height: int):
    return replace(config, output=replace(config.output, width=width, height=height))


CONFIG = replace_size(parse(paths.default_config_file().read_text()), 160, 90)


class Refusing(RecordingSink):
    """A device that is not there."""

    def open(self) -> str:
        raise OutputError("no virtual camera found")


def daemon(sinks, **kw) -> Daemon:
    return Daemon(CONFIG, DemoSource(64, 48, 30), sinks, **kw)


def test_a_sink_that_fails_to_open_closes_the_ones_already_open_and_starts_nothing():
    first, second = RecordingSink(), Refusing()
    d = daemon([first, second])
    with pytest.raises(OutputError, match="no virtual camera"):
        d.start()
    assert first.opened and first.closed  # released at once, not left to stop()
    assert not d.capture.is_alive()
    assert [t for t in threading.enumerate() if t.name == "sketchd-publish"] == []
    d.stop()  # what run() does on the way out: nothing is closed twice, nothing raises
    assert not second.closed


def started_with_a_sink_factory() -> tuple[Daemon, RecordingSink, list[RecordingSink]]:
    """A started daemon with one sink, and the sinks a reload has made since (in order)."""
    made: list[RecordingSink] = []

    def make_sinks(cfg):
        made.append(RecordingSink())
        return made[-1:], None

    first = RecordingSink()
    d = daemon([first], make_sinks=make_sinks)
    d.start()
    return d, first, made


def test_a_reload_after_stop_opens_nothing():
    d, first, made = started_with_a_sink_factory()
    d.stop()
    assert first.closed
    d.reopen(CONFIG, output=True)  # a config edit that arrives while stopping
    assert made == [] and d.sinks == [first]


def test_stop_closes_the_sinks_the_publisher_has_now_after_a_swap():
    d, first, made = started_with_a_sink_factory()
    try:
        d.reopen(replace_size(CONFIG, 200, 100), output=True)
        assert first.closed and d.sinks == made and made[0].opened
    finally:
        d.stop()
    assert made[0].closed
    # the off card went to the sink of the moment, at its size
    assert made[0].last().shape[:2] == (100, 200)


def test_a_failed_output_reopen_is_raised_and_the_loop_keeps_running():
    def make_sinks(cfg):
        return [Refusing()], None

    first = RecordingSink()
    d = daemon([first], make_sinks=make_sinks)
    d.start()
    try:
        with pytest.raises(OutputError, match="no virtual camera"):
            d.reopen(CONFIG, output=True)
        assert d.sinks == [] and first.closed
        assert [t.is_alive() for t in threading.enumerate() if t.name == "sketchd-publish"] == [
            True
        ]
    finally:
        d.stop()


class SlowToOpen(RecordingSink):
    """A device whose open takes until the test sets ``go``."""

    def __init__(self) -> None:
        super().__init__()
        self.opening, self.go = threading.Event(), threading.Event()

    def open(self) -> str:
        self.opening.set()
        self.go.wait(10.0)  # ends a hang only
        return super().open()


def test_the_loop_runs_on_while_an_output_reload_opens_its_device():
    slow, first = SlowToOpen(), RecordingSink()
    d = daemon([first], make_sinks=lambda cfg: ([slow], None))
    d.start()
    bigger = replace_size(CONFIG, 200, 100)
    reload = threading.Thread(target=d.reopen, args=(bigger,), kwargs={"output": True})
    try:
        reload.start()
        assert slow.opening.wait(10.0)
        assert first.closed  # closed before the new one opens: one writer per device
        n = d.stats.published
        wait_until(lambda: d.stats.published > n + 2, "ticks while the device opens")
        slow.go.set()
        reload.join(10.0)
        wait_until(lambda: slow.count > 0, "frames to the new device")
        assert slow.last().shape[:2] == (100, 200) and d.sinks == [slow]
    finally:
        slow.go.set()
        d.stop()


def test_the_controller_is_built_on_top_of_the_pipeline(tmp_path):
    path = tmp_path / "sketchd.yaml"
    d = daemon([RecordingSink()])
    c = Controller(CONFIG, d, config_path=path)
    assert c.config_path == path and c.status()["config"] == str(path)
    c.set_preset("ink")
    assert d.publisher.settings.preset == "ink"
    c.quit()
    assert d.stop_event.is_set()


def with_camera(config, **changes):
    return replace(config, camera=replace(config.camera, **changes))


class ReloadMidTick(RecordingSink):
    """A virtual camera that counts one reader. The publish loop asks it mid-tick, between
    reading its on-demand state and using it; ``during`` then runs once, in a thread of its
    own (the config watcher's), to its end before the tick goes on."""

    def __init__(self) -> None:
        super().__init__()
        self.during: Callable[[], object] | None = None
        self.ran = threading.Event()

    def readers(self) -> Readers:
        during, self.during = self.during, None
        if during is not None:
            watcher = threading.Thread(target=during, name="sketchd-config-watcher")
            watcher.start()
            watcher.join(10.0)  # ends a hang only
            self.ran.set()
        return Readers(1, 0.0, "scripted")


def test_a_reload_turning_on_demand_off_mid_tick_leaves_the_loop_running():
    on = with_camera(CONFIG, on_demand=True)
    sink = ReloadMidTick()
    d = daemon([sink], make_source=lambda cam: DemoSource(64, 48, 30))
    d.start()
    try:
        wait_until(lambda: sink.count > 0, "a first frame")
        sink.during = lambda: d.reopen(with_camera(on, on_demand=False), camera=True)
        wait_until(sink.ran.is_set, "a reload in the middle of a tick")
        n = sink.count
        wait_until(lambda: sink.count > n + 2 or d.stop_event.is_set(), "more frames")
        assert not d.stop_event.is_set(), "the publish loop failed"
        wait_until(lambda: d.stats.camera == "live", "the camera, wanted always now")
    finally:
        d.stop()


class StuckCamera:
    """A camera whose read blocks until the test sets ``release`` (a driver stuck in read)."""

    name = "stuck"

    def __init__(self) -> None:
        self.reading, self.release = threading.Event(), threading.Event()

    def open(self) -> str:
        return "stuck camera"

    def read(self) -> CameraFrame:
        self.reading.set()
        self.release.wait(10.0)  # ends a hang only
        img = np.zeros((48, 64, 3), np.uint8)
        return CameraFrame(img, "BGR", 64, 48, 1, 0.0)

    def close(self) -> None:
        pass


def test_a_capture_thread_stuck_in_a_read_writes_nothing_once_the_camera_is_reopened(caplog):
    stuck, fresh = StuckCamera(), DemoSource(64, 48, 30)
    d = Daemon(CONFIG, stuck, [RecordingSink()], make_source=lambda cam: fresh)
    d.start()
    try:
        assert stuck.reading.wait(10.0)
        old = d.capture
        d.reopen(CONFIG, camera=True)
        assert d.capture is not old and old.is_alive()
        said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("still in a read" in m for m in said), said  # the log says so
        wait_until(lambda: d.mailbox.latest()[0] is not None, "a frame from the new camera")
        stuck.release.set()  # the stuck read returns: its frame and its close come too late
        old.join(10.0)
        assert not old.is_alive()
        assert d.stats.camera_open, "the old thread's close was taken for the new camera's"
    finally:
        d.stop()


def test_daemon_publishes_the_demo_camera_and_releases_everything_on_stop():
    """How fast it stops is a real-time figure: tests/soak/test_shutdown_realtime.py."""
    config = parse(paths.default_config_file().read_text())  # the shipped size, not CONFIG's
    sink = RecordingSink(keep=5)
    demo = DemoSource(320, 240, 30)
    ticks = Ticks(Pacer(config.output.fps))
    d = Daemon(config, demo, [sink], pacer=ticks)
    d.start()
    try:
        ticks.wait_for(lambda: d.stats.camera == "live", 20)
        n = sink.count
        ticks.wait_for(lambda: sink.count > n + 3)  # frames keep flowing
        c = Controller(config, d)
        c.set_preset("ink")
        assert c.status()["preset"] == "ink"
        n = sink.count
        ticks.wait_for(lambda: sink.count > n + 1)
        last = sink.last()
        assert last is not None and last.shape[:2] == (config.output.height, config.output.width)
    finally:
        d.stop()
    assert sink.closed and not d.capture.is_alive() and not d.publishing()

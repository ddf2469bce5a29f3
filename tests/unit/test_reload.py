"""Live reload on a running daemon (demo camera, recording sink): an edit takes effect without
closing the output; a broken edit keeps the running config and is reported once.

The watcher is driven by hand (``poll_once``, one look at the file, as its thread takes every
``reload.POLL`` s), so what a look does or does not do is checked at once, with no sleep.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from sketchd import paths
from sketchd.config import reload
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.errors import ConfigError
from sketchd.sinks.memory import RecordingSink
from sketchd.sources import make_source
from tests.helpers.wait import wait_until

DEFAULTS = parse(paths.default_config_file().read_text())

TINTED = """\
camera: {{device: demo, width: 160, height: 120}}
output: {{width: {w}, height: {h}}}
preset: tint
presets:
  tint:
    chain:
      - paper_tint: {{colour: '{colour}', strength: 1.0}}
  pencil:
    chain: [pencil]
"""


def tinted(colour: str = "#ff0000", w: int = 320, h: int = 240) -> str:
    return TINTED.format(colour=colour, w=w, h=h)


def dominant(frame: np.ndarray) -> str:
    """Which channel a tinted frame keeps: 'red' or 'blue'."""
    b, _g, r = (float(frame[..., i].mean()) for i in range(3))
    return "red" if r > 3 * b + 1 else "blue" if b > 3 * r + 1 else "mixed"


@pytest.fixture
def running(home, tmp_path):
    cfg_file = tmp_path / "sketchd.yaml"
    cfg_file.write_text(tinted())
    cfg = reload.read(cfg_file)
    sink = RecordingSink(keep=3)
    d = Daemon(cfg, make_source(cfg.camera), [sink], make_source=make_source)
    c = Controller(cfg, d, config_path=cfg_file)
    notices: list[tuple[str, str]] = []
    c.notices.append(lambda t, m: notices.append((t, m)))
    d.start()
    watcher = reload.Watcher(cfg_file, c.reload, settle=0)  # no thread: poll_once
    wait_until(lambda: d.stats.camera == "live", timeout=20)
    yield d, c, sink, cfg_file, notices, watcher
    d.stop()


def published(sink: RecordingSink) -> np.ndarray:
    n = sink.count
    wait_until(lambda: sink.count > n + 1)
    return sink.last()


def test_an_edit_applies_without_closing_the_output(running):
    _d, c, sink, cfg_file, notices, watcher = running
    assert dominant(published(sink)) == "red"
    cfg_file.write_text(tinted("#0000ff"))
    assert watcher.poll_once()  # the look that sees the edit applies it
    assert c.config == reload.read(cfg_file)
    wait_until(lambda: dominant(sink.last()) == "blue")  # the next camera frame is blue
    assert sink.opened and not sink.closed  # the call app keeps its stream
    assert c.settings.preset == "tint" and not notices


def test_a_broken_edit_keeps_the_running_config_and_is_reported_once(running, caplog):
    d, _c, sink, cfg_file, notices, watcher = running
    cfg_file.write_text(tinted("#0000ff").replace("strength: 1.0", "strength: 7") + "bogus: 1\n")
    assert watcher.poll_once() and len(notices) == 1
    assert not any(watcher.poll_once() for _ in range(3))  # more looks, the same bytes
    assert len(notices) == 1  # still one report for one broken content
    title, message = notices[0]
    assert title == "Config not applied"
    assert "(line" in message and "and 1 more" in message
    assert "bogus" in caplog.text and "strength" in caplog.text  # the full list is logged
    assert dominant(published(sink)) == "red"  # the old config runs on
    assert not d.stop_event.is_set()
    cfg_file.write_text(tinted("#0000ff"))  # fixed: applies
    assert watcher.poll_once() and len(notices) == 1
    wait_until(lambda: dominant(sink.last()) == "blue")


def test_switching_presets_by_file_and_losing_the_active_one(running):
    _d, c, _sink, cfg_file, _, watcher = running
    c.set_preset("pencil")
    cfg_file.write_text(tinted().replace("  pencil:\n    chain: [pencil]\n", ""))
    assert watcher.poll_once() and "pencil" not in c.config.presets
    assert c.settings.preset == "tint"  # its preset is gone: the file's applies
    c.set_preset("tint")
    cfg_file.write_text(tinted().replace("preset: tint", "preset: pencil"))
    assert watcher.poll_once()
    assert c.settings.preset == "pencil"  # `preset:` changed: it applies


def publish_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sketchd-publish"]


def test_an_output_size_change_reopens_only_the_output(running):
    d, _c, sink, cfg_file, _, watcher = running
    capture, publisher, threads = d.capture, d.publisher, publish_threads()
    cfg_file.write_text(tinted(w=200, h=100))
    assert watcher.poll_once()
    assert published(sink).shape[:2] == (100, 200)
    assert d.capture is capture and capture.is_alive()  # the camera was not touched
    assert not sink.closed
    # the sinks were swapped under the running loop: the same Publisher, the same thread
    assert d.publisher is publisher and publish_threads() == threads and len(threads) == 1


def test_a_camera_change_reopens_only_the_camera(running):
    d, _c, sink, cfg_file, _, watcher = running
    capture, publisher = d.capture, d.publisher
    cfg_file.write_text(tinted().replace("width: 160, height: 120", "width: 96, height: 64"))
    assert watcher.poll_once()
    assert d.capture is not capture and not capture.is_alive()  # replaced during the look
    wait_until(lambda: d.stats.camera_desc.startswith("demo: 96x64"))  # the new thread opened it
    assert d.publisher is publisher
    n = sink.count
    wait_until(lambda: sink.count > n + 5)


def test_reload_by_hand_reports_what_changed(running):
    _d, c, _sink, cfg_file, _, _watcher = running
    assert c.reload() == {"changed": [], "preset": "tint"}
    cfg_file.write_text(tinted("#00ff00") + "snapshots: {folder: /tmp/x}\n")
    assert c.reload()["changed"] == ["presets", "snapshots"]
    cfg_file.unlink()
    with pytest.raises(ConfigError, match="no such file"):
        c.reload()


def test_diff():
    c = DEFAULTS
    assert reload.diff(c, c).names == []
    other = parse("output: {mirror: true, width: 640}\npreset: ink\ncamera: {fps: 15}\n")
    assert reload.diff(c, other).names == ["preset", "mirror", "camera", "output"]


def touch(f: Path) -> None:
    """A new mtime, the same bytes (explicit: a real touch may land in the same clock tick)."""
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_the_watcher_ignores_touches_and_waits_for_a_file_to_appear(tmp_path):
    f = tmp_path / "later.yaml"
    calls = []
    w = reload.Watcher(f, lambda: calls.append(1), settle=0)
    assert not w.poll_once() and calls == []  # no file yet
    f.write_text("preset: ink\n")
    assert w.poll_once() and calls == [1]
    assert not w.poll_once() and calls == [1]  # unchanged
    touch(f)
    assert not w.poll_once() and calls == [1]  # touched, the same bytes
    f.unlink()
    assert not w.poll_once() and calls == [1]  # gone (an editor between delete and write)
    f.write_text("preset: ink\n")  # back with the same bytes: nothing new to apply
    touch(f)
    assert not w.poll_once() and calls == [1]
    f.write_text("preset: pencil\n")
    assert w.poll_once() and calls == [1, 1]


def test_a_failing_reload_is_logged_and_the_watcher_goes_on(tmp_path, caplog):
    f = tmp_path / "c.yaml"
    f.write_text("preset: ink\n")

    def broken():
        raise ConfigError(["preset: no such preset"], str(f))

    w = reload.Watcher(f, broken, settle=0)
    f.write_text("preset: nope\n")
    assert w.poll_once()  # raised nothing: the reload reported it itself
    w.on_change = lambda: 1 / 0
    f.write_text("preset: pencil\n")
    assert w.poll_once() and "reload failed" in caplog.text


def test_the_watcher_thread_takes_the_looks(tmp_path):
    """The thread calls poll_once: an edit reaches on_change with nobody calling it."""
    f = tmp_path / "c.yaml"
    f.write_text("preset: ink\n")
    changed = threading.Event()
    w = reload.Watcher(f, changed.set, poll=0.01, settle=0.01).start()
    try:
        f.write_text("preset: pencil\n")
        assert changed.wait(30), "the watcher thread never saw the edit"
    finally:
        w.stop()
    assert not w.is_alive()  # stop() ended it
    # what the daemon's watcher promises: an edit is seen and applied well within 2 s
    assert reload.POLL + reload.SETTLE < 2


def test_watched_file_defaults_to_the_users(home):
    assert reload.watched_file(None) == paths.config_file()
    assert reload.watched_file(Path("/x.yaml")) == Path("/x.yaml")


def test_an_output_that_fails_to_reopen_is_reported_and_the_loop_goes_on(home, tmp_path):
    from sketchd.errors import OutputError

    cfg_file = tmp_path / "sketchd.yaml"
    cfg_file.write_text(tinted())
    cfg = reload.read(cfg_file)
    made: list[RecordingSink] = []

    def make_sinks(c):
        if made:
            raise OutputError(f"/dev/video10 cannot take {c.output.width}x{c.output.height}")
        made.append(RecordingSink(keep=2))
        return made, None

    sinks, _ = make_sinks(cfg)
    d = Daemon(
        cfg,
        make_source(cfg.camera),
        sinks,
        make_source=make_source,
        make_sinks=make_sinks,
    )
    c = Controller(cfg, d, config_path=cfg_file)
    notices: list = []
    c.notices.append(lambda t, m: notices.append((t, m)))
    d.start()
    try:
        cfg_file.write_text(tinted(w=200, h=100))
        c.reload()
        assert notices == [("Config applied, but", "/dev/video10 cannot take 200x100")]
        assert made[0].closed
        n = d.stats.published
        wait_until(lambda: d.stats.published > n + 3)  # the loop runs on, to no sink
        assert c.status()["preset"] == "tint"
    finally:
        d.stop()

"""Live reload on a running daemon (demo camera, recording sink): an edit takes effect within
2 s without closing the output; a broken edit keeps the running config and is reported once."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sketchd import paths, reload
from sketchd.app import Daemon
from sketchd.config.loader import parse
from sketchd.errors import ConfigError
from sketchd.sinks.memory import RecordingSink
from sketchd.sources import make_source

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
    d.controller.config_path = cfg_file
    notices: list[tuple[str, str]] = []
    d.controller.notices.append(lambda t, m: notices.append((t, m)))
    d.start()
    watcher = reload.Watcher(cfg_file, d.controller.reload).start()
    wait(lambda: d.stats.camera == "live", 20)
    yield d, sink, cfg_file, notices
    watcher.stop()
    d.stop()


def wait(check, timeout: float) -> float:
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < timeout, f"not within {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - t0


def published(sink: RecordingSink) -> np.ndarray:
    n = sink.count
    wait(lambda: sink.count > n + 1, 2)
    return sink.last()


def test_an_edit_applies_within_two_seconds_without_closing_the_output(running):
    d, sink, cfg_file, notices = running
    assert dominant(published(sink)) == "red"
    cfg_file.write_text(tinted("#0000ff"))
    took = wait(lambda: dominant(sink.last()) == "blue", 2.0)
    assert took < 2.0
    assert sink.opened and not sink.closed  # the call app keeps its stream
    assert d.controller.settings.preset == "tint" and not notices


def test_a_broken_edit_keeps_the_running_config_and_is_reported_once(running, caplog):
    d, sink, cfg_file, notices = running
    cfg_file.write_text(tinted("#0000ff").replace("strength: 1.0", "strength: 7") + "bogus: 1\n")
    wait(lambda: notices, 3)
    time.sleep(1.2)  # more polls: still one report for one broken content
    assert len(notices) == 1
    title, message = notices[0]
    assert title == "Config not applied"
    assert "(line" in message and "and 1 more" in message
    assert "bogus" in caplog.text and "strength" in caplog.text  # the full list is logged
    assert dominant(published(sink)) == "red"  # the old config runs on
    assert not d.stop_event.is_set()
    cfg_file.write_text(tinted("#0000ff"))  # fixed: applies
    wait(lambda: dominant(sink.last()) == "blue", 2.0)


def test_switching_presets_by_file_and_losing_the_active_one(running):
    d, _sink, cfg_file, _ = running
    d.controller.set_preset("pencil")
    cfg_file.write_text(tinted().replace("  pencil:\n    chain: [pencil]\n", ""))
    wait(lambda: "pencil" not in d.controller.config.presets, 2)
    assert d.controller.settings.preset == "tint"  # its preset is gone: the file's applies
    d.controller.set_preset("tint")
    cfg_file.write_text(tinted().replace("preset: tint", "preset: pencil"))
    wait(lambda: d.controller.settings.preset == "pencil", 2)  # `preset:` changed: it applies


def test_an_output_size_change_reopens_only_the_output(running):
    d, sink, cfg_file, _ = running
    capture = d.capture
    cfg_file.write_text(tinted(w=200, h=100))
    wait(lambda: sink.last().shape[:2] == (100, 200), 3)
    assert d.capture is capture and capture.is_alive()  # the camera was not touched
    assert not sink.closed


def test_a_camera_change_reopens_only_the_camera(running):
    d, sink, cfg_file, _ = running
    capture, publisher = d.capture, d.publisher
    cfg_file.write_text(tinted().replace("width: 160, height: 120", "width: 96, height: 64"))
    wait(lambda: d.capture is not capture and d.stats.camera_desc.startswith("demo: 96x64"), 3)
    assert d.publisher is publisher and not capture.is_alive()
    n = sink.count
    wait(lambda: sink.count > n + 5, 2)


def test_reload_by_hand_reports_what_changed(running):
    d, _sink, cfg_file, _ = running
    assert d.controller.reload() == {"changed": [], "preset": "tint"}
    cfg_file.write_text(tinted("#00ff00") + "snapshots: {folder: /tmp/x}\n")
    assert d.controller.reload()["changed"] == ["presets", "snapshots"]
    cfg_file.unlink()
    with pytest.raises(ConfigError, match="no such file"):
        d.controller.reload()


def test_diff():
    c = DEFAULTS
    assert reload.diff(c, c).names == []
    other = parse("output: {mirror: true, width: 640}\npreset: ink\ncamera: {fps: 15}\n")
    assert reload.diff(c, other).names == ["preset", "mirror", "camera", "output"]


def test_the_watcher_ignores_touches_and_waits_for_a_file_to_appear(tmp_path):
    f = tmp_path / "later.yaml"
    calls = []
    w = reload.Watcher(f, lambda: calls.append(1), poll=0.05).start()
    try:
        time.sleep(0.2)
        assert calls == []
        f.write_text("preset: ink\n")
        wait(lambda: calls == [1], 2)
        f.touch()
        time.sleep(0.3)
        assert calls == [1]
        f.unlink()
        time.sleep(0.2)
        f.write_text("preset: ink\n")  # back with the same bytes: nothing new to apply
        time.sleep(0.3)
        assert calls == [1]
    finally:
        w.stop()


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
    d = Daemon(cfg, make_source(cfg.camera), sinks, make_source=make_source, make_sinks=make_sinks)
    d.controller.config_path = cfg_file
    notices: list = []
    d.controller.notices.append(lambda t, m: notices.append((t, m)))
    d.start()
    try:
        cfg_file.write_text(tinted(w=200, h=100))
        d.controller.reload()
        assert notices == [("Config applied, but", "/dev/video10 cannot take 200x100")]
        assert made[0].closed
        n = d.stats.published
        wait(lambda: d.stats.published > n + 3, 2)  # the loop runs on, to no sink
        assert d.controller.status()["preset"] == "tint"
    finally:
        d.stop()

"""The Daemon's ownership of its devices: what start, reopen and stop open and close, and in
which order, with the sinks recorded at the OS boundary. No thread timing is asserted: each
test waits for a state, or runs before the threads start or after they stop."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.daemon import Daemon
from sketchd.errors import OutputError
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource


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


def test_the_controller_gets_its_collaborators_at_construction(tmp_path):
    path = tmp_path / "sketchd.yaml"
    d = daemon([RecordingSink()], config_path=path, overrides=lambda c: c)
    assert d.controller.config_path == path
    assert d.controller.publisher is d.publisher
    assert d.controller.status()["config"] == str(path)

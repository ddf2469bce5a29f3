"""The state file: last preset and toggles survive a restart; the user's YAML is never written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sketchd import paths
from sketchd.config import state
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.sinks.memory import NullSink
from sketchd.sources.demo import DemoSource
from tests.helpers.process import DaemonOutput

CONFIG = parse(paths.default_config_file().read_text())


def test_no_file_is_the_empty_state(home):
    assert state.load() == state.State()
    assert state.state_file().parent == paths.state_dir()


def test_round_trip_and_atomic_write(home):
    s = state.State("cartoon", bypass=True, privacy=False, mirror=True)
    state.save(s)
    assert state.load() == s
    assert json.loads(state.state_file().read_text())["preset"] == "cartoon"
    assert [p.name for p in state.state_file().parent.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{broken", state.State()),
        ("[1, 2]", state.State()),
        (
            '{"preset": 5, "bypass": "yes", "privacy": true, "mirror": "no"}',
            state.State(None, False, True, None),
        ),
        ('{"preset": "ink", "extra": 1}', state.State("ink")),
        ("\udcff", state.State()),
    ],
)
def test_a_damaged_state_file_is_ignored_with_a_warning(home, caplog, text, expected):
    f = state.state_file()
    f.parent.mkdir(parents=True)
    f.write_text(text, errors="surrogateescape")
    assert state.load() == expected


def test_a_huge_state_file_is_not_read(home):
    f = state.state_file()
    f.parent.mkdir(parents=True)
    f.write_text('{"preset": "' + "x" * state.MAX_BYTES + '"}')
    assert state.load() == state.State()


def test_an_unwritable_state_folder_is_logged_not_raised(home, caplog):
    paths.state_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.state_dir().write_text("a file where the folder should be")
    state.save(state.State("ink"))
    assert "cannot save" in caplog.text


def test_restore_and_saver(home):
    d = Daemon(CONFIG, DemoSource(64, 48, 30), [NullSink()])
    c = Controller(CONFIG, d)
    s = c.restore(state.State("ink", bypass=True, privacy=True, mirror=True))
    assert (s.preset, s.bypass, s.privacy, s.mirror) == ("ink", True, True, True)
    s = c.restore(state.State("gone", bypass=False), preset=True)
    assert s.preset == "ink"  # a preset no longer in the config is ignored
    s = c.restore(state.State("cartoon"), preset=False)
    assert s.preset == "ink"  # --preset on the command line wins
    saver = state.Saver(c.saved_state)
    c.listeners.append(saver)
    c.set_preset("cartoon")
    assert state.load().preset == "cartoon"
    state.state_file().unlink()  # so a write shows, whatever the clock and the file system
    c.set_preset("cartoon")  # no change: no write
    assert not state.state_file().exists()
    c.set_bypass(False)  # the state saved last: still no write
    assert not state.state_file().exists()
    c.set_bypass(True)
    assert state.load().bypass is True


def sketchd(env, *args, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "sketchd", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_preset_and_toggles_survive_a_restart_and_the_yaml_is_untouched(home, sketchd_env):
    cfg = home / "my.yaml"
    text = "# my own comments stay\npreset: pencil  # and this one\n"
    cfg.write_text(text)
    before = os.stat(cfg).st_mtime_ns
    run = ["run", "--no-tray", "--camera", "demo", "--output", "null", "--config", str(cfg)]
    for attempt in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sketchd", *run],
            env=sketchd_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        out = DaemonOutput(proc.stdout)
        try:
            # up (its control channel too), and the demo camera live
            out.wait_for("running: preset", "output: first live frame out")
            status = sketchd(sketchd_env, "status", "--json")
            assert status.returncode == 0, status.stderr
            st = json.loads(status.stdout)
            assert st["camera"] == "live"
            if attempt == 0:
                assert (st["preset"], st["bypass"], st["mirror"]) == ("pencil", False, False)
                for args in (("preset", "cartoon"), ("bypass", "on"), ("mirror", "on")):
                    assert sketchd(sketchd_env, *args).returncode == 0
            else:
                assert (st["preset"], st["bypass"], st["mirror"]) == ("cartoon", True, True)
            assert sketchd(sketchd_env, "quit").returncode == 0
            assert proc.wait(10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.join()
    assert cfg.read_text() == text and os.stat(cfg).st_mtime_ns == before

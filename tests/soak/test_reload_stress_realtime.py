"""A running `sketchd run` whose config is rewritten every ~300 ms, flipping ``camera.on_demand``
(a camera reopen and a new Demand for the publish loop, each time) and the preset (pencil /
ink), while its status is asked for without pause: the daemon stays up, answers every time,
logs no traceback and nothing "failed", and applies the reloads (issue 23: the race between a
reload turning on-demand off and the publish loop).

The file is written as an editor saves (a temporary file renamed over it), so the watcher
never reads half a file. How long it flips: ``SKETCHD_SOAK_FRAMES / 300`` seconds, kept
between 20 s and 60 s: 20 s in CI's short variant (6000), a minute in the full soak
(SKETCHD_SOAK_FRAMES=50000).

Real time (a process, the config watcher's polling): a figure of the soak suite.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sketchd import control, logs
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.soak

FRAMES = int(os.environ.get("SKETCHD_SOAK_FRAMES", "6000"))
FLIP_FOR = min(60.0, max(20.0, FRAMES / 300))  # seconds
EVERY = 0.3  # s between rewrites (jittered ±50 ms, so the watcher's polls never phase-lock)
PRESETS = ("pencil", "ink")
APPLIED = re.compile(r"config: applied \(([^)]*)\); preset (\S+)")


def config_text(on_demand: bool, preset: str) -> str:
    # small frames: the test is about reloads, not about filtering speed
    return (
        "camera:\n"
        "  device: demo\n"
        "  width: 640\n"
        "  height: 360\n"
        f"  on_demand: {'true' if on_demand else 'false'}\n"
        "  idle_after: 5\n"
        "output:\n"
        "  width: 640\n"
        "  height: 360\n"
        f"preset: {preset}\n"
    )


def save_like_an_editor(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def state(i: int) -> tuple[bool, str]:
    """The i-th write: on_demand flips on odd writes, the preset on even ones (a Gray code),
    so any two writes two apart differ in both and a watcher that skips one still sees both
    settings change."""
    return (i + 1) // 2 % 2 == 0, PRESETS[i // 2 % 2]


def test_config_flipping_under_status_polling_keeps_the_daemon_up(tmp_path, home, sketchd_env):
    cfg = tmp_path / "sketchd.yaml"
    save_like_an_editor(cfg, config_text(*state(0)))
    out = tmp_path / "out.log"
    cmd = [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "demo"]
    cmd += ["--output", "null", "--config", str(cfg)]
    writes: list[tuple[bool, str]] = [state(0)]
    stop_writing = threading.Event()
    writer_error: list[BaseException] = []

    def writer() -> None:
        rnd = random.Random(23)
        i = 0
        try:
            while not stop_writing.wait(EVERY + rnd.uniform(-0.05, 0.05)):
                i += 1
                save_like_an_editor(cfg, config_text(*state(i)))
                writes.append(state(i))
        except BaseException as e:  # reported by the test, not lost in the thread
            writer_error.append(e)

    polls, slowest, status = 0, 0.0, {}
    with out.open("w") as sink:
        proc = subprocess.Popen(cmd, env=sketchd_env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_until(
                lambda: proc.poll() is not None or "running: preset" in out.read_text(),
                "the daemon's start",
                timeout=60,
            )
            assert proc.poll() is None, out.read_text()
            t0 = time.monotonic()
            thread = threading.Thread(target=writer, name="config-writer", daemon=True)
            thread.start()
            try:
                while time.monotonic() - t0 < FLIP_FOR:
                    assert proc.poll() is None, f"the daemon died:\n{out.read_text()}"
                    asked = time.monotonic()
                    status = control.request("status", timeout=5.0)
                    slowest = max(slowest, time.monotonic() - asked)
                    assert status["pid"] == proc.pid, status
                    polls += 1
                    time.sleep(0.02)
            finally:
                stop_writing.set()
                thread.join(2.0)
            flipped_for = time.monotonic() - t0
            assert not writer_error, writer_error
            # the last write is applied once the watcher has looked again (0.5 s poll + settle)
            last_on_demand, last_preset = writes[-1]

            def caught_up() -> bool:
                s = control.request("status", timeout=5.0)
                return s["preset"] == last_preset and s["on_demand"] == last_on_demand

            wait_until(caught_up, f"the last write {writes[-1]} applied", timeout=10)
            cli = subprocess.run(
                [sys.executable, "-m", "sketchd", "status"],
                env=sketchd_env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert cli.returncode == 0, cli.stdout + cli.stderr
            assert f"preset:    {last_preset}" in cli.stdout, cli.stdout
            assert proc.poll() is None, out.read_text()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)

    text = out.read_text()
    log_file = logs.log_file()
    file_text = log_file.read_text() if log_file.exists() else ""
    applied = APPLIED.findall(text)
    camera_reloads = sum("camera" in changed.split(", ") for changed, _ in applied)
    preset_reloads = sum("preset" in changed.split(", ") for changed, _ in applied)
    reopened = text.count("config: camera settings changed; reopening the camera")
    stuck = text.count("the old capture thread is still in a read")
    report = (
        f"{len(writes)} writes in {flipped_for:.1f} s, {len(applied)} reloads applied "
        f"({camera_reloads} with camera, {preset_reloads} with preset; camera reopened "
        f"{reopened} times, {stuck} with the old capture thread stuck); {polls} status "
        f"answers, the slowest {1000 * slowest:.0f} ms; last status: camera {status.get('camera')}"
        f", {status.get('published')} frames published"
    )
    print("\n" + report)
    for name, body in (("output", text), ("log file", file_text)):
        assert "Traceback" not in body, f"{report}\n{name}:\n{body}"
        bad = [line for line in body.splitlines() if "failed" in line or "not applied" in line]
        assert not bad, f"{report}\n{name}: " + "\n".join(bad)
    assert rc == 0, f"{report}\n{text}"
    assert "camera and virtual camera released" in text
    assert file_text, f"no log file at {log_file}"
    # the watcher looks every 0.5 s: about one reload for every two writes
    assert len(applied) >= len(writes) // 4, report
    assert camera_reloads >= len(applied) // 3 and preset_reloads >= len(applied) // 3, report
    assert reopened == camera_reloads, report
    assert {p for _, p in applied} == set(PRESETS), report

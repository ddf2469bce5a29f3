"""Ctrl-C and SIGTERM stop a real `sketchd run` promptly and cleanly (exit 0, devices released:
the process is gone). The same with the real camera and virtual camera: tests/device.

Real time (a process, its start, the wall clock): a figure of the soak suite, not the unit suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers.env import private_dirs

pytestmark = pytest.mark.soak

RUN = [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "demo", "--output", "null"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_daemon_within_a_second(sig, tmp_path):
    env = {**os.environ, **private_dirs(tmp_path / "home")}
    log = tmp_path / "out.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            RUN,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            end = time.monotonic() + 60
            while "camera: demo" not in log.read_text() and time.monotonic() < end:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.1)
            time.sleep(0.5)
            t0 = time.monotonic()
            proc.send_signal(sig)
            rc = proc.wait(10)
            took = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert rc == 0, text
    assert "camera and virtual camera released" in text
    assert "Traceback" not in text
    assert took < 1.5, f"{signal.Signals(sig).name}: exit took {took:.2f} s"

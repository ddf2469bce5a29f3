"""One daemon per user: a second `sketchd run` exits at once; commands without a daemon say so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sketchd import control
from tests.helpers.wait import wait_until

RUN = ["run", "--no-tray", "--camera", "demo", "--output", "null"]


def sketchd(env, *args, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "sketchd", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_daemon(env, log: Path) -> subprocess.Popen:
    """A daemon, returned once it answers on the control channel (and it is this one that
    answers); fails at once, with its log, when it exits instead."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sketchd", *RUN], env=env, stdout=out, stderr=out
        )

    def answers() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return control.request("ping", timeout=10)["pid"] == proc.pid
        except control.NotRunning:
            return False

    try:
        wait_until(answers, "the daemon came up", timeout=60)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


@pytest.fixture
def daemon(home, sketchd_env):
    proc = start_daemon(sketchd_env, home / "daemon.log")
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_a_second_daemon_exits_at_once_naming_the_first(daemon, sketchd_env):
    r = sketchd(sketchd_env, *RUN)  # one that waited for the lock would time out (30 s)
    assert r.returncode == 1
    assert f"sketchd is already running (pid {daemon.pid})" in r.stderr
    assert "Traceback" not in r.stderr
    st = json.loads(sketchd(sketchd_env, "status", "--json").stdout)
    assert st["pid"] == daemon.pid and daemon.poll() is None  # the first one is unharmed


def test_status_shows_what_the_issue_asks(daemon, sketchd_env):
    r = sketchd(sketchd_env, "status")
    assert r.returncode == 0, r.stderr
    for label in ("preset:", "camera:", "fps", "frames published", "uptime:", "log:"):
        assert label in r.stdout
    assert f"pid {daemon.pid}" in r.stdout


def test_after_a_crash_a_new_daemon_starts(daemon, sketchd_env, home):
    daemon.kill()  # no clean-up at all: the lock goes with the process, the socket stays
    daemon.wait()
    proc = start_daemon(sketchd_env, home / "second.log")  # the new one answers
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("preset", "ink"),
        ("next",),
        ("bypass", "on"),
        ("privacy", "off"),
        ("mirror", "on"),
        ("snapshot",),
        ("reload",),
        ("quit",),
    ],
)
def test_without_a_daemon_every_command_says_so(home, sketchd_env, args):
    r = sketchd(sketchd_env, *args)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "sketchd: error: sketchd is not running (start it with `sketchd run`, or from the menu)"
    )


def test_the_socket_is_the_users_alone(daemon, sketchd_env):
    run = os.path.join(sketchd_env["XDG_RUNTIME_DIR"], "sketchd")
    assert os.stat(run).st_mode & 0o777 == 0o700
    assert os.stat(os.path.join(run, "control.sock")).st_mode & 0o777 == 0o600
    assert os.stat(os.path.join(run, "sketchd.pid")).st_mode & 0o777 == 0o600

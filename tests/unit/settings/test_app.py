"""`sketchd settings` and `sketchd preview` without a running daemon: one line saying so and
how to start it; and one window per user (a second call asks the first to come forward)."""

from __future__ import annotations

import threading

import pytest

from sketchd.cli import main
from sketchd.settings.single import Single, raise_running, socket_path


@pytest.mark.parametrize("command", ["settings", "preview"])
def test_without_a_daemon_it_says_so_in_one_line(home, capsys, command):
    assert main([command]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not running" in err and "`sketchd run`" in err


def test_a_second_window_raises_the_first(home):
    first = Single(socket_path())
    assert first.claim()
    raised = threading.Event()
    first.serve(raised.set)
    try:
        assert not Single(socket_path()).claim()  # the second one stands down
        assert raised.wait(5)
        assert oct(socket_path().stat().st_mode & 0o777) == "0o600"
    finally:
        first.close()
    assert not raise_running(socket_path())
    again = Single(socket_path())
    assert again.claim()  # the first one is gone: the next window takes over
    again.close()

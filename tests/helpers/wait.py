"""Waiting in a test for what another thread or process does next."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], what: str = "", timeout: float = 10.0) -> None:
    """Return as soon as ``condition()`` is true; fail, saying ``what`` did not happen, only
    when it is still false after ``timeout`` seconds. For what another thread or process does
    next: the condition is the test, the deadline only ends a hang (nothing is measured)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what or 'the condition'}: not within {timeout:g} s"
        time.sleep(0.01)


def poll(condition: Callable[[], object], timeout: float, every: float = 0.1) -> bool:
    """Whether ``condition()`` becomes true within ``timeout`` seconds, tried every ``every``
    seconds (for the real-device suites, where how long the rig takes varies: the caller
    asserts with its own message)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())

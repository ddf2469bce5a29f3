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

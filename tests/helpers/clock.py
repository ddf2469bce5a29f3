"""Time in a test: a clock the test moves by hand, and a pacer that says when a tick is over."""

from __future__ import annotations

import threading


class Clock:
    """A clock that stands still until the test sets or advances ``t``."""

    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class Ticks:
    """The loop's pacer in a test: says when a tick is over (the Stats updated), then lets
    ``inner`` pace. ``wait_for`` waits on ticks, never on time."""

    def __init__(self, inner) -> None:
        self.inner, self.count = inner, 0
        self._cond = threading.Condition()

    def sleep_until_next_frame(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()
        self.inner.sleep_until_next_frame()

    def wait_for(self, check, timeout: float = 10.0) -> None:
        with self._cond:
            assert self._cond.wait_for(check, timeout), f"not after {self.count} ticks"

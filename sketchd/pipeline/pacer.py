"""The publish loop's clock: one tick per output frame."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Pacing(Protocol):
    """What paces the publish loop: a Pacer, or a sink that paces itself (pyvirtualcam's
    camera). Called by the publish thread only, once after every tick."""

    def sleep_until_next_frame(self) -> None: ...


class Pacer:
    """Sleeps to a steady frame rate, like pyvirtualcam's sleep_until_next_frame."""

    def __init__(self, fps: float, clock=time.perf_counter, sleep=time.sleep):
        self.interval = 1.0 / fps
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def sleep_until_next_frame(self) -> None:
        now = self._clock()
        if self._next is None:
            self._next = now
        self._next += self.interval
        if self._next < now - self.interval:  # fell far behind: resync, don't burst
            self._next = now + self.interval
        if self._next > now:
            self._sleep(self._next - now)

"""A one-slot mailbox between two threads: the writer overwrites, the reader gets the newest.

No queue that grows and no added lag: a slow reader skips frames instead of falling behind.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self, cond: threading.Condition | None = None) -> None:
        self._cond = cond or threading.Condition()  # a test may pass one it watches
        self._item: T | None = None
        self._version = 0
        self._closed = False

    def put(self, item: T) -> None:
        with self._cond:
            self._item = item
            self._version += 1
            self._cond.notify_all()

    def latest(self) -> tuple[T | None, int]:
        """(newest item or None, its version); never blocks."""
        with self._cond:
            return self._item, self._version

    def wait_newer(self, version: int, timeout: float) -> tuple[T | None, int]:
        """Block until an item newer than ``version`` arrives, the box closes, or timeout."""
        with self._cond:
            self._cond.wait_for(lambda: self._version > version or self._closed, timeout)
            return self._item, self._version

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

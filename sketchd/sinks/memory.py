"""Sinks that keep frames in memory: for tests, the benchmark and headless runs."""

from __future__ import annotations

import threading
import time

import numpy as np


class NullSink:
    """Takes frames and drops them, so the loop can run with nothing attached."""

    name = "null"

    def __init__(self) -> None:
        self.count = 0

    def open(self) -> str:
        return "null: frames are dropped"

    def send(self, frame: np.ndarray) -> None:
        self.count += 1

    def close(self) -> None:
        pass


class RecordingSink:
    """Keeps the last ``keep`` frames with their send times (a recording sink for tests)."""

    name = "recording"

    def __init__(self, keep: int = 100) -> None:
        self.keep = keep
        self.frames: list[tuple[float, np.ndarray]] = []
        self.count = 0
        self.opened = self.closed = False
        self._lock = threading.Lock()

    def open(self) -> str:
        self.opened = True
        return f"recording: keeps the last {self.keep} frames"

    def send(self, frame: np.ndarray) -> None:
        with self._lock:
            self.count += 1
            self.frames.append((time.monotonic(), frame.copy()))
            del self.frames[: -self.keep]

    def close(self) -> None:
        self.closed = True

    def last(self) -> np.ndarray | None:
        with self._lock:
            return self.frames[-1][1] if self.frames else None

"""A video app's frames as they arrive: a reader process writes raw I420 frames of a known
size to its stdout, a thread keeps each frame's Y plane with the time it came in (the device
suite's ffmpeg, the PipeWire suite's pipewiresrc)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from tests.helpers.process import end


class I420Reader:
    """Runs ``cmd`` (which writes I420 frames of ``width`` x ``height`` to stdout) until
    stopped; ``frames`` holds (arrival time, Y plane) pairs."""

    def __init__(
        self, cmd: Sequence[str], width: int, height: int, stderr: IO[Any] | int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.w, self.h = width, height
        self.frames: list[tuple[float, np.ndarray]] = []
        self.proc = subprocess.Popen(
            list(cmd), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        size = self.w * self.h * 3 // 2
        assert self.proc.stdout is not None
        while True:
            buf = self.proc.stdout.read(size)
            if len(buf) < size:
                return
            y = np.frombuffer(buf, np.uint8, self.w * self.h).reshape(self.h, self.w)
            self.frames.append((time.monotonic(), y))

    def wait_frames(self, n: int, timeout: float) -> bool:
        """Whether ``n`` frames have come within ``timeout`` s (False at once if the reader
        ended)."""
        end = time.monotonic() + timeout
        while len(self.frames) < n and time.monotonic() < end and self.proc.poll() is None:
            time.sleep(0.05)
        return len(self.frames) >= n

    def end(self) -> None:
        """Stops the reader process and its thread."""
        end(self.proc)
        self._thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

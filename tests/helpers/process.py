"""A daemon process seen from a test: what it says, read as it says it."""

from __future__ import annotations

import threading
from typing import IO


class DaemonOutput:
    """A daemon's stdout and stderr, read line by line in a thread (the pipe never fills), so a
    test waits for what the daemon says instead of for some time."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._ended = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:  # to the end: the daemon has exited
            for line in stream:
                with self._cond:
                    self.lines.append(line)
                    self._cond.notify_all()
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def wait_for(self, *texts: str, timeout: float = 60.0) -> None:
        """Until every one of ``texts`` has been said; fails at once when the daemon exits."""

        def said() -> bool:
            return all(any(t in line for line in self.lines) for t in texts)

        with self._cond:
            self._cond.wait_for(lambda: said() or self._ended, timeout)
            assert said(), f"the daemon did not say {texts}:\n{self.text}"

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)

    @property
    def text(self) -> str:
        with self._cond:
            return "".join(self.lines)

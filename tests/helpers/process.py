"""A daemon process seen from a test: what it says, read as it says it; and a `sketchd run`
started from the checkout with its log."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]


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


def end(proc: subprocess.Popen, kill: bool = False, timeout: float = 10.0) -> int:
    """Ends a test's child process: SIGTERM (or SIGKILL), SIGKILL if it has not exited after
    ``timeout`` seconds; its exit status."""
    if proc.poll() is None:
        (proc.kill if kill else proc.terminate)()
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


class SketchdRun:
    """A `sketchd run --no-tray ARGS` process started from the checkout in ``env``, its
    stdout and stderr in the file ``log`` (the device and PipeWire suites' daemon)."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sketchd", "run", "--no-tray", *args],
            cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=self._out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, needle: str, timeout: float, after: int = 0) -> bool:
        """Whether the log says ``needle`` (past its first ``after`` characters) within
        ``timeout`` seconds; False at once if the daemon has exited without saying it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.text()[after:]:
                return True
            if self.proc.poll() is not None:
                return needle in self.text()[after:]
            time.sleep(0.1)
        return False

    def stop(self, kill: bool = False) -> int:
        """SIGTERM (or SIGKILL), then its exit status; SIGKILL after 30 s of no exit."""
        try:
            return end(self.proc, kill, timeout=30)
        finally:
            self._out.close()

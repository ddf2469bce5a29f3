"""The capture thread: camera → mailbox, reopening with backoff, closed while not wanted.

It is the only thread that touches the source (open, read, close) and the only writer of the
camera-side Stats fields and of the mailbox: once ``retire()`` returns (a camera reopened) it
writes neither, even from a read that was stuck and returns later, so a new capture thread can
start beside it. It never waits for the publish loop: the mailbox keeps the newest frame only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sketchd.errors import CameraError, and_then
from sketchd.pipeline.frames import CameraFrame, torn
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats

log = logging.getLogger(__name__)


class Capture(threading.Thread):
    """Opens the source, reads it into the mailbox, reopens with backoff when it fails."""

    def __init__(
        self,
        source,
        mailbox: Mailbox[CameraFrame],
        stop: threading.Event,
        stats: Stats,
        backoff: Sequence[float] = (0.25, 0.5, 1.0),
        wanted: threading.Event | None = None,
    ):
        super().__init__(name="sketchd-capture", daemon=True)
        self.source, self.mailbox, self.stop_event, self.stats = source, mailbox, stop, stats
        self.backoff = tuple(backoff)
        # on-demand capture: the camera is open only while this is set (None: always)
        self.wanted = wanted
        self._writing = threading.Lock()  # a write and retire() never overlap
        self._retired = False

    def retire(self) -> None:
        """Stop, and from now on write neither the mailbox nor the Stats (from any thread)."""
        with self._writing:
            self._retired = True
        self.stop_event.set()

    def _put(self, frame: CameraFrame) -> None:
        with self._writing:
            if not self._retired:
                self.mailbox.put(frame)

    def _note(self, **fields: object) -> None:
        """Camera-side Stats fields, unless retired."""
        with self._writing:
            if not self._retired:
                for name, value in fields.items():
                    setattr(self.stats, name, value)

    def _want(self) -> bool:
        return self.wanted is None or self.wanted.is_set()

    def _wait_until_wanted(self) -> bool:
        """Block while the camera is not wanted; False once stopping."""
        while not self._want():
            if self.stop_event.is_set():
                return False
            assert self.wanted is not None
            self.wanted.wait(0.25)
        return not self.stop_event.is_set()

    def run(self) -> None:
        attempt = 0
        last_error = ""
        while self._wait_until_wanted():
            try:
                desc = self.source.open()
            except CameraError as e:
                if str(e) != last_error:
                    log.warning("camera: %s", and_then(str(e), "retrying"))
                    last_error = str(e)
                self._note(camera_error=str(e))
                self.stop_event.wait(self.backoff[min(attempt, len(self.backoff) - 1)])
                attempt += 1
                continue
            log.info("camera: %s", desc)
            self._note(camera_desc=desc, camera_error="", camera_open=True)
            attempt, last_error = 0, ""
            try:
                while not self.stop_event.is_set() and self._want():
                    frame = self.source.read()
                    if torn(frame):  # never let a broken frame displace the last good one
                        self._note(torn_frames=self.stats.torn_frames + 1)
                        continue
                    self._put(frame)
            except CameraError as e:
                log.warning("camera: %s", and_then(str(e), "reopening"))
                last_error = str(e)
                self._note(camera_error=last_error)
            except Exception:  # a bug in a source must not end capture for good
                log.exception("camera: unexpected failure; reopening")
            finally:
                self.source.close()
                self._note(camera_open=False)
            if not self._want() and not self.stop_event.is_set():
                log.info("camera: closed (the light goes off until an app reads Sketch Camera)")
        self.source.close()

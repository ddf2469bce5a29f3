"""The daemon's preview replies made into pictures, and the polling that fetches them.

A Poller thread asks the daemon for a preview pair about ``fps`` times a second while the
window is open and keeps only the newest: the Tk thread takes it when it redraws. When the
window closes the asking stops, and so does the daemon's work for it.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from sketchd.errors import SketchdError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    camera: Image.Image | None
    sketch: Image.Image | None
    seq: int


def picture(data: str | None) -> Image.Image | None:
    """A base64 JPEG from the reply as an RGB picture (None stays None)."""
    if not data:
        return None
    img = Image.open(io.BytesIO(base64.b64decode(data)))
    img.load()
    return img.convert("RGB")


def pair(reply: dict[str, Any]) -> Pair:
    return Pair(picture(reply.get("camera")), picture(reply.get("sketch")), reply.get("seq", 0))


class Poller:
    """Calls ``fetch()`` (a preview reply) every ``1/fps`` s in a thread of its own until
    stop(); ``latest()`` hands the newest Pair to the Tk thread once, or None. A failure (the
    daemon quit) is kept in ``error`` and the asking goes on, slower."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], fps: float = 15.0):
        self._fetch = fetch
        self._period = 1.0 / fps
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._new: Pair | None = None
        self.error = ""
        self._thread = threading.Thread(target=self._run, name="sketchd-preview", daemon=True)

    def start(self) -> Poller:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                got = pair(self._fetch())
                with self._lock:
                    self._new, self.error = got, ""
                wait = self._period
            except SketchdError as e:
                self.error, wait = str(e), 1.0
            except Exception as e:  # a broken reply must not end the preview for good
                log.warning("preview: %s", e)
                self.error, wait = str(e), 1.0
            self._stop.wait(wait)

    def latest(self) -> Pair | None:
        with self._lock:
            new, self._new = self._new, None
        return new

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

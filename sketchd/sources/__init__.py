"""Frame sources: the physical camera (OpenCV), and the built-in demo scene.

A source is opened and read by the capture thread only. ``open()`` returns a one-line
description of what it delivers; ``read()`` returns a CameraFrame or raises CameraError
(the capture thread then closes it and reopens with backoff).
"""

from __future__ import annotations

import time
from typing import Protocol

from sketchd.config.schema import CameraConfig
from sketchd.errors import CameraError
from sketchd.pipeline.frames import CameraFrame


class Source(Protocol):
    """The contract every source keeps. All three methods are called by the capture thread
    only (pipeline/capture.py), which may open and close a source many times (on-demand
    capture, reopening after a failure).

    - ``open()`` returns one line saying what it delivers ("/dev/video0: 1280x720 MJPG @ 30
      fps"), or raises CameraError: the first line the problem, the lines after it the fix.
      The capture thread retries with backoff; an open that raises leaves nothing open.
    - ``read()`` blocks until the next frame and returns it (its ``seq`` grows by one within
      an open; a new open may start again at 1), or raises CameraError when the camera
      failed (unplugged, stuck past a deadline); the capture thread then closes and reopens.
      It must return within a few seconds even when the camera delivers nothing.
    - ``close()`` releases the device; it is called after every open, also after a failed
      read, and may be called again on a closed source (it must not raise then).
    """

    name: str

    def open(self) -> str: ...

    def read(self) -> CameraFrame: ...

    def close(self) -> None: ...


def make_source(cfg: CameraConfig) -> Source:
    """The source a camera config names: "demo" or a real camera (chosen in one place)."""
    if cfg.device == "demo":
        from sketchd.sources.demo import DemoSource

        return DemoSource(cfg.width, cfg.height, cfg.fps)
    from sketchd.sources.camera import CameraSource

    return CameraSource(cfg)


def probe_camera(cfg: CameraConfig, timeout: float = 3.0) -> str:
    """Open the source ``cfg`` names, read one frame within ``timeout`` seconds, describe what
    it delivers (doctor's camera check). Raises CameraError with what to do."""
    source = make_source(cfg)
    desc = source.open()
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = source.read()
                return f"{desc}; first frame {frame.width}x{frame.height} {frame.fmt}"
            except CameraError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        source.close()

"""Frame sources: the physical camera (OpenCV), and the built-in demo scene.

A source is opened and read by the capture thread only. ``open()`` returns a one-line
description of what it delivers; ``read()`` returns a CameraFrame or raises CameraError
(the capture thread then closes it and reopens with backoff).
"""

from __future__ import annotations

from typing import Protocol

from sketchd.config.schema import CameraConfig
from sketchd.pipeline.frames import CameraFrame


class Source(Protocol):
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

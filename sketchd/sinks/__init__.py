"""Sinks take each published frame: the virtual camera, a preview window, a recording.

A sink has ``open()``, ``send(frame)`` (HxW gray or HxWx3 BGR at the output size, never modified
afterwards) and ``close()``. The publish loop fans each frame out to every sink.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Sink(Protocol):
    name: str

    def open(self) -> str: ...

    def send(self, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...

"""A chain of filter steps as one stream: what ``registry.compose`` and ``filters.build`` return.

Most filters are pure, but a few follow the picture over time: ``stabilize`` averages what
stays still, ``autoframe`` and ``face_colour`` smooth where the face is. A ``Chain`` holds that
state for one stream (a camera, a video being rendered) from one frame to the next. Build one
per stream; ``reset()`` starts the stream again, as a newly built chain would (the daemon calls
it when its camera is opened again or comes back after a silence).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from sketchd.filters.adjust import original

Frame = np.ndarray
FrameFn = Callable[[Frame], Frame]  # what a chain is, and what the pipeline applies


class Bindable(Protocol):
    """What a chain needs of a step (``registry.Step`` is one): its name, and a frame→frame
    callable with fresh state for each stream."""

    @property
    def name(self) -> str: ...

    def bind(self) -> FrameFn: ...


class Chain:
    """``steps`` applied in order to each frame, the stateful ones keeping their state."""

    def __init__(self, steps: Sequence[Bindable]):
        self.steps = tuple(steps)
        self._funcs: list[FrameFn] = []
        self.reset()

    def reset(self) -> None:
        """Forget every frame seen: the next one starts the stream, as in a new chain."""
        self._funcs = [s.bind() for s in self.steps] or [original]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        for f in self._funcs:
            frame = f(frame)
        return frame

    def __repr__(self) -> str:
        return f"Chain({', '.join(s.name for s in self.steps) or 'original'})"


def restart(chain: FrameFn) -> bool:
    """Start ``chain``'s stream again if it is a ``Chain``; True when it was one. A plain
    frame→frame function has no state to forget."""
    if isinstance(chain, Chain):
        chain.reset()
        return True
    return False

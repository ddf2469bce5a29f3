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


def stateful(step: Bindable) -> bool:
    """Whether ``step`` keeps state from frame to frame (a step that does not say is taken to)."""
    return bool(getattr(step, "stateful", True))


class Chain:
    """``steps`` applied in order to each frame, the stateful ones keeping their state.

    A held picture costs nothing past the step that holds it: when the last stateful step
    (``stabilize`` in most presets) hands back the very read-only array it handed back last
    time, every pure step after it would make the same output again, so the last output is
    returned instead (read-only, as the held picture is)."""

    def __init__(self, steps: Sequence[Bindable]):
        self.steps = tuple(steps)
        self._funcs: list[FrameFn] = []
        last = max((i for i, s in enumerate(self.steps) if stateful(s)), default=-1)
        self._pure_from = last + 1  # the steps from here on keep no state
        self.reset()

    def reset(self) -> None:
        """Forget every frame seen: the next one starts the stream, as in a new chain."""
        self._funcs = [s.bind() for s in self.steps] or [original]
        self._held: np.ndarray | None = None  # what the last stateful step gave last time
        self._out: np.ndarray | None = None  # and what the chain made of it

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        funcs, k = self._funcs, self._pure_from
        for f in funcs[:k]:
            frame = f(frame)
        if k == 0 or k == len(funcs):
            for f in funcs[k:]:
                frame = f(frame)
            return frame
        if frame is self._held and self._out is not None:
            return self._out  # held: the pure steps would make the same picture again
        held = frame if not frame.flags.writeable else None  # nobody may change it
        for f in funcs[k:]:
            frame = f(frame)
        self._held, self._out = held, None
        if held is not None:
            frame.flags.writeable = False
            self._out = frame
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

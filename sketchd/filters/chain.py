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

from sketchd.filters.adjust import apply_table, original

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


ALIGN = 8  # a part's edges on multiples of this: the blurs' 2x halvings see the same pixels
WORTH = 0.6  # a part larger than this share of the frame is drawn whole (no gain left)


def _plan(steps: Sequence[Bindable]) -> tuple[Bindable | None, int] | None:
    """For the pure steps after the last stateful one: (a tone-table step first or None, how
    far the rest reach together), or None when some step depends on the whole frame."""
    table = steps[0] if steps and getattr(steps[0], "table", None) is not None else None
    total = 0
    for step in steps[1:] if table is not None else steps:
        reach = getattr(step, "reach", None)
        if reach is None:
            return None
        total += reach
    return table, total


class Chain:
    """``steps`` applied in order to each frame, the stateful ones keeping their state.

    A held picture costs nothing past the step that holds it: when the last stateful step
    (``stabilize`` in most presets) hands back the very read-only array it handed back last
    time, every pure step after it would make the same output again, so the last output is
    returned instead (read-only, as the held picture is). And a held part of the picture
    costs nothing either: when that step says where its picture changed (``changed()``: a
    box) and every pure step after it reaches only so far (``reach``: pencil, ink ...; a
    tone table made from the whole frame, auto_contrast's, counts when it is the same as
    last time), only the part of the frame that can change is drawn again, with the margin
    its drawing reads, into a copy of the last output: the same pixels as drawing it whole
    (``regions = False`` draws it whole)."""

    def __init__(self, steps: Sequence[Bindable]):
        self.steps = tuple(steps)
        self._funcs: list[FrameFn] = []
        last = max((i for i, s in enumerate(self.steps) if stateful(s)), default=-1)
        self._pure_from = last + 1  # the steps from here on keep no state
        self._plan = _plan(self.steps[last + 1 :]) if last >= 0 else None
        self.regions = True
        self.drawn = 1.0  # the share of the last frame the pure steps drew (0: held)
        self.reset()

    def reset(self) -> None:
        """Forget every frame seen: the next one starts the stream, as in a new chain."""
        self._funcs = [s.bind() for s in self.steps] or [original]
        self._held: np.ndarray | None = None  # what the last stateful step gave last time
        self._out: np.ndarray | None = None  # and what the chain made of it
        self._table: np.ndarray | bool | None = False  # the tone table it was drawn with

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        funcs, k = self._funcs, self._pure_from
        for f in funcs[:k]:
            frame = f(frame)
        if k == 0 or k == len(funcs):
            for f in funcs[k:]:
                frame = f(frame)
            return frame
        if frame is self._held and self._out is not None:
            self.drawn = 0.0
            return self._out  # held: the pure steps would make the same picture again
        held = frame if not frame.flags.writeable else None  # nobody may change it
        self.drawn = 1.0
        plan = self._plan if self.regions else None
        table = plan[0].table(frame) if plan and plan[0] is not None else False  # type: ignore[attr-defined]
        out = self._part(frame, funcs[k - 1], table) if plan and held is not None else None
        if out is None:
            out = self._draw(frame, table)
        self._held, self._out, self._table = held, None, table
        if held is not None:
            out.flags.writeable = False
            self._out = out
        return out

    def _draw(self, x: np.ndarray, table) -> np.ndarray:
        """The pure steps on ``x`` (a frame or a part of it); a tone table already made for
        the whole frame (not False) stands for the step that makes it."""
        funcs = self._funcs[self._pure_from :]
        if not isinstance(table, bool):
            x, funcs = apply_table(x, table), funcs[1:]
        for f in funcs:
            x = f(x)
        return x

    def _part(self, frame: np.ndarray, source, table) -> np.ndarray | None:
        """The output drawn again only where it can change (see the class), or None when
        that cannot be done here (the whole frame is drawn)."""
        changed = getattr(source, "changed", None)
        box = changed() if changed is not None else None
        last, plan = self._out, self._plan
        if box is None or last is None or plan is None or last.shape[:2] != frame.shape[:2]:
            return None
        if table is not False and not _same(table, self._table):
            return None
        h, w = frame.shape[:2]
        y0, y1, x0, x1 = box
        if h % ALIGN or w % ALIGN or y0 >= y1 or x0 >= x1:
            return None
        reach = plan[1]
        cy0, cx0 = (max(0, v - 2 * reach) // ALIGN * ALIGN for v in (y0, x0))
        cy1, cx1 = (min(n, -(-(v + 2 * reach) // ALIGN) * ALIGN) for v, n in ((y1, h), (x1, w)))
        if (cy1 - cy0) * (cx1 - cx0) > WORTH * h * w:
            return None
        self.drawn = (cy1 - cy0) * (cx1 - cx0) / (h * w)
        part = self._draw(np.ascontiguousarray(frame[cy0:cy1, cx0:cx1]), table)
        py0, px0 = max(0, y0 - reach), max(0, x0 - reach)
        py1, px1 = min(h, y1 + reach), min(w, x1 + reach)
        out = last.copy()
        out[py0:py1, px0:px1] = part[py0 - cy0 : py1 - cy0, px0 - cx0 : px1 - cx0]
        return out

    def __repr__(self) -> str:
        return f"Chain({', '.join(s.name for s in self.steps) or 'original'})"


def _same(a, b) -> bool:
    """Two tone tables (or None, False) alike."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return a is b


def restart(chain: FrameFn) -> bool:
    """Start ``chain``'s stream again if it is a ``Chain``; True when it was one. A plain
    frame→frame function has no state to forget."""
    if isinstance(chain, Chain):
        chain.reset()
        return True
    return False

"""Sinks take each published frame: the virtual camera (vcam.py), and for tests and `--output
null` the in-memory ones (memory.py).

The publish loop fans each frame out to every sink; the Daemon opens them before the loop
starts and closes them after it stops (or swaps them between two ticks on reload).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sketchd.errors import OutputError
    from sketchd.pipeline.demand import Readers


class Sink(Protocol):
    """The contract every sink keeps.

    - ``open()`` is called once, before any ``send``, by the thread that starts or reloads the
      daemon. It returns one line saying what was opened (the log shows it), or raises
      OutputError whose first line is the problem and the lines after it the fix.
    - ``send(frame)`` is called by the publish thread only, once per tick. ``frame`` is HxW
      gray or HxWx3 BGR, uint8, at the output size; the sink must not modify it (the loop may
      send the same array again) and must not keep it past the next ``send`` unless it copies
      it. It raises OutputError when the frame did not go out; the loop reports that once and
      keeps sending, so a sink may recover by itself (vcam.py reopens with backoff). Anything
      else it raises is a bug and ends the loop.
    - ``close()`` is called once for every sink whose ``open`` returned, after its last
      ``send``; an ``open`` that raises leaves nothing open (it cleans up itself). A failure
      in ``close`` is logged and the other sinks still close.
    - ``name`` is a short label for logs ("virtual camera /dev/video10").
    """

    name: str

    def open(self) -> str: ...

    def send(self, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class ReaderAware(Protocol):
    """A sink that can tell who reads it (on-demand capture asks every tick, from the publish
    thread). None: it cannot tell, and the camera then stays on; it never raises."""

    def readers(self) -> Readers | None: ...


@runtime_checkable
class SelfHealing(Protocol):
    """A sink that may start without its device: ``reopen_later(error)`` instead of failing the
    start, and every ``send`` until the device opens raises OutputError with that error."""

    def reopen_later(self, error: OutputError | str) -> None: ...

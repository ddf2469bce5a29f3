"""On-demand capture: the webcam is on only while an app reads Sketch Camera.

    sinks ──readers()──▶ Demand.update(now, readers) ──▶ wanted (an Event the capture obeys)

A pure state machine on an injected clock: readers appear → on once they stayed ``grace``
seconds (0 when the count is of streaming readers; a count of open file handles needs it to
tell Chrome's brief listing open from a call); the last reader leaves → off ``idle_after``
seconds later. A hold (the preview, a snapshot) keeps it on like a reader, without grace.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Readers:
    """What one sink knows of its readers: how many, and how it knows."""

    count: int
    grace: float = 0.0  # s a reader must stay before it counts (0: the count is streaming ones)
    how: str = ""


class Demand:
    def __init__(self, idle_after: float = 5.0):
        self.idle_after = idle_after
        self.on = False
        self.readers = 0
        self.changed_at: float | None = None  # when ``on`` last changed (None: never)
        self.why = "no app is using Sketch Camera"
        self._seen_since: float | None = None  # readers present without a pause since
        self._idle_since: float | None = None  # no reader since (while on)

    def retune(self, idle_after: float) -> None:
        """A new ``idle_after`` (a reload), the state kept: a call going on stays on."""
        self.idle_after = idle_after

    def update(self, now: float, readers: int, grace: float = 0.0, hold: bool = False) -> bool:
        """The new state for ``readers`` seen at ``now``; True: the webcam should be on."""
        self.readers = readers
        if readers > 0 or hold:
            self._idle_since = None
            if self._seen_since is None:
                self._seen_since = now
            if not self.on and (hold or now - self._seen_since >= grace):
                what = f"{readers} app{'s' if readers != 1 else ''} reading Sketch Camera"
                self._switch(now, True, what if readers else "the preview or a snapshot")
        else:
            self._seen_since = None
            if self.on:
                if self._idle_since is None:
                    self._idle_since = now
                if now - self._idle_since >= self.idle_after:
                    self._switch(
                        now, False, f"no app has read Sketch Camera for {self.idle_after:g} s"
                    )
        return self.on

    def _switch(self, now: float, on: bool, why: str) -> None:
        self.on, self.changed_at, self.why = on, now, why


def combine(counts: list[Readers | None]) -> Readers | None:
    """The readers of every sink together; None when any sink cannot tell (the webcam then
    stays on, as it always did)."""
    if not counts or any(c is None for c in counts):
        return None
    known = [c for c in counts if c is not None]
    return Readers(
        sum(c.count for c in known),
        max(c.grace for c in known),
        "; ".join(sorted({c.how for c in known if c.how})),
    )

"""A chain replays its last output while the last stateful step holds its picture, and only
then: the pure steps after it would make the same picture again."""

from __future__ import annotations

import numpy as np

from sketchd.filters.chain import Chain
from sketchd.filters.registry import Step


class Held:
    """A stateful step: hands back one read-only array while ``hold`` is set."""

    name, stateful = "held", True

    def __init__(self) -> None:
        self.hold = False
        self.last: np.ndarray | None = None

    def bind(self):
        def run(frame: np.ndarray) -> np.ndarray:
            if not (self.hold and self.last is not None):
                self.last = frame.copy()
                self.last.flags.writeable = False
            return self.last

        return run


class Counted:
    """A pure step that counts its calls."""

    name, stateful = "counted", False

    def __init__(self) -> None:
        self.calls = 0

    def bind(self):
        def run(frame: np.ndarray) -> np.ndarray:
            self.calls += 1
            return 255 - frame

        return run


def frame(v: int) -> np.ndarray:
    return np.full((8, 8), v, np.uint8)


def test_a_held_picture_replays_the_last_output_without_running_the_pure_steps():
    held, pure = Held(), Counted()
    chain = Chain([held, pure])
    first = chain(frame(10))
    held.hold = True
    assert chain(frame(20)) is first and pure.calls == 1
    assert not first.flags.writeable and np.array_equal(first, frame(245))
    held.hold = False
    assert np.array_equal(chain(frame(30)), frame(225)) and pure.calls == 2
    chain.reset()  # a new stream: nothing to replay
    held.hold = True
    assert pure.calls == 2 and np.array_equal(chain(frame(40)), frame(225))


def test_a_writeable_frame_the_same_object_is_drawn_again():
    """A step that passes the caller's (reusable) buffer through is not holding anything."""
    pure = Counted()
    passing = Step("stabilize", {"strength": 0.0, "motion": 3.0})  # off: the frame as it is
    chain = Chain([passing, pure])
    buf = frame(10)
    chain(buf)
    buf[:] = 50
    assert np.array_equal(chain(buf), frame(205)) and pure.calls == 2


def test_no_stateful_step_or_a_stateful_last_step_runs_every_step():
    pure = Counted()
    assert np.array_equal(Chain([pure])(frame(1)), frame(254))
    held = Held()
    held.hold = True
    chain = Chain([pure, held])
    chain(frame(1))
    chain(frame(2))
    assert pure.calls == 3

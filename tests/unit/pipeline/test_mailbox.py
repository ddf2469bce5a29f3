"""The one-slot mailbox between the capture thread and the publish loop (pipeline/mailbox.py)."""

from __future__ import annotations

import threading

from sketchd.pipeline.mailbox import Mailbox


def test_mailbox_keeps_only_the_newest_item():
    box: Mailbox[int] = Mailbox()
    assert box.latest() == (None, 0)
    for i in range(5):
        box.put(i)
    assert box.latest() == (4, 5)


class WatchedCondition(threading.Condition):
    """The mailbox's condition; ``waiting`` is set once a reader waits on it (the lock then
    released), so the test wakes it for sure while it waits, not before."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_mailbox_wait_newer_wakes_on_put_and_on_close():
    cond = WatchedCondition()
    box: Mailbox[str] = Mailbox(cond)
    got: list[tuple[str | None, int]] = []
    for version, wake in ((0, lambda: box.put("x")), (1, box.close)):
        cond.waiting.clear()
        reader = threading.Thread(target=lambda v=version: got.append(box.wait_newer(v, 60)))
        reader.daemon = True
        reader.start()
        assert cond.waiting.wait(10), "the reader never waited"
        wake()
        reader.join(10)
        assert not reader.is_alive(), "not woken: it would wait out its 60 s"
    assert got == [("x", 1), ("x", 1)] and box.closed

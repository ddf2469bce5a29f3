"""The pacer (pipeline/pacer.py) on a hand-driven clock."""

from __future__ import annotations

import pytest

from sketchd.pipeline.pacer import Pacer
from tests.helpers.clock import Clock


def test_pacer_sleeps_to_a_steady_rate_and_resyncs_after_a_stall():
    clock, slept = Clock(0.0), []

    def sleep(d):
        slept.append(round(d, 6))
        clock.t += d

    pacer = Pacer(10, clock=clock, sleep=sleep)
    for work in (0.02, 0.03, 0.0):
        clock.t += work
        pacer.sleep_until_next_frame()
    assert slept == [0.1, 0.07, 0.1]  # the first call starts the schedule
    clock.t += 5  # a long stall: no burst of catch-up frames afterwards
    pacer.sleep_until_next_frame()
    assert slept[-1] == pytest.approx(0.1)

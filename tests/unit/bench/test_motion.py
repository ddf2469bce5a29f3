"""The motion part of `sketchd bench` runs and reports: every candidate on both scenes, the
pans' SSIM for pencil and colour_pencil, and the sparkle; timings are not asserted (they are
the benchmark's to report)."""

from __future__ import annotations

import numpy as np
import pytest

from sketchd.bench import motion


@pytest.fixture(scope="module")
def report() -> motion.Report:
    return motion.run(quick=True)


def test_every_candidate_is_timed_on_both_scenes(report):
    assert set(report.cost.ms) >= {"classic sketch", "pencil preset", "colour_pencil preset"}
    for what, ms in report.cost.ms.items():
        assert set(ms) == {"still", "moving"} and min(ms.values()) > 0, what
    table = report.markdown()
    assert "| classic sketch | gray |" in table and "| 1.00x |" in table


def test_the_pans_and_the_sparkle_are_reported_for_both_presets(report):
    assert set(report.ssim) == set(motion.PRESETS)
    for row in report.ssim.values():
        assert set(row) == {f"{s} px{n}" for s in motion.STEPS for n in ("", ", noisy")}
        assert all(0.0 < v <= 1.0 for v in row.values()), row
    assert set(report.sparkle) == {"good", "dim"}
    assert "| pencil | " in report.markdown()


def test_a_pan_slides_the_photo_by_its_step():
    a, b = motion.pan_frames("coffee.png", 64, 48, 4, 2)
    assert a.shape == (48, 64, 3)
    assert np.array_equal(a[:, 4:], b[:, :-4])

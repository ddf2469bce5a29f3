"""The drawing part of `sketchd bench` runs and reports every candidate on both scenes, with
the budget verdicts and the stillness table; timings are not asserted (they are the
benchmark's to report)."""

from __future__ import annotations

import dataclasses

import pytest

from sketchd.bench import drawing as bench_drawing
from sketchd.bench import worker


@pytest.fixture(scope="module")
def report() -> bench_drawing.Report:
    return bench_drawing.run(sizes=[(160, 120)], frames=2, rounds=1, still=False)


def test_every_candidate_has_a_row_for_both_scenes(report):
    assert [r.name for r in report.rows] == list(bench_drawing.CANDIDATES)
    for r in report.rows:
        assert set(r.ms) == set(bench_drawing.SCENES) and min(r.ms.values()) > 0, r
        assert r.input == ("gray" if r.name in ("classic", "pencil", "drawing") else "bgr")
    table = report.markdown()
    assert "| 160x120 | drawing | gray |" in table and "÷ classic" in table


def test_the_stillness_table_has_both_lights(report):
    sparkle = bench_drawing.stillness(("classic", "drawing"))
    assert set(sparkle) == {"good", "dim"}
    for light, rows in sparkle.items():
        assert set(rows) == {"classic", "drawing"}, light
        assert rows["drawing"] <= 0.001 < rows["classic"], rows  # the seed shimmers
    table = dataclasses.replace(report, sparkle=sparkle).markdown()
    assert "| drawing | 0.00 % | 0.00 % |" in table


def test_budget_verdicts_appear_at_720p_only():
    rows = [
        bench_drawing.Row(size, name, "gray", {"still": ms, "moving": ms}, 4)
        for size in ("1280x720", "1920x1080")
        for name, ms in (("classic", 2.0), ("pencil", 3.0), ("drawing", 9.0))
    ]
    table = bench_drawing.Report(rows=rows, rounds=1).markdown()
    assert "| 1280x720 | drawing | gray | 9.00 | 9.00 | 4.50x | 3.00x | OVER |" in table
    assert "| 1920x1080 | drawing | gray | 9.00 | 9.00 | 4.50x | 3.00x |  |" in table


def test_a_worker_times_one_candidate_in_its_own_process():
    times = worker.spawn("sketchd.bench.drawing", "drawing/moving", 160, 120, 3)
    assert len(times) == 3 and all(t > 0 for t in times)

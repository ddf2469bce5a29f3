"""The segmentation part of `sketchd bench` runs and reports every candidate; timings are not
asserted (they are the benchmark's to report)."""

from __future__ import annotations

import pytest

from sketchd.bench import segment as bench_segment
from sketchd.bench import worker


@pytest.fixture(scope="module")
def report() -> bench_segment.Report:
    return bench_segment.run(sizes=[(160, 120)], frames=8, rounds=1)


def test_every_candidate_has_a_row_with_mean_and_median(report):
    got = {(r.name, r.input) for r in report.rows}
    assert got == {(preset, kind) for _, preset, kind in bench_segment.CANDIDATES}
    for r in report.rows:
        assert r.frames == 8 and r.median_ms > 0 and r.mean_ms > 0, r
    table = report.markdown()
    assert "| 160x120 | portrait | bgr |" in table and "mean ÷ pencil" in table
    pencil = next(r for r in report.rows if (r.name, r.input) == ("pencil", "gray"))
    assert report.ratio(pencil, "mean_ms") == pytest.approx(1.0)


def test_the_stream_is_a_noisy_webcam_picture():
    frames = bench_segment.stream(64, 36, n=3)
    assert len(frames) == 3 and all(f.shape == (36, 64, 3) for f in frames)
    assert not (frames[0] == frames[1]).all()  # fresh sensor noise on each frame


def test_a_worker_measures_whole_groups_of_frames_in_its_own_process():
    times = worker.spawn("sketchd.bench.segment", "portrait", 160, 120, 4)
    assert len(times) == 4 and all(t > 0 for t in times)
    with pytest.raises(RuntimeError, match="worker nope at 160x120 failed"):
        worker.spawn("sketchd.bench.segment", "nope", 160, 120, 2)


def test_the_cli_part(capsys):
    from sketchd.cli import main

    assert main(["bench", "--part", "segment", "--quick", "--sizes", "160x120"]) == 0
    out = capsys.readouterr().out
    assert "| 160x120 | portrait | bgr |" in out and "e2e:" not in out

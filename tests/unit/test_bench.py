"""The benchmark runs in quick mode and reports every preset; timings are not asserted."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from sketchd import bench
from sketchd.config import loader, schema

PRESETS = sorted(schema.validate(loader.defaults_data())[0].presets)


@pytest.fixture(scope="module")
def report() -> bench.Report:
    return bench.run(sizes=[(320, 240)], frames=3, fidelity=True)


def test_every_preset_has_a_filter_and_an_end_to_end_row(report):
    for section in ("filter", "e2e"):
        names = {r.name for r in report.rows if r.section == section}
        assert names >= set(PRESETS), (section, sorted(names))
    assert {m.name for m in report.memory} == set(PRESETS)


def test_numbers_are_positive_and_the_table_shows_them(report):
    for r in report.rows:
        assert r.ms > 0 and r.ref_ms > 0 and r.ratio > 0, r
    for m in report.memory:
        assert m.transient_kb >= 0 and m.frames > 0, m
    assert report.rss_mb > 0
    table = report.markdown()
    for name in PRESETS:
        assert f"e2e: {name} |" in table and f"filter: {name} |" in table
    assert "| 320x240 |" in table


def test_fidelity_rows_cover_every_photograph(report):
    photos = {name for name, *_ in report.fidelity}
    assert len(photos) == len(bench.PHOTOS)
    assert all(0 < ssim <= 1 and mad >= 0 for _, _, ssim, mad in report.fidelity)


def test_sizes_are_parsed_with_a_clear_error():
    assert bench.parse_sizes("640x480,1920x1080") == [(640, 480), (1920, 1080)]
    with pytest.raises(ValueError, match="must look like"):
        bench.parse_sizes("640by480")
    with pytest.raises(ValueError, match="even"):
        bench.parse_sizes("641x480")


def test_cli_quick(capsys):
    from sketchd.cli import main

    assert main(["bench", "--quick", "--sizes", "160x120"]) == 0
    out = capsys.readouterr().out
    assert "e2e: pencil" in out
    assert "| 160x120 |" in out.split("first live frame out")[1]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_daemon_part_times_a_real_start_and_measures_it():
    report = bench.daemon(sizes=[(320, 240)], runs=2, settle=0.5)
    (row,) = report.rows
    assert 0 < row.first_frame_s <= row.first_live_s < 30, row
    assert row.runs == 2 and row.cpu_percent >= 0
    assert row.latency_ms > 0 and row.behind_max >= 0
    assert row.rss_mb > 30, row  # numpy and OpenCV alone are more than that
    assert 0 < report.import_floor_s < row.first_live_s
    assert "| 320x240 |" in report.markdown()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_daemon_that_cannot_start_is_reported_with_its_log(tmp_path):
    with pytest.raises(RuntimeError, match="showed no live frame") as err:
        bench._start_once(
            [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "/nonexistent"],
            dict(os.environ),
            settle=0.1,
        )
    assert "no camera at '/nonexistent'" in str(err.value)


def test_candidates_take_turns_in_blocks_and_each_block_warms_up_first():
    calls: list[tuple[str, int]] = []
    slow_first: dict[str, int] = {}

    def make(name: str):
        def f(x: int) -> None:
            calls.append((name, x))
            # the first frame of each block is slow (a cold cache): it must not be counted
            n = slow_first.get(name, 0)
            slow_first[name] = n + 1
            time.sleep(0.02 if n % 4 == 1 else 0.0)

        return f

    med = bench.interleaved(
        {"a": make("a"), "b": make("b")}, {"a": [0, 1, 2], "b": [0, 1, 2]}, rounds=6, block=4
    )
    assert calls[:2] == [("a", 0), ("b", 0)]  # one warm-up call each
    turns = [name for name, _ in calls[2:]]
    assert turns == ["a"] * 4 + ["b"] * 4 + ["a"] * 4 + ["b"] * 4
    assert [x for name, x in calls[2:6]] == [0, 1, 2, 0]  # the photographs in turn
    assert med["a"] < 10 and med["b"] < 10  # the slow first frames were left out

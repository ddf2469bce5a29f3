"""The benchmark runs in quick mode and reports every preset; timings are not asserted."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sketchd.bench import daemon as bench_daemon
from sketchd.bench import frames as bench
from sketchd.bench import inputs as bench_inputs
from sketchd.bench import worker
from sketchd.config import loader, schema

PRESETS = sorted(schema.validate(loader.defaults_data())[0].presets)


@pytest.fixture(scope="module")
def report() -> bench.Report:
    return bench.run(sizes=[(320, 240)], frames=3, fidelity=True, rounds=1)


def test_every_preset_has_a_filter_and_an_end_to_end_row(report):
    for section in ("filter", "e2e"):
        names = {r.name for r in report.rows if r.section == section}
        assert names >= set(PRESETS), (section, sorted(names))
    assert {m.name for m in report.memory} == set(PRESETS)


def test_numbers_are_positive_and_the_table_shows_them(report):
    for r in report.rows:
        assert r.ms > 0 and r.ref_ms > 0 and r.ratio > 0, r
        assert r.ref2_ms > 0 and r.ratio2 > 0, r  # the reference run as sketchd runs, too
    for m in report.memory:
        assert m.transient_kb >= 0 and m.frames > 0, m
    assert report.rss_mb > 0
    table = report.markdown()
    for name in PRESETS:
        assert f"| e2e: {name} |" in table and f"| 320x240 | {name} | " in table
    assert "| 320x240 |" in table


def test_fidelity_rows_cover_every_photograph(report):
    photos = {name for name, *_ in report.fidelity}
    assert len(photos) == len(bench_inputs.PHOTOS)
    assert all(0 < ssim <= 1 and mad >= 0 for _, _, ssim, mad in report.fidelity)


def test_sizes_are_parsed_with_a_clear_error():
    assert bench_inputs.parse_sizes("640x480,1920x1080") == [(640, 480), (1920, 1080)]
    with pytest.raises(ValueError, match="must look like"):
        bench_inputs.parse_sizes("640by480")
    with pytest.raises(ValueError, match="even"):
        bench_inputs.parse_sizes("641x480")


def test_cli_quick(capsys):
    from sketchd.cli import main

    assert main(["bench", "--quick", "--sizes", "160x120"]) == 0
    out = capsys.readouterr().out
    assert "e2e: pencil" in out
    assert "| 160x120 |" in out.split("first live frame out")[1]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_daemon_part_times_a_real_start_and_measures_it():
    configs = [("pencil", None), ("ink", 1)]
    report = bench_daemon.run(sizes=[(320, 240)], runs=1, settle=0.5, configs=configs)
    assert [(r.preset, r.threads) for r in report.rows] == configs
    for row in report.rows:
        assert 0 < row.first_frame_s <= row.first_live_s < 30, row
        assert row.runs == 1 and row.cpu_percent >= 0
        assert row.latency_ms > 0 and row.behind_max >= 0
        assert row.rss_mb > 30, row  # numpy and OpenCV alone are more than that
        assert report.import_floor_s > 0
    assert "| 320x240 | ink | 1 |" in report.markdown()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_daemon_that_cannot_start_is_reported_with_its_log(tmp_path):
    with pytest.raises(RuntimeError, match="showed no live frame") as err:
        bench_daemon.start_once(
            [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "/nonexistent"],
            dict(os.environ),
            settle=0.1,
        )
    assert "no camera at '/nonexistent'" in str(err.value)


def test_each_candidate_runs_as_its_program_does():
    """sketchd's paths as the daemon runs them (its allocator settings), the seed's as a
    script runs them, and the seed's once more as sketchd runs for the strict comparison."""
    frames = bench.Frames.make(64, 48)
    seen = {}
    for key in ("classic/bgr", "classic/gray/kept", "naive", "naive/kept", "pencil/gray"):
        fn, inputs, as_sketchd = bench.candidate(key, frames)
        seen[key] = as_sketchd
        assert fn(inputs[0]).shape[:2] == (48, 64)
    assert seen == {
        "classic/bgr": False,
        "classic/gray/kept": True,
        "naive": False,
        "naive/kept": True,
        "pencil/gray": True,
    }
    fn, inputs, _ = bench.candidate("e2e/pencil", frames)
    assert fn(inputs[0]).size == 64 * 48 * 3 // 2  # the I420 buffer pyvirtualcam is given
    with pytest.raises(ValueError, match="unknown benchmark candidate"):
        bench.candidate("nope/x", frames)


def test_a_worker_process_measures_one_candidate():
    times = worker.spawn("sketchd.bench.frames", "e2e/pencil", 160, 120, 4)
    assert len(times) == 4 and all(t > 0 for t in times)
    with pytest.raises(RuntimeError, match="worker preset/nope at 160x120 failed"):
        worker.spawn("sketchd.bench.frames", "preset/nope", 160, 120, 2)


@pytest.mark.parametrize("part", ["all", "frames", "segment", "stability"])
def test_without_scikit_image_the_bench_says_what_to_install(monkeypatch, capsys, part):
    """Installed without the test extra: one line naming the pip command, exit 1, and no
    worker started (the check comes first)."""
    from sketchd.bench import worker as bench_worker
    from sketchd.cli import main

    monkeypatch.setitem(sys.modules, "skimage", None)  # `import skimage` fails, as uninstalled
    monkeypatch.setattr(bench_worker, "spawn", lambda *a: pytest.fail("a worker started"))
    assert main(["bench", "--quick", "--part", part, "--sizes", "160x120"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "sketchd: error: the benchmark uses scikit-image's sample photographs: "
        "pip install 'sketchd[test]'\n"
    )

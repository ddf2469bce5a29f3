"""Long run: frames through the whole daemon with presets switching, watching memory and threads.

CI runs a short variant; the full one (50,000 frames, a few minutes) is

    SKETCHD_SOAK_FRAMES=50000 .venv/bin/python -m pytest -m soak tests/soak -s

The demo camera and the publish loop run unpaced (as fast as the CPU allows) so that 50,000
frames take minutes, not half an hour; a recording sink stands in for the virtual camera.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource

pytestmark = pytest.mark.soak

FRAMES = int(os.environ.get("SKETCHD_SOAK_FRAMES", "6000"))  # at least two preset cycles
SWITCH_EVERY = 200  # a cycle through every preset: 200 frames each (13 presets: 2600)
WARMUP = 1000  # frames before the baseline: caches, cards, every preset's buffers


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def native_threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads: line in /proc/self/status")


class Unpaced:
    def sleep_until_next_frame(self) -> None:
        pass


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
def test_long_run_keeps_memory_and_threads_flat(tmp_path):
    config = parse(paths.default_config_file().read_text())
    presets = list(config.presets)
    cycle = SWITCH_EVERY * len(presets)
    frames = max(FRAMES, WARMUP + 2 * cycle)  # the peaks of two whole cycles are compared
    sink = RecordingSink(keep=2)
    source = DemoSource(640, 360, 30, sleep=lambda _s: None)
    daemon = Daemon(config, source, [sink], pacer=Unpaced())
    controller = Controller(config, daemon)
    curve: list[tuple[int, float, int, int]] = []
    daemon.start()
    try:
        next_switch, i = SWITCH_EVERY, 0
        t0 = time.monotonic()
        while sink.count < frames:
            if sink.count >= next_switch:
                i += 1
                controller.set_preset(presets[i % len(presets)])
                next_switch += SWITCH_EVERY
            if not curve or sink.count - curve[-1][0] >= max(frames // 50, 100):
                curve.append((sink.count, rss_mb(), native_threads(), threading.active_count()))
            assert daemon.capture.is_alive(), "the capture thread died"
            time.sleep(0.01)
        elapsed = time.monotonic() - t0
        curve.append((sink.count, rss_mb(), native_threads(), threading.active_count()))
    finally:
        daemon.stop()

    # RSS swings by a few MB as presets with different buffers take turns, so compare the peak
    # over the first full preset cycle after warm-up with the peak over the last cycle
    base = max(r for n, r, _, _ in curve if WARMUP <= n <= WARMUP + cycle)
    end = max(r for n, r, _, _ in curve if n >= curve[-1][0] - cycle)
    lines = [f"{n:>7} frames  RSS {r:7.1f} MB  threads {t} (python {p})" for n, r, t, p in curve]
    report = (
        f"{sink.count} frames in {elapsed:.0f} s ({sink.count / elapsed:.0f}/s), "
        f"{i} preset switches; peak RSS over the first cycle after warm-up {base:.1f} MB, "
        f"over the last cycle {end:.1f} MB (growth {end - base:+.1f} MB); "
        f"processed {daemon.stats.processed}, filter errors {daemon.stats.filter_errors}"
    )
    (tmp_path / "soak.txt").write_text(report + "\n" + "\n".join(lines) + "\n")
    print("\n" + report + "\n" + "\n".join(lines))
    assert daemon.stats.filter_errors == 0
    assert end - base < 10, report
    steady = {(t, p) for n, _, t, p in curve if n >= WARMUP}
    assert len(steady) == 1, f"thread count changed: {sorted(steady)}"

"""On-demand capture in figures (`sketchd bench --part daemon`): the publish loop's CPU in
standby (camera closed, a card every half second) against the same loop live, and the time
from a reader's arrival to the first live frame sent, with a camera that takes 0.3 s to open.

In-process, with the real Publisher, Pacer, Capture and I420 conversion; the virtual camera is
a sink that copies each buffer into device-sized memory (what QBUF's mmap copy costs) and whose
reader count the benchmark sets, as v4l2loopback's client-usage events would.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from sketchd.pipeline.capture import Capture
from sketchd.pipeline.demand import Demand, Readers
from sketchd.pipeline.engine import Publisher
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Settings, Stats
from sketchd.sinks.convert import Conversions
from sketchd.sources.demo import DemoSource

CAMERA_START_S = 0.3  # how long the benchmark's camera takes to open


class DeviceSink:
    """Converts to I420 and copies into a device-sized buffer, like the streaming writer."""

    name = "device"

    def __init__(self, width: int, height: int):
        self._convert = Conversions().converter("I420", width, height)
        self._device = np.empty(width * height * 3 // 2, np.uint8)
        self.watching = 0
        self.live_sent_at: float | None = None
        self.stats: Stats | None = None

    def open(self) -> str:
        return "a device-sized buffer"

    def close(self) -> None:
        pass

    def readers(self) -> Readers:
        return Readers(self.watching, 0.0, "set by the benchmark")

    def send(self, frame: np.ndarray) -> None:
        self._device[:] = self._convert(frame)
        if self.live_sent_at is None and self.stats is not None and self.stats.camera == "live":
            self.live_sent_at = time.perf_counter()


class SlowCamera(DemoSource):
    def open(self) -> str:
        time.sleep(CAMERA_START_S)
        return super().open()


@dataclass
class DemandReport:
    size: str = ""
    fps: int = 30
    standby_cpu: float = 0.0  # % of one core
    live_cpu: float = 0.0
    reader_to_live_s: list[float] = field(default_factory=list)

    def markdown(self) -> str:
        live = statistics.median(self.reader_to_live_s) if self.reader_to_live_s else 0.0
        return "\n".join(
            [
                f"On-demand capture, {self.size} output at {self.fps} fps, preset pencil, "
                f"the camera opening in {CAMERA_START_S:g} s (in-process: publish loop, "
                "capture, I420 conversion and the device copy)",
                "",
                "| state | CPU (one core) |",
                "|---|---:|",
                f"| standby (no reader, camera closed) | {self.standby_cpu:.2f}% |",
                f"| live (one reader) | {self.live_cpu:.1f}% |",
                "",
                f"reader arrives → first live frame sent: median {live:.2f} s over "
                f"{len(self.reader_to_live_s)} arrivals "
                f"(min {min(self.reader_to_live_s, default=0):.2f}, "
                f"max {max(self.reader_to_live_s, default=0):.2f})",
            ]
        )


def _cpu_percent(seconds: float) -> float:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    return 100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def run(
    width: int = 1920, height: int = 1080, fps: int = 30, seconds: float = 10.0, arrivals: int = 5
) -> DemandReport:
    from sketchd.config import loader, schema
    from sketchd.presets import settings_for

    config, _ = schema.validate(loader.defaults_data())
    assert config is not None
    settings: Settings = settings_for(config, "pencil")
    stats, wanted = Stats(), threading.Event()
    mailbox: Mailbox = Mailbox()
    sink = DeviceSink(width, height)
    sink.stats = stats
    demand = Demand(idle_after=0.5)
    pub = Publisher(
        mailbox, [sink], settings, width, height, fps, stats, demand=demand, wanted=wanted
    )
    stop = threading.Event()
    camera = SlowCamera(width, height, fps)
    capture = Capture(camera, mailbox, stop, stats, wanted=wanted)
    loop = threading.Thread(target=pub.run, args=(stop,), daemon=True)
    capture.start()
    loop.start()
    report = DemandReport(f"{width}x{height}", fps)
    try:
        time.sleep(1.0)  # settle in standby
        report.standby_cpu = _cpu_percent(seconds)
        for _ in range(arrivals):
            sink.live_sent_at = None
            t0 = time.perf_counter()
            sink.watching = 1
            while sink.live_sent_at is None and time.perf_counter() - t0 < 10:
                time.sleep(0.005)
            if sink.live_sent_at is not None:
                report.reader_to_live_s.append(sink.live_sent_at - t0)
            if not report.live_cpu:
                report.live_cpu = _cpu_percent(min(seconds, 5.0))
            sink.watching = 0
            while wanted.is_set() or stats.camera_open:
                time.sleep(0.01)
    finally:
        stop.set()
        wanted.set()  # wake the capture thread so it sees stop
        loop.join(2)
        capture.join(2)
    return report

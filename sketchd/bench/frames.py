"""The speed benchmark behind ``sketchd bench``: every preset against the classic pipeline,
in one run, on the same real photographs, one OpenCV thread, medians over many frames.

1. filter alone: each preset's chain on the frame the pipeline would give it (gray for gray
   presets, BGR otherwise), beside the classic sketch on that same frame;
2. end to end: camera MJPG bytes → the buffer handed to pyvirtualcam (I420 on Linux), beside
   the naive path (decode to BGR → classic → GRAY2RGB → the RGB buffer pyvirtualcam takes);
3. memory: the process's steady RSS, and what the hot path allocates per frame (tracemalloc).

The daemon as a whole (start-up to the first frame, CPU, RSS, latency) is bench/daemon.py's;
the photographs and sizes are bench/inputs.py's.

Each candidate is timed in a process of its own (bench/worker.py), frame after frame in a
worker thread, the way each program runs its one loop: sketchd's paths with the allocator
settings the daemon uses (platform/linux/malloc.py), the classic and naive paths as a plain
script has them, plus the naive path once more with sketchd's settings for reference. Measured
in one shared process instead, each path ran in the cache and allocator state the others left,
and the same path's median moved by half between runs (naive at 1080p: 8 to 14 ms). The
candidates take turns in ROUNDS rounds, each round in another order, so a busy machine slows
them all alike and the ratios stay meaningful even when the milliseconds do not.
"""

from __future__ import annotations

import functools
import statistics
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from sketchd.bench import worker
from sketchd.bench.inputs import PHOTOS, default_config, load_photos, photo_dir

SIZES = ((640, 480), (1280, 720), (1920, 1080))
ROUNDS = 3  # turns each candidate takes, each in a fresh process


@dataclass
class Row:
    section: str  # "filter" | "e2e"
    size: str
    name: str
    ms: float  # median milliseconds per frame
    ref_ms: float  # the classic (or naive) path's median in the same run
    input: str = ""
    ref2_ms: float = 0.0  # the same reference run as sketchd runs (thread, buffers kept)

    @property
    def ratio(self) -> float:
        return self.ref_ms / self.ms if self.ms > 0 else float("inf")

    @property
    def ratio2(self) -> float:
        return self.ref2_ms / self.ms if self.ms > 0 else float("inf")


@dataclass
class MemRow:
    name: str
    size: str
    transient_kb: float  # peak traced memory above the start, during one frame
    growth_bytes: float  # traced memory after N frames minus after the first, per frame
    frames: int


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    memory: list[MemRow] = field(default_factory=list)
    rss_mb: float = 0.0
    fidelity: list[tuple[str, str, float, float]] = field(default_factory=list)
    frames: int = 0
    rounds: int = ROUNDS

    def markdown(self) -> str:
        out = [
            f"one OpenCV thread; medians over {self.frames} frames per candidate and size "
            f"({len(PHOTOS)} photographs in turn), each candidate in its own process, "
            f"{self.rounds} turns",
            "",
            "| size | filter alone | input | median ms | classic ms | ratio "
            "| classic, run as sketchd | ratio |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            if r.section == "filter":
                out.append(
                    f"| {r.size} | {r.name} | {r.input} | {r.ms:.2f} | {r.ref_ms:.2f} "
                    f"| {r.ratio:.2f}x | {r.ref2_ms:.2f} | {r.ratio2:.2f}x |"
                )
        out += [
            "",
            "| size | end to end (camera MJPG → I420 buffer) | median ms | naive ms | ratio "
            "| naive, run as sketchd | ratio |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            if r.section == "e2e":
                out.append(
                    f"| {r.size} | e2e: {r.name} | {r.ms:.2f} | {r.ref_ms:.2f} | {r.ratio:.2f}x "
                    f"| {r.ref2_ms:.2f} | {r.ratio2:.2f}x |"
                )
        out += [
            "",
            "| size | hot path | KB allocated at peak per frame | growth bytes/frame |",
            "|---|---|---:|---:|",
        ]
        for m in self.memory:
            out.append(f"| {m.size} | {m.name} | {m.transient_kb:.0f} | {m.growth_bytes:.1f} |")
        out += [
            "",
            f"RSS of the benchmark process after the run (it holds every test frame): "
            f"{self.rss_mb:.0f} MB",
        ]
        if self.fidelity:
            out += [
                "",
                "| photo | size | SSIM pencil vs classic | mean abs diff |",
                "|---|---|---:|---:|",
            ]
            for name, size, ssim, mad in self.fidelity:
                out.append(f"| {name} | {size} | {ssim:.4f} | {mad:.3f} |")
        return "\n".join(out)


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), or its peak elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    from sketchd.platform import peak_rss_mib

    return peak_rss_mib()


def _naive(jpeg: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    from sketchd.filters.sketch import classic_sketch

    bgr = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert bgr is not None  # the JPEG is one cv2.imencode made (Frames.make)
    return cv2.cvtColor(classic_sketch(bgr), cv2.COLOR_GRAY2RGB, dst=rgb)


@dataclass
class Frames:
    """The test frames at one size, in every form a candidate takes."""

    bgr: list[np.ndarray]
    gray: list[np.ndarray]
    jpeg: list[np.ndarray]
    camera: list  # CameraFrame of the JPEG bytes, as the camera source delivers MJPG

    @classmethod
    def make(cls, w: int, h: int) -> Frames:
        from sketchd.pipeline.frames import CameraFrame

        bgrs = [
            cv2.resize(
                p, (w, h), interpolation=cv2.INTER_AREA if p.shape[1] > w else cv2.INTER_CUBIC
            )
            for p in load_photos()
        ]
        grays = [cv2.cvtColor(b, cv2.COLOR_BGR2GRAY) for b in bgrs]
        jpegs = [cv2.imencode(".jpg", b, [cv2.IMWRITE_JPEG_QUALITY, 90])[1] for b in bgrs]
        cams = [CameraFrame(j, "MJPG", w, h, i + 1, 0.0) for i, j in enumerate(jpegs)]
        return cls(bgrs, grays, jpegs, cams)


def hot_path(name: str, w: int, h: int) -> Callable:
    """sketchd's per-frame path for preset ``name``: camera frame → decode as far as needed →
    chain → fit → the I420 buffer handed to pyvirtualcam."""
    from sketchd.pipeline.engine import process
    from sketchd.pipeline.frames import fit
    from sketchd.presets import settings_for
    from sketchd.sinks.convert import I420Converter

    settings = settings_for(default_config(), name)
    conv = I420Converter(w, h)

    def hot(cam):
        return conv(fit(process(cam, settings), w, h))

    return hot


def candidate(key: str, frames: Frames) -> tuple[Callable, Sequence, bool]:
    """(function, its inputs, whether it runs as sketchd runs) for a benchmark key:
    classic/bgr, classic/gray, naive (the seed's paths, as a plain script runs them), the same
    with /kept (as sketchd runs: see ``measure``), and sketchd's own pencil/bgr, pencil/gray,
    preset/NAME (a preset's chain) and e2e/NAME (its whole per-frame path)."""
    from sketchd.filters.registry import compose, needs_colour
    from sketchd.filters.sketch import classic_sketch, pencil

    kind, _, name = key.partition("/")
    kept = kind in ("classic", "naive") and (name == "kept" or name.endswith("/kept"))
    if kept:
        name = name.removesuffix("kept").removesuffix("/")
    h, w = frames.gray[0].shape
    if kind == "classic":
        return classic_sketch, frames.bgr if name == "bgr" else frames.gray, kept
    if kind == "naive":
        rgb = np.empty((h, w, 3), np.uint8)
        return functools.partial(_naive, rgb=rgb), frames.jpeg, kept
    if kind == "pencil":
        return pencil, frames.bgr if name == "bgr" else frames.gray, True
    if kind == "preset":
        steps = default_config().presets[name].steps
        return compose(steps), frames.bgr if needs_colour(steps) else frames.gray, True
    if kind == "e2e":
        return hot_path(name, w, h), frames.camera, True
    raise ValueError(f"unknown benchmark candidate {key!r}")


def measure(key: str, w: int, h: int, frames: int) -> list[float]:
    """Milliseconds per frame of candidate ``key`` in this process, after WARM frames not
    counted (worker.timed). sketchd's paths run as in the daemon: in a worker thread (its
    publish loop), with the daemon's allocator settings. The seed's paths run as a plain
    script: in the main thread with the C library's defaults (glibc trims and re-faults its
    frame-sized arrays there: the classic sketch measured ~6.7 ms at 1080p that way, ~3.6 ms in
    a thread with the buffers kept, which is what the /kept variants show)."""
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    fn, inputs, as_sketchd = candidate(key, Frames.make(w, h))
    if as_sketchd:
        tune_memory()
    return worker.timed(fn, inputs, frames, in_thread=as_sketchd)


def _spawn(key: str, w: int, h: int, frames: int) -> list[float]:
    """``measure`` in a fresh Python process."""
    return worker.spawn("sketchd.bench.frames", key, w, h, frames)


def run(
    sizes: Sequence[tuple[int, int]] = SIZES,
    frames: int = 200,
    presets: Sequence[str] | None = None,
    fidelity: bool = True,
    rounds: int = ROUNDS,
) -> Report:
    """Measure everything; returns the report (``report.markdown()`` is the table).
    ``frames`` per candidate and size, spread over ``rounds`` turns."""
    from sketchd.filters.registry import needs_colour
    from sketchd.filters.sketch import classic_sketch, pencil

    photo_dir()  # no scikit-image: one line saying what to install, before any worker starts
    all_presets = default_config().presets
    names = list(presets or all_presets)
    kinds = {n: "bgr" if needs_colour(all_presets[n].steps) else "gray" for n in names}
    keys = [f"classic/{k}{kept}" for k in ("bgr", "gray") for kept in ("", "/kept")]
    keys += ["pencil/bgr", "pencil/gray"]
    keys += [f"preset/{n}" for n in names] + ["naive", "naive/kept"] + [f"e2e/{n}" for n in names]
    per_turn = max(2, -(-frames // rounds))
    report = Report(frames=per_turn * rounds, rounds=rounds)
    for w, h in sizes:
        size = f"{w}x{h}"
        run = functools.partial(_spawn, w=w, h=h, frames=per_turn)
        times = worker.interleaved(keys, rounds, run)
        med = {k: statistics.median(v) for k, v in times.items()}
        for kind in ("bgr", "gray"):
            report.rows.append(
                Row(
                    "filter", size, "pencil() alone", med[f"pencil/{kind}"],
                    med[f"classic/{kind}"], kind, med[f"classic/{kind}/kept"],
                )
            )  # fmt: skip
        for n in names:
            k = kinds[n]
            report.rows.append(
                Row(
                    "filter", size, n, med[f"preset/{n}"], med[f"classic/{k}"], k,
                    med[f"classic/{k}/kept"],
                )
            )  # fmt: skip
        for n in names:
            report.rows.append(
                Row("e2e", size, n, med[f"e2e/{n}"], med["naive"], "MJPG→I420", med["naive/kept"])
            )

        # allocations per frame in the hot path (in this process: tracemalloc sees numpy)
        test = Frames.make(w, h)
        for n in names:
            report.memory.append(
                _allocations(n, size, hot_path(n, w, h), test.camera, max(10, frames // 10))
            )
        if fidelity and (w, h) == tuple(sizes[-1]):
            report.fidelity += _fidelity(load_photos(), (w, h), classic_sketch, pencil)
    report.rss_mb = rss_mb()
    return report


def _allocations(name: str, size: str, fn, inputs: Sequence, n: int) -> MemRow:
    fn(inputs[0])  # scratch arrays and caches exist before we count
    tracemalloc.start()
    try:
        fn(inputs[0])
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn(inputs[1 % len(inputs)])
        after_one, peak = tracemalloc.get_traced_memory()
        for i in range(n):
            fn(inputs[i % len(inputs)])
        after_n, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return MemRow(name, size, (peak - base) / 1024.0, (after_n - after_one) / n, n)


def _fidelity(photos, size, classic, pencil) -> list[tuple[str, str, float, float]]:
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        return []
    rows = []
    for fname, img in zip(PHOTOS, photos, strict=False):
        for label, frame in (
            ("native", img),
            (f"{size[0]}x{size[1]}", cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)),
        ):
            a, b = classic(frame), pencil(frame)
            ssim = float(structural_similarity(a, b, data_range=255))
            mad = float(np.abs(a.astype(np.int16) - b).mean())
            rows.append((fname.split(".")[0], label, ssim, mad))
    return rows

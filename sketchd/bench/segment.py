"""``sketchd bench --part segment``: what the portrait presets cost beside the pencil preset,
per frame of a stream, one OpenCV thread, median and mean.

The segmentation model runs on one frame in ``every`` (4 in the shipped presets), so the
median frame does not see it and the mean carries its cost: both are reported, and the mean
is the figure to hold against the pencil preset. The stream is a webcam's: scikit-image's
astronaut portrait at the frame size with fresh sensor noise on every frame (Gaussian, 3 gray
levels), so the mask has someone to follow and each frame differs as a camera's do.

Each preset is fed what the live loop gives it: gray for pencil (its chain only ever looks at
luma, so the camera frame is decoded to gray), BGR for the portrait presets (the model takes
colour). Pencil on BGR is timed too, for the cost of the chain alone on the same frame.

As in ``sketchd.bench.frames``, each candidate runs in a process of its own (worker.py), in a
worker thread with the daemon's allocator settings, and the candidates take turns (ROUNDS
rounds, each in another order), so a busy machine slows them alike: read the ratios, not the
milliseconds.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from sketchd.bench import worker
from sketchd.bench.inputs import INSTALL, default_config, photo_dir
from sketchd.errors import SketchdError

ROUNDS = 3
SIZES = ((1920, 1080),)  # where the cost matters most: the largest frames a webcam sends
NOISE = 3.0  # the sensor noise of the test stream, sigma in gray levels
# (key, preset, input): what is timed
CANDIDATES = (
    ("pencil", "pencil", "gray"),
    ("pencil/bgr", "pencil", "bgr"),
    ("portrait", "portrait", "bgr"),
    ("portrait_colour", "portrait_colour", "bgr"),
)


@dataclass
class Row:
    size: str
    name: str
    input: str
    median_ms: float
    mean_ms: float
    frames: int


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    rounds: int = ROUNDS

    def ratio(self, row: Row, stat: str) -> float:
        """``row``'s ``stat`` ("mean_ms" | "median_ms") over the pencil preset's (gray input,
        as the live loop runs it) at the same size."""
        ref = next(
            r for r in self.rows if (r.size, r.name, r.input) == (row.size, "pencil", "gray")
        )
        return getattr(row, stat) / getattr(ref, stat)

    def markdown(self) -> str:
        frames = self.rows[0].frames if self.rows else 0
        out = [
            f"segmentation presets, per frame of a stream ({frames} frames per candidate and "
            f"size, {self.rounds} turn{'s' if self.rounds != 1 else ''}, one OpenCV thread); "
            "the model runs on every 4th "
            "frame, so the mean includes it and the median does not",
            "",
            "| size | preset | input | median ms | mean ms | median ÷ pencil | mean ÷ pencil |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            out.append(
                f"| {r.size} | {r.name} | {r.input} | {r.median_ms:.2f} | {r.mean_ms:.2f} "
                f"| {self.ratio(r, 'median_ms'):.2f}x | {self.ratio(r, 'mean_ms'):.2f}x |"
            )
        return "\n".join(out)


def stream(w: int, h: int, n: int = 8) -> list[np.ndarray]:
    """``n`` BGR frames of the astronaut at w x h, each with its own (seeded) sensor noise."""
    img = cv2.imread(str(photo_dir() / "astronaut.png"), cv2.IMREAD_COLOR)
    if img is None:
        raise SketchdError(f"the benchmark uses scikit-image's astronaut.png: {INSTALL}")
    base = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    rng = np.random.default_rng(15)
    return [
        np.clip(base + rng.normal(0.0, NOISE, base.shape), 0, 255).astype(np.uint8)
        for _ in range(n)
    ]


def measure(key: str, w: int, h: int, frames: int) -> list[float]:
    """Milliseconds per frame of candidate ``key``: one chain (one stream) run over
    ``frames`` frames after worker.WARM, in a worker thread with the daemon's allocator
    settings."""
    from sketchd.filters.registry import compose
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    tune_memory()
    _, preset, kind = next(c for c in CANDIDATES if c[0] == key)
    chain = compose(default_config().presets[preset].steps)
    inputs = stream(w, h)
    if kind == "gray":
        inputs = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in inputs]
    return worker.timed(chain, inputs, frames)


def _spawn(key: str, w: int, h: int, frames: int) -> list[float]:
    """``measure`` in a fresh Python process."""
    return worker.spawn("sketchd.bench.segment", key, w, h, frames)


def run(
    sizes: Sequence[tuple[int, int]] = SIZES,
    frames: int = 240,
    rounds: int = ROUNDS,
) -> Report:
    """Time every candidate at every size; ``frames`` per candidate and size over ``rounds``
    turns (rounded up to whole groups of 4 frames, so each turn sees its share of the
    model's frames)."""
    photo_dir()  # no scikit-image: one line saying what to install, before any worker starts
    per_turn = max(4, -(-frames // rounds // 4) * 4)
    keys = [c[0] for c in CANDIDATES]
    report = Report(rounds=rounds)
    for w, h in sizes:
        run = functools.partial(_spawn, w=w, h=h, frames=per_turn)
        times = worker.interleaved(keys, rounds, run)
        for key, preset, kind in CANDIDATES:
            t = times[key]
            report.rows.append(
                Row(f"{w}x{h}", preset, kind, statistics.median(t), statistics.mean(t), len(t))
            )
    return report

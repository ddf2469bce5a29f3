"""``sketchd bench --part drawing``: what the drawing presets cost per frame of a webcam
stream, beside the classic seed sketch and the pencil preset, and how still they hold.

Cost: CPU milliseconds of the one thread that runs the chain (``time.thread_time``: on a
shared machine, time spent waiting for a core is not the filter's), one OpenCV thread,
medians over a stream of noisy frames at 1280x720 and 1920x1080
(bench/stability.py's ``cost_scenes``: the astronaut held still, and a person moving to and fro
in front of a room, each frame with fresh sensor noise). Each preset's whole chain runs,
stabilize and auto_contrast included, on what the live loop gives it (gray for a chain that
reads only luma, BGR otherwise); the classic sketch is the seed's three lines on the gray
frame, no stabilize. As in bench/frames.py each candidate runs in a process of its own
(bench/worker.py) and the candidates take turns (ROUNDS rounds, each in another order), so a
busy machine slows them alike. The issue's budget at 720p: drawing ≤ 8 ms, drawing_colour
≤ 12 ms (the worse of the two scenes is held against it).

Stillness: bench/stillness.py's still scene in good light and in a dim room: the share of
pixels changing by more than 24 levels between settled frames (limits 1 % and 3 %).
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2

from sketchd.bench import worker
from sketchd.bench.inputs import default_config, photo_dir

SIZES = ((1280, 720), (1920, 1080))
ROUNDS = 3
SCENES = ("still", "moving")
CANDIDATES = ("classic", "pencil", "drawing", "drawing_colour", "portrait_drawing")
BUDGET = {"drawing": 8.0, "drawing_colour": 12.0}  # ms a frame at 1280x720, one thread


@dataclass
class Row:
    size: str
    name: str
    input: str  # "gray" | "bgr"
    ms: dict[str, float]  # scene → median ms a frame
    frames: int

    @property
    def worst(self) -> float:
        return max(self.ms.values())


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    sparkle: dict[str, dict[str, float]] = field(default_factory=dict)  # light → name →
    rounds: int = ROUNDS

    def row(self, size: str, name: str) -> Row | None:
        return next((r for r in self.rows if (r.size, r.name) == (size, name)), None)

    def markdown(self) -> str:
        frames = self.rows[0].frames if self.rows else 0
        out = [
            f"drawing presets, CPU ms of the filter thread per frame of a noisy stream ({frames} "
            f"frames per candidate, scene and size; {self.rounds} "
            f"turn{'s' if self.rounds != 1 else ''}; one OpenCV thread; stabilize included); "
            "budget at 1280x720: " + ", ".join(f"{k} ≤ {v:g} ms" for k, v in BUDGET.items()),
            "",
            "| size | candidate | input | still ms | moving ms | ÷ classic | ÷ pencil | budget |",
            "|---|---|---|---:|---:|---:|---:|---|",
        ]
        for r in self.rows:
            classic, pencil = self.row(r.size, "classic"), self.row(r.size, "pencil")
            budget = BUDGET.get(r.name) if r.size == "1280x720" else None
            verdict = "" if budget is None else ("ok" if r.worst <= budget else "OVER")
            ratios = [f"{r.worst / ref.worst:.2f}x" if ref else "-" for ref in (classic, pencil)]
            out.append(
                f"| {r.size} | {r.name} | {r.input} | {r.ms['still']:.2f} | {r.ms['moving']:.2f} "
                f"| {' | '.join(ratios)} | {verdict} |"
            )
        if self.sparkle:
            out += [
                "",
                "still noisy scene (512x512), pixels changing by > 24 levels between settled "
                "frames (limits: good light 1 %, dim 3 %)",
                "",
                "| candidate | " + " | ".join(self.sparkle) + " |",
                "|---|" + "---:|" * len(self.sparkle),
            ]
            names = next(iter(self.sparkle.values()))
            for n in names:
                cells = [f"{100 * self.sparkle[li][n]:.2f} %" for li in self.sparkle]
                out.append(f"| {n} | " + " | ".join(cells) + " |")
        return "\n".join(out)


def _reads_colour(name: str) -> bool:
    from sketchd.filters.registry import needs_colour

    return name != "classic" and needs_colour(default_config().presets[name].steps)


def measure(key: str, w: int, h: int, frames: int) -> list[float]:
    """CPU milliseconds a frame of candidate ``key`` ("NAME/SCENE"): one stream over
    ``frames`` frames after worker.WARM, in a worker thread with the daemon's allocator
    settings."""
    from sketchd.bench.stability import cost_scenes
    from sketchd.filters.registry import compose
    from sketchd.filters.sketch import classic_sketch
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    tune_memory()
    name, _, scene = key.partition("/")
    inputs = cost_scenes(w, h)[scene]
    if not _reads_colour(name):
        inputs = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in inputs]
    fn = classic_sketch if name == "classic" else compose(default_config().presets[name].steps)
    return worker.timed(fn, inputs, frames, clock=time.thread_time)


def stillness(names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Sparkle once settled, per light, for each candidate (the classic sketch as the seed
    runs it: no stabilize)."""
    from sketchd.bench import stillness as sb

    presets = sb.default_presets()
    cands = sb.candidates({n: presets[n] for n in names if n in presets})
    if "classic" in names:
        cands["classic"] = sb.classic_candidates()["classic/before"]
    return {
        light: {n: s.sparkle for n, s in sb.still(cands, value).items()}
        for light, value in sb.LIGHTS.items()
    }


def run(
    sizes: Sequence[tuple[int, int]] = SIZES,
    frames: int = 120,
    rounds: int = ROUNDS,
    names: Sequence[str] = CANDIDATES,
    still: bool = True,
) -> Report:
    """Time every candidate on both scenes at every size (``frames`` per candidate, scene and
    size over ``rounds`` turns), then, with ``still``, their sparkle on the still scene."""
    photo_dir()  # no scikit-image: one line saying what to install, before any worker starts
    per_turn = max(2, -(-frames // rounds))
    keys = [f"{n}/{s}" for n in names for s in SCENES]
    report = Report(rounds=rounds)
    for w, h in sizes:
        run = functools.partial(worker.spawn, __name__, w=w, h=h, frames=per_turn)
        times = worker.interleaved(keys, rounds, run)
        for n in names:
            ms = {s: statistics.median(times[f"{n}/{s}"]) for s in SCENES}
            kind = "bgr" if _reads_colour(n) else "gray"
            report.rows.append(Row(f"{w}x{h}", n, kind, ms, per_turn * rounds))
    if still:
        report.sparkle = stillness(names)
    return report

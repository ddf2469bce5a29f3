"""``sketchd bench --part stability``: the stability table of every default preset, before
and after ``stabilize`` (the scenes and measures are bench/stillness.py's), and what
stabilize costs at 1080p beside the classic sketch and the pencil preset, in one run."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from sketchd.bench.inputs import photo_dir
from sketchd.bench.stillness import (
    LIGHTS,
    MEASURE,
    PAN_STEP,
    READ,
    SHOT,
    SLOW_STEP,
    SPARKLE,
    WARM,
    Frame,
    Person,
    Still,
    Stream,
    candidates,
    classic_candidates,
    default_presets,
    noisy,
    pan,
    person,
    photo,
    scene,
    still,
    without_stabilize,
)
from sketchd.filters.chain import Chain

# ---------------------------------------------------------------- cost


@dataclass
class CostRow:
    what: str
    input: str  # "gray" | "BGR"
    ms: float  # median milliseconds a frame


@dataclass
class Cost:
    size: str
    frames: int
    rows: list[CostRow] = field(default_factory=list)
    classic_ms: float = 0.0  # the classic sketch on the gray frames, in the same run
    pencil_ms: float = 0.0  # the pencil preset without stabilize, gray, in the same run

    def ms(self, what: str, kind: str = "gray") -> float:
        return next(r.ms for r in self.rows if r.what == what and r.input == kind)


def cost_scenes(w: int, h: int, n: int = 12, seed: int = 7) -> dict[str, list[Frame]]:
    """Noisy BGR frames at w x h: the portrait still, and a person moving to and fro in front
    of a room (a loop, so it can be played over and over)."""
    rng = np.random.default_rng(seed)
    side = max(w, h)
    face = cv2.resize(photo(), (side, side), interpolation=cv2.INTER_AREA)
    top = (side - h) // 2
    still_clean = scene(face[top : top + h, (side - w) // 2 : (side - w) // 2 + w])
    room = cv2.resize(photo("coffee.png"), (w, h), interpolation=cv2.INTER_AREA)
    head = cv2.resize(
        photo()[20:300, 140:380], (h * 240 // 560, h // 2), interpolation=cv2.INTER_AREA
    )
    hh, hw = head.shape[:2]
    moving = []
    for t in range(n):
        x = w // 8 + (t if t < n // 2 else n - t) * max(2, w // 160)
        img = room.copy()
        img[h - hh :, x : x + hw] = head
        moving.append(noisy(scene(img), rng))
    return {"still": [noisy(still_clean, rng) for _ in range(n)], "moving": moving}


def cost(w: int = 1920, h: int = 1080, frames: int = 60, rounds: int = 3) -> Cost:
    """Milliseconds a frame, one OpenCV thread, medians: stabilize alone (a still scene once
    settled, a person moving, and the first frames of a stream), the pencil preset with and
    without it, and the classic sketch, all in turns in this one process."""
    from sketchd.filters.sketch import classic_sketch
    from sketchd.filters.stabilize import Stabilizer
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    tune_memory()
    bgr = cost_scenes(w, h)
    inputs = {
        "BGR": bgr,
        "gray": {k: [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in v] for k, v in bgr.items()},
    }
    steps = default_presets()["pencil"]
    hold = Stabilizer().hold

    def restarting() -> Stream:
        stab, seen = Stabilizer(), [0]

        def run(frame: Frame) -> Frame:
            if seen[0] % hold == 0:
                stab.reset()
            seen[0] += 1
            return stab(frame)

        return run

    # (what, input, scene, a fresh stream); streams that average are settled first
    plan: list[tuple[str, str, str, Stream]] = [
        ("classic sketch", "gray", "still", classic_sketch),
        ("pencil preset without stabilize", "gray", "still", Chain(without_stabilize(steps))),
        ("pencil preset, still scene", "gray", "still", Chain(steps)),
        ("pencil preset, a person moving", "gray", "moving", Chain(steps)),
    ]
    for kind in ("gray", "BGR"):
        plan += [
            ("stabilize, still scene (held)", kind, "still", Stabilizer()),
            ("stabilize, a person moving", kind, "moving", Stabilizer()),
            (f"stabilize, its first {hold} frames", kind, "still", restarting()),
        ]
    times: dict[int, list[float]] = {i: [] for i in range(len(plan))}
    per_turn = max(2, -(-frames // rounds))
    for what, kind, name, stream in plan:
        if "first" not in what:
            for f in inputs[kind][name] * 3:
                stream(f)
    clock = time.perf_counter
    for turn in range(rounds):
        order = list(range(len(plan)))[:: -1 if turn % 2 else 1]
        for i in order:
            _, kind, name, stream = plan[i]
            frames_in = inputs[kind][name]
            for j in range(per_turn):
                f = frames_in[(turn * per_turn + j) % len(frames_in)]
                t0 = clock()
                stream(f)
                times[i].append((clock() - t0) * 1e3)
    report = Cost(f"{w}x{h}", per_turn * rounds)
    for i, (what, kind, _, _) in enumerate(plan):
        report.rows.append(CostRow(what, kind, statistics.median(times[i])))
    report.classic_ms = report.ms("classic sketch")
    report.pencil_ms = report.ms("pencil preset without stabilize")
    return report


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    still: dict[str, dict[str, Still]] = field(default_factory=dict)  # light → candidate →
    pan: dict[str, dict[str, float]] = field(default_factory=dict)  # "3 px" | "0.5 px" →
    person: dict[str, dict[str, Person]] = field(default_factory=dict)  # light → preset →
    cost: Cost | None = None

    def markdown(self) -> str:
        pct = lambda v: f"{100 * v:.2f} %"  # noqa: E731
        out = [
            "Stability: scikit-image's astronaut held still, 512x512, sensor noise of variance "
            f"{SHOT}·level + {READ:g}² per frame (dim: {LIGHTS['dim']:.0%} of the light). "
            f"Sparkle: pixels changing by more than {SPARKLE} levels from one frame to the next, "
            f"frames {WARM + 1}-{WARM + MEASURE} (while settling: 1-{WARM}); SSIM: frame "
            f"{WARM + MEASURE} against the preset on the noise-free scene. autoframe is left "
            "out of every measure (its crop moves the picture on purpose).",
            "",
            "| preset | light | sparkle before | after | after, while settling | SSIM before "
            "| after |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for light, rows in self.still.items():
            for name in (n for n in rows if not n.endswith("/before")):
                a, b = rows[name], rows.get(f"{name}/before")
                label = "classic sketch (seed)" if name == "classic" else name
                out.append(
                    f"| {label} | {light} | {pct(b.sparkle) if b else '-'} | {pct(a.sparkle)} "
                    f"| {pct(a.settling)} | {f'{b.ssim:.3f}' if b else '-'} | {a.ssim:.3f} |"
                )
        if self.pan or self.person:
            lights = list(self.person)
            out += [
                "",
                "What moves, with stabilize: the lowest SSIM over a pan against the preset on "
                "each frame alone; a person who starts to move in front of a room, worst frame: "
                "the ghost (mean |Δ| from the noise-free output where the person was) and the "
                "SSIM against the noise-free output, each beside the preset without stabilize.",
                "",
                "| preset | "
                + " | ".join(f"pan {k}" for k in self.pan)
                + "".join(f" | ghost {li} (without) | SSIM {li} (without)" for li in lights)
                + " |",
                "|---|" + "---:|" * (len(self.pan) + 2 * len(lights)),
            ]
            names = next(iter(self.pan.values()), None) or next(iter(self.person.values()))
            for name in names:
                cells = [f"{self.pan[k][name]:.3f}" for k in self.pan]
                for li in lights:
                    p = self.person[li][name]
                    cells += [
                        f"{p.ghost:.1f} ({p.ghost_plain:.1f})",
                        f"{p.ssim:.3f} ({p.ssim_plain:.3f})",
                    ]
                out.append(f"| {name} | " + " | ".join(cells) + " |")
        if self.cost:
            c = self.cost
            out += [
                "",
                f"Cost at {c.size}, one OpenCV thread, medians over {c.frames} frames each, in "
                "turns in one process (a busy machine slows all alike: read the ratios).",
                "",
                "| what | input | median ms | / classic sketch "
                "| / pencil preset without stabilize |",
                "|---|---|---:|---:|---:|",
            ]
            for r in c.rows:
                out.append(
                    f"| {r.what} | {r.input} | {r.ms:.2f} | {r.ms / c.classic_ms:.2f}x "
                    f"| {r.ms / c.pencil_ms:.2f}x |"
                )
        return "\n".join(out)


def run(size: tuple[int, int] = (1920, 1080), frames: int = 60, quick: bool = False) -> Report:
    """Everything: the still table (every default preset, before and after, and the classic
    sketch), what moves, and the cost at ``size``. ``quick``: the pencil preset only, few frames."""
    photo_dir()  # no scikit-image: one line saying what to install (its photographs, its SSIM)
    presets = default_presets()
    if quick:
        presets = {"pencil": presets["pencil"]}
    report = Report()
    still_cands = candidates(presets, before=True) | classic_candidates()
    for light, value in LIGHTS.items():
        report.still[light] = still(still_cands, value)
    moving = candidates(presets)
    report.pan = {
        f"{PAN_STEP[0]:g} px": pan(moving, PAN_STEP),
        f"{SLOW_STEP[0]:g} px": pan(moving, SLOW_STEP),
    }
    for light, value in LIGHTS.items():
        report.person[light] = person(moving, value)
    report.cost = cost(*size, frames=6 if quick else frames, rounds=1 if quick else 3)
    return report

"""``sketchd bench --part motion``: the pencil preset, ``stabilize`` included, beside the classic
seed sketch on a still noisy scene and on a moving one, in one process; how sharp pencil and
colour_pencil stay while the picture pans; and how still they hold.

Cost: CPU milliseconds of this thread (``time.thread_time``: time spent waiting for a core on
a shared machine is not the filter's), one OpenCV thread, medians. The candidates take turns
on the same frames, ROUNDS rounds each in the other order, each stream keeping its state from
frame to frame as in the daemon: the classic sketch (gray; GaussianBlur(255 - gray, 21x21);
divide(gray, 255 - blurred, scale=256)), the pencil preset and stabilize alone on the gray
frames (what the live loop decodes for a gray preset), colour_pencil on the BGR ones. Scenes at
``size``: scikit-image's astronaut held still, each frame with fresh sensor noise; the coffee
photo panning STEP px a frame (to and fro, so the loop never cuts), with sensor noise.

Sharpness: for each of scikit-image's astronaut, coffee and chelsea, a pan of 4 and of 8 px a
frame at ``size``, noise-free and with sensor noise; the SSIM of pencil's and colour_pencil's
output (stabilize included) against what the preset without stabilize makes of the same frame
alone, on every third frame; the lowest is reported. Sparkle: bench/stillness.py's still scene.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from sketchd.bench.inputs import photo_dir
from sketchd.bench.stillness import (
    LIGHTS,
    candidates,
    default_presets,
    noisy,
    photo,
    scene,
    ssim,
    still,
    without_stabilize,
)
from sketchd.filters.chain import Chain

ROUNDS = 5
STEP = 4  # px a frame of the timed pan
STEPS = (4, 8)  # px a frame of the pans whose sharpness is measured
PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png")
PRESETS = ("pencil", "colour_pencil")
Frame = np.ndarray


def pan_frames(name: str, w: int, h: int, step: int, n: int) -> list[Frame]:
    """``n`` noise-free camera frames, ``w``x``h``, of photo ``name`` enlarged to cover the
    frame and the pan, sliding left by ``step`` px a frame."""
    img = photo(name)
    reach = w + step * n
    scale = max(reach / img.shape[1], h / img.shape[0])
    big = cv2.resize(
        img,
        (round(img.shape[1] * scale) + 1, round(img.shape[0] * scale) + 1),
        interpolation=cv2.INTER_CUBIC,
    )
    top = (big.shape[0] - h) // 2
    return [scene(big[top : top + h, t * step : t * step + w]) for t in range(n)]


def time_scenes(w: int, h: int, n: int = 16, seed: int = 11) -> dict[str, list[Frame]]:
    """BGR frames: the astronaut still with fresh noise each frame, and the coffee photo
    panning STEP px a frame, there and back (a loop with no cut), with noise."""
    rng = np.random.default_rng(seed)
    side = max(w, h)
    face = cv2.resize(photo(), (side, side), interpolation=cv2.INTER_AREA)
    y, x = (side - h) // 2, (side - w) // 2
    clean = scene(face[y : y + h, x : x + w])
    there = pan_frames("coffee.png", w, h, STEP, n)
    loop = there + there[-2:0:-1]
    return {
        "still": [noisy(clean, rng) for _ in range(n)],
        "moving": [noisy(f, rng) for f in loop],
    }


@dataclass
class Cost:
    size: str
    frames: int  # timed per candidate and scene
    ms: dict[str, dict[str, float]] = field(default_factory=dict)  # what → scene → median


def cost(w: int, h: int, frames: int = 60, rounds: int = ROUNDS) -> Cost:
    """Median CPU ms a frame of each candidate on each scene, in turns in this process."""
    from sketchd.filters.sketch import classic_sketch
    from sketchd.filters.stabilize import Stabilizer
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    tune_memory()
    bgr = time_scenes(w, h)
    gray = {k: [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in v] for k, v in bgr.items()}
    steps = default_presets()
    makers: dict[str, tuple[dict[str, list[Frame]], Callable[[], Callable]]] = {
        "classic sketch": (gray, lambda: classic_sketch),
        "pencil preset": (gray, lambda: Chain(steps["pencil"])),
        "pencil without stabilize": (gray, lambda: Chain(without_stabilize(steps["pencil"]))),
        "stabilize alone, gray": (gray, Stabilizer),
        "colour_pencil preset": (bgr, lambda: Chain(steps["colour_pencil"])),
    }
    plan = [(what, name, inputs, make()) for what, (inputs, make) in makers.items()
            for name in ("still", "moving")]  # fmt: skip
    times: dict[tuple[str, str], list[float]] = {(p[0], p[1]): [] for p in plan}
    seen = [0] * len(plan)
    for i, (_, name, inputs, stream) in enumerate(plan):  # settle: as in a running daemon
        for _ in range(len(inputs[name]) * 2):
            stream(inputs[name][seen[i] % len(inputs[name])])
            seen[i] += 1
    per_turn = max(1, -(-frames // rounds))
    clock = time.thread_time
    for turn in range(rounds):
        for i in list(range(len(plan)))[:: -1 if turn % 2 else 1]:
            what, name, inputs, stream = plan[i]
            for _ in range(per_turn):
                f = inputs[name][seen[i] % len(inputs[name])]
                seen[i] += 1
                t0 = clock()
                stream(f)
                times[what, name].append((clock() - t0) * 1e3)
    out = Cost(f"{w}x{h}", per_turn * rounds)
    for (what, name), got in times.items():
        out.ms.setdefault(what, {})[name] = statistics.median(got)
    return out


def sharpness(
    w: int, h: int, photos: Sequence[str] = PHOTOS, frames: int = 10, every: int = 3
) -> dict[str, dict[str, float]]:
    """preset → "4 px" / "4 px, noisy" / ... → the lowest SSIM over the photos' pans."""
    presets = default_presets()
    cands = candidates({n: presets[n] for n in PRESETS})
    rng = np.random.default_rng(5)
    out: dict[str, dict[str, float]] = {n: {} for n in PRESETS}
    for step in STEPS:
        for name in photos:
            clean = pan_frames(name, w, h, step, frames)
            for label, seq in ((f"{step} px", clean), (f"{step} px, noisy", None)):
                seq = seq or [noisy(f, rng) for f in clean]
                for preset, cand in cands.items():
                    stream, plain = cand.make(), cand.plain()
                    worst = out[preset].get(label, 1.0)
                    for t, f in enumerate(seq):
                        got = stream(f)
                        if t and t % every == 0:
                            worst = min(worst, ssim(got, plain(f)))
                    out[preset][label] = worst
    return out


@dataclass
class Report:
    cost: Cost
    ssim: dict[str, dict[str, float]]  # preset → pan → lowest SSIM
    sparkle: dict[str, dict[str, float]]  # light → preset → share of pixels
    photos: Sequence[str] = PHOTOS

    def markdown(self) -> str:
        c = self.cost
        classic = c.ms["classic sketch"]
        out = [
            f"Motion: {c.size}, CPU ms a frame of one thread (one OpenCV thread), medians over "
            f"{c.frames} frames each, in turns in one process; ratio = classic sketch ÷ it, "
            f"on the same frames. Still: the astronaut held still with sensor noise; moving: "
            f"the coffee photo panning {STEP} px a frame with sensor noise.",
            "",
            "| what | input | still ms | ratio | moving ms | ratio |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for what, ms in c.ms.items():
            kind = "BGR" if what.startswith("colour") else "gray"
            out.append(
                f"| {what} | {kind} | {ms['still']:.2f} | {classic['still'] / ms['still']:.2f}x "
                f"| {ms['moving']:.2f} | {classic['moving'] / ms['moving']:.2f}x |"
            )
        pans = list(next(iter(self.ssim.values())))
        out += [
            "",
            f"Pans at {c.size} ({', '.join(p.split('.')[0] for p in self.photos)}): the lowest "
            "SSIM against the preset without stabilize on each frame alone.",
            "",
            "| preset | " + " | ".join(pans) + " |",
            "|---|" + "---:|" * len(pans),
        ]
        for preset, row in self.ssim.items():
            out.append(f"| {preset} | " + " | ".join(f"{row[p]:.3f}" for p in pans) + " |")
        out += [
            "",
            "Still-scene sparkle (bench/stillness.py: pixels changing by more than 24 levels "
            "between settled frames; limits 1 % good light, 3 % dim).",
            "",
            "| preset | " + " | ".join(self.sparkle) + " |",
            "|---|" + "---:|" * len(self.sparkle),
        ]
        for preset in PRESETS:
            cells = [f"{100 * self.sparkle[li][preset]:.2f} %" for li in self.sparkle]
            out.append(f"| {preset} | " + " | ".join(cells) + " |")
        return "\n".join(out)


def run(size: tuple[int, int] = (1280, 720), frames: int = 60, quick: bool = False) -> Report:
    """Cost, sharpness and sparkle; ``quick``: a few frames at a small size (proves it runs)."""
    photo_dir()  # no scikit-image: one line saying what to install
    presets = default_presets()
    photos = PHOTOS[:1] if quick else PHOTOS
    if quick:
        w, h = (320, 180)
        report_cost = cost(w, h, frames=4, rounds=1)
        sharp = sharpness(w, h, photos=photos, frames=4)
    else:
        report_cost = cost(*size, frames=frames)
        sharp = sharpness(*size)
    cands = candidates({n: presets[n] for n in PRESETS})
    sparkle = {
        light: {n: s.sparkle for n, s in still(cands, value).items()}
        for light, value in LIGHTS.items()
    }
    return Report(report_cost, sharp, sparkle, photos)

"""How still a preset's video holds, with and without ``stabilize``: scenes with synthetic
sensor noise and the measures on them. ``sketchd bench --part stability`` (bench/stability.py)
prints them for every default preset; tests/unit/test_stabilize.py asserts them.

Scenes, from scikit-image's photographs (tests and bench use the same ones):

- still: the astronaut portrait held still in front of the camera, in good light and in a
  dim room (30 % of the light), each frame with fresh sensor noise;
- pan: the portrait sliding by a few pixels a frame (and a slow 0.5 px), noise-free, so each
  output frame can be compared with what the preset makes of that frame alone;
- person: a portrait still in front of a room (the coffee photo) for a while, then moving
  across it, with noise: nothing of it may be left behind where it was.

Sensor noise: a camera in video range (the photo mapped to 16..235, times the light), then per
pixel and channel Gaussian shot and read noise of variance SHOT·v + READ² (v the level), rounded
to 8 bits. Measures: *sparkle*, the share of pixels whose output changes by more than 24 levels
(in any channel) from one frame to the next; SSIM (scikit-image's) against the preset's output
on the noise-free scene; *ghost*, the mean difference from the noise-free output where the
person was and is no longer.
"""

from __future__ import annotations

import functools
import importlib.util
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sketchd.filters.chain import Chain
from sketchd.filters.registry import Step

SHOT, READ = 0.1, 3.0  # noise variance per level of signal, and read noise σ (gray levels)
LIGHTS = {"good": 1.0, "dim": 0.3}
SPARKLE = 24  # levels: a change larger than this from one frame to the next is a sparkle
WARM = 15  # frames before sparkle and SSIM are measured (about N of stabilize's defaults)
MEASURE = 15  # frames sparkle is measured over
MOVING = 10  # frames the person moves for
PAN_STEP = (3.0, 1.0)  # pixels a frame, right and down
SLOW_STEP = (0.5, 0.25)
Frame = np.ndarray


def photo(name: str = "astronaut.png") -> Frame:
    """One of scikit-image's sample photographs, BGR (installed with the dev dependencies)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise RuntimeError("the stability bench uses scikit-image: pip install scikit-image")
    img = cv2.imread(str(Path(spec.origin).parent / "data" / name), cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"scikit-image ships no readable {name}")
    return img


def scene(img: Frame, light: float = 1.0) -> Frame:
    """The noise-free camera frame of ``img``: video range 16..235, times ``light``."""
    return np.clip((16.0 + img.astype(np.float32) * (219.0 / 255.0)) * light + 0.5, 0, 255).astype(
        np.uint8
    )


def noisy(clean: Frame, rng: np.random.Generator) -> Frame:
    """``clean`` as a camera sees it in one frame: shot and read noise, rounded to 8 bits."""
    v = clean.astype(np.float32)
    sd = np.sqrt(SHOT * v + READ * READ)
    v += sd * rng.standard_normal(v.shape, dtype=np.float32)
    return np.clip(v + 0.5, 0, 255).astype(np.uint8)


def sparkle(a: Frame, b: Frame) -> float:
    """Share of pixels that changed by more than SPARKLE levels in any channel, a → b."""
    d = cv2.absdiff(a, b)
    if d.ndim == 3:
        d = d.max(axis=2)
    return float(np.count_nonzero(d > SPARKLE)) / d.size


def ssim(a: Frame, b: Frame, mask: Frame | None = None) -> float:
    """SSIM of two uint8 images (the mean over ``mask`` if given), as scikit-image has it."""
    from skimage.metrics import structural_similarity

    colour = a.ndim == 3
    if mask is None:
        return float(
            structural_similarity(a, b, data_range=255, channel_axis=2 if colour else None)
        )
    _, full = structural_similarity(
        a, b, data_range=255, channel_axis=2 if colour else None, full=True
    )
    full = full.mean(axis=2) if colour else full
    return float(full[mask].mean())


Stream = Callable[[Frame], Frame]
Maker = Callable[[], Stream]  # makes a fresh stream: a chain, or any frame→frame function


def without_stabilize(steps: Sequence[Step]) -> list[Step]:
    return [s for s in steps if s.name != "stabilize"]


def default_presets() -> dict[str, tuple[Step, ...]]:
    """The shipped presets that start with stabilize, by name: their steps."""
    from sketchd.config import loader, schema

    config, _ = schema.validate(loader.defaults_data())
    assert config is not None  # the shipped defaults are valid
    return {
        name: p.steps
        for name, p in config.presets.items()
        if any(s.name == "stabilize" for s in p.steps)
    }


@dataclass(frozen=True)
class Candidate:
    """What is measured: ``make()`` a fresh stream of it, ``plain()`` one of the same preset
    without stabilize (the reference, fed noise-free frames where there are some)."""

    make: Maker
    plain: Maker


def candidates(presets: Mapping[str, Sequence[Step]], before: bool = False) -> dict[str, Candidate]:
    """Each preset as it is (``name``) and, with ``before``, without stabilize (``name/before``).

    autoframe is left out: it moves the picture on purpose (its crop glides to every new
    detection, and a detector looking at a cleaner picture places it a pixel apart), which
    would be measured instead of the noise. What it crops is the frame pencil gets."""
    out: dict[str, Candidate] = {}
    for name, steps in presets.items():
        kept = tuple(s for s in steps if s.name != "autoframe")
        plain = tuple(without_stabilize(kept))
        out[name] = Candidate(functools.partial(Chain, kept), functools.partial(Chain, plain))
        if before:
            out[f"{name}/before"] = Candidate(out[name].plain, out[name].plain)
    return out


def classic_candidates() -> dict[str, Candidate]:
    """The seed's classic sketch, and the same behind stabilize, for reference."""
    from sketchd.filters.sketch import classic_sketch
    from sketchd.filters.stabilize import Stabilizer

    def stabilized() -> Stream:
        stab = Stabilizer()
        return lambda frame: classic_sketch(stab(frame))

    plain: Maker = lambda: classic_sketch  # noqa: E731
    return {"classic": Candidate(stabilized, plain), "classic/before": Candidate(plain, plain)}


# ---------------------------------------------------------------- still scene


@dataclass
class Still:
    """One candidate in one light: sparkle (share of pixels) once settled, and while settling
    (the first WARM frames), and the SSIM of the last frame vs the noise-free output."""

    sparkle: float
    ssim: float
    settling: float


def still(
    cands: dict[str, Candidate], light: float, img: Frame | None = None, seed: int = 1
) -> dict[str, Still]:
    """Every candidate on one noisy still scene (the same noise for all)."""
    clean = scene(photo() if img is None else img, light)
    streams = {n: c.make() for n, c in cands.items()}
    refs = {n: c.plain() for n, c in cands.items()}
    rng = np.random.default_rng(seed)
    last: dict[str, Frame] = {}
    truth: dict[str, Frame] = {}
    sparks: dict[str, list[float]] = {n: [] for n in cands}
    early: dict[str, list[float]] = {n: [] for n in cands}
    for t in range(WARM + MEASURE + 1):
        frame = noisy(clean, rng)
        for n, stream in streams.items():
            out, truth[n] = stream(frame), refs[n](clean)  # the reference is a stream too
            if n in last:
                (sparks[n] if t > WARM else early[n]).append(sparkle(last[n], out))
            last[n] = out
    return {
        n: Still(statistics.fmean(sparks[n]), ssim(last[n], truth[n]), statistics.fmean(early[n]))
        for n in cands
    }


# ---------------------------------------------------------------- what moves


def pan_frames(img: Frame, n: int, step: tuple[float, float], size: int = 256) -> Iterator[Frame]:
    """``n`` noise-free frames, ``size`` px square, of ``img`` enlarged 5/4 and sliding by
    ``step`` pixels a frame."""
    big = cv2.resize(
        img, (img.shape[1] * 5 // 4, img.shape[0] * 5 // 4), interpolation=cv2.INTER_CUBIC
    )
    for t in range(n):
        move = np.array([[1, 0, -step[0] * t], [0, 1, -step[1] * t]], np.float32)
        yield scene(cv2.warpAffine(big, move, (size, size), flags=cv2.INTER_CUBIC))


def pan(
    cands: dict[str, Candidate], step: tuple[float, float], frames: int = 10
) -> dict[str, float]:
    """The lowest SSIM, over a panning scene, of each stream's output against what the preset
    without stabilize makes of the same frames: of each frame alone, for a preset that keeps
    no state (face_colour's and segment's own smoothing is the same in both)."""
    streams = {n: (c.make(), c.plain()) for n, c in cands.items()}
    worst = {n: 1.0 for n in cands}
    for frame in pan_frames(photo(), frames, step):
        for n, (stream, plain) in streams.items():
            worst[n] = min(worst[n], ssim(stream(frame), plain(frame)))
    return worst


@dataclass
class Person:
    """A person who starts to move, worst frame: the ghost (mean |Δ| from the noise-free
    output where the person was and is no more) and the SSIM against the noise-free output,
    each beside the same for the preset without stabilize."""

    ghost: float
    ghost_plain: float
    ssim: float
    ssim_plain: float


def person_frames(
    light: float, still_frames: int = 20, moving: int = MOVING, step: int = 5, seed: int = 3
) -> Iterator[tuple[Frame, Frame, Frame]]:
    """(noise-free, noisy, where the person is) per frame: a portrait in front of a room,
    still for ``still_frames`` frames, then moving right by ``step`` px a frame."""
    room = cv2.resize(photo("coffee.png"), (384, 288), interpolation=cv2.INTER_AREA)
    face = cv2.resize(photo()[20:300, 140:380], (135, 158), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    fh, fw = face.shape[:2]
    for t in range(still_frames + moving):
        x = 30 + max(0, t - still_frames + 1) * step
        img = room.copy()
        img[-fh:, x : x + fw] = face
        where = np.zeros(room.shape[:2], bool)
        where[-fh:, x : x + fw] = True
        clean = scene(img, light)
        yield clean, noisy(clean, rng), where


def person(cands: dict[str, Candidate], light: float, still_frames: int = 20) -> dict[str, Person]:
    streams = {n: (c.make(), c.plain(), c.plain()) for n, c in cands.items()}
    rows: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n in cands}
    seen = None
    for t, (clean, frame, where) in enumerate(person_frames(light, still_frames)):
        for n, (stream, plain, ref) in streams.items():
            out, out_plain, truth = stream(frame), plain(frame), ref(clean)
            if seen is not None and t >= still_frames:
                left = seen & ~where
                # SSIM (the slow part) on the first, a middle and the last moving frame
                look = (t - still_frames) in (0, MOVING // 2, MOVING - 1)
                rows[n].append(
                    (
                        _mad(out, truth, left), _mad(out_plain, truth, left),
                        ssim(out, truth) if look else 1.0, ssim(out_plain, truth) if look else 1.0,
                    )
                )  # fmt: skip
        seen = where if seen is None else (seen | where)
    return {
        n: Person(
            max(r[0] for r in got),
            max(r[1] for r in got),
            min(r[2] for r in got),
            min(r[3] for r in got),
        )
        for n, got in rows.items()
    }


def _mad(a: Frame, b: Frame, mask: Frame) -> float:
    d = cv2.absdiff(a, b)
    d = d.max(axis=2) if d.ndim == 3 else d
    return float(d[mask].mean()) if mask.any() else 0.0

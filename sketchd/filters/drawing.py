"""``drawing`` and ``drawing_colour``: a pencil drawing rather than an edge filter. Light and
shade become hatching, contours become weighted lines, and all of it sits on paper:

    darkness = tone_curve(blur(gray at 1/4 size))      (smoothed over time in a stream)
    hatching = gain·(drive(darkness) − stroke_map)      (textures.py: a nested tonal art map)
               + fill(darkness)                         (past what strokes alone can darken)
    ink      = hatching + lines(gray)                   (lines.py: XDoG along the flow)
    out      = paper − (ink − tooth)₊                   (tinted paper; its pits take less)

The stroke map is fixed on the paper, so a still scene is a still drawing and a tone that
changes adds or removes strokes where they are, never moves them (nothing boils). The tone is
what a draughtsman shades: the picture at 1/4 size, blurred, so skin pores and sensor noise
never become strokes. ``tone_lut`` maps it so that the hatching's mean darkness (measured
on the stroke map once) follows the tone curve, with a smooth graphite fill under the strokes
for the darkest tones: darker in, darker out, monotonically.

``drawing_colour`` lays the same graphite over a wash: the frame's colour at even light
(its hue and saturation, not its shading), made at 1/8 size, smoothed and paled, pooled a
little darker at its own edges as watercolour dries; the paper's grain shows through.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from sketchd.filters import textures
from sketchd.filters._frame import as_bgr, as_gray, check
from sketchd.filters._scratch import scratch
from sketchd.filters.adjust import parse_colour
from sketchd.filters.lines import FLOW_SCALE, HALF_SIGMA, at_half, line_ink
from sketchd.filters.wash import SMALL, halve, quarter, wash

STROKE_GAIN = 1.1  # ink per level of darkness past a texel's threshold
TOOTH = 0.25  # how much of the graphite the paper's pits refuse, at most
PAPER = "#f6efe2"  # the default paper: warm off-white


@functools.lru_cache(maxsize=32)
def tone_lut(shading: float, white: float) -> tuple[np.ndarray, np.ndarray]:
    """brightness (0..255) → (drive, fill): the darkness that drives the stroke map, and a
    smooth graphite fill under the strokes, such that the drawing's mean ink is
    ``255·shading·(1 − v/white)²`` (0 above ``white``): light stays paper, shadows fill in
    quadratically. Hatching alone carries the tone as far as its strokes can (all three
    layers drawn), the fill the rest, down to black. Both monotonic by construction."""
    tile = textures.stroke_map().astype(np.float32)
    drive = np.arange(256, dtype=np.float32)
    mean_ink = np.array([np.clip((d - tile) * STROKE_GAIN, 0, 255).mean() for d in drive])
    mean_ink = np.maximum.accumulate(mean_ink)
    v = np.arange(256, dtype=np.float64)
    want = 255.0 * shading * np.clip(1.0 - v / white, 0.0, 1.0) ** 2
    lut = np.searchsorted(mean_ink, want - 1e-6).clip(0, 255)
    fill = np.clip(np.round(want - mean_ink[-1]), 0, 255)
    return lut.astype(np.uint8), fill.astype(np.uint8)


def _halvings(img: np.ndarray, n: int) -> np.ndarray:
    for _ in range(n):
        img = halve(img)
    return img


def soften(small: np.ndarray, softness: float) -> np.ndarray:
    """The tone to shade: the gray at 1/SMALL size, blurred by ``softness`` small pixels."""
    return cv2.GaussianBlur(small, (0, 0), softness) if softness > 0 else small


def graphite(
    work: np.ndarray,
    tone: np.ndarray,
    shape: tuple[int, int],
    *,
    shading: float,
    white: float,
    line_weight: float,
    detail: float,
    flow: np.ndarray | None = None,
) -> np.ndarray:
    """The graphite's ink (uint8, 0 = none) at ``shape`` (h, w): the hatched ``tone`` (small)
    plus the lines of ``work``, the gray at that size or, ``at_half``, at half of it
    (``flow``: ``work`` at 1/FLOW_SCALE, if the caller has it)."""
    h, w = shape
    drive_lut, fill_lut = tone_lut(round(shading, 3), round(white, 1))
    full = cv2.resize(
        cv2.LUT(tone, drive_lut),
        (w, h),
        dst=scratch("drawing.drive", (h, w)),
        interpolation=cv2.INTER_LINEAR,
    )
    hatch = cv2.subtract(full, textures.tiled("strokes", h, w), dst=full)
    cv2.convertScaleAbs(hatch, dst=hatch, alpha=STROKE_GAIN)
    # the smooth fill and the lines are added at the lines' size and enlarged once
    wh, ww = work.shape
    extra = None
    fill = cv2.LUT(tone, fill_lut)
    if cv2.countNonZero(fill):  # tones darker than the hatching alone can draw
        extra = cv2.resize(fill, (ww, wh), dst=scratch("drawing.fill", (wh, ww)))
    if line_weight > 0:
        sigma = HALF_SIGMA if (wh, ww) != (h, w) else 1.0
        gain, threshold = 12.0 * line_weight, 2.5 - 1.5 * detail
        ink = line_ink(work, sigma=sigma, gain=gain, threshold=threshold, small=flow)
        extra = ink if extra is None else cv2.add(extra, ink, dst=extra)
    if extra is not None:
        if (wh, ww) != (h, w):
            up = scratch("drawing.extra", (h, w))
            extra = cv2.resize(extra, (w, h), dst=up, interpolation=cv2.INTER_LINEAR)
        cv2.add(hatch, extra, dst=hatch)
    return cv2.subtract(hatch, textures.tooth(h, w, TOOTH), dst=hatch)


def on_paper(ink: np.ndarray, paper: tuple[int, int, int]) -> np.ndarray:
    """``paper − ink`` in BGR (graphite is neutral: the paper shows through it alike)."""
    h, w = ink.shape
    ink3 = cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR, dst=scratch("drawing.ink3", (h, w, 3)))
    return cv2.subtract(textures.paper(h, w, paper), ink3)


class Drawing:
    """One stream of ``drawing`` (or, with ``colour``, ``drawing_colour``): the tone is eased
    from frame to frame (``steady``: the share of the last tone kept), so auto exposure and
    auto contrast do not make the shading pump; a change of more than MOVE levels is taken at
    once, and one under a level snaps, so a still picture settles to exactly one drawing."""

    MOVE = 24  # levels: a tone change this large is something moving, not a drift

    def __init__(self, *, colour: bool = False, steady: float = 0.6, **params):
        self.colour, self.steady, self.params = colour, steady, params
        self._tone: np.ndarray | None = None

    def reset(self) -> None:
        self._tone = None

    @property
    def held_tone(self) -> np.ndarray | None:
        """The tone the stream holds (float32, what ``ease`` eases from), or None at a start."""
        return self._tone

    def ease(self, tone: np.ndarray) -> np.ndarray:
        """This frame's ``tone`` (uint8) eased from the held one by ``steady``; where a pixel
        moved by more than MOVE levels, or the easing is within a level, the new tone at
        once. Keeps the result as the held tone."""
        if self._tone is None or self._tone.shape != tone.shape or self.steady <= 0:
            self._tone = tone.astype(np.float32)
            return tone
        new = tone.astype(np.float32)
        eased = cv2.addWeighted(self._tone, self.steady, new, 1.0 - self.steady, 0.0)
        gap = cv2.absdiff(new, self._tone)
        moved = cv2.compare(gap, float(self.MOVE), cv2.CMP_GT)  # type: ignore[call-overload]
        cv2.absdiff(eased, new, dst=gap)
        close = cv2.compare(gap, 1.0, cv2.CMP_LT)  # type: ignore[call-overload]
        cv2.copyTo(new, cv2.bitwise_or(moved, close, dst=moved), eased)
        self._tone = eased
        return cv2.convertScaleAbs(eased)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = check(frame)
        p = self.params
        h, w = frame.shape[:2]
        half_lines = at_half(h, w)
        colour = None  # the frame at 1/SMALL size, for the wash
        if self.colour and half_lines:
            # no gray at full size: the lines are drawn at half size, the tone at 1/SMALL
            half_bgr = halve(as_bgr(frame))
            gray, half = None, as_gray(half_bgr)
            colour = _halvings(half_bgr, SMALL.bit_length() - 2)
        else:
            gray = as_gray(frame)
            half = halve(gray)
            if self.colour:
                colour = quarter(as_bgr(frame))
        small = _halvings(half, SMALL.bit_length() - 2)  # the gray at 1/SMALL
        tone = self.ease(soften(small, p["softness"]))
        work = half if half_lines else gray
        assert work is not None
        flow = None
        if FLOW_SCALE == SMALL:  # the tone's picture serves the flow too (halved for half size)
            flow = halve(small) if half_lines else small
        ink = graphite(
            work,
            tone,
            (h, w),
            shading=p["shading"],
            white=p["white"],
            line_weight=p["line_weight"],
            detail=p["detail"],
            flow=flow,
        )
        paper = parse_colour(p["paper"])
        if colour is None:
            return on_paper(ink, paper)
        return wash(colour, ink, paper, strength=p["wash"], saturation=p["saturation"])


def drawing(
    frame: np.ndarray,
    *,
    shading: float = 0.7,
    white: float = 225.0,
    softness: float = 1.0,
    line_weight: float = 1.0,
    detail: float = 0.5,
    steady: float = 0.6,
    paper: str | list = PAPER,
) -> np.ndarray:
    """A graphite drawing: ``paper − (hatch(tone) + lines − tooth)₊``, BGR.

    ``shading`` (0-1) how dark the darkest hatching is; ``white`` the brightness from which up
    the paper is left blank; ``softness`` how much the tone is blurred (small pixels);
    ``line_weight`` the contours' darkness (0 = none); ``detail`` (0-1) how faint an edge
    still gets a line; ``steady`` the share of the last frame's tone kept (a stream);
    ``paper`` its colour."""
    return Drawing(
        shading=shading, white=white, softness=softness, line_weight=line_weight,
        detail=detail, steady=steady, paper=paper,
    )(frame)  # fmt: skip


def drawing_colour(
    frame: np.ndarray,
    *,
    shading: float = 0.6,
    white: float = 225.0,
    softness: float = 1.0,
    line_weight: float = 1.0,
    detail: float = 0.5,
    steady: float = 0.6,
    paper: str | list = PAPER,
    wash: float = 0.5,
    saturation: float = 1.0,
) -> np.ndarray:
    """The drawing over a watercolour wash of the frame's colours: ``wash`` (0-1) how strong
    the colour is, ``saturation`` (0-4) how vivid; the rest as ``drawing``. BGR."""
    return Drawing(
        colour=True, shading=shading, white=white, softness=softness, line_weight=line_weight,
        detail=detail, steady=steady, paper=paper, wash=wash, saturation=saturation,
    )(frame)  # fmt: skip


def stream(colour: bool):
    """The per-stream factory for the registry: ``Drawing`` with the filter's parameters."""

    def make(**params) -> Drawing:
        return Drawing(colour=colour, **params)

    return make


__all__ = ["Drawing", "drawing", "drawing_colour", "graphite", "on_paper", "tone_lut"]

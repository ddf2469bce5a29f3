"""``segment``: you and the room drawn apart. The person is found by the segmentation model
(``person.py``), the mask fitted to the picture and smoothed over time, and the frame drawn
as ``out = room + (person − room)·m``: the person in one style, the room as blank paper, a
faint sketch, an out-of-focus sketch, or in another style.

Like the face filters this one follows the picture over time, so a chain holds one
``Segment`` per stream (``registry.compose`` makes fresh ones); ``segment()`` is a stream of
one frame. Per frame, at most 1080p on one thread:

- every ``every`` frames the model runs on the frame squeezed to 256x144 (~4.7 ms); its
  probability is brought to a work size ≤ WORK_W wide, fitted to the picture's edges there by
  a guided filter (the frame's gray as guide) and given its soft edge (EDGE). Changes below
  FREEZE of a pixel's target are dropped (sensor noise must not move the mask), so a still
  scene keeps a still mask;
- every frame the mask eases towards that target (``speed``: settled in ~4/speed frames),
  so a person walking in or out fades in or out instead of popping;
- the room is left out only as far as someone is drawn: while the mask covers less than FULL
  of the frame the room shows in proportion, so with nobody in view the whole scene is drawn
  in the person's style, never a blank page. When the model misses someone the last mask is
  kept for ``hold`` frames;
- the weight (uint8, a LUT doing the mixing) is enlarged to the frame by bilinear
  interpolation and the blend is done in 8 bits: ~1 ms at 1080p.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from sketchd.filters import person as model
from sketchd.filters import textures
from sketchd.filters._frame import as_bgr, as_gray, check, gamma_lut
from sketchd.filters._scratch import scratch
from sketchd.filters.adjust import parse_colour
from sketchd.filters.drawing import PAPER, drawing, drawing_colour
from sketchd.filters.sketch import colour_over, colour_pencil, dodge, ink, pencil
from sketchd.filters.toon import cartoon

WORK_W = 320  # width the mask is refined and smoothed at (1/6 of 1080p, 1/4 of 720p)
GUIDE_EPS = 1e-3  # the guided filter's edge threshold (guide in 0..1): lower = sharper edges
MIN_AREA = 0.005  # a detection holds a person when p > 0.5 over this fraction of the frame
FULL = 0.08  # the room is fully left out once the person's drawing covers this fraction
FREEZE = 0.08  # a pixel's target (0..1, how much of the person is drawn) moves only by more
EDGE = (0.4, 0.9)  # the soft edge: p below 0.4 is room, above 0.9 person, smoothstep between

STYLES = (
    "pencil", "colour_pencil", "ink", "charcoal", "cartoon", "drawing", "drawing_colour",
    "original",
)  # fmt: skip
ON_PAPER = ("drawing", "drawing_colour")  # styles drawn on tinted paper: the room is that paper
# "paper": blank; "same": the person's style; "blur": the person's style out of focus
ROOMS = ("paper", "same", "blur", *STYLES)


def render(style: str, frame: np.ndarray, blur: int, darkness: float) -> np.ndarray:
    """``frame`` drawn in one of STYLES: a new uint8 array (gray, or BGR for colour styles)."""
    if style == "pencil":
        return pencil(frame, blur=blur, darkness=darkness)
    if style == "colour_pencil":
        return colour_pencil(frame, blur=blur, darkness=darkness)
    if style == "ink":
        return ink(frame)
    if style == "charcoal":
        return ink(frame, c=5.0, style="charcoal")
    if style == "cartoon":
        return cartoon(frame)
    if style == "drawing":
        return drawing(frame)
    if style == "drawing_colour":
        return drawing_colour(frame)
    if style == "original":
        return as_bgr(frame).copy()
    raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")


def out_of_focus(img: np.ndarray) -> np.ndarray:
    """``img`` strongly blurred (a Gaussian of ~1.5 % of its height), computed at 1/4 size."""
    h, w = img.shape[:2]
    sw, sh = max(1, w // 4), max(1, h // 4)
    small = model.shrink(img, sw, sh)
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, 0.015 * h / 4))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _edge_lut() -> np.ndarray:
    """probability (0..255) → how much of the person is drawn there (0..255): smoothstep
    over EDGE. Applied before the smoothing over time, so a fade is the smoothing's own."""
    x = np.arange(256, dtype=np.float64) / 255.0
    t = np.clip((x - EDGE[0]) / (EDGE[1] - EDGE[0]), 0.0, 1.0)
    return np.round(255.0 * t * t * (3.0 - 2.0 * t)).astype(np.uint8)


_EDGE = _edge_lut()


def _weight_lut(presence: float, keep: float) -> np.ndarray:
    """mask (0..255) → blend weight (0..255): ``1 − presence·(1 − m)`` (nobody there: all in
    the person's style), then ``keep + (1 − keep)·w`` (how much shows of a room drawn in the
    person's own style)."""
    m = np.arange(256, dtype=np.float64) / 255.0
    w = 1.0 - presence * (1.0 - m)
    w = keep + (1.0 - keep) * w
    return np.clip(np.round(255.0 * w), 0, 255).astype(np.uint8)


def _wash(img: np.ndarray, strength: float) -> np.ndarray:
    """``255 − (255 − img)·strength``: the picture paled towards white paper, in place."""
    cv2.bitwise_not(img, dst=img)
    cv2.convertScaleAbs(img, dst=img, alpha=strength)
    return cv2.bitwise_not(img, dst=img)


@functools.lru_cache(maxsize=16)
def _pale_lut(darkness: float, strength: float) -> np.ndarray:
    """The pencil's ``darkness`` curve and then ``_wash`` at ``strength``, as one LUT: the
    same pixels as the two passes, in one."""
    lut = _wash(gamma_lut(darkness).reshape(1, 256), strength).ravel()
    lut.flags.writeable = False
    return lut


def pale(style: str, frame: np.ndarray, blur: int, darkness: float, strength: float) -> np.ndarray:
    """``_wash(render(style, frame, blur, darkness), strength)``: a room drawn faintly (the
    pencil's darkness and the paling are one LUT pass)."""
    if style != "pencil":
        return _wash(render(style, frame, blur, darkness), strength)
    sketch = pencil(frame, blur=blur, darkness=1.0)
    return cv2.LUT(sketch, _pale_lut(darkness, strength), dst=sketch)


def _mix(img: np.ndarray, weight: np.ndarray, tag: str) -> np.ndarray:
    """``img·weight/255`` (rounded) in ``img``: ``weight`` is one channel, ``img`` one or
    three (a 3-channel copy of the weight into this thread's scratch, ``tag``)."""
    wc = _like(weight, img.ndim == 3, tag)
    return cv2.multiply(img, wc, dst=img, scale=1.0 / 255.0)


def blend(person: np.ndarray, room: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``person·w/255 + room·(255 − w)/255``, each term rounded, saturating: BGR if either is
    (``weight``: one channel). ``person`` and ``room`` are used up (written over).

    Each term is weighted in its own channels and a gray one made BGR only then: a gray
    room's term costs a third of a BGR one's (720p: 0.2 ms against 0.7)."""
    kept = _mix(person, weight, "segment.w3")
    inv = cv2.bitwise_not(weight, dst=scratch("segment.inv", weight.shape))
    left = _mix(room, inv, "segment.inv3")
    if kept.ndim == left.ndim:
        return cv2.add(kept, left, dst=kept)
    if kept.ndim == 3:
        return cv2.add(kept, _like(left, True, "segment.mix3"), dst=kept)
    return cv2.add(_like(kept, True, "segment.mix3"), left, dst=left)


def _like(img: np.ndarray, colour: bool, tag: str = "") -> np.ndarray:
    """``img`` as BGR when ``colour`` (into this thread's scratch when ``tag`` is given)."""
    if not colour or img.ndim == 3:
        return img
    dst = scratch(tag, (*img.shape, 3)) if tag else None
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR, dst=dst)


class Segment:
    """One stream's person segmentation and blend (see the module and ``segment``)."""

    def __init__(
        self,
        *,
        person: str,
        room: str,
        room_strength: float,
        blur: int,
        darkness: float,
        every: int,
        speed: float,
        hold: int,
    ):
        self.person, self.room, self.room_strength = person, room, room_strength
        self.blur, self.darkness = blur, darkness
        self.every, self.speed, self.hold = every, speed, hold
        self.shape: tuple[int, int] | None = None
        # a colour_pencil person over a pencil room: one dodge for both (the same pixels as
        # drawing them apart, ~1.1 ms less a 720p frame); False draws them apart
        self.share_dodge = True
        self._restart()

    def _restart(self) -> None:
        self.n = 0  # frames seen since the (re)start
        # how much of the person is drawn at each pixel (0..1, float32 at work size): the
        # model's latest, fitted to the picture, and the smoothed mask that eases towards it
        self.target: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.unseen = math.inf  # frames since the model last found someone

    def _work_size(self) -> tuple[int, int]:
        assert self.shape is not None
        h, w = self.shape
        ww = min(w, WORK_W)
        return ww, max(1, round(h * ww / w))

    def _detect(self, bgr: np.ndarray) -> None:
        """Run the model; set the target mask (or keep / clear it when nobody is found)."""
        p = model.probability(bgr)
        ww, wh = self._work_size()
        if float(np.count_nonzero(p > 0.5)) >= MIN_AREA * p.size:
            guide = as_gray(model.shrink(bgr, ww, wh)).astype(np.float32) * np.float32(1 / 255)
            coarse = cv2.resize(p, (ww, wh), interpolation=cv2.INTER_LINEAR)
            radius = max(1, round(ww / 80))
            fitted8 = cv2.convertScaleAbs(model.guided(guide, coarse, radius, GUIDE_EPS), alpha=255)
            fitted = cv2.LUT(fitted8, _EDGE).astype(np.float32) * np.float32(1 / 255)
            if self.target is not None:  # noise-sized changes are no change
                still = np.abs(fitted - self.target) < FREEZE
                fitted[still] = self.target[still]
            self.target, self.unseen = fitted, 0
        else:
            self.unseen += self.every
            if self.target is None or self.unseen > self.hold:
                self.target = np.zeros((wh, ww), np.float32)

    @staticmethod
    def _weight(small: np.ndarray, h: int, w: int) -> np.ndarray:
        """The work-size weight enlarged to the frame (this thread's scratch)."""
        dst = scratch("segment.w", (h, w))
        return cv2.resize(small, (w, h), dst=dst, interpolation=cv2.INTER_LINEAR)

    def weight(self) -> np.ndarray | None:
        """This frame's blend weight at work size (uint8; 255 = person style), after the
        smoothing step; None when it is 255 everywhere (nobody there, the frame drawn whole)."""
        assert self.target is not None
        if self.mask is None:
            self.mask = self.target.copy()  # the first frame: no fade from nothing
        else:
            cv2.accumulateWeighted(self.target, self.mask, self.speed)
        # the room goes only as far as the person is drawn: never paper with nobody on it
        presence = min(1.0, float(cv2.mean(self.mask)[0]) / FULL)
        m8 = cv2.convertScaleAbs(self.mask, alpha=255.0)
        keep = {"paper": 0.0, "same": self.room_strength}.get(self.room, 0.0)
        lut = _weight_lut(presence, keep)
        if lut.min() == 255:
            return None
        return cv2.LUT(m8, lut)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = check(frame)
        h, w = frame.shape[:2]
        if (h, w) != self.shape:
            self.shape = (h, w)
            self._restart()
        bgr = as_bgr(frame)
        if self.n % self.every == 0:
            self._detect(bgr)
        self.n += 1
        small = self.weight()
        pair = (self.person, self.room) == ("colour_pencil", "pencil")
        if small is not None and pair and self.share_dodge:
            # portrait_colour: the person's lines and the room are drawn from one dodge
            raw = dodge(as_gray(bgr), self.blur)
            person = colour_over(bgr, cv2.LUT(raw, gamma_lut(self.darkness)), blur=self.blur)
            room = cv2.LUT(raw, _pale_lut(self.darkness, self.room_strength), dst=raw)
            return blend(person, room, self._weight(small, h, w))
        person = render(self.person, frame, self.blur, self.darkness)
        if small is None:
            return person
        weight = self._weight(small, h, w)
        if self.room in ("paper", "same"):
            # P − (P − person)·w: the person's strokes kept as far as w says, else paper P
            # (white, or the drawing styles' own tinted, grained paper)
            wc = _like(weight, person.ndim == 3, "segment.w3")
            if self.person in ON_PAPER:
                paper = textures.paper(h, w, parse_colour(PAPER))
                inv = cv2.subtract(paper, person, dst=person)
                cv2.multiply(inv, wc, dst=inv, scale=1.0 / 255.0)
                return cv2.subtract(paper, inv, dst=inv)
            inv = cv2.bitwise_not(person, dst=person)
            cv2.multiply(inv, wc, dst=inv, scale=1.0 / 255.0)
            return cv2.bitwise_not(inv, dst=inv)
        if self.room == "blur":
            room = _wash(out_of_focus(person), self.room_strength)
        else:
            room = pale(self.room, frame, self.blur, self.darkness, self.room_strength)
        return blend(person, room, weight)


def segment(
    frame: np.ndarray,
    *,
    person: str = "pencil",
    room: str = "paper",
    room_strength: float = 0.3,
    blur: int = 21,
    darkness: float = 1.0,
    every: int = 4,
    speed: float = 0.3,
    hold: int = 4,
) -> np.ndarray:
    """The person in the style ``person``, the room as ``room``: out = R + (P − R)·m, with P
    and R the frame drawn in each style, m the person mask (1 = person).

    ``room``: ``paper`` (blank), ``same`` (the person's style, paled to ``room_strength``),
    ``blur`` (the person's drawing out of focus, paled so), or another style, paled so.
    ``blur``/``darkness`` are the pencil's (pencil and colour_pencil styles). With nobody in
    view the whole frame is drawn in the person's style. In a chain the mask is found every
    ``every`` frames, eased towards (``speed``) and kept ``hold`` frames after a miss; this
    function is a stream of one frame. Gray out when both styles are gray, else BGR."""
    return Segment(
        person=person,
        room=room,
        room_strength=room_strength,
        blur=blur,
        darkness=darkness,
        every=every,
        speed=speed,
        hold=hold,
    )(frame)


__all__ = ["ROOMS", "STYLES", "Segment", "blend", "pale", "render", "segment"]

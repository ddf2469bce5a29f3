"""The filter registry: each filter's function, its parameters (typed, with limits) and a line
of help. Presets are data; this module turns a validated chain into a frame→frame callable."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sketchd.filters import adjust, drawing, face, face_colour, sketch, stabilize, toon
from sketchd.filters import segment as seg
from sketchd.filters.chain import Chain, Frame, FrameFn


@dataclass(frozen=True)
class Param:
    """One filter parameter: its kind, default and limits. ``check`` explains a wrong value."""

    kind: str  # "int" | "float" | "choice" | "colour"
    help: str
    min: float | None = None
    max: float | None = None
    odd: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "colour":
            return "a colour like '#f3ead8' or [243, 234, 216]"
        noun = (
            ("an odd integer" if self.odd else "an integer") if self.kind == "int" else "a number"
        )
        if self.min is not None and self.max is not None:
            return f"{noun} from {_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"{noun} ≥ {_num(self.min)}"
        return noun

    def check(self, value: Any) -> tuple[Any, str | None]:
        """(normalised value, None) or (None, 'must be …, not …')."""
        bad = (None, f"must be {self.describe()}, not {_show(value)}")
        if self.kind == "colour":
            try:
                adjust.parse_colour(value)
            except ValueError:
                return bad
            return value, None
        if self.kind == "choice":
            return (value, None) if value in self.choices else bad
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad
        if self.kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    return bad
                value = int(value)
            if self.odd and value % 2 == 0:
                return bad
        elif not math.isfinite(value):
            return bad
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            return bad
        return (int(value) if self.kind == "int" else float(value)), None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class FilterSpec:
    name: str
    func: Callable[..., Frame]
    help: str
    params: dict[str, Param] = field(default_factory=dict)
    # what the filter looks at: "gray" (luma only, so a camera frame may be decoded straight
    # to gray), "colour", or "any" (works on either and keeps what it was given)
    reads: str = "colour"
    # a filter that follows the picture over time (the face filters smooth what they detect
    # from frame to frame) also names its per-stream factory: ``stream(**params)`` returns a
    # frame→frame callable holding that state. ``func`` stays a plain frame→frame function
    # (one call = a stream of one frame), so every filter can still be called alike
    stream: Callable[..., FrameFn] | None = None
    # a filter whose output pixel depends only on the input within ``reach(params)`` pixels
    # (None there: on more) can be run on a part of the frame (filters/chain.py); one that
    # maps each pixel through a tone table made from the whole frame names that table's maker
    reach: Callable[[dict[str, Any]], int | None] | None = None
    table: Callable[..., np.ndarray | None] | None = None

    def defaults(self) -> dict[str, Any]:
        """Each parameter's default, read from the function's own signature (one source)."""
        sig = inspect.signature(self.func).parameters
        return {k: sig[k].default for k in self.params}


_BLUR = Param("int", "blur kernel size: wider = softer, thicker strokes", 3, 255, True)
_DARKNESS = Param("float", "line darkness: >1 darker, <1 lighter", 0.1, 10.0)
# the drawing filters' parameters (drawing_colour adds the wash's)
_DRAWING = {
    "shading": Param("float", "how dark the darkest hatching is (0 = lines only)", 0.0, 1.0),
    "white": Param("float", "brightness from which up the paper is left blank", 64.0, 255.0),
    "softness": Param("float", "blur of the tone the hatching follows", 0.0, 4.0),
    "line_weight": Param("float", "darkness of the contour lines (0 = none)", 0.0, 3.0),
    "detail": Param("float", "how faint an edge still gets a line (0..1)", 0.0, 1.0),
    "steady": Param("float", "share of the last frame's tone kept: no pumping", 0.0, 0.95),
    "paper": Param("colour", "paper colour"),
}
_EVERY = Param("int", "look for faces every this many frames", 1, 60)
_SPEED = Param("float", "how fast it follows: settles in about 4/speed frames", 0.01, 1.0)
_HOLD = Param("int", "frames without a face before letting go", 0, 900)


def _blur_reach(blur: int, extra: int = 0) -> int | None:
    """How far a dodge's soft blur (sketch.soft_blur) reaches, with room to spare: at blur 21
    a reach of 16 gave the same pixels as the whole frame and 10 did not (test_chain_regions);
    this gives 29. Wider blurs halve more than 3 times, which needs a part of the frame
    aligned to more than 8 pixels: not local."""
    return blur + 8 + extra if blur <= 61 else None


def _ink_reach(p: dict[str, Any]) -> int | None:
    near = p["smooth"] // 2 + p["block_size"] // 2 + 2
    return _blur_reach(31, near) if p["style"] == "charcoal" else near


FILTERS: dict[str, FilterSpec] = {
    spec.name: spec
    for spec in (
        FilterSpec(
            "pencil",
            sketch.pencil,
            "graphite pencil sketch (the classic dodge blend)",
            {"blur": _BLUR, "darkness": _DARKNESS},
            reads="gray",
            reach=lambda p: _blur_reach(p["blur"]),
        ),
        FilterSpec(
            "colour_pencil",
            sketch.colour_pencil,
            "pencil lines over the frame's own, paler colours",
            {
                "blur": _BLUR,
                "darkness": _DARKNESS,
                "wash": Param("float", "how pale the colours are (0..1)", 0.0, 1.0),
                "saturation": Param("float", "colour strength (0 = gray)", 0.0, 4.0),
            },
            reach=lambda p: _blur_reach(p["blur"], 16),
        ),
        FilterSpec(
            "cartoon",
            toon.cartoon,
            "flat colours with bold outlines",
            {
                "levels": Param("int", "colour levels per channel", 2, 64),
                "smoothing": Param("int", "bilateral smoothing passes", 0, 10),
                "scale": Param("float", "resolution the colours are smoothed at", 0.1, 1.0),
                "edge_block_size": Param("int", "outline neighbourhood size", 3, 255, True),
                "edge_c": Param("float", "outline threshold: higher = fewer", -50.0, 50.0),
                "edge_smooth": Param("int", "median size before outlining", 1, 31, True),
            },
        ),
        FilterSpec(
            "ink",
            sketch.ink,
            "hard black lines on white (or on charcoal shading)",
            {
                "block_size": Param("int", "line neighbourhood size", 3, 255, True),
                "c": Param("float", "line threshold: higher = fewer lines", -50.0, 50.0),
                "smooth": Param("int", "median size that removes speckle", 1, 31, True),
                "style": Param("choice", "ink or charcoal", choices=("ink", "charcoal")),
            },
            reads="gray",
            reach=_ink_reach,
        ),
        FilterSpec("original", adjust.original, "the camera image, no effect"),
        FilterSpec("mirror", adjust.mirror, "left-right flip", reads="any"),
        FilterSpec(
            "auto_contrast",
            adjust.auto_contrast,
            "stretch contrast so a dim room does not sketch grey on grey",
            {
                "clip": Param("float", "percent of darkest/brightest ignored", 0.0, 20.0),
                "max_gain": Param("float", "largest contrast gain", 1.0, 16.0),
                "strength": Param("float", "blend with the input (0..1)", 0.0, 1.0),
                "min_range": Param(
                    "int", "frames spanning this many levels are left alone", 2, 255
                ),
            },
            reads="any",
            table=adjust.contrast_table,
        ),
        FilterSpec(
            "stabilize",
            stabilize.stabilize,
            "average what stays still from frame to frame: no shimmer of sensor noise",
            {
                "strength": Param(
                    "float", "frames averaged where nothing moves: 1 + 31·strength", 0.0, 1.0
                ),
                "motion": Param(
                    "float", "a change this many times the noise counts as motion", 1.5, 12.0
                ),
            },
            reads="any",
            stream=stabilize.Stabilizer,
        ),
        FilterSpec(
            "autoframe",
            face.autoframe,
            "crop and zoom smoothly to keep the face(s) centred",
            {
                "margin": Param("float", "room around the faces, in face heights", 0.0, 10.0),
                "max_zoom": Param("float", "largest zoom (1 = never zoom)", 1.0, 8.0),
                "every": _EVERY,
                "speed": _SPEED,
                "hold": _HOLD,
            },
            reads="any",
            stream=face.Autoframe,
        ),
        FilterSpec(
            "face_colour",
            face_colour.face_colour,
            "the face stays in colour, the rest is a pencil sketch",
            {
                "blur": _BLUR,
                "darkness": _DARKNESS,
                "size": Param("float", "colour region size, relative to the face", 0.5, 4.0),
                "feather": Param("float", "soft edge, as a fraction of the region", 0.0, 1.0),
                "every": _EVERY,
                "speed": _SPEED,
                "hold": _HOLD,
            },
            stream=face_colour.FaceColour,
        ),
        FilterSpec(
            "segment",
            seg.segment,
            "you in one style, the room as blank paper, faint, blurred or in another",
            {
                "person": Param("choice", "how the person is drawn", choices=seg.STYLES),
                "room": Param("choice", "how the room is drawn", choices=seg.ROOMS),
                "room_strength": Param(
                    "float", "how much of the room shows (0 = blank paper)", 0.0, 1.0
                ),
                "blur": _BLUR,
                "darkness": _DARKNESS,
                "every": Param("int", "look for the person every this many frames", 1, 60),
                "speed": _SPEED,
                "hold": Param("int", "frames a person the model misses is kept", 0, 900),
            },
            stream=seg.Segment,
        ),
        FilterSpec(
            "paper_tint",
            adjust.paper_tint,
            "lay the image on tinted paper",
            {
                "colour": Param("colour", "paper colour"),
                "strength": Param("float", "tint strength (0..1)", 0.0, 1.0),
            },
            reach=lambda p: 0,
        ),
        FilterSpec(
            "drawing",
            drawing.drawing,
            "graphite drawing: tone as hatching, weighted contour lines, paper grain",
            dict(_DRAWING),
            reads="gray",
            stream=drawing.stream(colour=False),
        ),
        FilterSpec(
            "drawing_colour",
            drawing.drawing_colour,
            "the graphite drawing over a watercolour wash of the frame's colours",
            {
                **_DRAWING,
                "wash": Param("float", "how strong the colour wash is (0..1)", 0.0, 1.0),
                "saturation": Param("float", "how vivid the wash is (0 = none)", 0.0, 4.0),
            },
            stream=drawing.stream(colour=True),
        ),
    )
}


@dataclass(frozen=True)
class Step:
    """One validated step of a chain: a filter name and its complete parameters."""

    name: str
    params: dict[str, Any]

    @property
    def stateful(self) -> bool:
        """Whether the step keeps state from frame to frame (its filter has a ``stream``)."""
        return FILTERS[self.name].stream is not None

    @property
    def reach(self) -> int | None:
        """How many pixels around an output pixel it depends on; None: the whole frame."""
        reach = FILTERS[self.name].reach
        return None if reach is None else reach(self.params)

    def table(self, frame: Frame) -> np.ndarray | bool | None:
        """For a step that maps every pixel through a tone table made from the whole frame
        (auto_contrast): that table for ``frame`` (None: the frame as it is); else False."""
        make = FILTERS[self.name].table
        return False if make is None else make(frame, **self.params)

    def bind(self) -> FrameFn:
        """The step's frame→frame callable; a stateful filter gets fresh state each call."""
        spec = FILTERS[self.name]
        if spec.stream is not None:
            return spec.stream(**self.params)
        return functools.partial(spec.func, **self.params) if self.params else spec.func


def compose(steps: Sequence[Step]) -> Chain:
    """One stream that runs ``steps`` in order: a frame→frame callable with ``reset()``.

    Build one per stream: stateful steps (stabilize, autoframe, face_colour) get fresh state
    in every chain composed, so a video render, the live loop, a preset switch and a config
    reload each start anew, and two streams never share an average or a crop."""
    return Chain(steps)


def needs_colour(steps: Sequence[Step]) -> bool:
    """Whether the chain's input must be in colour: False when the first step that looks at
    the picture reads only luma (pencil, ink), so the camera frame can be decoded to gray."""
    for step in steps:
        reads = FILTERS[step.name].reads
        if reads == "gray":
            return False
        if reads == "colour":
            return True
    return True

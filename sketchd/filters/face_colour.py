"""``face_colour``: the face stays in colour, the rest is a pencil sketch.

Faces come from face.py's detector; each one found is followed as a smoothed ellipse whose
opacity fades in and out, so the colour region glides instead of jumping. A chain holds one
``FaceColour`` per stream; ``face_colour()`` treats one call as a stream of one frame.

Privacy: face positions live only in these objects' memory for the next frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from sketchd.filters._frame import as_bgr, check
from sketchd.filters.face import Box, Follower, Spring
from sketchd.filters.sketch import pencil


@dataclass
class _Track:
    """One face followed by face_colour: its ellipse (cx, cy, rx, ry) and opacity, smoothed."""

    ellipse: Spring
    target: tuple[float, float, float, float]
    opacity: Spring = field(default_factory=lambda: Spring([0.0]))
    unseen: int = 0


class FaceColour:
    """One stream's face_colour (see ``face_colour``)."""

    def __init__(
        self,
        *,
        blur: int,
        darkness: float,
        size: float,
        feather: float,
        every: int,
        speed: float,
        hold: int,
    ):
        self.blur, self.darkness = blur, darkness
        self.size, self.feather, self.speed = size, feather, speed
        self.follow = Follower(every, hold)
        self.tracks: list[_Track] = []

    def _ellipse(self, box: Box) -> tuple[float, float, float, float]:
        x, y, w, h = box
        # the cascade's box runs from the brows to the mouth: the head is taller, and higher
        return (x + w / 2, y + 0.45 * h, self.size * w / 2, self.size * 0.62 * h)

    def _update(self, detected: bool) -> None:
        first, follow = self.follow.first, self.follow
        if detected:
            found = [self._ellipse(b) for b in follow.faces] if follow.unseen == 0 else []
            for t in self.tracks:
                t.unseen += follow.every
            for e in found:
                near = min(
                    self.tracks,
                    key=lambda t: math.dist(t.ellipse.x[:2], e[:2]),
                    default=None,
                )
                if near is not None and math.dist(near.ellipse.x[:2], e[:2]) < 2 * e[2]:
                    near.target, near.unseen = e, 0
                else:
                    self.tracks.append(_Track(Spring(e), e, Spring([1.0 if first else 0.0])))
        for t in self.tracks:
            gone = t.unseen > follow.hold
            t.ellipse.step(t.target, self.speed)
            t.opacity.step([0.0 if gone else 1.0], 2 * self.speed, 0.1)
        self.tracks = [t for t in self.tracks if t.unseen <= follow.hold or t.opacity.x[0] > 0.01]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = check(frame)
        self._update(self.follow.see(frame))
        out = cv2.cvtColor(
            pencil(frame, blur=self.blur, darkness=self.darkness), cv2.COLOR_GRAY2BGR
        )
        colour = as_bgr(frame)
        for t in self.tracks:
            alpha = float(np.clip(t.opacity.x[0], 0.0, 1.0))
            if alpha > 0.01:
                cx, cy, rx, ry = t.ellipse.x  # by name: see Autoframe.__call__
                _blend_ellipse(out, colour, cx, cy, rx, ry, self.feather, alpha)
        return out


def _blend_ellipse(
    out: np.ndarray,
    colour: np.ndarray,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    feather: float,
    alpha: float,
) -> None:
    """out ← out + (colour − out)·m inside the ellipse, m = alpha·smoothstep((1 − d)/feather),
    d = the normalised elliptic radius. Only the ellipse's bounding box is touched."""
    h, w = out.shape[:2]
    rx, ry = max(rx, 1.0), max(ry, 1.0)
    x0, x1 = max(0, int(cx - rx)), min(w, math.ceil(cx + rx) + 1)
    y0, y1 = max(0, int(cy - ry)), min(h, math.ceil(cy + ry) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    # the mask at a quarter of the size, then bilinear up: it is smooth by construction
    q = 4 if min(x1 - x0, y1 - y0) >= 32 else 1
    xs = (np.arange(x0, x1, q, dtype=np.float32) + (q - 1) / 2 - cx) / rx
    ys = (np.arange(y0, y1, q, dtype=np.float32) + (q - 1) / 2 - cy) / ry
    d = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
    m: np.ndarray = np.clip((1.0 - d) / max(feather, 1e-3), 0.0, 1.0)  # also cv2.resize output
    m = m * m * (3.0 - 2.0 * m) * alpha
    if q > 1:
        m = cv2.resize(m, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    roi = out[y0:y1, x0:x1]
    src = colour[y0:y1, x0:x1].astype(np.float32)
    base = roi.astype(np.float32)
    roi[:] = np.clip(base + (src - base) * m[:, :, None] + 0.5, 0, 255).astype(np.uint8)


def face_colour(
    frame: np.ndarray,
    *,
    blur: int = 21,
    darkness: float = 1.0,
    size: float = 1.6,
    feather: float = 0.4,
    every: int = 8,
    speed: float = 0.15,
    hold: int = 30,
) -> np.ndarray:
    """The face in colour, the rest a pencil sketch: out = sketch + (frame − sketch)·m, m a soft
    ellipse (``size`` × the face box, its outer ``feather`` fraction fading out) per face.

    In a chain the ellipse glides (spring ω = ``speed``), fades in when a face appears and out
    ``hold`` frames after it was last seen; faces are looked for every ``every`` frames. This
    function is a stream of one frame. Always returns HxWx3 BGR."""
    return FaceColour(
        blur=blur,
        darkness=darkness,
        size=size,
        feather=feather,
        every=every,
        speed=speed,
        hold=hold,
    )(frame)

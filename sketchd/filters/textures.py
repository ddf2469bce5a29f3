"""The drawing filters' textures, generated here from a fixed seed: the same bytes on every
machine and every run, nothing random per frame (so strokes never boil), nothing downloaded.

- ``stroke_map``: a tonal art map (Praun et al., "Real-Time Hatching", 2001) folded into one
  image. Each texel holds the darkness (0 = paper white .. 255 = black) at which pencil
  first lands on it. Strokes come in three layers: a first hatch direction for light tones,
  a crossing one for middle tones, a third for the darkest, and within each layer the lines
  appear sparse first and fill in between (a bit-reversed order), so a tone's strokes are
  always a subset of every darker tone's (Praun's nesting: tone changes add strokes, never
  move them). A stroke's core has the lowest value and its edge a higher one, so darker
  tones also draw every stroke wider. ``ink = gain·(darkness − map)`` then hatches a tone.
- ``paper_grain``: the tooth of the paper (fine grain and a little cloudiness), 0..255 with
  mean about 128: pits where graphite skips and wash pools.

Both are TILE x TILE and tile seamlessly (strokes and blurs wrap around the edges); ``tiled``
lays one over a frame, cached per size (read-only arrays).
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

TILE = 256  # side of a texture tile in pixels (a hatch line spacing is 4-7 px)
SEED = 20261204  # the textures' one seed: changing it changes every drawing
# one hatch layer: angle (degrees, image coordinates), line spacing (px), and the darkness
# range (0..255) its strokes appear over
LAYERS = ((-58.0, 5.0, 10, 125), (32.0, 5.5, 105, 195), (-13.0, 6.0, 180, 240))
PATCH = 32  # strokes come in patches on a jittered grid of this pitch (TILE / PATCH whole)
REACH = 0.62  # a patch is a disc of this radius, in pitches (neighbours overlap a little)
SWING = 18.0  # degrees a patch may turn from its layer's direction
JITTER = 3.0  # degrees a stroke may turn from its patch's direction
EDGE = 70  # how much darker than its core a stroke's edge pixel must be drawn to show
FILL = 245  # above this darkness the paper between the strokes darkens too (black)


def _bit_reverse_order(n: int) -> np.ndarray:
    """0..n-1 reordered so every prefix is spread evenly (van der Corput): rank of each."""
    bits = max(1, math.ceil(math.log2(max(n, 2))))
    keys = [int(f"{i:0{bits}b}"[::-1], 2) for i in range(n)]
    ranks = np.empty(n, np.float64)
    ranks[np.argsort(keys, kind="stable")] = np.arange(n)
    return ranks / n


def _wrap_min(big: np.ndarray) -> np.ndarray:
    """A 3·TILE square folded onto one TILE (the minimum of its nine tiles): what is drawn
    across one edge of the tile comes back in at the opposite edge."""
    t = TILE
    out = big[t : 2 * t, t : 2 * t].copy()
    for i in range(3):
        for j in range(3):
            np.minimum(out, big[i * t : (i + 1) * t, j * t : (j + 1) * t], out=out)
    return out


@functools.cache
def stroke_map() -> np.ndarray:
    """TILE x TILE uint8: the darkness at which each texel is first drawn (see the module)."""
    rng = np.random.default_rng(SEED)
    t = TILE
    levels = np.full((3 * t, 3 * t), 255.0, np.float32)
    cells = t // PATCH
    for base, spacing, lo, hi in LAYERS:
        # strokes bucketed by the darkness they appear at, each bucket drawn in one go
        buckets: dict[int, list[np.ndarray]] = {}
        for cy in range(cells):
            for cx in range(cells):
                centre = t + (np.array([cx, cy]) + 0.5 + rng.uniform(-0.3, 0.3, 2)) * PATCH
                a = math.radians(base + rng.uniform(-SWING, SWING))
                along = np.array([math.cos(a), math.sin(a)])
                across = np.array([-along[1], along[0]])
                radius = REACH * PATCH
                offsets = np.arange(-radius, radius, spacing) + rng.uniform(0, spacing)
                order = _bit_reverse_order(len(offsets))
                shift = rng.uniform(-0.06, 0.06)
                for k, offset in enumerate(offsets):
                    if abs(offset) >= radius:
                        continue
                    half = math.sqrt(radius**2 - offset**2) * rng.uniform(0.7, 1.0)
                    turn = math.radians(rng.uniform(-JITTER, JITTER))
                    way = along * math.cos(turn) + across * math.sin(turn)
                    mid = centre + across * offset + along * rng.uniform(-2, 2)
                    rank = min(1.0, max(0.0, order[k] * 0.85 + rng.uniform(0, 0.15) + shift))
                    level = lo + (hi - lo) * rank
                    stroke = np.array([mid - way * half, mid + way * half])
                    buckets.setdefault(int(level), []).append(stroke)
        for level, strokes in sorted(buckets.items()):
            cover = np.zeros((3 * t, 3 * t), np.uint8)
            pts = [np.round(st * 16).astype(np.int32).reshape(-1, 1, 2) for st in strokes]
            cv2.polylines(cover, pts, False, 255, 1, cv2.LINE_AA, shift=4)
            drawn = cover > 0
            value = level + (255 - cover[drawn].astype(np.float32)) * (EDGE / 255.0)
            levels[drawn] = np.minimum(levels[drawn], value)
    folded = _wrap_min(levels)
    folded = np.minimum(folded, FILL)  # the darkest tones fill the paper between strokes
    out = np.clip(np.round(folded), 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def _wrap_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a tile that wraps around its edges (a seamless tile stays so)."""
    t = img.shape[0]
    big = np.tile(img, (3, 3))
    return cv2.GaussianBlur(big, (0, 0), sigma)[t : 2 * t, t : 2 * t]


@functools.cache
def paper_grain() -> np.ndarray:
    """TILE x TILE uint8, mean ~128: the paper's tooth (high = a pit), seamless."""
    rng = np.random.default_rng(SEED + 1)
    fine = _wrap_blur(rng.standard_normal((TILE, TILE)).astype(np.float32), 0.7)
    # fibres: fine noise smeared a little along one direction
    fibre = cv2.filter2D(
        np.tile(rng.standard_normal((TILE, TILE)).astype(np.float32), (3, 3)),
        -1,
        np.full((1, 5), 0.2, np.float32),
    )[TILE : 2 * TILE, TILE : 2 * TILE]
    cloud = _wrap_blur(rng.standard_normal((TILE, TILE)).astype(np.float32), 12.0)
    grain = fine / fine.std() + 0.5 * fibre / fibre.std() + 0.8 * cloud / cloud.std()
    out = np.clip(np.round(128.0 + 28.0 * grain / grain.std()), 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=8)
def tiled(name: str, height: int, width: int) -> np.ndarray:
    """Texture ``name`` ("strokes" | "grain") laid over height x width from the top left,
    read-only; the last few sizes asked for are kept."""
    tile = stroke_map() if name == "strokes" else paper_grain()
    reps = (-(-height // TILE), -(-width // TILE))
    out = np.ascontiguousarray(np.tile(tile, reps)[:height, :width])
    out.flags.writeable = False
    return out


GRAIN = 0.04  # how much darker the paper is in its deepest pits


@functools.lru_cache(maxsize=8)
def paper(height: int, width: int, colour: tuple[int, int, int]) -> np.ndarray:
    """The paper (BGR, read-only): ``colour`` darkened by up to GRAIN in the grain's pits."""
    grain = tiled("grain", height, width).astype(np.float32) / 255.0
    shade = 1.0 - GRAIN * np.clip(grain - 0.3, 0.0, 1.0) / 0.7
    out = np.clip(shade[..., None] * np.array(colour, np.float32) + 0.5, 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=8)
def tooth(height: int, width: int, strength: float) -> np.ndarray:
    """How much graphite each pixel of paper refuses (0..255·strength): the grain's pits."""
    grain = tiled("grain", height, width).astype(np.float32)
    out = np.clip((grain - 128.0) * (strength * 255.0 / 96.0), 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


__all__ = ["TILE", "paper", "paper_grain", "stroke_map", "tiled", "tooth"]

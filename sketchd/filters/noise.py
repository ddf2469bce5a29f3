"""The noise level of a camera, measured from its frames: what ``stabilize`` compares each
block's change with, so that the same settings work in a bright office and a dark bedroom.

The noise of a 4x4 (or 8x8) block's mean brightness, σ, is read off the temporal difference Δ of
blocks that stayed still, σ = median |Δ| / (√2 · 0.674), in eight bands of brightness (shot noise
grows with the light, and a camera's tone curve bends it again), and a line is fitted to the
bands. It follows the camera slowly up and quickly down; the very first reading, which may be
of a moving picture, comes from the blocks that changed least, in time and in space.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import cv2
import numpy as np

BINS = 8  # brightness bands σ is measured in (32 levels each)
RISE, FALL = 0.2, 0.3  # how fast σ follows a higher / a lower measurement
FIRST = 0.25  # the first σ: from this quantile of all blocks' |Δ| (the scene may move) ...
FIRST_MAX = 3.0  # ... at most this (a block σ of 3 levels: a very noisy webcam)
MIN_SIGMA = 0.05  # gray levels: a noise-free source still has a (tiny) σ to divide by
SAMPLES = 8192  # block differences looked at per measurement, at most
STEP = 32  # |Δ| histogram resolution: 1/STEP gray level
_HIST = 1024  # |Δ| histogram bins (so up to 32 levels)
_CENTRES = (np.arange(BINS) + 0.5) * (256.0 / BINS)


class NoiseLevel:
    """σ of a block mean, in gray levels, as a line over brightness: per band of 32 levels
    σ = median |Δ| / (√2 · 0.674) of blocks that stayed still, and the least-squares line
    through the bands, each weighted by its share of the blocks."""

    def __init__(self) -> None:
        self.sigma: np.ndarray | None = None  # per brightness band; None: not measured yet
        self.share = np.zeros(BINS)  # of the blocks measured, per band (smoothed)
        self._line: tuple[float, float] | None = None  # line() of the present σ

    @staticmethod
    def measure(
        diff: np.ndarray, level: np.ndarray, quantile: float = 0.5
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(σ per band, blocks per band) from |Δ| (float) of blocks whose brightness is
        ``level`` (uint8), or None when too few blocks were given. Bands with fewer than 32
        blocks take their neighbours' σ. A low ``quantile`` reads σ off the blocks that changed
        least, which a moving picture disturbs less (used when nothing is known yet)."""
        if diff.size < 64:
            return None
        band = (level.ravel() >> 5).astype(np.intp)  # 256 / BINS = 32 levels a band
        q = np.minimum(np.rint(diff.ravel() * STEP), _HIST - 1).astype(np.intp)
        hist = np.bincount(band * _HIST + q, minlength=BINS * _HIST).reshape(BINS, _HIST)
        cum = np.cumsum(hist, axis=1)
        counts = cum[:, -1]
        ok = counts >= 32
        if not ok.any():
            return None
        target = counts * quantile
        k = np.minimum((cum < target[:, None]).sum(axis=1), _HIST - 1)
        rows = np.arange(BINS)
        below = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0)
        inside = np.maximum(hist[rows, k], 1)
        # bin k holds |Δ| in [(k - 1/2) / STEP, (k + 1/2) / STEP), the first bin from 0
        lo = np.maximum(k - 0.5, 0.0) / STEP
        width = (k + 0.5) / STEP - lo
        value = lo + width * np.clip((target - below) / inside, 0.0, 1.0)
        # Δ of two frames' noise is N(0, 2σ²): its |Δ| quantile q lies at √2·Φ⁻¹((1 + q) / 2)·σ
        sigma = value / (math.sqrt(2.0) * NormalDist().inv_cdf((1.0 + quantile) / 2.0))
        return np.interp(_CENTRES, _CENTRES[ok], sigma[ok]), np.where(ok, counts, 0)

    def update(self, measured: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Follow a measurement: at once the first time, then slowly up (a passing motion
        must not make everything look like noise) and quickly down."""
        if measured is None:
            return
        self._line = None
        sigma, counts = measured
        share = counts / counts.sum()
        if self.sigma is None:
            self.sigma, self.share = np.minimum(sigma, FIRST_MAX), share
            return
        rate = np.where(sigma > self.sigma, RISE, FALL)
        self.sigma = self.sigma + rate * (sigma - self.sigma)
        self.share = self.share + FALL * (share - self.share)

    def line(self) -> tuple[float, float]:
        """(σ at brightness 0, σ at 255): the least-squares line through the bands' σ, each
        band weighted by its share of the picture, kept ≥ MIN_SIGMA at both ends."""
        if self.sigma is None:
            return MIN_SIGMA, MIN_SIGMA
        if self._line is None:
            self._line = self._fit(self.sigma, self.share)
        return self._line

    @staticmethod
    def _fit(sigma: np.ndarray, share: np.ndarray) -> tuple[float, float]:
        w = share + 1e-9
        mx = float(np.dot(w, _CENTRES) / w.sum())
        my = float(np.dot(w, sigma) / w.sum())
        spread = float(np.dot(w, (_CENTRES - mx) ** 2))
        slope = float(np.dot(w, (_CENTRES - mx) * (sigma - my))) / spread if spread else 0.0
        return max(my - slope * mx, MIN_SIGMA), max(my + slope * (255.0 - mx), MIN_SIGMA)


def first_look(
    small: np.ndarray, diff: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """σ when nothing is known yet, from the stream's first two frames, which may move (the
    camera opened on someone turning): the lower of two readings. From time: the lower
    quartile of all blocks' |Δ|, which motion raises. From space: the same of the blocks'
    second difference (b00 + b11 - b01 - b10) / √2 in this frame, noise of the same size
    where the picture is flat and larger where it has texture; no motion raises it."""
    g = max(1, math.ceil(math.sqrt(diff.size / SAMPLES)))
    timed = NoiseLevel.measure(diff[::g, ::g], level[::g, ::g], FIRST)
    if min(small.shape) < 2:
        return timed
    second = cv2.absdiff(small[:-1, :-1] + small[1:, 1:], small[:-1, 1:] + small[1:, :-1])
    # b00 + b11 - b01 - b10 of independent noise is N(0, 4σ²); /√2 makes it the N(0, 2σ²)
    # that measure() reads, like the temporal Δ
    spaced = NoiseLevel.measure(second[::g, ::g] / math.sqrt(2.0), level[:-1:g, :-1:g], FIRST)
    if timed is None or spaced is None:
        return timed or spaced
    return np.minimum(timed[0], spaced[0]), timed[1]

"""Temporal stabilisation: the still parts of a video hold still, what moves is followed at once.

Every webcam frame carries fresh sensor noise, and the dodge-blend sketch amplifies it: in a still
scene pixels flip between paper-white and pencil-grey from one frame to the next. ``stabilize``
averages each pixel over the frames in which its neighbourhood did not change:

- the frame is cut into 4x4 blocks (8x8 above 1.5 MP) and each block's mean brightness is
  compared with the same block of the running average. A block that differs by more than
  ``motion`` noise levels (σ) together with three of its neighbours, or by three times that
  alone, moved: it and the blocks around it take the new frame as it is, at once, so nothing
  that moves is smeared or trailed (their average starts again from there once they stop);
- every other block is averaged: after a (re)start the mean of the frames so far, later a running
  average over about N = 1 + 31·strength frames; a block still for N frames is *held*, its output
  no longer changes at all until it moves (what is held is the mean of those frames, so holding
  removes the noise instead of freezing one noisy frame);
- σ, the noise of a block mean, is measured from the frames themselves: the median temporal
  difference of the blocks that stayed still, per brightness level (shot noise grows with the
  light), so the same settings work in a bright office and in a dark bedroom;
- when the picture moves as a whole (a pan, a cut, the camera turned) the whole frame is
  taken as it is and the stream starts again: in a pan, the blocks whose mean hardly changes
  (smooth or finely textured ones) move too, and averaging them would smear them. It is a pan
  when half the blocks or more moved, or when nearly all the blocks with texture (those that
  would show a move) did: a pan over a plain table or a wall moves under half of all blocks.
  A person filling a third to a half of the frame and moving (a call's usual scene) is not a
  pan: their blocks follow them and the room stays held (with a third of all blocks counted as
  a pan, the room's noise sparkled while they moved).

Where the picture is still it is the same picture, not a blurred one: nothing is averaged across
pixels. The decision is made on the blocks' brightness (colour changes that keep the brightness
exactly are not seen). Cost: the block means of every frame, the running average only where
blocks settle, a copy where they move; a held still scene costs the block means alone.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from sketchd.filters._frame import as_bgr, check
from sketchd.filters.noise import SAMPLES, NoiseLevel, first_look

BLOCK = 4  # block side in pixels (the block means are 2x area halvings)
BIG = 1_500_000  # pixels above which blocks are 8x8 (1080p: 32k blocks instead of 130k)
CUT = 0.5  # share of moving blocks that counts as a pan or a new scene: the stream starts again
PAN = 0.85  # share of the blocks with texture moving at once that counts as a pan
TEXTURE = 3.0  # a block has texture when it differs from a neighbour by this times the threshold
SOME = 0.1  # share of the blocks that must move (or have texture) before a pan is looked for
LONE = 3.0  # a block moved alone when it changed by LONE times as much as with its neighbours
PROBE = 30  # frames of "new scene" in a row after which σ is measured again from scratch
_NEAR = np.ones((3, 3), np.uint8)


def stabilize(frame: np.ndarray, *, strength: float = 0.5, motion: float = 3.0) -> np.ndarray:
    """Average what stays still over time: ``out = mean of the last ≤ 1 + 31·strength frames``
    per 4x4 block where the block changed by < ``motion``·σ, else ``out = frame``.

    A stream filter: in a chain it keeps its running average from frame to frame (see
    ``Stabilizer``). This function is a stream of one frame, so it returns the frame as it is
    (gray stays gray, BGRA becomes BGR): a photo is never changed by it."""
    return Stabilizer(strength=strength, motion=motion)(frame)


def block_size(height: int, width: int) -> int:
    """4, or 8 for frames above BIG pixels: what a block sees of the picture stays alike,
    and the work on blocks stays a few tenths of a millisecond."""
    return 2 * BLOCK if height * width > BIG else BLOCK


def block_means(gray: np.ndarray, size: int = BLOCK) -> np.ndarray:
    """Float32 mean of every whole ``size``x``size`` block (4 or 8) of a uint8 HxW image: 2x
    area halvings, the last one in float so that no rounding hides a small noise."""
    rows, cols = gray.shape[0] // size, gray.shape[1] // size
    img = gray[: rows * size, : cols * size]
    while img.shape[0] > 2 * rows:
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(img.astype(np.float32), (cols, rows), interpolation=cv2.INTER_AREA)


_REPEAT = {4: (np.uint32, 0x01010101), 8: (np.uint64, 0x0101010101010101)}


def spread(blocks: np.ndarray, height: int, width: int, size: int = BLOCK) -> np.ndarray:
    """A uint8 block map laid over the frame: each value on its block's pixels, the last row
    and column of blocks stretched over the few pixels past the whole blocks."""
    rows, cols = blocks.shape
    # each byte ``size`` times across (as the equal bytes of one wider integer), then each
    # row ``size`` times
    kind, ones = _REPEAT[size]
    wide = np.ascontiguousarray(blocks, dtype=np.uint8).astype(kind) * kind(ones)
    full = np.repeat(wide.view(np.uint8), size, axis=0)
    extra_h, extra_w = height - rows * size, width - cols * size
    if extra_h or extra_w:
        return cv2.copyMakeBorder(full, 0, extra_h, 0, extra_w, cv2.BORDER_REPLICATE)
    return full


def _rects(active: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles of blocks (rows r0:r1, columns c0:c1) that hold every nonzero block of
    ``active``: one per band of rows, as wide as the active blocks in it."""
    out: list[tuple[int, int, int, int]] = []
    if not cv2.countNonZero(active):
        return out
    for r0, r1 in _bands(cv2.reduce(active, 1, cv2.REDUCE_MAX).ravel()):
        cols = np.flatnonzero(cv2.reduce(active[r0:r1], 0, cv2.REDUCE_MAX).ravel())
        out.append((r0, r1, int(cols[0]), int(cols[-1]) + 1))
    return out


def _bands(flags: np.ndarray, gap: int = 8) -> list[tuple[int, int]]:
    """Runs of nonzero ``flags`` (one per block row), ``[start, end)``, runs closer than
    ``gap`` rows merged (one pass over a band costs less than a call per tiny band)."""
    rows = np.flatnonzero(flags)
    if rows.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(rows) > gap + 1)
    starts = np.concatenate(([rows[0]], rows[cuts + 1]))
    ends = np.concatenate((rows[cuts], [rows[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


class Stabilizer:
    """One stream's temporal stabilisation (see ``stabilize`` and the module's docstring).

    State, all of it about the frames this stream has seen: the running average (float32, the
    frame's size), the last output, the block means of the average and of the last frame, each
    block's age (frames since it last moved) and the noise level. ``reset()`` forgets it all;
    a frame of another size or kind starts the stream again by itself."""

    def __init__(self, *, strength: float = 0.5, motion: float = 3.0):
        self.frames = 1.0 + 31.0 * strength  # N: frames averaged, at most
        self.hold = max(2, math.ceil(self.frames))  # a block still this long is held
        self.motion = motion
        self.noise = NoiseLevel()
        self.restarts = 0  # times the stream started again on a new scene (for tests, logs)
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next frame starts the stream (and σ is measured anew)."""
        self.noise = NoiseLevel()
        self._busy = 0
        self._shape: tuple[int, ...] | None = None
        self._changed: tuple[int, int, int, int] | None = None

    def changed(self) -> tuple[int, int, int, int] | None:
        """Where the last output differs from the one before: pixel rows y0:y1 and columns
        x0:x1 holding every change (empty when held), or None when it may differ anywhere
        (the stream started again, or the output is the frame given)."""
        return self._changed

    def _start(self, x: np.ndarray, small: np.ndarray | None = None) -> None:
        """The stream starts on ``x`` (kept: the noise level); ``small``: its block means."""
        self._shape = x.shape
        out = np.array(x)
        out.flags.writeable = False  # handed out again while held: no caller may change it
        self._out = out
        self._acc: np.ndarray | None = None  # the running average: made when first needed
        self._block = block_size(*x.shape[:2])
        if small is None:
            small = block_means(_luma(x), self._block)
        self._small = small  # of the last frame
        self._avg = small.copy()  # of the running average
        one = getattr(self, "_one", None)
        if one is None or one.shape != small.shape:  # else kept: a pan restarts every frame
            self._one = np.ones(small.shape, np.uint8)
        self._age: np.ndarray = np.zeros(small.shape, np.uint8)
        self._moved = np.zeros(small.shape, np.uint8)  # the blocks moving last frame
        self._n = 1

    def _moving(self, small: np.ndarray, level: np.ndarray) -> np.ndarray:
        """uint8 0/255 per block: the blocks that moved, and the blocks around them.

        In steps of 1/scale gray level (scale ≤ 8, so that LONE·k·σ stays below 240), so the
        thresholds k·σ and LONE·k·σ of each block's brightness are one uint8 operation each.
        A lone block must change three times as much: at 1 in 10⁻⁴ of the blocks of a still
        picture, noise alone crossed twice the threshold, and each such block kept its
        neighbourhood from being held for N frames."""
        s0, s255 = self.noise.line()
        k = self.motion
        scale = min(8.0, 80.0 / (k * max(s0, s255)))
        slope = (s255 - s0) / 255.0
        change = cv2.convertScaleAbs(cv2.absdiff(small, self._avg), alpha=scale)
        lo = cv2.convertScaleAbs(level, alpha=scale * k * slope, beta=scale * k * s0)
        some = cv2.compare(change, lo, cv2.CMP_GT)
        count = cv2.countNonZero(some)
        if count > CUT * some.size or (count > SOME * some.size and self._pan(some, lo, scale)):
            return np.full_like(some, 255)  # a pan: no need to look closer
        lone = LONE * scale * k
        hi = cv2.convertScaleAbs(level, alpha=lone * slope, beta=lone * s0)
        ones = cv2.threshold(some, 127, 1, cv2.THRESH_BINARY)[1]
        near = cv2.boxFilter(ones, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
        # with three of its neighbours (with two, noise alone did it every few frames)
        agreed = cv2.bitwise_and(some, cv2.threshold(near, 3.5, 255, cv2.THRESH_BINARY)[1])
        moved = cv2.bitwise_or(agreed, cv2.compare(change, hi, cv2.CMP_GT))
        return cv2.dilate(moved, _NEAR)

    def _pan(self, some: np.ndarray, lo: np.ndarray, scale: float) -> bool:
        """Whether nearly every block that could show a move did: the picture moved as a whole.

        A block shows a move of a block's width when its brightness differs from a neighbour's
        by TEXTURE times the motion threshold; smooth blocks (a wall, the sky) do not change when
        the picture slides over them, so the share of all blocks that moved says little of a
        pan (a pan of a photo with large smooth parts moved under half of them, a person half the
        frame wide moving in front of a fixed webcam nearly as many)."""
        avg = self._avg
        across = cv2.absdiff(avg[:, 1:], avg[:, :-1])
        down = cv2.absdiff(avg[1:, :], avg[:-1, :])
        edge = cv2.max(across[:-1, :], down[:, :-1])
        textured = cv2.compare(
            cv2.convertScaleAbs(edge, alpha=scale / TEXTURE), lo[:-1, :-1], cv2.CMP_GT
        )
        shown = cv2.countNonZero(textured)
        if shown < SOME * textured.size:
            return False
        moved = cv2.countNonZero(cv2.bitwise_and(textured, cv2.dilate(some, _NEAR)[:-1, :-1]))
        return moved > PAN * shown

    def _measure(self, diff: np.ndarray, level: np.ndarray, moving: np.ndarray) -> None:
        """σ from the blocks still in this frame and the two before, on a grid of at most
        ~SAMPLES blocks (σ is one number per brightness band, not a map)."""
        g = max(1, math.ceil(math.sqrt(diff.size / SAMPLES)))
        picked = (self._age[::g, ::g] >= 2) & (moving[::g, ::g] == 0)
        self.noise.update(NoiseLevel.measure(diff[::g, ::g][picked], level[::g, ::g][picked]))

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = check(frame)
        x = frame if frame.ndim == 2 else as_bgr(frame)
        h, w = x.shape[:2]
        self._changed = None
        if self.frames < 1.5 or min(h, w) < 2 * BLOCK:  # off, or too small to have blocks
            return x
        if x.shape != self._shape:
            self._start(x)
            return x
        small = block_means(_luma(x), self._block)
        diff = cv2.absdiff(small, self._small)
        self._small = small
        level = cv2.convertScaleAbs(self._avg)  # each block's brightness, for its σ
        if self.noise.sigma is None:
            self.noise.update(first_look(small, diff, level))
        moving = self._moving(small, level)
        moved = cv2.countNonZero(moving)
        if moved > CUT * moving.size:  # a pan or a new scene: start again on it
            self._busy += 1
            if self._busy >= PROBE:  # that long: more likely σ is far too low than a pan
                self.noise, self._busy = NoiseLevel(), 0
            self.restarts += 1
            self._start(x, small)
            return x
        self._busy = 0
        if self._n % 2:  # σ changes slowly: every other frame is often enough
            self._measure(diff, level, moving)
        age = cv2.add(self._age, self._one)  # saturates at 255
        if moved:
            age = cv2.bitwise_and(age, cv2.bitwise_not(moving))
        # blocks that moved up to the last frame and stopped: their average starts from it
        stopped = cv2.bitwise_and(self._moved, cv2.bitwise_not(moving))
        self._age, self._moved = age, moving
        active = cv2.threshold(age, self.hold - 0.5, 255, cv2.THRESH_BINARY_INV)[1]
        self._n += 1
        alpha = max(1.0 / self._n, 1.0 / self.frames)
        cv2.accumulateWeighted(small, self._avg, alpha, mask=active)
        if moved:
            cv2.accumulateWeighted(small, self._avg, 1.0, mask=moving)
            active = cv2.bitwise_and(active, cv2.bitwise_not(moving))
        return self._follow(x, active, moving if moved else None, stopped, alpha)

    def _follow(
        self,
        x: np.ndarray,
        active: np.ndarray,
        moving: np.ndarray | None,
        stopped: np.ndarray,
        alpha: float,
    ) -> np.ndarray:
        """The output: the last one's where blocks are held, the new frame as it is where they
        move, the running average (updated) where they are settling. The average of a moving
        block is left as it was; it starts again from the frame it last moved in (the last
        output) once the block stops."""
        rects = _rects(active)
        moves = _rects(moving) if moving is not None else []
        self._changed = self._box(rects + moves)
        if not rects and not moves:
            return self._out  # all held: the same picture as before
        if self._acc is None:  # the stream (re)started on the last frame, which is in _out
            self._acc = self._out.astype(np.float32)
        # every pixel operation on rows of w·channels values, the masks as wide: OpenCV's
        # masked float operations are several times slower on 3 channels than on one
        acc, old, new = _flat(self._acc), _flat(self._out), _flat(x)
        for rect in _rects(stopped):
            ys, xs = self._pixels(rect)
            mask = self._mask(stopped, rect)
            cv2.accumulateWeighted(old[ys, xs], acc[ys, xs], 1.0, mask=mask)
        rows, cols = self._avg.shape
        # an active rectangle is converted whole; a moving one is copied where blocks move
        # (one contiguous copy of the last output is cheaper than copying around the windows)
        out = np.empty_like(self._out) if (0, rows, 0, cols) in rects else self._out.copy()
        flat = _flat(out)
        for rect in rects:
            ys, xs = self._pixels(rect)
            cv2.accumulateWeighted(new[ys, xs], acc[ys, xs], alpha, mask=self._mask(active, rect))
            cv2.convertScaleAbs(acc[ys, xs], dst=flat[ys, xs])
        for rect in moves:
            ys, xs = self._pixels(rect)
            mask = self._mask(moving, rect) if moving is not None else None
            if mask is None:
                flat[ys, xs] = new[ys, xs]
            else:
                cv2.copyTo(new[ys, xs], mask, flat[ys, xs])
        out.flags.writeable = False
        self._out = out
        return out

    def _box(self, rects: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
        """The pixels (y0, y1, x0, x1) under all of ``rects`` (block rectangles)."""
        if not rects:
            return (0, 0, 0, 0)
        r0, r1, c0, c1 = (f(r[i] for r in rects) for i, f in enumerate((min, max, min, max)))
        ys, xs = self._pixels((r0, r1, c0, c1))
        c = 1 if self._out.ndim == 2 else self._out.shape[2]  # xs counts channels too
        return (ys.start, ys.stop, xs.start // c, xs.stop // c)

    def _pixels(self, rect: tuple[int, int, int, int]) -> tuple[slice, slice]:
        """The frame's rows and (flat: pixel × channel) columns under a rectangle of blocks,
        the last row and column of blocks reaching to the frame's edge."""
        (rows, cols), size = self._avg.shape, self._block
        h, w = self._out.shape[:2]
        c = 1 if self._out.ndim == 2 else self._out.shape[2]
        r0, r1, c0, c1 = rect
        return (
            slice(r0 * size, r1 * size if r1 < rows else h),
            slice(c0 * size * c, (c1 * size if c1 < cols else w) * c),
        )

    def _mask(self, blocks: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray | None:
        """``blocks`` under ``rect`` laid over its flat pixels; None where all of them are set."""
        r0, r1, c0, c1 = rect
        part = blocks[r0:r1, c0:c1]
        if cv2.countNonZero(part) == part.size:
            return None
        if self._out.ndim == 3:  # each block's value on each of its pixels' channels
            part = np.repeat(part, self._out.shape[2], axis=1)
        ys, xs = self._pixels(rect)
        return spread(part, ys.stop - ys.start, xs.stop - xs.start, self._block)


def _flat(img: np.ndarray) -> np.ndarray:
    """HxW or HxWxC as H x (W·C): a view of a contiguous image."""
    return img.reshape(img.shape[0], -1)


def _luma(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 2 else cv2.cvtColor(x, cv2.COLOR_BGR2GRAY)

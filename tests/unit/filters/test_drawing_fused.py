"""The drawing's shared halvings and its one enlargement of fill plus lines stay with the
formula as first written: every layer at its own size, enlarged on its own (the gray at full
size, its quarter and the flow's picture each shrunk from it, the fill and the lines each
enlarged to the frame and added there), and its eased tone is exactly the numpy one.

Measured on the five test photographs at 640x360, 1280x720 and 1920x1080: mean difference
0.01-0.05 levels gray, 0.01-0.36 in colour (whose gray is now taken from the halved frame:
the lines' soft threshold turns a rounding's level into up to 14), 99th percentile 0-1 and
0-8 levels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.filters import textures
from sketchd.filters.drawing import STROKE_GAIN, TOOTH, Drawing, on_paper, tone_lut
from sketchd.filters.lines import lines
from sketchd.filters.wash import pigment, quarter
from tests.helpers.photos import PHOTO_DIR, PHOTOS

PARAMS = {"shading": 0.6, "white": 225.0, "softness": 1.0, "line_weight": 1.2, "detail": 0.5}


def old_drawing(frame: np.ndarray, colour: bool, paper=(226, 239, 246)) -> np.ndarray:
    """The first frame of a stream, as first written."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    tone = cv2.GaussianBlur(quarter(gray), (0, 0), PARAMS["softness"])
    drive_lut, fill_lut = tone_lut(PARAMS["shading"], PARAMS["white"])
    full = cv2.resize(cv2.LUT(tone, drive_lut), (w, h), interpolation=cv2.INTER_LINEAR)
    hatch = cv2.convertScaleAbs(
        cv2.subtract(full, textures.tiled("strokes", h, w)), alpha=STROKE_GAIN
    )
    fill = cv2.LUT(tone, fill_lut)
    if cv2.countNonZero(fill):
        hatch = cv2.add(hatch, cv2.resize(fill, (w, h)))
    ink = lines(gray, gain=12.0 * PARAMS["line_weight"], threshold=2.5 - 1.5 * PARAMS["detail"])
    ink = cv2.subtract(cv2.add(hatch, ink), textures.tooth(h, w, TOOTH))
    if not colour:
        return on_paper(ink, paper)
    pig = pigment(
        quarter(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)),
        strength=0.5,
        saturation=1.0,
    )
    washed = cv2.subtract(
        textures.paper(h, w, paper), cv2.resize(pig, (w, h), interpolation=cv2.INTER_LINEAR)
    )
    return cv2.subtract(washed, cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR))


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (1920, 1080)])
def test_close_to_every_layer_at_its_own_size(colour, size):
    for name in PHOTOS[:3]:
        frame = cv2.resize(cv2.imread(str(PHOTO_DIR / name)), size, interpolation=cv2.INTER_AREA)
        if not colour:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        got = Drawing(colour=colour, paper="#f6efe2", wash=0.5, saturation=1.0, **PARAMS)(frame)
        want = old_drawing(frame, colour)
        diff = np.abs(got.astype(np.int16) - want)
        assert diff.mean() < 0.5, name
        assert np.percentile(diff, 99) <= (10 if colour else 2), name


def test_the_eased_tone_is_the_numpy_formula():
    rng = np.random.default_rng(7)
    stream = Drawing(steady=0.6, paper="#f6efe2", **PARAMS)
    last = rng.integers(0, 256, (45, 80), dtype=np.uint8)
    stream.ease(last)
    for _ in range(6):
        tone = np.clip(last.astype(int) + rng.integers(-40, 41, last.shape), 0, 255)
        tone = tone.astype(np.uint8)
        prev = stream.held_tone.copy()
        new = tone.astype(np.float32)
        eased = cv2.addWeighted(prev, 0.6, new, 0.4, 0.0)
        take = (np.abs(new - prev) > Drawing.MOVE) | (np.abs(eased - new) < 1.0)
        eased[take] = new[take]
        assert np.array_equal(stream.ease(tone), cv2.convertScaleAbs(eased))
        assert np.array_equal(stream.held_tone, eased)
        last = tone

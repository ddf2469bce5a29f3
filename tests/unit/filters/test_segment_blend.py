"""``segment``'s blend and faint room, computed in fewer full-frame passes, are pixel for pixel
the formulas they replace: ``person·w + room·(255 − w)`` with both made BGR first, and the
pencil's darkness curve followed by the paling."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.filters.segment import blend, pale, render
from tests.helpers.photos import PHOTO_DIR


def old_blend(person: np.ndarray, room: np.ndarray, weight: np.ndarray) -> np.ndarray:
    colour = person.ndim == 3 or room.ndim == 3

    def like(img: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if colour and img.ndim == 2 else img

    person, room, wc = like(person), like(room), like(weight)
    kept = cv2.multiply(person, wc, scale=1.0 / 255.0)
    left = cv2.multiply(room, cv2.bitwise_not(wc), scale=1.0 / 255.0)
    return cv2.add(kept, left)


@pytest.mark.parametrize("person_ch", [1, 3])
@pytest.mark.parametrize("room_ch", [1, 3])
@pytest.mark.parametrize("shape", [(720, 1280), (37, 53)])
def test_blend_is_the_two_weighted_terms(person_ch, room_ch, shape):
    rng = np.random.default_rng(person_ch * 10 + room_ch + shape[0])

    def image(ch: int) -> np.ndarray:
        return rng.integers(0, 256, (*shape, 3) if ch == 3 else shape, dtype=np.uint8)

    person, room, weight = image(person_ch), image(room_ch), image(1)
    weight[: shape[0] // 3] = 0  # room only, person only, and everything between
    weight[-shape[0] // 3 :] = 255
    want = old_blend(person.copy(), room.copy(), weight)
    got = blend(person, room, weight)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def paled(img: np.ndarray, strength: float) -> np.ndarray:
    """``255 − (255 − img)·strength``, rounded as OpenCV's convertScaleAbs rounds."""
    return 255 - cv2.convertScaleAbs(255 - img, alpha=strength)


@pytest.mark.parametrize("style", ["pencil", "ink", "colour_pencil"])
@pytest.mark.parametrize("darkness", [1.0, 1.5])
def test_a_faint_room_is_the_style_paled(style, darkness):
    photo = cv2.imread(str(PHOTO_DIR / "coffee.png"))
    frame = cv2.resize(photo, (640, 360), interpolation=cv2.INTER_AREA)
    for strength in (0.0, 0.35, 1.0):
        want = paled(render(style, frame, 21, darkness), strength)
        assert np.array_equal(pale(style, frame, 21, darkness, strength), want)

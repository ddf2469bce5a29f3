"""filters/chain.py draws again only the part of the picture ``stabilize`` changed: pixel for
pixel what drawing the whole frame gives, frame after frame, on a person moving in a room, a
pan, a still scene and a dim room (auto_contrast's table in play), for every preset whose
drawing reaches only so far; and it is really taken where the picture holds still around a
moving person."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from sketchd.bench import stillness as sb
from sketchd.bench.motion import pan_frames
from sketchd.filters.chain import WORTH, Chain
from sketchd.filters.registry import Step
from tests.helpers.pipeline import CONFIG

W, H = 320, 176  # both multiples of 8, as 640x360, 1280x720 and 1920x1080 are
LOCAL = ("pencil", "colour_pencil", "ink", "charcoal")


def person_in_room(n: int, rng, dim: bool = False, size=(W, H)) -> list[np.ndarray]:
    """A fixed webcam: the coffee photo's room, the astronaut a third of the frame wide
    swaying a few pixels, with sensor noise (dim: a dark, flat room for auto_contrast)."""
    W, H = size
    room = cv2.resize(sb.photo("coffee.png"), (W, H), interpolation=cv2.INTER_AREA)
    pw = W // 3
    person = cv2.resize(sb.photo()[:, 96:416], (pw, H), interpolation=cv2.INTER_AREA)
    frames = []
    for t in range(n):
        x = W // 2 - pw // 2 + round(5 * math.sin(t / 3)) * (t > 12)
        img = room.copy()
        img[:, x : x + pw] = person
        if dim:
            img = cv2.convertScaleAbs(img, alpha=0.3, beta=20)
        frames.append(sb.noisy(sb.scene(img), rng))
    return frames


def streams(name: str) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(5)
    still = [sb.noisy(f, rng) for f in [person_in_room(1, rng)[0]] * 24]
    pan = [sb.noisy(f, rng) for f in pan_frames("chelsea.png", W, H, 2, 12)]
    out = [person_in_room(40, rng), person_in_room(30, rng, dim=True), still, pan]
    if name.partition("/")[0] in ("pencil", "ink", "charcoal"):
        out = [[cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in s] for s in out]
    return out


def preset_steps(name: str) -> list[Step]:
    """A preset's steps; "pencil/41" is pencil with its blur at 41 (a wider reach)."""
    name, _, blur = name.partition("/")
    steps = list(CONFIG.presets[name].steps)
    if blur:
        steps[-1] = Step(steps[-1].name, {**steps[-1].params, "blur": int(blur)})
    return steps


@pytest.mark.parametrize("name", [*LOCAL, "pencil/41", "pencil/61", "colour_pencil/45"])
def test_drawing_only_what_changed_gives_the_same_pixels_as_drawing_it_whole(name):
    steps = preset_steps(name)
    parts, whole = Chain(steps), Chain(steps)
    whole.regions = False
    for frames in streams(name):
        parts.reset(), whole.reset()
        for t, frame in enumerate(frames):
            assert np.array_equal(parts(frame), whole(frame)), (name, t)


def test_the_part_is_what_is_drawn_around_a_moving_person():
    """Around a person a third of a 640x360 frame wide swaying in a settled room, pencil
    draws the part they fill and its margin, not the frame; a still scene nothing at all."""
    chain = Chain(CONFIG.presets["pencil"].steps)
    rng = np.random.default_rng(9)
    for frame in person_in_room(40, rng, size=(640, 360)):
        chain(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert 0.3 < chain.drawn < WORTH, chain.drawn
    chain.reset()
    still = cv2.cvtColor(person_in_room(1, rng, size=(640, 360))[0], cv2.COLOR_BGR2GRAY)
    drawn = []
    for _ in range(30):
        chain(sb.noisy(still, rng))
        drawn.append(chain.drawn)
    assert drawn[0] == 1.0 and drawn[-10:] == [0.0] * 10, drawn  # settling, then held


@pytest.mark.parametrize("name", ["cartoon", "drawing", "portrait"])
def test_a_chain_whose_drawing_reads_the_whole_frame_is_drawn_whole(name):
    """cartoon (its smoothing at a reduced scale), drawing (its state) and portrait (the
    person model reads the whole frame): every frame is drawn whole, or held."""
    chain = Chain(CONFIG.presets[name].steps)
    rng = np.random.default_rng(4)
    drawn = set()
    for frame in person_in_room(30, rng, size=(640, 360)):
        chain(frame)
        drawn.add(chain.drawn)
    assert drawn <= {0.0, 1.0}, drawn

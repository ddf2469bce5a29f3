"""Face-aware filters on real photographs: the astronaut from scikit-image's wheel, alone and
pasted on other photos at different places; a synthetic moving-face video for the smoothing;
face-free videos for drift; per-stream state through compose, render and presets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sketchd.filters import FILTERS, build
from sketchd.filters import face as facemod
from sketchd.filters.face import Autoframe, FaceDetector, FaceDetectorError, autoframe
from sketchd.filters.face_colour import face_colour
from sketchd.filters.registry import Step, compose

W, H = 640, 360


@pytest.fixture(scope="module")
def portrait(photo) -> np.ndarray:
    """The astronaut's head and shoulders, sized so her face is ~1/4 of a 360-px frame."""
    side = int(H * 1.1)
    img = cv2.resize(photo("astronaut.png"), (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[: int(side * 0.62), side // 5 : side * 4 // 5])


def paste(background: np.ndarray, portrait: np.ndarray, x: int, y: int) -> np.ndarray:
    out = cv2.resize(background, (W, H), interpolation=cv2.INTER_AREA)
    ph, pw = portrait.shape[:2]
    out[y : y + ph, x : x + pw] = portrait
    return out


def face_box_of(portrait: np.ndarray) -> tuple[int, int, int, int]:
    """Where the face is inside ``portrait`` (found once on the portrait itself)."""
    faces = FaceDetector().detect(cv2.copyMakeBorder(portrait, 0, 0, 0, 0, cv2.BORDER_CONSTANT))
    assert faces, "the detector finds no face in the astronaut portrait"
    return tuple(int(v) for v in faces[0])


def centre(box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def saturation(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].astype(np.float64)


# -- the detector ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [512, 1080])
def test_detector_finds_the_astronauts_face(photo, size):
    img = cv2.resize(photo("astronaut.png"), (size, size), interpolation=cv2.INTER_AREA)
    faces = FaceDetector().detect(img)
    assert len(faces) == 1
    cx, cy = centre(faces[0])
    # her face in the 512-px original spans about x 170-280, y 60-170
    assert 170 < cx * 512 / size < 280 and 60 < cy * 512 / size < 170


@pytest.mark.parametrize("background", ["coffee.png", "rocket.jpg", "chelsea.png"])
@pytest.mark.parametrize("x", [0, 200, 400])
def test_detector_finds_a_pasted_face_wherever_it_is(photo, portrait, background, x):
    fx, fy, fw, fh = face_box_of(portrait)
    frame = paste(photo(background), portrait, x, H - portrait.shape[0])
    faces = FaceDetector().detect(frame)
    assert faces, (background, x)
    cx, cy = centre(faces[0])
    ex, ey = x + fx + fw / 2, H - portrait.shape[0] + fy + fh / 2
    assert abs(cx - ex) < fw / 3 and abs(cy - ey) < fh / 3


@pytest.mark.parametrize(
    "name", ["coffee.png", "rocket.jpg", "chelsea.png", "motorcycle_left.png", "camera.png"]
)
def test_detector_finds_no_face_where_there_is_none(photo, name):
    assert FaceDetector().detect(cv2.resize(photo(name), (W, H))) == []


def test_a_missing_cascade_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(facemod, "CASCADE_FILE", "haarcascade_nothing.xml")
    with pytest.raises(FaceDetectorError, match=r"opencv-python-headless>=4\.12,<5"):
        build("face_colour")
    with pytest.raises(FaceDetectorError, match=r"haarcascade_nothing\.xml"):
        autoframe(np.zeros((8, 8), np.uint8))


# -- autoframe ------------------------------------------------------------------------------


def test_autoframe_zooms_towards_the_face(photo, portrait):
    fx, _, fw, _ = face_box_of(portrait)
    x = W - portrait.shape[1]  # the face well right of centre
    frame = paste(photo("coffee.png"), portrait, x, H - portrait.shape[0])
    out = autoframe(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    faces = FaceDetector().detect(out)
    assert faces
    (cx, _), (ox, _) = centre(faces[0]), (x + fx + fw / 2, 0)
    assert faces[0][2] > fw * 1.3  # zoomed in
    assert abs(cx - W / 2) < abs(ox - W / 2)  # and closer to the centre than before


def test_autoframe_respects_max_zoom_one_and_keeps_gray_gray(photo, portrait):
    frame = paste(photo("coffee.png"), portrait, 400, H - portrait.shape[0])
    assert np.array_equal(autoframe(frame, max_zoom=1.0), frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert autoframe(gray).shape == gray.shape


def crop_centres(chain: Autoframe, frames) -> np.ndarray:
    out = []
    for f in frames:
        chain(f)
        cx, cy, ch = chain.crop.x
        out.append((cx, cy, ch))
    return np.array(out)


def test_a_moving_face_is_followed_without_jumps(photo, portrait):
    """The face slides left to right over 120 frames: the crop follows it, never by more than
    MAX_STEP of the height in one frame, and is closing in on it at the end."""
    fx, _, fw, _ = face_box_of(portrait)
    back = photo("coffee.png")
    xs = np.linspace(0, W - portrait.shape[1], 120).astype(int)
    frames = [paste(back, portrait, x, H - portrait.shape[0]) for x in xs]
    step = FILTERS["autoframe"].defaults()
    crops = crop_centres(Autoframe(**step), frames)
    moves = np.abs(np.diff(crops, axis=0)).max(axis=1)
    assert moves.max() <= facemod.MAX_STEP * H + 1e-6
    assert moves.max() < 12  # px per frame at 640x360
    face_x = xs + fx + fw / 2
    assert crops[-1, 2] < H  # zoomed in
    assert np.corrcoef(crops[:, 0], face_x)[0, 1] > 0.85  # follows (edges clamp the crop)
    assert crops[-1, 0] > crops[0, 0] + 100
    # the face is always inside the crop
    for (cx, _, ch), x in zip(crops[::10], face_x[::10], strict=True):
        assert abs(x - cx) < ch * W / H / 2 - fw / 2


def test_no_face_no_drift(photo):
    """Still photos and noise with no face: the crop stays the whole frame, the output is the
    input, frame after frame."""
    rng = np.random.default_rng(7)
    stills = [cv2.resize(photo(n), (W, H)) for n in ("coffee.png", "rocket.jpg")]
    noise = [rng.integers(0, 256, (H, W, 3), np.uint8) for _ in range(10)]
    frames = [stills[i // 30] for i in range(60)] + noise * 3
    chain = Autoframe(**FILTERS["autoframe"].defaults())
    for f in frames:
        assert np.array_equal(chain(f), f)
        assert tuple(chain.crop.x) == (W / 2, H / 2, H)


def test_autoframe_eases_back_out_when_the_face_leaves(photo, portrait):
    params = FILTERS["autoframe"].defaults() | {"hold": 10}
    chain = Autoframe(**params)
    with_face = paste(photo("coffee.png"), portrait, 400, H - portrait.shape[0])
    empty = cv2.resize(photo("coffee.png"), (W, H))
    heights = crop_centres(chain, [with_face] * 20 + [empty] * 150)[:, 2]
    assert heights[19] < H * 0.8
    assert heights[30] == pytest.approx(heights[19], abs=1)  # holds a while
    assert np.all(np.diff(heights[20:]) >= -1e-9)  # then only widens
    assert heights[-1] == pytest.approx(H, abs=0.5)


# -- face_colour ----------------------------------------------------------------------------


def test_face_colour_keeps_the_face_in_colour_and_sketches_the_rest(photo, portrait):
    fx, fy, fw, fh = face_box_of(portrait)
    x, y = 380, H - portrait.shape[0]
    frame = paste(photo("coffee.png"), portrait, x, y)
    out = face_colour(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    sat = saturation(out)
    box = np.s_[y + fy + fh // 4 : y + fy + 3 * fh // 4, x + fx + fw // 4 : x + fx + 3 * fw // 4]
    assert sat[box].mean() > 0.8 * saturation(frame)[box].mean()
    assert sat[box].mean() > 40
    outside = sat[:, :200]  # the coffee cup, far from her
    assert outside.max() == 0  # pure gray pencil


def test_face_colour_without_a_face_is_the_pencil_sketch(photo):
    from sketchd.filters.sketch import pencil

    frame = cv2.resize(photo("coffee.png"), (W, H))
    out = face_colour(frame)
    assert np.array_equal(out[..., 0], pencil(frame)) and saturation(out).max() == 0


def test_face_colour_edge_is_soft(photo, portrait):
    x, y = 380, H - portrait.shape[0]
    frame = paste(photo("coffee.png"), portrait, x, y)
    sat = saturation(face_colour(frame, feather=0.5))
    levels = np.unique((sat[sat > 0] // 16).astype(int))
    assert len(levels) > 5  # a gradient of partly coloured pixels, not a hard cut-out


# -- per-stream state -----------------------------------------------------------------------


def test_compose_gives_every_chain_its_own_state(photo, portrait):
    steps = [Step("autoframe", FILTERS["autoframe"].defaults())]
    a, b = compose(steps), compose(steps)
    assert a is not b
    frame = paste(photo("coffee.png"), portrait, 400, H - portrait.shape[0])
    empty = cv2.resize(photo("coffee.png"), (W, H))
    for _ in range(5):
        a(frame)
    # b has seen nothing: its first frame is framed on its own, unaffected by a
    assert np.array_equal(b(empty), empty)
    assert np.array_equal(compose(steps)(frame), autoframe(frame))  # a fresh chain = one-shot
    assert not np.array_equal(a(frame), frame)  # a kept its zoom all along


def test_each_render_of_a_video_is_one_fresh_stream(photo, portrait, tmp_path):
    from sketchd.render import render

    xs = np.linspace(0, W - portrait.shape[1], 30).astype(int)
    src = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 30, (W, H))
    for x in xs:
        writer.write(paste(photo("coffee.png"), portrait, x, H - portrait.shape[0]))
    writer.release()
    chain = build("pencil_autoframe")
    calls = []
    spy = lambda f: calls.append(1) or chain(f)  # noqa: E731
    result = render(src, tmp_path / "out.avi", spy, progress=False)
    assert result.frames == 30 == len(calls)
    # the live loop and `sketchd render` both build the chain once per stream, and preset
    # switches / reloads call compose again: a new chain starts from the whole frame
    assert build("pencil_autoframe") is not chain


@settings(max_examples=40, deadline=None)
@given(
    frame=st.integers(1, 80).flatmap(
        lambda h: st.integers(1, 80).flatmap(
            lambda w: st.sampled_from([(h, w), (h, w, 1), (h, w, 3), (h, w, 4)]).flatmap(
                lambda shape: arrays(np.uint8, shape)
            )
        )
    ),
    name=st.sampled_from(["autoframe", "face_colour"]),
)
def test_any_frame_any_channels_as_a_stream(frame, name):
    chain = compose([Step(name, FILTERS[name].defaults())])
    for _ in range(3):
        out = chain(frame)
        assert out.dtype == np.uint8 and out.shape[:2] == frame.shape[:2]
    smaller = frame[: max(1, frame.shape[0] // 2)]
    assert chain(smaller).shape[:2] == smaller.shape[:2]  # a new size restarts the stream


def test_face_positions_are_never_logged_above_debug(photo, portrait, caplog):
    frame = paste(photo("coffee.png"), portrait, 400, H - portrait.shape[0])
    with caplog.at_level("DEBUG", logger="sketchd"):
        chain = build("face_colour")
        for _ in range(10):
            chain(frame)
    assert all(r.levelname == "DEBUG" for r in caplog.records)
    assert all("faces: " in r.getMessage() for r in caplog.records)

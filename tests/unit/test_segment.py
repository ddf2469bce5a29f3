"""The portrait presets (filters/segment.py) on real photographs from scikit-image's wheel:
the astronaut is a portrait; the rocket and the motorcycle have nobody in them. The blend (room
as paper, faint, blurred or another style), through the publish loop as the daemon runs it, a
person walking in and out, and per-stream state. The model itself: test_person.py."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sketchd.filters import FILTERS, build
from sketchd.filters import person as model
from sketchd.filters.registry import Step, compose, needs_colour
from sketchd.filters.segment import ROOMS, Segment, segment
from sketchd.filters.sketch import pencil as pencil_sketch
from sketchd.pipeline.engine import Publisher
from sketchd.pipeline.frames import CameraFrame, fit
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from sketchd.presets import settings_for
from sketchd.sinks.memory import RecordingSink
from tests.helpers.clock import Clock
from tests.helpers.people import FACE, ROOM, SUIT, mask_at, noisy
from tests.helpers.pipeline import CONFIG as PIPELINE_CONFIG

W, H = 640, 360


def lines(img: np.ndarray) -> float:
    """The fraction of pixels drawn as pencil strokes (darker than light paper shading)."""
    return float(np.mean(img < 200))


def saturation(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].astype(np.float64)


def whole(preset: str, style: str = "pencil"):
    """A fresh stream of ``preset``'s chain with its segment step replaced by ``style`` (pencil
    or colour_pencil) over the whole frame, with the segment step's blur and darkness: what
    the preset draws of the person, and of a scene with nobody in it."""
    from sketchd.config import loader, schema

    steps = schema.validate(loader.defaults_data())[0].presets[preset].steps
    *before, last = steps
    assert last.name == "segment"
    params = {k: last.params[k] for k in ("blur", "darkness")}
    return compose([*before, Step(style, params)])


@pytest.fixture(scope="module")
def portrait(photo) -> np.ndarray:
    """The astronaut's head and shoulders at 3/4 of a 360-px frame's height."""
    side = int(H * 1.1)
    img = cv2.resize(photo("astronaut.png"), (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[: int(side * 0.75), side // 5 : side * 4 // 5])


def scene(background: np.ndarray, portrait: np.ndarray, x: int) -> np.ndarray:
    """``background`` at W x H with ``portrait`` standing at column ``x`` (partly or wholly
    outside the frame when x < 0 or x > W - its width)."""
    out = cv2.resize(background, (W, H), interpolation=cv2.INTER_AREA)
    ph, pw = portrait.shape[:2]
    x0, x1 = max(0, x), min(W, x + pw)
    if x1 > x0:
        out[H - ph :, x0:x1] = portrait[:, x0 - x : x1 - x]
    return out


# -- the portrait presets -------------------------------------------------------------------


@pytest.mark.parametrize("size", [512, 720])
def test_portrait_is_the_person_in_pencil_on_blank_paper(photo, size):
    img = photo("astronaut.png")
    if size != 512:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
    out = build("portrait")(img)
    pencil = whole("portrait")(img)
    assert out.shape == img.shape[:2] and out.dtype == np.uint8  # gray, like pencil

    def at(region):  # a region of the 512-px photograph at this size
        return tuple(slice(s.start * size // 512, s.stop * size // 512) for s in region)

    for name, region in ROOM.items():
        room, drawn = out[at(region)], pencil[at(region)]
        assert lines(drawn) > 0.05, name  # the pencil preset draws the room...
        assert room.mean() >= 252 and np.mean(room >= 245) > 0.98, name  # ...portrait not
        assert lines(room) < 0.002, name
    for region in (FACE, SUIT):
        person, drawn = out[at(region)], pencil[at(region)]
        assert lines(person) > 0.03
        assert lines(person) >= 0.97 * lines(drawn)  # her strokes are all there
        assert np.abs(person.astype(np.int16) - drawn).mean() < 1.0


def test_the_publish_loop_sends_a_yuyv_webcams_portrait_with_the_room_left_out(photo):
    """The portrait preset as the daemon runs it (this was a device test, 133 s in the slow
    guest; the device path is the same as pencil's): a 640x480 YUYV webcam looping one photo,
    the publish loop letterboxing into 640x360 on its clock, a recording sink as the virtual
    camera. What goes out is the preset's own stream settled on that frame: the astronaut in
    pencil, her room blank paper."""
    clock, sink = Clock(), RecordingSink()
    settings = settings_for(PIPELINE_CONFIG, "portrait")
    pub = Publisher(Mailbox(), [sink], settings, W, H, 30, Stats(started=clock()), clock=clock)
    img = cv2.resize(photo("astronaut.png"), (640, 480), interpolation=cv2.INTER_AREA)
    yuyv = cv2.cvtColor(img, cv2.COLOR_BGR2YUV_YUY2)
    for seq in range(1, 41):  # the model runs on every 4th frame; the mask eases in
        pub.mailbox.put(CameraFrame(yuyv, "YUYV", 640, 480, seq, clock.t))
        pub.tick()
        clock.t += 1 / 30
    got = sink.last()
    assert got is not None and got.shape == (H, W)
    chain, camera = build("portrait"), cv2.cvtColor(yuyv, cv2.COLOR_YUV2BGR_YUYV)
    for _ in range(40):
        settled = chain(camera)
    assert np.abs(got.astype(np.int16) - fit(settled, W, H)).mean() <= 1.0

    def at(region):  # a region of the 512-px photograph, stretched to 480x360 at x = 80
        ys, xs = region
        return (slice(ys.start * H // 512, ys.stop * H // 512),
                slice(80 + xs.start * 480 // 512, 80 + xs.stop * 480 // 512))  # fmt: skip

    pencil = fit(whole("portrait")(camera), W, H)
    for name, region in ROOM.items():
        assert lines(pencil[at(region)]) > 0.03, f"{name}: pencil draws no room here"
        assert np.mean(got[at(region)] >= 245) > 0.97, f"{name}: the room is not blank paper"
    assert lines(got[at(FACE)]) > 0.02, "her face carries no pencil lines"


@pytest.mark.parametrize("name", ["rocket.jpg", "motorcycle_left.png"])
def test_with_nobody_in_view_the_scene_is_sketched_whole(photo, name):
    rng = np.random.default_rng(3)
    img = cv2.resize(photo(name), (W, H), interpolation=cv2.INTER_AREA)
    chain, pencil = build("portrait"), whole("portrait")
    for _ in range(12):  # a stream, the model running on every 4th frame
        frame = noisy(img, rng)
        out = chain(frame)
        assert np.array_equal(out, pencil(frame))
        assert lines(out) > 0.03  # never a blank page


def test_portrait_colour_is_you_in_colour_and_the_room_a_faint_pencil(photo):
    img = photo("astronaut.png")
    out = build("portrait_colour")(img)
    assert out.shape == img.shape
    colour = whole("portrait_colour", "colour_pencil")(img)
    pencil = whole("portrait_colour")(img)
    assert saturation(out[FACE]).mean() > 0.8 * saturation(colour[FACE]).mean() > 30
    for name, region in ROOM.items():
        room = out[region]
        assert saturation(room).max() <= 10, name  # gray pencil, not colour
        # faint: lighter than the pencil preset there, yet its strokes still show
        gray = cv2.cvtColor(room, cv2.COLOR_BGR2GRAY).astype(np.float64)
        assert 255 - gray.mean() < 0.5 * (255 - pencil[region].mean()), name
        assert np.corrcoef(gray.ravel(), pencil[region].ravel())[0, 1] > 0.8, name


def test_portrait_colour_draws_the_person_and_the_room_from_one_dodge(photo, portrait):
    """The same pixels, frame after frame, as drawing the colour pencil person and the pencil
    room each on its own."""
    rng = np.random.default_rng(8)
    steps = PIPELINE_CONFIG.presets["portrait_colour"].steps
    (step,) = [s for s in steps if s.name == "segment"]
    shared, apart = step.bind(), step.bind()
    apart.share_dodge = False
    for x in (40, 40, 44, 52, 60):
        frame = noisy(scene(photo("coffee.png"), portrait, x), rng)
        assert np.array_equal(shared(frame), apart(frame))


def test_the_room_styles(photo):
    img = photo("astronaut.png")
    base = FILTERS["segment"].defaults()
    paper = segment(img, **base | {"room": "paper"})
    pencil = build({"chain": ["pencil"]})(img)
    region = ROOM["flag and wall"]
    # "same" at strength 0 is blank paper, at 1 the person's style everywhere
    assert np.array_equal(segment(img, **base | {"room": "same", "room_strength": 0.0}), paper)
    same = segment(img, **base | {"room": "same", "room_strength": 1.0})
    assert np.abs(same.astype(np.int16) - pencil).max() <= 1
    # "blur": the room's drawing out of focus: lighter lines, far less fine detail
    blurred = segment(img, **base | {"room": "blur", "room_strength": 1.0})
    detail = [cv2.Laplacian(x[region], cv2.CV_64F).var() for x in (pencil, blurred)]
    assert detail[1] < 0.2 * detail[0]
    assert np.abs(blurred[FACE].astype(np.int16) - pencil[FACE]).mean() < 1.0
    # another style for the room: colour behind a pencil person, the person still gray
    room = segment(img, **base | {"room": "original", "room_strength": 1.0})
    assert room.ndim == 3 and saturation(room[region]).mean() > 40
    assert saturation(room[FACE]).mean() < 10
    for name in ROOMS:
        out = segment(img, **base | {"room": name})
        assert out.shape[:2] == img.shape[:2] and out.dtype == np.uint8, name


def test_presets_read_colour_and_list_their_description():
    from sketchd.config import loader, schema

    config, _ = schema.validate(loader.defaults_data())
    for name in ("portrait", "portrait_colour"):
        preset = config.presets[name]
        assert preset.description and needs_colour(preset.steps), name
        names = [s.name for s in preset.steps]
        assert names[-1] == "segment" and "auto_contrast" in names, names


# -- over time ------------------------------------------------------------------------------


def test_a_person_walking_in_and_out_fades_without_popping(photo, portrait):
    """The astronaut walks in from the left, stands, and walks out at the right, 12 px a
    frame, in front of the rocket. The room (the sky above her) goes from the pencil sketch
    to paper over several frames and back; no frame is a blank page; once she has gone the
    frames are the pencil sketch again."""
    pw = portrait.shape[1]
    xs = [*range(-pw, 180, 12), *[180] * 20, *range(180, W + 12, 12), *[W + 10] * 20]
    back = photo("rocket.jpg")
    chain, pencil = build("portrait"), whole("portrait")
    sky = np.s_[0:60, :]
    shown, drawn = [], []
    for x in xs:
        frame = scene(back, portrait, x)
        out, ref = chain(frame), pencil(frame)
        shown.append((255.0 - out[sky].mean()) / max(1e-6, 255.0 - ref[sky].mean()))
        drawn.append(lines(out) / lines(ref))
    room = np.array(shown)  # 1 = the room fully drawn, 0 = blank paper
    assert room[0] == pytest.approx(1.0) and room[-1] == pytest.approx(1.0)
    standing = xs.index(180) + 10
    assert room[standing] < 0.02
    steps = np.abs(np.diff(room))
    assert steps.max() < 0.6  # never from drawn to paper (or back) at once
    going, coming = room[:standing], room[standing:]
    assert np.count_nonzero((going > 0.05) & (going < 0.95)) >= 2  # fades out...
    assert np.count_nonzero((coming > 0.05) & (coming < 0.95)) >= 2  # ...and in
    assert min(drawn) > 0.15  # some of the sketch on every frame: never a blank page
    assert drawn[-1] == pytest.approx(1.0)


def test_a_missed_detection_keeps_the_mask_for_hold_frames(photo, monkeypatch):
    img = cv2.resize(photo("astronaut.png"), (W, H), interpolation=cv2.INTER_AREA)
    real = model.probability
    misses = iter([False, True, False, False] + [True] * 10)  # the model's 2nd and 5th+ calls
    monkeypatch.setattr(
        model, "probability", lambda f: np.zeros_like(real(f)) if next(misses) else real(f)
    )
    chain = Segment(**FILTERS["segment"].defaults() | {"every": 4, "hold": 4})
    covered = []
    for _ in range(40):
        chain(img)
        covered.append(float(mask_at(chain, H, W).mean()))
    assert min(covered[:16]) > 0.3  # one miss (frame 4): nothing changes
    assert covered[-1] == 0.0  # misses from frame 16 on: let go after hold


def test_autoframe_then_segment(photo, portrait):
    """Works with autoframe: the picture zoomed on her face, her room still left out."""
    from sketchd.filters.face import Autoframe, FaceDetector

    x = W - portrait.shape[1] - 20
    frame = scene(photo("coffee.png"), portrait, x)
    framing = Autoframe(**FILTERS["autoframe"].defaults())
    cutout = Segment(**FILTERS["segment"].defaults())
    for _ in range(60):
        zoomed = framing(frame)
        out = cutout(zoomed)
    assert framing.crop is not None and framing.crop.x[2] < 0.8 * H  # zoomed in
    assert out.shape == frame.shape[:2]
    pencil = pencil_sketch(zoomed)
    assert lines(pencil[:, : W // 8]) > 0.02 and out[:, : W // 8].min() >= 250  # room: paper
    (fx, fy, fw, fh), *_ = FaceDetector().detect(zoomed)
    assert fh > 95  # larger than in the camera frame (82 px)
    face = np.s_[round(fy) : round(fy + fh), round(fx) : round(fx + fw)]
    assert lines(out[face]) > 0.02
    assert np.abs(out[face].astype(np.int16) - pencil[face]).mean() < 1.0


def test_compose_gives_every_chain_its_own_mask(photo, portrait):
    steps = [Step("segment", FILTERS["segment"].defaults())]
    a, b = compose(steps), compose(steps)
    person = scene(photo("rocket.jpg"), portrait, 200)
    empty = cv2.resize(photo("rocket.jpg"), (W, H), interpolation=cv2.INTER_AREA)
    for _ in range(5):
        a(person)
    assert np.array_equal(b(empty), pencil_sketch(empty))  # b never saw her
    assert np.array_equal(compose(steps)(person), segment(person))  # fresh = one-shot


def test_a_new_frame_size_restarts_the_stream(photo):
    img = photo("astronaut.png")
    chain = Segment(**FILTERS["segment"].defaults())
    for _ in range(3):
        chain(img)
    small = cv2.resize(img, (200, 120), interpolation=cv2.INTER_AREA)
    assert np.array_equal(chain(small), segment(small))
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    assert chain(gray).shape == gray.shape


@settings(max_examples=30, deadline=None)
@given(
    frame=st.integers(1, 80).flatmap(
        lambda h: st.integers(1, 80).flatmap(
            lambda w: st.sampled_from([(h, w), (h, w, 1), (h, w, 3), (h, w, 4)]).flatmap(
                lambda shape: arrays(np.uint8, shape)
            )
        )
    ),
    room=st.sampled_from(ROOMS),
)
def test_any_frame_any_channels_as_a_stream(frame, room):
    chain = compose([Step("segment", FILTERS["segment"].defaults() | {"every": 2, "room": room})])
    for _ in range(3):
        out = chain(frame)
        assert out.dtype == np.uint8 and out.shape[:2] == frame.shape[:2]
    smaller = frame[: max(1, frame.shape[0] // 2)]
    assert chain(smaller).shape[:2] == smaller.shape[:2]  # a new size restarts the stream


def test_masks_are_never_logged_above_debug(photo, caplog):
    img = cv2.resize(photo("astronaut.png"), (W, H), interpolation=cv2.INTER_AREA)
    with caplog.at_level("DEBUG", logger="sketchd"):
        chain = build("portrait")
        for _ in range(8):
            chain(img)
    assert all(r.levelname == "DEBUG" for r in caplog.records)

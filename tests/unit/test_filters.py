"""The filter library: properties over every filter, every preset and random chains (any size,
1/3/4 channels, any parameter within its limits), and each parameter moving the picture the
way its help says."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sketchd.config import loader, schema
from sketchd.errors import ConfigError, UsageError
from sketchd.filters import FILTERS, build
from sketchd.filters.adjust import auto_contrast, mirror, original, paper_tint
from sketchd.filters.registry import Param
from sketchd.filters.sketch import adaptive_lines, colour_pencil, ink, pencil
from sketchd.filters.toon import cartoon

DEFAULTS, _ = schema.validate(loader.defaults_data())
PRESETS = sorted(DEFAULTS.presets)


def gray(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def saturation(img: np.ndarray) -> float:
    return float(cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].mean())


def distinct_colours(img: np.ndarray) -> int:
    return len(np.unique(img.reshape(-1, img.shape[-1]), axis=0))


# -- strategies ----------------------------------------------------------------------------


def param_values(p: Param) -> st.SearchStrategy:
    """Every value ``p`` accepts, its limits drawn often."""
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "colour":
        hex_colour = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")
        return st.one_of(hex_colour, st.lists(st.integers(0, 255), min_size=3, max_size=3))
    lo, hi = p.min, p.max
    if p.kind == "int":
        lo, hi = int(lo), int(hi)
        if p.odd:  # the odd integers lo..hi (limits of odd params are odd themselves)
            return st.one_of(
                st.sampled_from([lo, hi]),
                st.integers(lo // 2, hi // 2)
                .map(lambda v: 2 * v + 1)
                .filter(lambda v: lo <= v <= hi),
            )
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi))


def params_for(name: str) -> st.SearchStrategy[dict]:
    spec = FILTERS[name]
    return st.fixed_dictionaries({}, optional={k: param_values(p) for k, p in spec.params.items()})


steps = st.sampled_from(sorted(FILTERS)).flatmap(
    lambda name: params_for(name).map(lambda params: (name, params))
)


@st.composite
def frames(draw, max_side: int = 64) -> np.ndarray:
    """uint8 frames from 1x1 up: HxW, HxWx1, HxWx3 or HxWx4, thin strips included."""
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    shape = draw(st.sampled_from([(h, w), (h, w, 1), (h, w, 3), (h, w, 4)]))
    kind = draw(st.sampled_from(["random", "flat", "gradient"]))
    if kind == "random":
        return draw(arrays(np.uint8, shape))
    if kind == "flat":  # black, white and every level between: the divisions' edge cases
        return np.full(shape, draw(st.integers(0, 255)), np.uint8)
    ramp = np.linspace(0, 255, w, dtype=np.float64).astype(np.uint8)
    return np.ascontiguousarray(
        np.broadcast_to(ramp.reshape(1, w, *([1] * (len(shape) - 2))), shape)
    )


def assert_frame_out(out: np.ndarray, frame: np.ndarray, what) -> None:
    assert isinstance(out, np.ndarray), what
    assert out.dtype == np.uint8, (what, out.dtype)
    assert out.shape[:2] == frame.shape[:2], (what, out.shape, frame.shape)
    assert out.ndim == 2 or (out.ndim == 3 and out.shape[2] in (3, 4)), (what, out.shape)


# -- properties ----------------------------------------------------------------------------


def test_every_parameter_strategy_yields_only_values_the_schema_accepts():
    # the strategies below are only as good as their agreement with the registry's limits
    for name, spec in FILTERS.items():
        for key, p in spec.params.items():
            for value in (p.min, p.max):
                if value is not None and p.kind in ("int", "float"):
                    assert p.check(value)[1] is None, (name, key, value)


@pytest.mark.parametrize("name", sorted(FILTERS))
@settings(max_examples=60, deadline=None)
@given(frame=frames(), data=st.data())
def test_every_filter_any_frame_any_parameters(name, frame, data):
    """uint8 in → uint8 out, same height and width, input untouched, same result twice."""
    params = data.draw(params_for(name), label="params")
    for key, value in params.items():
        assert FILTERS[name].params[key].check(value)[1] is None, (name, key, value)
    before = frame.copy()
    out = FILTERS[name].func(frame, **params)
    assert_frame_out(out, frame, (name, params))
    assert np.array_equal(frame, before), f"{name} modified its input"
    again = FILTERS[name].func(frame.copy(), **params)
    assert np.array_equal(out, again), f"{name} is not deterministic"


@settings(max_examples=100, deadline=None)
@given(frame=frames(), preset=st.sampled_from(PRESETS))
def test_every_default_preset_any_frame(frame, preset):
    before = frame.copy()
    out = build(preset)(frame)
    assert_frame_out(out, frame, preset)
    assert np.array_equal(frame, before)
    assert np.array_equal(out, build(preset)(frame))


@settings(max_examples=100, deadline=None)
@given(frame=frames(max_side=40), chain=st.lists(steps, min_size=1, max_size=4))
def test_any_chain_built_from_a_mapping(frame, chain):
    """A validated chain runs, and equals calling its filters one after another."""
    fn = build({"chain": [{name: params} for name, params in chain]})
    out = fn(frame)
    assert_frame_out(out, frame, chain)
    by_hand = frame
    for name, params in chain:
        by_hand = FILTERS[name].func(by_hand, **params)
    assert np.array_equal(out, by_hand)


def limit_values(name: str) -> list[dict]:
    """The defaults, then each parameter alone at its minimum and maximum (or each choice)."""
    out: list[dict] = [{}]
    for key, p in FILTERS[name].params.items():
        if p.kind == "choice":
            out += [{key: c} for c in p.choices]
        elif p.kind == "colour":
            out += [{key: "#000000"}, {key: [255, 255, 255]}]
        else:
            out += [{key: p.min}, {key: p.max}]
    return out


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize("shape", [(90, 120, 3), (90, 120, 4), (90, 120), (1, 1, 3), (1, 300)])
def test_every_filter_at_its_parameter_limits(name, shape, photo):
    img = photo("astronaut.png")
    if shape[:2] != (1, 1):
        img = cv2.resize(img, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    else:
        img = img[:1, :1]
    if len(shape) == 2:
        img = gray(img)
    elif shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    for params in limit_values(name):
        assert_frame_out(FILTERS[name].func(img, **params), img, (name, params))


def test_every_preset_on_a_4k_frame(photo):
    img = cv2.resize(photo("coffee.png"), (3840, 2160), interpolation=cv2.INTER_LINEAR)
    for preset in PRESETS:
        assert_frame_out(build(preset)(img), img, preset)


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4), np.float32),
        np.zeros((4, 4, 3), np.uint16),
        np.zeros((0, 5), np.uint8),
        np.zeros((0, 5, 1), np.uint8),
        np.zeros((5, 0, 3), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((4, 4, 5), np.uint8),
        np.zeros((4,), np.uint8),
        [[0, 1], [2, 3]],
    ],
    ids=["float32", "uint16", "empty", "empty-1ch", "empty-w", "2ch", "5ch", "1d", "list"],
)
def test_what_no_filter_can_use_is_refused_with_a_message(name, bad):
    with pytest.raises((ValueError, TypeError), match=r"frame (must|is)"):
        FILTERS[name].func(bad)


# -- each parameter does what it says ------------------------------------------------------


@pytest.fixture(scope="module")
def face(photo) -> np.ndarray:
    return cv2.resize(photo("astronaut.png"), (256, 256), interpolation=cv2.INTER_AREA)


def test_pencil_is_one_channel_of_light_paper_with_dark_lines(face):
    out = pencil(face)
    assert out.ndim == 2
    assert np.median(out) > 230  # mostly paper
    assert (out < 128).mean() > 0.01  # with lines
    assert np.array_equal(pencil(gray(face)), out)  # reads luma only


def test_pencil_darkness_darkens_lines_and_shading(face):
    light, normal, dark = (pencil(face, darkness=d) for d in (0.5, 1.0, 3.0))
    assert light.mean() > normal.mean() > dark.mean()
    # pixel by pixel, never lighter (a gamma curve); paper stays paper
    assert (dark <= normal).all() and (normal <= light).all()
    assert (normal == 255).sum() == (dark == 255).sum()


def test_pencil_blur_widens_strokes(face):
    thin, normal, wide = (pencil(face, blur=b) for b in (5, 21, 61))
    assert (thin < 200).mean() < (normal < 200).mean() < (wide < 200).mean()


def test_colour_pencil_keeps_the_frames_colours(face):
    out = colour_pencil(face)
    assert out.ndim == 3 and out.shape == face.shape
    assert saturation(out) > 20
    # hue follows the input: the blue sky-like background and the skin tones stay apart
    hue_in = cv2.cvtColor(face, cv2.COLOR_BGR2HSV)[..., 0].astype(float)
    hue_out = cv2.cvtColor(out, cv2.COLOR_BGR2HSV)[..., 0].astype(float)
    coloured = cv2.cvtColor(out, cv2.COLOR_BGR2HSV)[..., 1] > 40
    diff = np.abs(hue_in - hue_out)[coloured]
    assert np.median(np.minimum(diff, 180 - diff)) < 10
    gray_in = cv2.cvtColor(gray(face), cv2.COLOR_GRAY2BGR)
    assert saturation(colour_pencil(gray_in)) < 5  # no colour invented


def test_colour_pencil_parameters(face):
    sats = [saturation(colour_pencil(face, saturation=s)) for s in (0.0, 1.0, 2.0, 4.0)]
    assert sats[0] < 1 and sats == sorted(sats) and sats[-1] > sats[1] + 10
    washed = [colour_pencil(face, wash=w) for w in (0.0, 0.5, 1.0)]
    assert washed[0].mean() < washed[1].mean() < washed[2].mean()
    assert saturation(washed[0]) > saturation(washed[1]) > saturation(washed[2])
    assert saturation(washed[2]) < 1  # wash 1: pencil on white paper
    dark = [colour_pencil(face, darkness=d).mean() for d in (0.5, 1.5, 5.0)]
    assert dark[0] > dark[1] > dark[2]
    strokes = [(gray(colour_pencil(face, blur=b)) < 150).mean() for b in (3, 21, 61)]
    assert strokes == sorted(strokes) and strokes[0] < strokes[2]


def test_cartoon_flattens_colours_and_draws_bold_edges(face):
    out = cartoon(face)
    assert out.shape == face.shape
    assert distinct_colours(out) < distinct_colours(face) / 20
    black = lambda im: (im.max(axis=2) == 0).mean()  # noqa: E731
    assert black(out) > black(face) + 0.1  # outlines added on top of what was black


def test_cartoon_parameters(face):
    black = lambda im: (im.max(axis=2) == 0).mean()  # noqa: E731
    no_edges = {"edge_c": 50.0}
    levels = [distinct_colours(cartoon(face, levels=n, **no_edges)) for n in (2, 4, 8, 16)]
    assert levels == sorted(levels) and levels[0] <= 8
    smooth = [distinct_colours(cartoon(face, smoothing=n, **no_edges)) for n in (0, 2, 10)]
    assert smooth[0] > smooth[1] > smooth[2]
    scale = [distinct_colours(cartoon(face, scale=s, **no_edges)) for s in (0.1, 0.5, 1.0)]
    assert scale[0] < scale[1] < scale[2]
    thick = [black(cartoon(face, edge_block_size=b)) for b in (3, 9, 21)]
    assert thick[0] < thick[1] < thick[2]  # thicker outlines
    fewer = [black(cartoon(face, edge_c=c)) for c in (0.0, 4.0, 20.0)]
    assert fewer[0] > fewer[1] > fewer[2]
    calm = [black(cartoon(face, edge_smooth=k)) for k in (1, 7, 31)]
    assert calm[0] > calm[1] > calm[2]  # median smoothing removes speckle outlines


def test_ink_is_pure_black_on_white(face):
    out = ink(face)
    assert out.ndim == 2
    assert np.isin(out, (0, 255)).all()
    assert 0.02 < (out == 0).mean() < 0.5
    assert np.array_equal(ink(gray(face)), out)


def test_ink_parameters(face):
    ink_share = lambda **kw: (ink(face, **kw) == 0).mean()  # noqa: E731
    assert ink_share(block_size=3) < ink_share(block_size=9) < ink_share(block_size=21)
    assert ink_share(c=0.0) > ink_share(c=7.0) > ink_share(c=20.0)
    assert ink_share(smooth=1) > ink_share(smooth=5) > ink_share(smooth=31)
    charcoal, plain = ink(face, style="charcoal"), ink(face)
    assert charcoal.mean() < plain.mean() - 20  # heavy shading
    assert len(np.unique(charcoal)) > 50  # shaded, not two-tone
    assert (charcoal[plain == 0] < 100).mean() > 0.9  # the ink lines are still there


def test_ink_preset_lays_ink_on_warm_paper(face):
    out = build("ink")(face)
    b, g, r = out[gray(out) > 150].mean(axis=0)
    assert r > g > b  # paper_tint '#f3ead8'
    assert (out.max(axis=2) == 0).mean() > 0.02  # ink stays black


def test_auto_contrast_lifts_a_dim_frame(face):
    dim = (face.astype(np.float32) * 0.25 + 10).astype(np.uint8)

    def spread(img):
        return float(np.percentile(gray(img), 99) - np.percentile(gray(img), 1))

    lifted = auto_contrast(dim)
    assert spread(lifted) > 3 * spread(dim)
    assert gray(lifted).std() > 3 * gray(dim).std()
    # ... so the sketch of a dim room is not grey on grey
    assert (pencil(lifted) < 128).mean() > 2 * (pencil(dim) < 128).mean()
    # the same curve on every channel: hue survives
    hue = lambda im: cv2.cvtColor(im, cv2.COLOR_BGR2HSV)[..., 0].astype(int)  # noqa: E731
    vivid = cv2.cvtColor(lifted, cv2.COLOR_BGR2HSV)[..., 1] > 60
    d = np.abs(hue(lifted) - hue(dim))[vivid]
    assert np.median(np.minimum(d, 180 - d)) <= 3


def test_auto_contrast_parameters(face):
    dim = (face.astype(np.float32) * 0.25 + 10).astype(np.uint8)

    def spread(img):
        return float(np.percentile(gray(img), 99) - np.percentile(gray(img), 1))

    by_strength = [spread(auto_contrast(dim, strength=s)) for s in (0.0, 0.5, 1.0)]
    assert by_strength[0] == spread(dim) and by_strength[0] < by_strength[1] < by_strength[2]
    assert np.array_equal(auto_contrast(dim, strength=0.0), dim)
    by_gain = [spread(auto_contrast(dim, max_gain=g)) for g in (1.0, 2.0, 4.0)]
    assert by_gain[0] == spread(dim) and by_gain[0] < by_gain[1] < by_gain[2]
    clipped = [np.isin(gray(auto_contrast(dim, clip=c)), (0, 255)).mean() for c in (0.0, 5.0)]
    assert clipped[0] < clipped[1]  # a larger clip gives up more pixels at each end
    # a frame already spanning min_range levels is left as it is
    assert np.array_equal(auto_contrast(face), face)
    assert not np.array_equal(auto_contrast(face, min_range=255), face)
    assert np.array_equal(auto_contrast(dim, min_range=2), dim)


def test_mirror_flips_left_right(face):
    assert np.array_equal(mirror(face), face[:, ::-1])
    assert np.array_equal(mirror(gray(face)), gray(face)[:, ::-1])
    bgra = cv2.cvtColor(face, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(mirror(bgra), bgra[:, ::-1])
    assert np.array_equal(mirror(mirror(face)), face)


def test_original_is_the_identity(face):
    assert np.array_equal(original(face), face)
    assert np.array_equal(original(gray(face)), gray(face))
    assert np.array_equal(original(gray(face)[..., None]), gray(face))
    bgra = cv2.cvtColor(face, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(original(bgra), face)  # alpha dropped, colours kept
    assert np.array_equal(build("original")(face), face)


def test_paper_tint(face):
    white = np.full((8, 8), 255, np.uint8)
    tinted = paper_tint(white, colour="#f3ead8")
    assert tinted.shape == (8, 8, 3) and tuple(tinted[0, 0]) == (0xD8, 0xEA, 0xF3)  # BGR
    assert tuple(paper_tint(white, colour=[10, 20, 30])[0, 0]) == (30, 20, 10)
    assert tuple(paper_tint(np.zeros((2, 2), np.uint8))[0, 0]) == (0, 0, 0)  # ink stays ink
    half = paper_tint(white, colour="#000000", strength=0.5)
    assert abs(int(half[0, 0, 0]) - 128) <= 1
    assert np.array_equal(paper_tint(face, strength=0.0), face)
    with pytest.raises(ValueError, match="colour"):
        paper_tint(white, colour="#12345")


@pytest.mark.parametrize("c", [7, 4.5, 0, -2.5])
@pytest.mark.parametrize("block", [3, 9, 15])
def test_ink_lines_are_opencvs_adaptive_threshold_pixel_for_pixel(photo, block, c):
    img = cv2.medianBlur(gray(photo("coffee.png")), 5)
    want = cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, c)
    assert np.array_equal(adaptive_lines(img, block, c), want)


@pytest.mark.parametrize("strength", [1.0, 0.6])
def test_paper_tint_is_the_multiply_by_the_paper_colour_on_every_frame(face, strength):
    """Gray and BGR, frames of two sizes one after the other (the tint image each thread keeps
    is its size's): within one level of ``frame * tint / 255`` in floats."""
    tint = np.array([0xD8, 0xEA, 0xF3], np.float64)
    tint = 255 + strength * (tint - 255)
    for frame in (face, gray(face), face[:50, :70], gray(face)[:50, :70], face):
        got = paper_tint(frame, colour="#f3ead8", strength=strength)
        bgr = frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        want = bgr.astype(np.float64) * tint / 255.0
        assert got.shape == bgr.shape and got.flags.writeable
        assert np.abs(got - want).max() <= 1.0


# -- the library entry point ---------------------------------------------------------------


def test_build_by_name_mapping_or_list(photo):
    img = photo("rocket.jpg")
    mapping = {"chain": [{s.name: s.params} for s in DEFAULTS.presets["pencil"].steps]}
    assert np.array_equal(build("pencil")(img), build(mapping)(img))
    assert np.array_equal(build(["mirror"])(img), img[:, ::-1])
    ink_chain = build({"chain": ["auto_contrast", {"ink": {"block_size": 9}}]})
    assert ink_chain(img).shape == img.shape[:2]


def test_build_explains_bad_presets():
    with pytest.raises(UsageError, match=r"no preset named 'nope'; known presets: .*pencil"):
        build("nope")
    with pytest.raises(ConfigError) as e:
        build({"chain": [{"pencil": {"blur": 4, "darknes": 2}}, "sparkles"]})
    found = e.value.problems
    assert len(found) == 3, found
    assert found[0].endswith("chain[0].pencil.blur: must be an odd integer from 3 to 255, not 4")
    assert found[1].endswith("chain[0].pencil.darknes: unknown key; did you mean 'darkness'?")
    assert found[2].endswith("chain[1]: unknown filter 'sparkles'; known: " + ", ".join(FILTERS))
    with pytest.raises(ConfigError, match="non-empty list"):
        build([])

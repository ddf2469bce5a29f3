"""The drawing presets (issue 25): tone becomes hatching that darkens as the picture does, a
flat grey is strokes rather than grey, the same input gives the same drawing, a still noisy
scene is a still drawing, every parameter is typed, and the presets render from the CLI.

Measured figures (scikit-image's photographs, 32x32 blocks: a patch of hatching, the scale a
tone is seen at; output darkness against the paper's): Spearman ρ between the input's block
darkness and the output's 0.89 (rocket, a night scene) to 0.97, and the mean output darkness
of each eighth of the blocks (darkest last) rises strictly on every photo, e.g. astronaut
24, 32, 53, 61, 80, 100, 134, 172; on a white-to-black ramp, 32-px bands from 18 (paper) to
171; sparkle of a settled still scene 0.00 % in good light and in a dim room."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from sketchd import cli
from sketchd.bench import stillness as sb
from sketchd.filters import FILTERS, build
from sketchd.filters.drawing import Drawing, drawing, drawing_colour, tone_lut
from sketchd.filters.registry import Param
from tests.helpers.photos import PHOTOS

PRESETS = ("drawing", "drawing_colour", "portrait_drawing")
PAPER_LUMA = float(cv2.cvtColor(drawing(np.full((8, 8), 255, np.uint8)), cv2.COLOR_BGR2GRAY).max())


def darkness(out: np.ndarray) -> np.ndarray:
    """How much darker than blank paper each pixel of a drawing is (float32)."""
    return PAPER_LUMA - cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)


def blocks(img: np.ndarray, size: int = 32) -> np.ndarray:
    h, w = (img.shape[0] // size) * size, (img.shape[1] // size) * size
    return img[:h, :w].reshape(h // size, size, w // size, size).mean(axis=(1, 3)).ravel()


def ranks(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


# -- tone ----------------------------------------------------------------------------------


def test_the_tone_table_is_monotonic():
    for shading in (0.2, 0.7, 1.0):
        drive, fill = (t.astype(np.int16) for t in tone_lut(shading, 225.0))
        assert (np.diff(drive) <= 0).all() and (np.diff(fill) <= 0).all(), shading
        assert drive[230:].max() == 0 and fill[230:].max() == 0  # white is paper
        assert drive[0] > 150  # black is drawn
    assert tone_lut(1.0, 225.0)[1][0] > 0 == tone_lut(0.2, 225.0)[1].max()  # fill: darkest only


@pytest.mark.parametrize("fn", [drawing, drawing_colour])
def test_darker_flat_tones_give_darker_drawings(fn):
    """Over a whole texture tile, each flat level's drawing is at least as dark as the next
    brighter level's, and the scale from white to black spans most of the range."""
    levels = list(range(0, 256, 8))
    dark = [float(darkness(fn(np.full((256, 256), v, np.uint8))).mean()) for v in levels]
    steps = np.diff(dark)
    assert (steps <= 0.05).all(), dict(zip(levels, np.round(dark, 1), strict=False))
    assert dark[0] - dark[-1] > 100, dark


@pytest.mark.parametrize("fn", [drawing, drawing_colour])
def test_local_darkness_rises_along_a_gradient(fn):
    """A ramp from white (left) to black: the drawing's darkness in 32-px bands rises with the
    input's (the texture's own unevenness allows 2 levels back between neighbours) and rises
    clearly over every 4 bands in the shaded part."""
    ramp = np.tile(np.linspace(255, 0, 1024).astype(np.uint8), (256, 1))
    bands = darkness(fn(ramp)).reshape(256, 32, 32).mean(axis=(0, 2))
    assert (np.diff(bands) >= -2.0).all(), np.round(bands, 1)
    shaded = bands[8:28]  # from just below white to just before the darkest saturates
    assert (shaded[4:] - shaded[:-4] > 3.0).all(), np.round(bands, 1)


@pytest.mark.parametrize("name", (*PHOTOS, "camera.png"))
@pytest.mark.parametrize("preset", ["drawing", "drawing_colour"])
def test_local_darkness_follows_the_photograph(photo, name, preset):
    img = photo(name)
    ind = blocks(255.0 - cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32))
    out = blocks(darkness(build(preset)(img)))
    rho = spearman(ind, out)
    edges = np.quantile(ind, np.linspace(0, 1, 9))
    eighth = np.clip(np.searchsorted(edges, ind, side="right") - 1, 0, 7)
    means = [float(out[eighth == k].mean()) for k in range(8)]
    assert rho >= 0.85, (name, preset, rho)
    assert all(a < b for a, b in itertools.pairwise(means)), (name, np.round(means, 1))


@pytest.mark.parametrize("fn", [drawing, drawing_colour])
def test_flat_mid_grey_is_hatched_not_grey(fn):
    """A flat grey wall becomes strokes: a wide spread of values, most of the paper still
    showing between them, and the gradient energy in one dominant direction (coherence of
    the structure tensor over the picture), where a flat grey fill has none."""
    g = cv2.cvtColor(fn(np.full((256, 256), 128, np.uint8)), cv2.COLOR_BGR2GRAY)
    f = g.astype(np.float32)
    gx, gy = cv2.Sobel(f, cv2.CV_32F, 1, 0), cv2.Sobel(f, cv2.CV_32F, 0, 1)
    jxx, jyy, jxy = float((gx * gx).mean()), float((gy * gy).mean()), float((gx * gy).mean())
    coherence = np.hypot(jxx - jyy, 2 * jxy) / (jxx + jyy)
    assert g.std() > 25, g.std()
    assert 0.3 < np.mean(g > PAPER_LUMA - 20) < 0.9
    assert coherence > 0.5, coherence


def test_shading_zero_leaves_lines_only(photo):
    img = photo("astronaut.png")
    flat = drawing(np.full((64, 64), 60, np.uint8), shading=0.0)
    assert darkness(flat).max() <= 12  # paper grain only
    assert darkness(drawing(img, shading=0.0)).mean() < darkness(drawing(img)).mean() / 2
    assert darkness(drawing(img, line_weight=0.0)).mean() < darkness(drawing(img)).mean()


# -- the same input, the same drawing --------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
def test_same_input_same_output(photo, preset):
    img = photo("coffee.png")
    a, b = build(preset), build(preset)
    first = a(img)
    assert np.array_equal(first, b(img))  # two streams
    for _ in range(3):  # one stream, the same frame again and again
        assert np.array_equal(a(img), first)


def test_a_stream_settles_to_exactly_one_drawing():
    """After a change of light the tone eases over a few frames, then stops changing at all:
    consecutive identical frames give identical drawings."""
    stream = Drawing(
        shading=0.7, white=225.0, softness=1.0, line_weight=1.0, detail=0.5, steady=0.6,
        paper="#f6efe2",
    )  # fmt: skip
    rng = np.random.default_rng(4)
    img = cv2.GaussianBlur(rng.integers(60, 200, (96, 128), dtype=np.uint8), (0, 0), 6)
    stream(img)
    lighter = cv2.add(img, np.full_like(img, 12))
    outs = [stream(lighter) for _ in range(30)]
    assert not np.array_equal(outs[0], outs[1])  # easing, not jumping
    assert np.array_equal(outs[-1], outs[-2])


def test_reset_starts_the_stream_again():
    chain = build("drawing")
    dark, light = np.full((64, 64), 80, np.uint8), np.full((64, 64), 160, np.uint8)
    first = chain(light)
    chain(dark)
    chain.reset()
    assert np.array_equal(chain(light), first)


# -- a still scene is a still drawing ------------------------------------------------------------


@pytest.fixture(scope="module")
def still() -> dict[str, dict[str, sb.Still]]:
    presets = sb.default_presets()
    cands = sb.candidates({n: presets[n] for n in PRESETS}, before=True)
    return {light: sb.still(cands, value) for light, value in sb.LIGHTS.items()}


@pytest.mark.parametrize("light", list(sb.LIGHTS))
@pytest.mark.parametrize("preset", PRESETS)
def test_strokes_do_not_boil(still, preset, light):
    """The issue's limits are 1 % (good light) and 3 % (dim) of pixels changing by more than
    24 levels between settled frames; the drawing holds far below them (measured 0.00 %),
    and even without stabilize stays under them (the tone is drawn from a blurred quarter-size
    picture and the strokes are fixed on the paper)."""
    limit = {"good": 0.01, "dim": 0.03}[light]
    assert still[light][preset].sparkle <= limit / 10, still[light][preset]
    assert still[light][f"{preset}/before"].sparkle <= limit, still[light][f"{preset}/before"]


# -- registry and presets ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["drawing", "drawing_colour"])
def test_every_parameter_is_typed_and_its_default_valid(name):
    spec = FILTERS[name]
    defaults = spec.defaults()
    assert set(defaults) == set(spec.params) and spec.stream is not None
    for key, param in spec.params.items():
        assert isinstance(param, Param) and param.kind in ("int", "float", "choice", "colour")
        if param.kind in ("int", "float"):
            assert param.min is not None and param.max is not None, key
        _value, problem = param.check(defaults[key])
        assert problem is None, (name, key, problem)
    assert spec.reads == ("gray" if name == "drawing" else "colour")


@pytest.mark.parametrize("preset", PRESETS)
def test_the_presets_render_from_the_command_line(photo, preset, tmp_path, capsys):
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    cv2.imwrite(str(src), photo("astronaut.png"))
    assert cli.main(["render", str(src), str(dst), "--preset", preset]) == 0
    out = cv2.imread(str(dst), cv2.IMREAD_UNCHANGED)
    assert out.shape == (512, 512, 3)
    assert np.array_equal(out, build(preset)(photo("astronaut.png")))
    assert preset in capsys.readouterr().out

"""The person-segmentation model that ships in sketchd (filters/person.py) on real photographs
from scikit-image's wheel: its bytes and licence, how it loads (lazily, once per thread), and
the mask: where it is, that it holds still under sensor noise, that nobody gives none."""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from sketchd.filters import FILTERS, build
from sketchd.filters import person as model
from sketchd.filters import segment as segmod
from sketchd.filters.segment import Segment, segment
from tests.helpers.people import FACE, ROOM, SUIT, mask_at, noisy

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "sketchd" / "data" / "models"
W, H = 640, 360


# -- the shipped model ----------------------------------------------------------------------


def test_the_shipped_model_is_the_documented_file():
    data = model.MODEL_FILE.read_bytes()
    assert len(data) == 250_145
    digest = hashlib.sha256(data).hexdigest()
    assert digest == model.MODEL_SHA256
    assert digest == "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd"
    readme = (MODELS / "README.md").read_text()
    assert digest in readme and "mediapipe==0.10.21" in readme and "250,145 bytes" in readme


def test_the_licence_is_the_full_apache_2_text():
    text = (MODELS / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    for section in range(1, 10):
        assert re.search(rf"^\s+{section}\. \w", text, re.M), f"section {section} missing"
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text


def test_the_model_and_its_papers_are_package_data():
    """pyproject puts data/models/* into the wheel (tests/install checks the built wheel)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = conf["tool"]["setuptools"]["package-data"]["sketchd"]
    shipped = {p.name for p in MODELS.iterdir() if p.is_file()}
    assert shipped == {"selfie_segmentation_landscape.tflite", "LICENSE", "README.md"}
    assert all(any(Path("data/models", n).match(g) for g in globs) for n in shipped), globs


@pytest.fixture
def fresh_model():
    """No model read and no Net made yet in this process, as at a daemon's start."""
    model.unload()
    yield
    model.unload()


def test_the_model_is_loaded_lazily_and_once(fresh_model, photo, monkeypatch):
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(
        Path, "read_bytes", lambda p: (p.suffix == ".tflite" and reads.append(p)) or real(p)
    )
    frame = cv2.resize(photo("astronaut.png"), (W, H))
    build("pencil")(frame)
    chain = build("portrait")
    assert reads == [] and model.loaded_here() is None  # built, not loaded
    for _ in range(6):
        chain(frame)
    build("portrait_colour")(frame)  # another chain, same thread: the same model
    assert reads == [model.MODEL_FILE]
    assert model.loaded_here() is not None


def test_a_damaged_model_is_one_clear_error(fresh_model, tmp_path, monkeypatch):
    bad = tmp_path / "selfie_segmentation_landscape.tflite"
    data = bytearray(model.MODEL_FILE.read_bytes())
    data[100_000] ^= 0xFF  # one flipped byte
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(model, "MODEL_FILE", bad)
    with pytest.raises(model.SegmenterError, match="damaged: reinstall sketchd"):
        segment(np.zeros((8, 8, 3), np.uint8))
    model.model_bytes.cache_clear()
    monkeypatch.setattr(model, "MODEL_FILE", tmp_path / "nothing.tflite")
    with pytest.raises(model.SegmenterError, match=r"nothing\.tflite.*reinstall sketchd"):
        build("portrait")(np.zeros((8, 8, 3), np.uint8))


def test_each_thread_gets_its_own_model_and_the_same_masks(photo):
    frame = cv2.resize(photo("astronaut.png"), (W, H))
    here = build("portrait")(frame)
    there: list[np.ndarray] = []
    nets: list[object] = []

    def work() -> None:
        there.append(build("portrait")(frame))
        nets.append(model.loaded_here())

    workers = [threading.Thread(target=work) for _ in range(2)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert len(there) == 2 and all(np.array_equal(here, o) for o in there)
    assert nets[0] is not nets[1] and all(n is not model.loaded_here() for n in nets)


# -- the mask -------------------------------------------------------------------------------


def test_the_mask_covers_the_astronaut_and_not_her_room(photo):
    img = photo("astronaut.png")
    p = cv2.resize(model.probability(img), (512, 512), interpolation=cv2.INTER_LINEAR)
    assert p.dtype == np.float32 and p.min() >= 0.0 and p.max() <= 1.0
    assert np.mean(p[FACE] > 0.9) > 0.97
    assert np.mean(p[SUIT] > 0.9) > 0.95
    for name, region in ROOM.items():
        assert np.mean(p[region] < 0.4) > 0.9, name


@pytest.mark.parametrize("name", ["rocket.jpg", "motorcycle_left.png"])
def test_nobody_in_the_photo_gives_an_empty_mask(photo, name):
    assert float(np.max(model.probability(photo(name)))) < 0.5


def test_the_guided_filter_puts_the_mask_edge_on_the_picture_edge():
    """A blurry mask edge 3 px left of a real edge in the picture: fitted, its step is at
    the picture's edge, and steeper than the blurry one anywhere."""
    guide = np.zeros((64, 96), np.float32)
    guide[:, 48:] = 1.0
    coarse = np.zeros_like(guide)
    coarse[:, 45:] = 1.0
    coarse = cv2.GaussianBlur(coarse, (0, 0), 2.0)  # as blurry as an enlarged model output
    fitted = model.guided(guide, coarse, 4, 1e-3)
    steps = [np.diff(row) for row in (coarse[32], fitted[32])]
    assert int(np.argmax(steps[0])) in (44, 45) and steps[0].max() < 0.25
    assert int(np.argmax(steps[1])) == 47 and steps[1].max() > 0.3
    assert fitted[32, 30] < 0.05 and fitted[32, 60] > 0.95  # flat regions stay flat


def test_a_still_scene_with_sensor_noise_keeps_a_still_mask(photo):
    """60 frames of one scene, each with fresh noise (sigma 4 levels): after the first
    frames the mask changes by at most 1 % of the pixels between frames (it is 0 here)."""
    rng = np.random.default_rng(16)
    img = cv2.resize(photo("astronaut.png"), (1280, 720), interpolation=cv2.INTER_CUBIC)
    chain = Segment(**FILTERS["segment"].defaults())
    masks = []
    for _ in range(60):
        chain(noisy(img, rng))
        masks.append(mask_at(chain, 720, 1280))
    flips = [float(np.mean(a != b)) for a, b in itertools.pairwise(masks[10:])]
    assert max(flips) <= 0.01, max(flips)
    assert masks[-1].mean() > 0.4  # she is in it


def test_without_the_freeze_noise_would_move_the_mask(photo, monkeypatch):
    """What FREEZE is for: with it off the same stream's mask changes on most frames."""
    monkeypatch.setattr(segmod, "FREEZE", 0.0)
    rng = np.random.default_rng(16)
    img = cv2.resize(photo("astronaut.png"), (640, 360), interpolation=cv2.INTER_AREA)
    chain = Segment(**FILTERS["segment"].defaults() | {"every": 1})
    masks = []
    for _ in range(12):
        chain(noisy(img, rng))
        masks.append(chain.mask.copy())
    moved = [float(np.abs(a - b).max()) for a, b in itertools.pairwise(masks[4:])]
    assert np.mean([m > 0.01 for m in moved]) > 0.5

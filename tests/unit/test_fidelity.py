"""The pencil filter and the default "pencil" preset against the classic sketch they replace,
on real photographs: SSIM ≥ 0.98 and mean |Δ| ≤ 2 gray levels, at native size, at 1080p and
at 4K (the pencil filter blurs at reduced resolution, so size matters)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from sketchd.filters import build, classic_sketch, pencil
from tests.helpers.photos import PHOTOS

MIN_SSIM, MAX_MAD = 0.98, 2.0


def fidelity(out: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(SSIM, mean absolute difference in gray levels) of two HxW uint8 images."""
    assert out.shape == ref.shape and out.dtype == ref.dtype == np.uint8
    ssim = float(structural_similarity(out, ref, data_range=255))
    return ssim, float(np.abs(out.astype(np.int16) - ref).mean())


def seed(img: np.ndarray) -> np.ndarray:
    """The seed program's sketch, written out here so the reference itself is checked."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    inverted = 255 - gray
    blurred = cv2.GaussianBlur(inverted, (21, 21), 0)
    return cv2.divide(gray, 255 - blurred, scale=256)


@pytest.mark.parametrize("name", PHOTOS)
def test_classic_sketch_is_the_seed_pipeline(name, photo):
    assert np.array_equal(classic_sketch(photo(name)), seed(photo(name)))


SIZES = {"native": None, "1080p": (1920, 1080)}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("how", ["filter", "preset"])
def test_pencil_matches_the_classic_sketch(how, name, size, photo):
    img = photo(name)
    if SIZES[size]:
        img = cv2.resize(img, SIZES[size], interpolation=cv2.INTER_CUBIC)
    out = pencil(img) if how == "filter" else build("pencil")(img)
    ssim, mad = fidelity(out, classic_sketch(img))
    assert ssim >= MIN_SSIM and mad <= MAX_MAD, f"{name} {size}: SSIM {ssim:.4f}, |Δ| {mad:.3f}"


def test_pencil_matches_the_classic_sketch_at_4k(photo):
    img = cv2.resize(photo("astronaut.png"), (3840, 2160), interpolation=cv2.INTER_CUBIC)
    ref = classic_sketch(img)
    for out in (pencil(img), build("pencil")(img)):
        ssim, mad = fidelity(out, ref)
        assert ssim >= MIN_SSIM and mad <= MAX_MAD, f"4K: SSIM {ssim:.4f}, |Δ| {mad:.3f}"


def test_the_measure_can_fail(photo):
    """The thresholds are not loose enough to pass anything sketch-like: a wider blur, a
    darker line or the plain gray picture all fall outside them."""
    img = photo("astronaut.png")
    ref = classic_sketch(img)
    for other in (pencil(img, blur=61), pencil(img, darkness=2.0)):
        ssim, mad = fidelity(other, ref)
        assert ssim < MIN_SSIM or mad > MAX_MAD, (ssim, mad)
    ssim, mad = fidelity(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), ref)
    assert ssim < MIN_SSIM and mad > 10 * MAX_MAD, (ssim, mad)

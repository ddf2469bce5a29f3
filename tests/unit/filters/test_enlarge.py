"""``enlarge``: pixel for pixel OpenCV's nearest-neighbour resize by 2 and 4, on any plane or
BGR image, whatever its width (odd, one pixel) or content."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.filters._enlarge import enlarge, enlarge_plane


def nearest(img: np.ndarray, f: int) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (f * w, f * h), interpolation=cv2.INTER_NEAREST)


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (90, 160), (180, 320), (37, 61)])
def test_a_plane_is_enlarged_as_opencv_does(factor, shape):
    rng = np.random.default_rng(sum(shape) * factor)
    plane = rng.integers(0, 256, shape, dtype=np.uint8)
    assert np.array_equal(enlarge_plane(plane, factor), nearest(plane, factor))
    out = np.full((shape[0] * factor, shape[1] * factor), 7, np.uint8)
    assert enlarge_plane(plane, factor, out) is out
    assert np.array_equal(out, nearest(plane, factor))


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize("shape", [(45, 80, 3), (7, 9, 3), (12, 10)])
def test_an_image_is_enlarged_as_opencv_does(factor, shape):
    img = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    got = enlarge(img, factor, "test")
    assert got.shape == nearest(img, factor).shape
    assert np.array_equal(got, nearest(img, factor))


def test_a_non_contiguous_plane():
    img = np.random.default_rng(4).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    plane = img[..., 1]  # a view with a stride of 3
    assert np.array_equal(enlarge(plane, 2, "test"), nearest(np.ascontiguousarray(plane), 2))

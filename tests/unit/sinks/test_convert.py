"""The output buffer converters (sinks/convert.py): gray and colour pictures to I420 and BGR."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.pipeline.frames import fit
from sketchd.sinks.convert import BGRConverter, I420Converter
from tests.helpers.pipeline import H, W, photo


def test_i420_converter_writes_gray_into_y_and_keeps_chroma_neutral():
    conv = I420Converter(W, H)
    gray = np.random.default_rng(1).integers(0, 256, (H, W), dtype=np.uint8)
    buf = conv(gray)
    assert buf.size == W * H * 3 // 2
    y = buf[: W * H].reshape(H, W)
    # video range, like OpenCV's BGR→I420 of the same gray picture in colour
    as_colour = cv2.cvtColor(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), cv2.COLOR_BGR2YUV_I420)
    assert np.abs(y.astype(int) - as_colour[:H]).max() <= 1
    assert y.min() >= 16 and y.max() <= 235
    assert (buf[W * H :] == 128).all()
    colour = fit(photo(), W, H)
    buf = conv(colour)
    back = cv2.cvtColor(buf.reshape(H * 3 // 2, W), cv2.COLOR_YUV2BGR_I420)
    assert np.abs(back.astype(int) - colour).mean() < 4
    assert conv(gray) is buf and (buf[W * H :] == 128).all()  # same buffer, chroma reset
    with pytest.raises(OutputError, match="even"):
        I420Converter(W + 1, H)


def test_bgr_converter_expands_gray():
    out = BGRConverter(W, H)(np.full((H, W), 77, np.uint8))
    assert out.shape == (H, W, 3) and (out == 77).all()

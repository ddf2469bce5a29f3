"""The settings window's preview from the daemon's own stream: small JPEGs of the newest camera
frame and the frame published last, made only when asked, each ask keeping the camera on for a
moment; a panel wider than the limit is refused."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from sketchd.errors import UsageError
from sketchd.pipeline import preview
from sketchd.pipeline.preview import PreviewTap, PreviewTooLarge
from sketchd.presets import settings_for
from tests.helpers.pipeline import CONFIG, frame, jpeg, mjpg, photo


class Loop:
    """The publish loop as the tap reads it."""

    def __init__(self, out=None, mirror=False):
        self.settings = settings_for(CONFIG, "pencil", mirror=mirror)
        self.last_published = out
        self.held: list[float] = []

    def hold(self, seconds: float) -> None:
        self.held.append(seconds)


def picture(data: str) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def test_a_pair_of_small_jpegs_and_the_camera_held_on():
    cam = frame(cv2.resize(photo(), (1280, 720)), seq=7, t=1.0)
    out = np.full((720, 1280), 200, np.uint8)
    loop = Loop(out)
    tap = PreviewTap(lambda: (cam, 3), loop)
    got = tap.frames(320)
    assert picture(got["camera"]).shape == (180, 320, 3)
    assert picture(got["sketch"]).shape == (180, 320, 3)
    assert (got["width"], got["height"], got["seq"]) == (320, 180, 7)
    assert loop.held == [preview.HOLD_S]
    assert len(got["camera"]) < 40_000  # a small JPEG, not a raw frame


def test_the_same_frames_asked_again_are_not_encoded_again():
    cam, out = frame(photo(), 1, 1.0), photo()
    tap = PreviewTap(lambda: (cam, 1), Loop(out))
    first = tap.frames(200)
    assert tap.frames(200) is first and tap.served == 2
    assert tap.frames(100) is not first  # another size is another picture


def test_a_camera_frame_in_mjpg_and_a_mirrored_call():
    img = photo()
    cam = mjpg(jpeg(img), seq=2)
    got = PreviewTap(lambda: (cam, 1), Loop(img, mirror=True)).frames(120)
    shown = picture(got["camera"])
    assert np.abs(shown.astype(int) - cv2.flip(img, 1).astype(int)).mean() < 12


def test_before_any_frame_there_is_nothing_to_show():
    got = PreviewTap(lambda: (None, 0), Loop()).frames(200)
    assert got["camera"] is None and got["sketch"] is None


@pytest.mark.parametrize("width", [preview.MAX_WIDTH + 1, 4000, 10**9, 0, -5, 63])
def test_a_panel_too_large_or_too_small_is_refused(width):
    loop = Loop(photo())
    with pytest.raises(PreviewTooLarge, match=f"from 64 to 960 px, not {width}"):
        PreviewTap(lambda: (None, 0), loop).frames(width)
    assert loop.held == []  # a refused ask does not wake the camera
    assert issubclass(PreviewTooLarge, UsageError)


@pytest.mark.parametrize("width", [True, 320.0, "320", None])
def test_a_width_that_is_no_integer_is_refused(width):
    with pytest.raises(PreviewTooLarge, match="must be an integer"):
        preview.check_width(width)


def test_shrink_keeps_gray_gray_and_never_enlarges():
    gray = np.zeros((720, 1280), np.uint8)
    assert preview.shrink(gray, 480).shape == (270, 480)
    assert preview.shrink(gray, 320).shape == (180, 320)
    assert preview.shrink(photo(), 480).shape == photo().shape  # 120 px wide: as it is
    assert preview.shrink(np.zeros((90, 160, 4), np.uint8), 100).shape == (56, 100, 3)

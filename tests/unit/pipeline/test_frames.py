"""Camera frames (pipeline/frames.py): decoding YUYV and MJPG, torn MJPG frames, fitting to
the output size and the placeholder cards."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sketchd.pipeline.frames import (
    CameraFrame,
    DecodeError,
    JpegDecoder,
    card,
    decode,
    fit,
    shrink_factor,
    torn,
)
from tests.helpers.pipeline import H, W, frame, jpeg, mjpg, photo


def test_decode_takes_the_y_plane_of_yuyv_without_converting():
    bgr = photo(64, 48)
    yuyv = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), cv2.COLOR_YUV2BGR_I420)
    y = cv2.cvtColor(yuyv, cv2.COLOR_BGR2GRAY)
    packed = np.dstack([y, np.full_like(y, 128)])
    f = CameraFrame(packed, "YUYV", 64, 48, 1, 0.0)
    assert np.array_equal(decode(f, gray=True), y)
    assert decode(f, gray=False).shape == (48, 64, 3)


def test_decode_mjpg_to_gray_or_colour_and_reject_corrupt_bytes():
    jpg = cv2.imencode(".jpg", photo(), [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    f = CameraFrame(jpg, "MJPG", 120, 90, 1, 0.0)
    g, c = decode(f, gray=True), decode(f, gray=False)
    assert g.shape == (90, 120) and c.shape == (90, 120, 3)
    assert np.abs(g.astype(int) - cv2.cvtColor(c, cv2.COLOR_BGR2GRAY)).mean() < 2
    with pytest.raises(DecodeError, match="does not decode"):
        decode(CameraFrame(jpg[:40], "MJPG", 120, 90, 2, 0.0), gray=True)
    with pytest.raises(DecodeError, match="unknown camera format"):
        decode(CameraFrame(jpg, "H264", 120, 90, 3, 0.0), gray=True)


def test_mjpg_decodes_to_exactly_what_opencv_gives(monkeypatch):
    """The fast decoder (simplejpeg) is an optimisation only: same pixels as OpenCV, and
    frames it refuses (a libjpeg warning) still decode through OpenCV."""
    import sketchd.pipeline.frames as frames

    assert frames.simplejpeg is not None, "simplejpeg is a dependency"
    img = cv2.resize(photo(), (640, 480))
    jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
    f = CameraFrame(jpg, "MJPG", 640, 480, 1, 0.0)
    for gray, flag in ((True, cv2.IMREAD_GRAYSCALE), (False, cv2.IMREAD_COLOR)):
        want = cv2.imdecode(jpg, flag)
        got = decode(f, gray=gray)
        assert got.shape == want.shape and np.array_equal(got, want)
    # a frame with bytes before its end marker, as cheap webcams send: simplejpeg refuses it
    extra = np.concatenate([jpg[:-2], np.frombuffer(b"junk!", np.uint8), jpg[-2:]])
    with pytest.raises(ValueError):
        frames.simplejpeg.decode_jpeg(extra, "GRAY", strict=True)
    jpeg = frames.JpegDecoder()  # the stream's own, as the publish loop holds one
    calls = []
    real = frames.simplejpeg.decode_jpeg
    monkeypatch.setattr(
        frames.simplejpeg, "decode_jpeg", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    bad = CameraFrame(extra, "MJPG", 640, 480, 2, 0.0)
    for _ in range(jpeg.REFUSALS):
        got = decode(bad, gray=True, jpeg=jpeg)
        assert np.array_equal(got, cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE))
    assert len(calls) == jpeg.REFUSALS
    # such a camera is left to OpenCV alone for a while, then simplejpeg is tried again
    for _ in range(jpeg.SKIP):
        decode(bad, gray=True, jpeg=jpeg)
    assert len(calls) == jpeg.REFUSALS
    decode(f, gray=True, jpeg=jpeg)
    assert len(calls) == jpeg.REFUSALS + 1 and jpeg.refused == 0
    # without simplejpeg (no wheel for the platform) OpenCV decodes alone
    monkeypatch.setattr(frames, "simplejpeg", None)
    assert np.array_equal(decode(f, gray=False), cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    with pytest.raises(DecodeError, match="does not decode"):
        decode(CameraFrame(jpg[:40], "MJPG", 640, 480, 3, 0.0), gray=True)


@pytest.mark.parametrize(
    ("camera", "output", "factor"),
    [
        ((1280, 720), (1280, 720), 1),  # the camera at the output's size: never shrunk
        ((1920, 1080), (1280, 720), 1),  # 1.5x: libjpeg's 6/8 is slower than all of it
        ((1920, 1080), (640, 360), 2),
        ((3840, 2160), (1280, 720), 2),  # a 4K webcam into the default 720p
        ((3840, 2160), (960, 540), 4),
        ((3840, 2160), (320, 180), 8),  # at most 1/8
        ((640, 480), (1280, 720), 1),  # smaller than the output
        ((1920, 1080), (1280, 360), 1),  # wide enough one way only
        ((1920, 1080), None, 1),
    ],
)
def test_an_mjpg_frame_shrinks_in_the_decoder_by_powers_of_two_to_cover_the_output(
    camera, output, factor
):
    assert shrink_factor(*camera, output) == factor


@pytest.mark.parametrize("fast", [True, False])  # simplejpeg, and OpenCV's reduced modes
def test_a_large_mjpg_frame_decodes_at_the_size_the_output_needs(fast):
    big = cv2.resize(photo(), (1280, 960), interpolation=cv2.INTER_CUBIC)
    f = CameraFrame(jpeg(big), "MJPG", 1280, 960, 1, 0.0)
    full = decode(f, gray=False)
    for out, size in (
        ((1280, 960), (1280, 960)),
        ((640, 480), (640, 480)),
        ((320, 240), (320, 240)),
        ((300, 200), (320, 240)),
        ((150, 120), (160, 120)),
    ):
        for gray in (True, False):
            dec = JpegDecoder()
            if not fast:
                dec.skip = 10  # as after simplejpeg's refusals: OpenCV decodes
            got = decode(f, gray=gray, jpeg=dec, fit=out)
            assert got.shape[:2] == size[::-1], (out, gray, fast)
            want = cv2.resize(full, size, interpolation=cv2.INTER_AREA)
            if gray:
                want = cv2.cvtColor(want, cv2.COLOR_BGR2GRAY)
            assert np.abs(got.astype(int) - want).mean() < 2.5, (out, gray, fast)


def test_fit_letterboxes_with_paper_white_and_keeps_the_picture_centred():
    img = np.zeros((480, 640), np.uint8)  # 4:3 black into 16:9
    out = fit(img, 640, 360)
    assert out.shape == (360, 640)
    cols = np.where(out.min(axis=0) == 0)[0]
    assert cols[0] == 80 and cols[-1] == 559  # 480 wide, centred
    assert (out[:, :80] == 255).all() and (out[:, 560:] == 255).all()
    same = np.zeros((360, 640, 3), np.uint8)
    assert fit(same, 640, 360) is same


def test_cards_are_gray_paper_with_ink_and_distinct():
    lost = card(W, H, "Camera unavailable", "retrying")
    off = card(W, H, "Camera off")
    assert lost.shape == (H, W) and lost.dtype == np.uint8
    assert lost.mean() > 200 and lost.min() < 120  # paper with pencil strokes
    assert np.abs(lost.astype(int) - off).mean() > 1
    assert np.array_equal(lost, card(W, H, "Camera unavailable", "retrying"))


def test_torn_spots_mjpg_frames_cut_short_and_passes_whole_ones():
    whole = jpeg(photo())
    padded = np.concatenate([whole, np.zeros(1000, np.uint8)])  # zeros after the end marker
    assert not torn(mjpg(whole, 1)) and not torn(mjpg(padded, 2))
    assert torn(mjpg(whole[: whole.size // 2], 3))  # the transfer stopped half-way
    assert torn(mjpg(np.concatenate([whole[:2], np.zeros(300, np.uint8)]), 4))
    assert torn(mjpg(whole[2:], 5))  # no start marker
    assert torn(mjpg(np.zeros(0, np.uint8), 6))
    assert not torn(frame(photo(), 7, 0.0))  # raw frames have no markers to check

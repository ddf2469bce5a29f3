"""Offline render, called in-process: images and videos through a preset, the same kind of file
out, and one clear UsageError for every input it cannot use."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sketchd.errors import UsageError
from sketchd.filters import build
from sketchd.render import render

PENCIL = build("pencil")


def write_video(path: Path, frames: list[np.ndarray], fourcc: str = "MJPG", fps: float = 10.0):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"this OpenCV cannot write {fourcc} to {path.suffix}"
    for frame in frames:
        writer.write(frame)
    writer.release()


def read_video(path: Path) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), path
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def clip(photo) -> list[np.ndarray]:
    """Eight 320x240 frames of a slow pan across a real photograph."""
    img = photo("chelsea.png")
    return [np.ascontiguousarray(img[20 : 20 + 240, 8 * i : 8 * i + 320]) for i in range(8)]


# -- images --------------------------------------------------------------------------------


def test_a_png_renders_to_exactly_what_the_filter_gives(photo, tmp_path):
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    cv2.imwrite(str(src), photo("astronaut.png"))
    result = render(src, dst, PENCIL, progress=False)
    out = cv2.imread(str(dst), cv2.IMREAD_UNCHANGED)
    assert (result.kind, result.frames, result.width, result.height) == ("image", 1, 512, 512)
    assert np.array_equal(out, PENCIL(photo("astronaut.png")))


def test_a_jpeg_renders_to_a_jpeg_close_to_the_filter(photo, tmp_path):
    src, dst = tmp_path / "in.jpg", tmp_path / "out.jpeg"
    cv2.imwrite(str(src), photo("coffee.png"))
    render(src, dst, build("cartoon"), progress=False)
    out = cv2.imread(str(dst))
    expected = build("cartoon")(cv2.imread(str(src)))
    assert out.shape == expected.shape == (400, 600, 3)
    assert mad(out, expected) < 8  # only JPEG's loss between them
    assert mad(out, cv2.imread(str(src))) > 3 * mad(out, expected)


@pytest.mark.parametrize("channels", [1, 4])
def test_gray_and_alpha_images(photo, tmp_path, channels):
    img = photo("rocket.jpg")
    img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2BGRA)
    src, dst = tmp_path / "in.png", tmp_path / "sub" / "dir" / "out.png"  # folders made
    cv2.imwrite(str(src), img)
    result = render(src, dst, PENCIL, progress=False)
    assert (result.height, result.width) == img.shape[:2]
    assert np.array_equal(cv2.imread(str(dst), cv2.IMREAD_UNCHANGED), PENCIL(img))


def test_a_16_bit_png_is_scaled_to_8_bits(photo, tmp_path):
    img8 = photo("chelsea.png")
    src, dst = tmp_path / "in16.png", tmp_path / "out.png"
    cv2.imwrite(str(src), img8.astype(np.uint16) * 257)
    render(src, dst, PENCIL, progress=False)
    assert np.array_equal(cv2.imread(str(dst), cv2.IMREAD_UNCHANGED), PENCIL(img8))


# -- videos --------------------------------------------------------------------------------


@pytest.mark.parametrize(("src_ext", "fourcc", "dst_ext"), [(".avi", "MJPG", ".mp4"),
                                                            (".mp4", "mp4v", ".avi")])  # fmt: skip
def test_a_video_renders_frame_by_frame(clip, tmp_path, src_ext, fourcc, dst_ext):
    src, dst = tmp_path / f"in{src_ext}", tmp_path / f"out{dst_ext}"
    write_video(src, clip, fourcc, fps=12.0)
    result = render(src, dst, PENCIL, progress=False)
    assert (result.kind, result.frames, result.width, result.height) == ("video", 8, 320, 240)
    decoded_in, _ = read_video(src)
    out, fps = read_video(dst)
    assert len(out) == 8 and abs(fps - 12.0) < 0.1
    for frame_in, frame_out in zip(decoded_in, out, strict=True):
        assert frame_out.shape == (240, 320, 3)
        sketch = cv2.cvtColor(PENCIL(frame_in), cv2.COLOR_GRAY2BGR)
        # it is the sketch of that frame (up to the codec), not the frame itself
        assert mad(frame_out, sketch) < 6
        assert mad(frame_out, frame_in) > 5 * mad(frame_out, sketch)


def test_colour_presets_keep_colour_in_video(clip, tmp_path):
    src, dst = tmp_path / "in.avi", tmp_path / "out.avi"
    write_video(src, clip[:3])
    render(src, dst, build("colour_pencil"), progress=False)
    out, _ = read_video(dst)
    assert len(out) == 3
    assert cv2.cvtColor(out[0], cv2.COLOR_BGR2HSV)[..., 1].mean() > 15


def test_the_progress_bar_goes_to_stderr(clip, tmp_path, capsys):
    src = tmp_path / "in.avi"
    write_video(src, clip[:4])
    render(src, tmp_path / "out.avi", PENCIL, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "4/4" in captured.err and "in.avi" in captured.err


# -- what it cannot use --------------------------------------------------------------------


def test_missing_input(tmp_path):
    with pytest.raises(UsageError, match=r"missing\.png: no such file$"):
        render(tmp_path / "missing.png", tmp_path / "out.png", PENCIL)


def test_a_folder_as_input(tmp_path):
    with pytest.raises(UsageError, match="is a folder; give an image or a video file"):
        render(tmp_path, tmp_path / "out.png", PENCIL)


def test_the_output_may_not_overwrite_the_input(photo, tmp_path):
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), photo("coffee.png"))
    with pytest.raises(UsageError, match="would overwrite the input"):
        render(src, tmp_path / "." / "in.png", PENCIL)
    assert np.array_equal(cv2.imread(str(src)), photo("coffee.png"))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.png", b"not a picture at all\n"),
        ("clip.mp4", b"\x00" * 4096),
        ("empty.avi", b""),
        ("notes.txt", b"hello\n"),
    ],
)
def test_files_that_are_neither_image_nor_video(tmp_path, name, data):
    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(UsageError, match=r": not an image or video that can be read$"):
        render(src, tmp_path / "out.png", PENCIL)
    assert not (tmp_path / "out.png").exists()


def test_an_image_must_become_an_image_and_a_video_a_video(photo, clip, tmp_path):
    img, vid = tmp_path / "in.png", tmp_path / "in.avi"
    cv2.imwrite(str(img), photo("coffee.png"))
    write_video(vid, clip[:2])
    with pytest.raises(UsageError, match=r"is an image, so the output must be an image \(.bmp"):
        render(img, tmp_path / "out.mp4", PENCIL)
    with pytest.raises(UsageError, match=r"is a video, so the output must be a video \(.avi"):
        render(vid, tmp_path / "out.png", PENCIL)
    with pytest.raises(UsageError, match="must be an image"):
        render(img, tmp_path / "out", PENCIL)  # no extension at all
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.avi", "in.png"]


def test_an_output_folder_that_cannot_be_made(photo, tmp_path):
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), photo("coffee.png"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="cannot create the folder"):
        render(src, tmp_path / "file" / "out.png", PENCIL)

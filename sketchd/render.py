"""Offline render: an image or a video file through a preset, the same kind of file out."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sketchd.errors import UsageError
from sketchd.filters.chain import FrameFn

log = logging.getLogger(__name__)

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_FOURCC = {
    ".mp4": "mp4v",
    ".m4v": "mp4v",
    ".mov": "mp4v",
    ".avi": "MJPG",
    ".mkv": "XVID",
}


@dataclass(frozen=True)
class RenderResult:
    kind: str  # "image" | "video"
    frames: int
    width: int
    height: int


def _to_bgr(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame


def _open_video(path: Path) -> cv2.VideoCapture | None:
    # FFmpeg's own log lines ("[png @ 0x…] Invalid PNG signature") would follow the one clear
    # line a user gets for a file that is no video; OpenCV reads this once, at first use
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    cap = cv2.VideoCapture(str(path))
    if cap.isOpened():
        ok, _ = cap.read()
        if ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            return cap
    cap.release()
    return None


def render(src: str | Path, dst: str | Path, chain: FrameFn, *, progress: bool = True):
    """Render ``src`` through ``chain`` into ``dst``. Raises UsageError for bad input."""
    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise UsageError(f"{src}: no such file")
    if src.is_dir():
        raise UsageError(f"{src}: is a folder; give an image or a video file")
    if src.resolve() == dst.resolve():
        raise UsageError(f"{dst}: the output would overwrite the input; choose another name")
    out_ext = dst.suffix.lower()
    image = cv2.imread(str(src), cv2.IMREAD_UNCHANGED) if src.suffix.lower() in IMAGE_EXTS else None
    if image is not None:
        if out_ext not in IMAGE_EXTS:
            kinds = ", ".join(sorted(IMAGE_EXTS))
            raise UsageError(f"{src} is an image, so the output must be an image ({kinds})")
        if image.dtype != np.uint8:  # 16-bit PNG/TIFF: scale to 8 bits
            image = (image / 257).astype(np.uint8) if image.dtype == np.uint16 else None
        if image is None:
            raise UsageError(f"{src}: unsupported image depth; use an 8- or 16-bit image")
        out = chain(image)
        _mkparent(dst)
        if not cv2.imwrite(str(dst), out):
            raise UsageError(f"{dst}: could not be written")
        log.info("rendered %s -> %s (%dx%d)", src, dst, out.shape[1], out.shape[0])
        return RenderResult("image", 1, out.shape[1], out.shape[0])
    cap = _open_video(src)
    if cap is None:
        raise UsageError(f"{src}: not an image or video that can be read")
    try:
        if out_ext not in VIDEO_FOURCC:
            kinds = ", ".join(sorted(VIDEO_FOURCC))
            raise UsageError(f"{src} is a video, so the output must be a video ({kinds})")
        return _render_video(cap, src, dst, chain, progress)
    finally:
        cap.release()


def _mkparent(dst: Path) -> None:
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{dst.parent}: cannot create the folder ({e.strerror})") from None


def _render_video(cap, src: Path, dst: Path, chain: FrameFn, progress: bool) -> RenderResult:
    from tqdm import tqdm

    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    _mkparent(dst)
    fourcc = cv2.VideoWriter.fourcc(*VIDEO_FOURCC[dst.suffix.lower()])
    writer = cv2.VideoWriter(str(dst), fourcc, fps, (w, h))
    if not writer.isOpened():
        raise UsageError(f"{dst}: cannot write a {dst.suffix} video here")
    frames = 0
    try:
        with tqdm(total=total, unit="frame", desc=src.name, disable=not progress) as bar:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                writer.write(_to_bgr(chain(frame)))
                frames += 1
                bar.update(1)
    finally:
        writer.release()
    if frames == 0:
        dst.unlink(missing_ok=True)
        raise UsageError(f"{src}: the video has no frames that can be decoded")
    log.info("rendered %d frames of %s -> %s (%dx%d, %.1f fps)", frames, src, dst, w, h, fps)
    return RenderResult("video", frames, w, h)

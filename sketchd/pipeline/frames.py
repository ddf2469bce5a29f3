"""Camera frames and the pure steps between camera and sink: decode, fit, cards.

A camera frame stays in the camera's own encoding (MJPG bytes, YUYV) until the publish loop
decodes it, and then only as far as the preset needs: a gray preset never pays for colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

try:  # libjpeg-turbo through TurboJPEG: decodes MJPG in ~60% of OpenCV's time, gray or BGR
    import simplejpeg
except ImportError:  # no wheel for this platform: OpenCV decodes alone
    simplejpeg = None


@dataclass(frozen=True)
class CameraFrame:
    """One captured frame: ``data`` in ``fmt`` ("MJPG" bytes, "YUYV" HxWx2, "BGR", "GRAY")."""

    data: np.ndarray
    fmt: str
    width: int
    height: int
    seq: int  # capture counter, 1-based
    t: float  # time.monotonic() when captured


class DecodeError(ValueError):
    """The camera delivered bytes that are not a picture (a corrupt MJPG frame, a short read)."""


SOI, EOI = b"\xff\xd8", b"\xff\xd9"
EOI_TAIL = 4096  # some webcams pad a frame with zeros after its end marker


def torn(frame: CameraFrame) -> bool:
    """An MJPG frame that cannot be whole: no start marker, or no end marker near its end (a
    transfer cut short). Cheap (no decoding), so the capture thread drops such a frame before
    it can displace the last good one; a frame that passes may still fail to decode."""
    if frame.fmt != "MJPG":
        return False
    data = frame.data.reshape(-1)
    if data.size < 4 or bytes(data[:2]) != SOI:
        return True
    return EOI not in bytes(data[-EOI_TAIL:])


def shrink_factor(width: int, height: int, fit: tuple[int, int] | None) -> int:
    """1, 2, 4 or 8: the most a ``width``x``height`` JPEG can be shrunk while decoding (in the
    DCT: libjpeg-turbo's 1/2, 1/4, 1/8 scalings) and still cover ``fit`` (width, height).

    Only powers of two: the other scalings (3/8, 6/8 ...) decode slower than the whole picture
    (1080p to 1440x810: 9.2 ms against 5.9). A camera at the output's size is never shrunk."""
    if fit is None:
        return 1
    f = 1
    while f < 8 and width // (2 * f) >= fit[0] and height // (2 * f) >= fit[1]:
        f *= 2
    return f


def decode(
    frame: CameraFrame,
    *,
    gray: bool,
    jpeg: JpegDecoder | None = None,
    fit: tuple[int, int] | None = None,
) -> np.ndarray:
    """The frame as HxW gray (``gray=True``) or HxWx3 BGR, decoding no more than needed;
    ``jpeg``: the stream's decoder (it remembers a camera simplejpeg keeps refusing);
    ``fit`` (width, height): what the picture will be fitted to; an MJPG frame at least twice
    as large both ways is decoded at 1/2, 1/4 or 1/8 of its size (``shrink_factor``), so
    neither the decoder nor the preset pays for pixels the output drops."""
    fmt, data = frame.fmt, frame.data
    if fmt == "MJPG":
        f = shrink_factor(frame.width, frame.height, fit)
        out = (jpeg or JpegDecoder())(data.reshape(-1), gray, f) if data.size else None
        if out is None:
            raise DecodeError(f"MJPG frame {frame.seq} ({data.size} bytes) does not decode")
        return out
    if fmt == "YUYV":
        if data.ndim != 3 or data.shape[2] != 2:
            raise DecodeError(f"YUYV frame {frame.seq} has shape {data.shape}")
        if gray:
            return data[:, :, 0]  # the Y plane, interleaved: no conversion at all
        return cv2.cvtColor(data, cv2.COLOR_YUV2BGR_YUYV)
    if fmt == "GRAY":
        return data if gray else cv2.cvtColor(data, cv2.COLOR_GRAY2BGR)
    if fmt == "BGR":
        return cv2.cvtColor(data, cv2.COLOR_BGR2GRAY) if gray else data
    raise DecodeError(f"unknown camera format {fmt!r}")


class JpegDecoder:
    """JPEG bytes → gray or BGR, or None. simplejpeg takes the clean frames (strict: any
    libjpeg warning refuses); whatever it refuses goes to OpenCV, as every frame used to, so
    exactly the frames OpenCV decodes decode, to the same pixels, only faster. Gray decodes
    the luma alone.

    A camera whose every frame carries a libjpeg warning (cheap webcams often add bytes before
    the end marker) would pay for two decodes a frame: after REFUSALS in a row simplejpeg is
    left out for SKIP frames, then tried again. One decoder per stream, used by one thread
    (the publish loop owns its own); ``decode()`` without one uses a fresh decoder."""

    REFUSALS, SKIP = 3, 300

    def __init__(self) -> None:
        self.refused = 0  # simplejpeg's refusals in a row
        self.skip = 0  # frames left before simplejpeg is tried again

    def __call__(self, data: np.ndarray, gray: bool, shrink: int = 1) -> np.ndarray | None:
        """``shrink``: 1, 2, 4 or 8, the picture decoded at that fraction of its size."""
        if simplejpeg is not None:
            if self.skip:
                self.skip -= 1
            else:
                try:
                    out = self._simplejpeg(data, gray, shrink)
                except ValueError:
                    self.refused += 1
                    if self.refused >= self.REFUSALS:
                        self.refused, self.skip = 0, self.SKIP
                else:
                    self.refused = 0
                    return out.reshape(out.shape[:2]) if gray else out
        return cv2.imdecode(data, _IMREAD[gray, shrink])

    @staticmethod
    def _simplejpeg(data: np.ndarray, gray: bool, shrink: int) -> np.ndarray:
        mode = "GRAY" if gray else "BGR"
        if shrink == 1:
            return simplejpeg.decode_jpeg(data, mode, strict=True)
        # the smallest of libjpeg's M/8 scalings at least this large: exactly 1/shrink
        h, w = simplejpeg.decode_jpeg_header(data)[:2]
        return simplejpeg.decode_jpeg(
            data, mode, strict=True, min_width=-(-w // shrink), min_height=-(-h // shrink)
        )


_IMREAD = {  # (gray, shrink) → OpenCV's flag: it scales in the DCT too
    (True, 1): cv2.IMREAD_GRAYSCALE,
    (True, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    (True, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    (True, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    (False, 1): cv2.IMREAD_COLOR,
    (False, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (False, 4): cv2.IMREAD_REDUCED_COLOR_4,
    (False, 8): cv2.IMREAD_REDUCED_COLOR_8,
}


def fit(frame: np.ndarray, width: int, height: int, pad: int = 255) -> np.ndarray:
    """``frame`` scaled to fit ``width``x``height`` keeping its aspect, centred, padded with
    ``pad`` (paper white). A frame of the right size is returned as it is."""
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(frame, (nw, nh), interpolation=interp)
    if (nw, nh) == (width, height):
        return resized
    out = np.full((height, width, *frame.shape[2:]), pad, dtype=np.uint8)
    x, y = (width - nw) // 2, (height - nh) // 2
    out[y : y + nh, x : x + nw] = resized
    return out


def card(width: int, height: int, title: str, subtitle: str = "") -> np.ndarray:
    """A still card drawn in the sketch style: pencil-gray lines on paper, one channel.

    Shown when the camera is lost ("Camera unavailable") or in privacy mode ("Camera off").
    """
    paper = np.full((height, width), 246, np.uint8)
    # a faint paper grain, seeded so the card is the same every time
    rng = np.random.default_rng(7)
    grain = rng.integers(-6, 7, size=(height, width), dtype=np.int16)
    paper = np.clip(paper.astype(np.int16) + grain, 0, 255).astype(np.uint8)
    s = min(width, height) / 480.0
    ink = 70
    thick = max(1, round(2 * s))
    cx, cy = width // 2, int(height * 0.40)
    # a sketched camera: body, lens, viewfinder, each stroke drawn twice slightly offset
    bw, bh = int(150 * s), int(95 * s)
    for d in (0, max(1, round(2 * s))):
        cv2.rectangle(
            paper,
            (cx - bw // 2 + d, cy - bh // 2),
            (cx + bw // 2, cy + bh // 2 - d),
            ink,
            thick,
            cv2.LINE_AA,
        )
        cv2.circle(paper, (cx + d, cy), int(30 * s), ink, thick, cv2.LINE_AA)
        cv2.rectangle(
            paper,
            (cx - int(45 * s), cy - bh // 2 - int(18 * s) + d),
            (cx - int(5 * s), cy - bh // 2),
            ink,
            thick,
            cv2.LINE_AA,
        )
    if title.lower().startswith("camera off") or "unavailable" in title.lower():
        cv2.line(
            paper,
            (cx - int(100 * s), cy + int(70 * s)),
            (cx + int(100 * s), cy - int(70 * s)),
            ink,
            max(1, round(3 * s)),
            cv2.LINE_AA,
        )
    font = cv2.FONT_HERSHEY_SIMPLEX
    for text, size, y, t in ((title, 1.1 * s, 0.70, thick), (subtitle, 0.6 * s, 0.80, 1)):
        if not text or size <= 0.05:
            continue
        tw = cv2.getTextSize(text, font, size, t)[0][0]
        while tw > width * 0.92 and size > 0.1:
            size *= 0.9
            tw = cv2.getTextSize(text, font, size, t)[0][0]
        cv2.putText(
            paper, text, ((width - tw) // 2, int(height * y)), font, size, ink - 30, t, cv2.LINE_AA
        )
    return cv2.GaussianBlur(paper, (3, 3), 0) if min(width, height) >= 3 else paper

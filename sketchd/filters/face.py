"""Face-aware filters: finding faces, and ``autoframe`` (the picture follows your face);
``face_colour`` (the face stays in colour, the rest a pencil sketch) is in face_colour.py.

Faces are found by OpenCV's frontal-face Haar cascade, the one model that ships inside the
OpenCV 4.x wheels (``cv2.data.haarcascades``): nothing is downloaded. It runs on a reduced
gray copy of the frame, only every ``every`` frames, and near the faces already followed.

Unlike the other filters these follow the picture over time: what they detect is smoothed from
frame to frame so the crop and the colour region glide instead of jumping. A chain therefore
holds one ``Autoframe`` / ``FaceColour`` per stream (``registry.compose`` builds fresh ones for
every chain); the plain functions ``autoframe()`` and ``face_colour()`` treat one call as a
stream of one frame, framed at once.

Privacy: face positions live only in these objects' memory for the next frame; they are never
logged above DEBUG, written or sent anywhere.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from sketchd.errors import SketchdError
from sketchd.filters._frame import as_gray, check

log = logging.getLogger(__name__)

# alt2 rather than "default": on scikit-image's astronaut at 1080p "default" also reports her
# shoulder patch as a face, alt2 only the face; both found nothing on 9 face-free photos
CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
# the reduced frame the cascade scans: at 256 or 192 px wide it missed a face 1/4 of the frame
# high in 5 to 12 of 20 frames, at 320 in none (1 thread, 1080p: a whole scan 10-13 ms)
DETECT_WIDTH = 320
MIN_FACE = 0.14  # smallest face looked for, as a fraction of the frame height
SCALE_STEP = 1.2  # 1.1 finds no more faces on our frames and costs twice the time
RESCAN = 4  # with faces followed, a whole-frame scan every RESCAN detections finds new ones
DEADBAND = 0.04  # a target moves only for changes above this fraction of the crop height
MAX_STEP = 0.04  # the crop moves at most this fraction of the frame height per frame

Box = tuple[float, float, float, float]  # x, y, w, h in frame pixels


class FaceDetectorError(SketchdError):
    """The face cascade that should ship with OpenCV is missing or unreadable."""


def cascade_path() -> Path:
    """The frontal-face cascade inside the installed OpenCV, or FaceDetectorError saying why."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(folder or "") / CASCADE_FILE
    if not folder or not path.is_file() or not hasattr(cv2, "CascadeClassifier"):
        raise FaceDetectorError(
            f"the face presets need OpenCV's bundled {CASCADE_FILE}, which this OpenCV "
            f"({cv2.__version__}) lacks; OpenCV 5 ships no Haar cascades. Install "
            "opencv-python-headless>=4.12,<5 (pip install 'opencv-python-headless>=4.12,<5')"
        )
    return path


class FaceDetector:
    """Frontal faces in a frame: the Haar cascade on a gray copy ≤ ``width`` pixels wide.

    The cascade is loaded at the first detection (once per detector, so once per chain)."""

    def __init__(self, width: int = DETECT_WIDTH):
        self.path = cascade_path()
        self.width = width
        self._cascade: cv2.CascadeClassifier | None = None
        self._scans = 0

    def _classifier(self) -> cv2.CascadeClassifier:
        if self._cascade is None:
            cascade = cv2.CascadeClassifier(str(self.path))
            if cascade.empty():
                raise FaceDetectorError(f"{self.path}: OpenCV could not read this face cascade")
            self._cascade = cascade
        return self._cascade

    def small(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        """(gray frame ≤ width wide, its scale). Bilinear to twice the size, then area: 0.2 ms
        at 1080p where one area resize costs 3 ms, and without the aliasing of striding."""
        h, w = frame.shape[:2]
        scale = min(1.0, self.width / w)
        tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        if scale < 0.5:
            frame = cv2.resize(frame, (2 * tw, 2 * th), interpolation=cv2.INTER_LINEAR)
        gray = as_gray(frame)
        if gray.shape[1] != tw:
            gray = cv2.resize(gray, (tw, th), interpolation=cv2.INTER_AREA)
        return gray, scale

    def detect(self, frame: np.ndarray, near: Sequence[Box] = ()) -> list[Box]:
        """Faces in ``frame`` (checked uint8, any channels), largest first. With ``near`` (the
        faces followed so far) only their surroundings are searched, at sizes close to theirs,
        except on every RESCAN-th call, which scans the whole frame for new faces."""
        small, scale = self.small(frame)
        sh, sw = small.shape
        lo = max(20, round(MIN_FACE * sh))
        if lo > min(sh, sw):
            return []
        cascade = self._classifier()
        self._scans += 1
        regions: list[tuple[int, int, int, int, int, int]] = []
        if near and self._scans % RESCAN:
            for x, y, w, h in near:
                s = max(w, h) * scale
                x0, y0 = max(0, round(x * scale - s)), max(0, round(y * scale - s))
                x1, y1 = min(sw, round((x + w) * scale + s)), min(sh, round((y + h) * scale + s))
                regions.append((x0, y0, x1, y1, max(lo, round(s / 1.5)), round(s * 1.5)))
        else:
            regions.append((0, 0, sw, sh, lo, min(sh, sw)))
        found: list[Box] = []
        for x0, y0, x1, y1, smin, smax in regions:
            if min(x1 - x0, y1 - y0) < smin or smax < smin:
                continue
            boxes = cascade.detectMultiScale(
                small[y0:y1, x0:x1],
                scaleFactor=SCALE_STEP,
                minNeighbors=4,
                minSize=(smin, smin),
                maxSize=(smax, smax),
            )
            for bx, by, bw, bh in boxes:
                box = ((bx + x0) / scale, (by + y0) / scale, bw / scale, bh / scale)
                if not any(_overlap(box, other) > 0.3 for other in found):
                    found.append(box)
        found.sort(key=lambda b: -b[2] * b[3])
        log.debug("faces: %d", len(found))  # how many, never where
        return found


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


class Spring:
    """Critically damped spring per coordinate: ``x`` follows a target with no overshoot and
    no jump, settling in about ``4 / speed`` frames (x'' = -2ω x' - ω² (x - target), ω = speed,
    stepped one frame at a time with the stable closed form)."""

    def __init__(self, value: Sequence[float]):
        self.x = np.array(value, dtype=np.float64)
        self.v = np.zeros_like(self.x)

    def step(self, target: Sequence[float], speed: float, max_step: float = math.inf) -> None:
        t = np.asarray(target, dtype=np.float64)
        w = speed
        decay = 1.0 / (1.0 + w + 0.48 * w * w + 0.235 * w * w * w)  # ≈ exp(-ω) for one frame
        change = self.x - t
        temp = self.v + w * change
        self.v = (self.v - w * temp) * decay
        new = t + (change + temp) * decay
        move = np.clip(new - self.x, -max_step, max_step)
        self.v = np.clip(self.v, -max_step, max_step)
        self.x = self.x + move


class Follower:
    """What the two face filters share: detection every ``every`` frames, ``hold`` frames of
    patience after the faces are lost, and a restart when the frame size changes."""

    def __init__(self, every: int, hold: int):
        self.every, self.hold = every, hold
        self.detector = FaceDetector()
        self.shape: tuple[int, int] | None = None
        self.n = 0  # frames seen since the (re)start
        self.faces: list[Box] = []
        self.unseen = math.inf  # frames since a face was last detected

    def see(self, frame: np.ndarray) -> bool:
        """Advance one frame; True when this frame ran the detector (``faces`` is new)."""
        if frame.shape[:2] != self.shape:
            self.shape, self.n, self.faces, self.unseen = frame.shape[:2], 0, [], math.inf
        detect = self.n % self.every == 0
        self.n += 1
        if detect:
            found = self.detector.detect(frame, self.faces)
            if found:
                big = found[0][3]
                self.faces = [f for f in found if f[3] >= 0.5 * big]  # no small false faces
                self.unseen = 0
            else:
                self.unseen += self.every
                if self.unseen > self.hold:
                    self.faces = []
        return detect

    @property
    def first(self) -> bool:
        return self.n == 1


class Autoframe:
    """One stream's auto-framing (see ``autoframe``): its own detector, crop and smoothing."""

    def __init__(self, *, margin: float, max_zoom: float, every: int, speed: float, hold: int):
        self.margin, self.max_zoom, self.speed = margin, max_zoom, speed
        self.follow = Follower(every, hold)
        self.crop: Spring | None = None  # centre x, centre y, height of the crop
        self.target: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _aim(self, h: int, w: int) -> tuple[float, float, float]:
        """The crop (cx, cy, ch) that frames the followed faces, or the whole frame."""
        faces = self.follow.faces
        if not faces:
            return (w / 2, h / 2, float(h))
        x0 = min(f[0] for f in faces)
        y0 = min(f[1] for f in faces)
        x1 = max(f[0] + f[2] for f in faces)
        y1 = max(f[1] + f[3] for f in faces)
        room = 2 * self.margin * max(f[3] for f in faces)
        ch = max(y1 - y0 + room, (x1 - x0 + room) * h / w)
        ch = min(max(ch, h / self.max_zoom), float(h))
        return _inside((x0 + x1) / 2, (y0 + y1) / 2, ch, h, w)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = check(frame)
        h, w = frame.shape[:2]
        if self.follow.see(frame) or self.crop is None:
            aim = self._aim(h, w)
            if self.crop is None or self.follow.first:
                self.crop, self.target = Spring(aim), aim
            else:
                moved = max(abs(a - b) for a, b in zip(aim, self.target, strict=True))
                if moved > DEADBAND * self.target[2]:  # no chasing the detector's jitter
                    self.target = aim
        self.crop.step(self.target, self.speed, MAX_STEP * h)
        # unpacked by name, not as *self.crop.x: mypy cannot know an array's length and so
        # assumes a starred argument fills every positional parameter (python/mypy#9142)
        cx, cy, ch = self.crop.x
        cx, cy, ch = _inside(cx, cy, ch, h, w)
        return zoom(frame, cx, cy, ch)


def _inside(cx: float, cy: float, ch: float, h: int, w: int) -> tuple[float, float, float]:
    """The crop (centre, height; the frame's aspect) moved and shrunk to lie inside the frame."""
    ch = min(max(ch, 1.0), float(h))
    cw = ch * w / h
    cx = min(max(cx, cw / 2), w - cw / 2)
    cy = min(max(cy, ch / 2), h - ch / 2)
    return cx, cy, ch


def zoom(frame: np.ndarray, cx: float, cy: float, ch: float) -> np.ndarray:
    """The crop of height ``ch`` (the frame's aspect) centred on (cx, cy), resized back to the
    frame's size; the frame itself when the crop is the whole frame."""
    h, w = frame.shape[:2]
    ih = min(h, max(1, round(ch)))
    iw = min(w, max(1, round(ch * w / h)))
    if ih >= h and iw >= w:
        return frame
    x0 = min(max(0, round(cx - iw / 2)), w - iw)
    y0 = min(max(0, round(cy - ih / 2)), h - ih)
    return cv2.resize(frame[y0 : y0 + ih, x0 : x0 + iw], (w, h), interpolation=cv2.INTER_LINEAR)


def autoframe(
    frame: np.ndarray,
    *,
    margin: float = 1.0,
    max_zoom: float = 2.0,
    every: int = 8,
    speed: float = 0.08,
    hold: int = 45,
) -> np.ndarray:
    """Crop and zoom to keep the face(s) centred: crop height = faces' height + 2·margin·face
    height (at least frame height / max_zoom), resized back to the frame's size.

    In a chain the crop glides (a critically damped spring with ω = ``speed`` per frame) and
    eases back out to the whole frame ``hold`` frames after the last face was seen; faces are
    looked for every ``every`` frames. This function is a stream of one frame: framed at once.
    Keeps what it is given (gray or colour)."""
    return Autoframe(margin=margin, max_zoom=max_zoom, every=every, speed=speed, hold=hold)(frame)

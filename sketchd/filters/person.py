"""Where the person is in a frame: MediaPipe's Selfie Segmentation (landscape) model, run by
OpenCV's own dnn module, and the guided filter that fits its coarse mask to the picture.

The model ships inside sketchd (``sketchd/data/models/``, its origin, licence and checksum in
the README there): nothing is downloaded, ever, and mediapipe itself is not needed. It takes
the frame squeezed to 256x144 RGB in [0, 1] (NCHW float32) and gives a 256x144 person
probability. The file's sha256 is checked when it is first read; each thread that segments
gets its own ``cv2.dnn.Net``, made at its first frame (a Net is not safe to share between
threads, and one costs ~2 ms to make), so only a chain that uses the model ever loads it.

Privacy: masks live only in the filters' memory for the next frame; nothing is logged above
DEBUG, written or sent anywhere.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from pathlib import Path

import cv2
import numpy as np

from sketchd.errors import SketchdError

log = logging.getLogger(__name__)

MODEL_FILE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "models"
    / ("selfie_segmentation_landscape.tflite")
)
MODEL_SHA256 = "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd"
INPUT_W, INPUT_H = 256, 144  # the landscape model's input (and output) size


class SegmenterError(SketchdError):
    """The person-segmentation model is missing, damaged, or this OpenCV cannot run it."""


@functools.cache
def model_bytes() -> np.ndarray:
    """The model file's bytes (read-only), once its sha256 has been checked."""
    try:
        data = MODEL_FILE.read_bytes()
    except OSError as e:
        raise SegmenterError(
            f"the portrait presets need the person-segmentation model {MODEL_FILE}, which "
            f"cannot be read ({e.strerror or e}); reinstall sketchd"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise SegmenterError(
            f"{MODEL_FILE}: sha256 {digest[:16]}… is not the shipped model's "
            f"{MODEL_SHA256[:16]}…; the file is damaged: reinstall sketchd"
        )
    buf = np.frombuffer(data, np.uint8)
    buf.flags.writeable = False
    return buf


_local = threading.local()


def loaded_here() -> cv2.dnn.Net | None:
    """This thread's copy of the model if it has loaded one (the model loads at first use)."""
    return getattr(_local, "net", None)


def unload() -> None:
    """Forget the model in every thread, and its checked bytes: the next use reads the file,
    checks it and loads it again, as at a daemon's start."""
    global _local
    _local = threading.local()
    model_bytes.cache_clear()


def _net() -> cv2.dnn.Net:
    """This thread's copy of the model, made at its first use."""
    net = loaded_here()
    if net is None:
        reader = getattr(cv2.dnn, "readNetFromTFLite", None)
        if reader is None:
            raise SegmenterError(
                f"this OpenCV ({cv2.__version__}) cannot read TensorFlow Lite models; "
                "install opencv-python-headless>=4.12,<5"
            )
        try:
            net = reader(model_bytes())
        except cv2.error as e:
            raise SegmenterError(f"{MODEL_FILE}: OpenCV could not load the model ({e})") from None
        _local.net = net
        log.debug("person segmentation model loaded in thread %s", threading.current_thread().name)
    return net


def shrink(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """``frame`` resized to width x height: bilinear to twice the size first, then area, which
    costs 0.2-0.5 ms from 1080p where one area resize costs 3 ms, without striding's aliasing."""
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    if w > 2 * width and h > 2 * height:
        frame = cv2.resize(frame, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
    inter = cv2.INTER_AREA if frame.shape[1] >= width else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=inter)


def probability(bgr: np.ndarray) -> np.ndarray:
    """The model's person probability for a BGR frame: 144x256 float32 in [0, 1].

    The frame is squeezed to the model's 256x144 whatever its aspect, as MediaPipe itself
    feeds it (its ImageToTensor step, aspect not kept); the output maps back the same way."""
    small = shrink(bgr, INPUT_W, INPUT_H)
    blob = cv2.dnn.blobFromImage(small, 1.0 / 255.0, swapRB=True)  # NCHW RGB [0, 1]
    net = _net()
    net.setInput(blob)
    out = net.forward()
    return np.clip(out.reshape(INPUT_H, INPUT_W), 0.0, 1.0)


def guided(guide: np.ndarray, p: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter (gray guide): ``q = mean(a)·I + mean(b)`` with ``a = cov(I, p)
    / (var(I) + eps)``, ``b = mean(p) − a·mean(I)``, means over (2·radius+1)² boxes.

    ``guide`` and ``p`` are float32 of one size, guide in [0, 1]. Where the picture has an edge
    near the mask's edge, the mask's edge moves onto it; in flat regions the mask is smoothed."""
    k = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(p)
    cov = box(cv2.multiply(guide, p)) - mean_i * mean_p
    var = box(cv2.multiply(guide, guide)) - mean_i * mean_i
    a = cov / (var + np.float32(eps))
    b = mean_p - a * mean_i
    return cv2.add(cv2.multiply(box(a), guide), box(b))


__all__ = ["MODEL_FILE", "MODEL_SHA256", "SegmenterError", "guided", "probability", "shrink"]

"""The publish loop's pieces for a test: the shipped config, small camera pictures and frames,
and a Publisher on a hand-driven clock (tests/helpers/clock.py)."""

from __future__ import annotations

import cv2
import numpy as np

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.pipeline.demand import Demand
from sketchd.pipeline.engine import Publisher
from sketchd.pipeline.frames import CameraFrame
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from sketchd.presets import settings_for

W, H = 160, 90
CONFIG = parse(paths.default_config_file().read_text())  # never the user's own file


def photo(w: int = 120, h: int = 90) -> np.ndarray:
    """A small picture with edges and colour (a sketch of a flat frame would be blank)."""
    img = np.full((h, w, 3), (40, 120, 200), np.uint8)
    cv2.circle(img, (w // 2, h // 2), min(w, h) // 3, (230, 230, 230), -1)
    cv2.rectangle(img, (5, 5), (w // 4, h // 4), (10, 10, 10), -1)
    return img


def frame(img: np.ndarray, seq: int, t: float) -> CameraFrame:
    return CameraFrame(img, "BGR", img.shape[1], img.shape[0], seq, t)


def publisher(
    preset: str = "pencil", clock=None, sinks=(), demand: Demand | None = None, **toggles
) -> Publisher:
    """A Publisher of ``preset`` at W x H, 30 fps, sending to ``sinks`` on ``clock``."""
    s = settings_for(CONFIG, preset, **toggles)
    stats = Stats(started=clock())
    return Publisher(Mailbox(), list(sinks), s, W, H, 30, stats, clock=clock, demand=demand)


def jpeg(img: np.ndarray) -> np.ndarray:
    return cv2.imencode(".jpg", img)[1].reshape(-1)


def mjpg(data: np.ndarray, seq: int, t: float = 100.0) -> CameraFrame:
    return CameraFrame(data, "MJPG", 120, 90, seq, t)

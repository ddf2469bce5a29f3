"""`sketchd preview`: the camera and its sketch side by side in one window.

q or Esc quits, s saves a snapshot, 1-9 switch presets. Uses the same capture thread and
processing as the daemon, so what you see is what the call sees.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

import cv2
import numpy as np

from sketchd import snapshots
from sketchd.app import settings_for
from sketchd.config.schema import Config
from sketchd.errors import SketchdError
from sketchd.pipeline.engine import Capture, Stats, process
from sketchd.pipeline.frames import DecodeError, decode, fit
from sketchd.pipeline.mailbox import Mailbox
from sketchd.sources import make_source

log = logging.getLogger(__name__)
WINDOW = "sketchd preview - q quits, s saves, 1-9 switch presets"


def side_by_side(original: np.ndarray, sketch: np.ndarray, height: int = 480) -> np.ndarray:
    """Original | sketch, both BGR at ``height`` px high."""
    panels = []
    for img in (original, sketch):
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
        h, w = img.shape[:2]
        panels.append(fit(img, max(1, round(w * height / h)), height))
    return np.hstack(panels)


def run_preview(config: Config) -> int:
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        raise SketchdError("preview needs a display (no DISPLAY or WAYLAND_DISPLAY is set)")
    names = list(config.presets)
    settings = settings_for(config, config.preset)
    stop = threading.Event()
    mailbox: Mailbox = Mailbox()
    capture = Capture(make_source(config.camera), mailbox, stop, Stats())
    capture.start()
    version = 0
    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
        while True:
            frame, newer = mailbox.wait_newer(version, 0.5)
            if frame is not None and newer != version:
                version = newer
                try:
                    view = side_by_side(decode(frame, gray=False), process(frame, settings))
                except DecodeError:
                    continue
                cv2.imshow(WINDOW, view)
            key = cv2.waitKey(1) & 0xFF
            if key in (ord("q"), 27):
                break
            if key == ord("s") and frame is not None:
                snapshots.save(process(frame, settings), config.snapshots.folder)
            if ord("1") <= key <= ord("9") and key - ord("1") < len(names):
                settings = settings_for(config, names[key - ord("1")])
                log.info("preset: %s", settings.preset)
            if cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                break
    finally:
        stop.set()
        capture.join(1.0)
        cv2.destroyAllWindows()
    return 0

"""Snapshots: the only way sketchd ever writes a frame to disk, and only when asked."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from sketchd import paths
from sketchd.errors import SketchdError

log = logging.getLogger(__name__)


def save(frame: np.ndarray, folder_setting: str = "auto") -> Path:
    """Write ``frame`` as a PNG named by the time into the snapshot folder; return its path."""
    folder = paths.snapshot_dir(folder_setting)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SketchdError(f"cannot create the snapshot folder {folder}: {e.strerror}") from None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
    path = folder / f"sketchd-{stamp}.png"
    if not cv2.imwrite(str(path), frame):
        raise SketchdError(f"could not write the snapshot to {path}")
    log.info("snapshot: %s", path)
    return path

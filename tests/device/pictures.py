"""What a call app should receive from the device tests' sketchd: the test config, the
expected picture, and the cards (shared by the device tests; no tests here)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sketchd.filters import build
from sketchd.pipeline.frames import card, fit
from sketchd.sinks.convert import VIDEO_RANGE

W, H = 640, 360  # output size: the 4:3 camera is letterboxed into it


def config_file(tmp_path: Path, preset: str = "pencil", **output: object) -> Path:
    """The device tests' config: the fed 640x480 YUYV webcam, a W x H output at 15 fps with
    ``output`` keys on top (format, width, a list of devices ...)."""
    keys: dict[str, object] = {"width": W, "height": H, "fps": 15, **output}
    shown = {k: "[" + ", ".join(map(str, v)) + "]" if isinstance(v, list) else v
             for k, v in keys.items()}  # fmt: skip
    path = tmp_path / "sketchd.yaml"
    path.write_text(
        "camera: {width: 640, height: 480, fps: 30, format: YUYV}\n"
        "output: {" + ", ".join(f"{k}: {v}" for k, v in shown.items()) + "}\n"
        f"preset: {preset}\n"
    )
    return path


def expected(camera_y: np.ndarray, preset: str) -> np.ndarray:
    """The Y plane a call app should receive: the preset applied to the camera frame sketchd
    saw, letterboxed, in BT.601 video range (Y 16-235) like any webcam's I420."""
    out = fit(build(preset)(camera_y), W, H)
    if out.ndim == 3:
        return cv2.cvtColor(out, cv2.COLOR_BGR2YUV_I420)[:H]
    return cv2.LUT(out, VIDEO_RANGE)


def is_placeholder(y: np.ndarray) -> bool:
    ref = card(W, H, "Camera unavailable", "sketchd keeps trying; the picture returns by itself")
    return float(np.abs(y.astype(np.int16) - cv2.LUT(ref, VIDEO_RANGE)).mean()) < 3.0


def is_off_card(y: np.ndarray) -> bool:
    ref = card(W, H, "Sketch Camera is off", "sketchd has stopped; start it to go live again")
    return float(np.abs(y.astype(np.int16) - cv2.LUT(ref, VIDEO_RANGE)).mean()) < 3.0


def live_diff(frames: list[np.ndarray], want: np.ndarray) -> float:
    """mean |Δ| of the newest live frame (no card) against the expected sketch; inf if none."""
    live = [y for y in frames if not is_placeholder(y) and not is_off_card(y)]
    if not live:
        return float("inf")
    return float(np.abs(live[-1].astype(np.int16) - want.astype(np.int16)).mean())

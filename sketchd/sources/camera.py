"""The physical webcam through OpenCV: open by index or path, negotiate, read raw frames.

On Linux the V4L2 backend hands over the camera's own bytes (MJPG or YUYV) so the publish loop
decodes only what the preset needs; elsewhere OpenCV decodes to BGR as usual.
"""

from __future__ import annotations

import logging
import os
import time

import cv2
import numpy as np

from sketchd import devices
from sketchd.config.schema import CameraConfig
from sketchd.devices import quoted
from sketchd.errors import CameraError, and_then
from sketchd.pipeline.frames import CameraFrame
from sketchd.platform import is_linux
from sketchd.sources.camera_name import CameraFinder, choose, is_name

log = logging.getLogger(__name__)

# USB 2 cameras give only ~5 fps of YUYV at 1080p, so ask for MJPG at 720p and above
MJPG_FROM_PIXELS = 1280 * 720
READ_TIMEOUT_MS = 1000


def fourcc_text(code: float) -> str:
    n = int(code)
    text = "".join(chr((n >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else "?"


def wanted_format(cfg: CameraConfig) -> str:
    if cfg.format != "auto":
        return cfg.format
    return "MJPG" if cfg.width * cfg.height >= MJPG_FROM_PIXELS else "YUYV"


def resolve_device(device: int | str) -> int | str:
    """The device OpenCV opens: an index, a path, for "auto" the first real camera, for a
    camera's name the device with that name now (see camera_name)."""
    if is_name(device):
        _names_need_linux()
        return choose(str(device), devices.named_cameras()).device.path
    if device != "auto":
        return device
    if is_linux():
        from sketchd.devices import cameras

        found = cameras()
        if not found:
            raise CameraError(no_camera_message("auto"))
        return found[0].path
    return 0


def _names_need_linux() -> None:
    if not is_linux():
        raise CameraError(
            "camera names work on Linux only; here pick the camera by index "
            "(--camera 0 or camera.device: 0 is the first camera)"
        )


def no_camera_message(device: int | str) -> str:
    from sketchd.devices import describe_cameras

    return (
        f"no camera at {device!r}. {describe_cameras()}\n"
        "Pick one with --camera DEVICE (or camera.device in the config), "
        "list them with `sketchd devices`, or try --camera demo."
    )


def check_exists(cfg: CameraConfig) -> None:
    """Fail fast, before anything opens, when the camera asked for by path plainly is not
    there (Linux: no such device node). A camera that is there but busy is retried instead,
    and so is "auto" or a camera's name with no such camera yet: started at login before the
    webcam is plugged in, sketchd publishes the placeholder and picks the camera up when it
    appears."""
    if is_name(cfg.device):
        _names_need_linux()
        try:
            choose(str(cfg.device), devices.named_cameras())
        except CameraError as e:
            log.warning("%s", and_then(str(e), "waiting for it to be plugged in"))
        return
    if not is_linux() or cfg.device == "demo":
        return
    if cfg.device == "auto":
        from sketchd.devices import cameras

        if not cameras():
            wait = "waiting for one to be plugged in"
            log.warning("%s", and_then(no_camera_message("auto"), wait))
        return
    device = resolve_device(cfg.device)
    path = f"/dev/video{device}" if isinstance(device, int) else device
    if not os.path.exists(path):
        raise CameraError(no_camera_message(cfg.device))


class CameraSource:
    """A camera by index, path, "auto" or name. A name is looked up again at every open (the
    capture thread's reconnects), so the camera is found at its new node after a replug;
    ``finder`` replaces that lookup (tests)."""

    def __init__(self, cfg: CameraConfig, finder: CameraFinder | None = None):
        self.cfg = cfg
        self.name = str(cfg.device)
        if finder is None and is_name(cfg.device):
            finder = CameraFinder(str(cfg.device))
        self._finder = finder
        self._cap: cv2.VideoCapture | None = None
        self._raw = False
        self._fmt = "BGR"
        self._size = (cfg.width, cfg.height)
        self._seq = 0

    def open(self) -> str:
        linux = is_linux()
        device: int | str
        if self._finder is not None:
            _names_need_linux()
            found = self._finder.find()
            device, self.name = found.path, f"{found.path} {quoted(found.name)}"
        else:
            device = resolve_device(self.cfg.device)
            self.name = str(device)
        if isinstance(device, str) and linux and not os.path.exists(device):
            raise CameraError(no_camera_message(device))
        api = cv2.CAP_V4L2 if linux else cv2.CAP_ANY
        cap = cv2.VideoCapture(device, api)
        if not cap.isOpened():
            cap.release()
            busy = isinstance(device, str) and os.path.exists(device)
            if busy:
                raise CameraError(
                    f"camera {self.name} exists but cannot be opened: another program may be "
                    "using it (close it), or it delivers no picture yet"
                )
            raise CameraError(no_camera_message(device))
        want = wanted_format(self.cfg)
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*want))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.cfg.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.cfg.height)
        cap.set(cv2.CAP_PROP_FPS, self.cfg.fps)
        if hasattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC"):
            cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS)
        got = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._size = (w, h)
        # raw bytes only where we know their layout: V4L2 with MJPG or YUYV
        self._raw = linux and got in ("MJPG", "YUYV") and bool(cap.set(cv2.CAP_PROP_CONVERT_RGB, 0))
        self._fmt = got if self._raw else "BGR"
        self._cap = cap
        self._seq = 0  # a new run of the camera: the stateful filters start afresh on it
        desc = (
            f"{self.name}: asked {self.cfg.width}x{self.cfg.height} {want} @ {self.cfg.fps} fps, "
            f"delivers {w}x{h} {got} @ {fps:g} fps"
        )
        if (w, h) != (self.cfg.width, self.cfg.height):
            desc += " (a different size: frames are fitted to the output)"
        return desc

    def read(self) -> CameraFrame:
        cap = self._cap
        if cap is None:
            raise CameraError(f"camera {self.name} is not open")
        ok, data = cap.read()
        if not ok or data is None or data.size == 0:
            raise CameraError(f"camera {self.name} delivered no frame (unplugged or stalled?)")
        self._seq += 1
        t = time.monotonic()
        w, h = self._size
        fmt = self._fmt
        if fmt == "YUYV" and (data.ndim != 3 or data.shape[:2] != (h, w)):
            data = np.ascontiguousarray(data).reshape(h, w, 2)
        elif fmt == "BGR" and data.ndim == 3:
            h, w = data.shape[:2]
        return CameraFrame(data, fmt, w, h, self._seq, t)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

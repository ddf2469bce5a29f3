"""Fixtures for tests against a real v4l2loopback device (run inside ../shared/tools/v4l2vm).

/dev/video10 is "Sketch Camera" (sketchd's output), /dev/video11 "Fake Webcam": ffmpeg feeds it
to act as the physical camera, and ffmpeg reading /dev/video10 plays the video-call app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.process import SketchdRun, end
from tests.helpers.readers import I420Reader

OUT_DEV, CAM_DEV = "/dev/video10", "/dev/video11"
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.device)


@pytest.fixture(scope="session", autouse=True)
def _require_devices():
    missing = [d for d in (OUT_DEV, CAM_DEV) if not os.path.exists(d)]
    if missing or not shutil.which("ffmpeg"):
        msg = f"needs the v4l2vm rig ({', '.join(missing) or 'ffmpeg'} missing)"
        if os.environ.get("SKETCHD_REQUIRE_DEVICE"):
            pytest.fail(msg)  # in CI a silent skip would hide a broken rig
        pytest.skip(msg)


def guest_env(folder: Path) -> dict[str, str]:
    """Environment for a sketchd process in the guest: sockets on tmpfs, a private HOME in
    ``folder``."""
    run = Path("/run/user/0")
    run.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), HOME=str(folder / "home"))
    env["XDG_CONFIG_HOME"] = str(folder / "home" / ".config")
    env["XDG_STATE_HOME"] = str(folder / "home" / ".local" / "state")
    return env


@pytest.fixture
def vm_env(tmp_path):
    return guest_env(tmp_path)


@pytest.fixture(scope="session")
def photo(tmp_path_factory) -> Path:
    """The webcam's picture for the feeder to loop: scikit-image's astronaut at 640x480."""
    import importlib.util

    import cv2

    spec = importlib.util.find_spec("skimage")
    assert spec and spec.origin, "the device suite needs scikit-image's photos (the test extra)"
    img = cv2.resize(
        cv2.imread(str(Path(spec.origin).parent / "data" / "astronaut.png")), (640, 480)
    )
    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    cv2.imwrite(str(path), img)
    return path


class Feeder:
    """ffmpeg writing to /dev/video11: the 'physical webcam'."""

    def __init__(self, args: list[str]):
        self.args = args
        self.proc: subprocess.Popen | None = None

    def start(self) -> Feeder:
        cmd = [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            *self.args,
            "-f",
            "v4l2",
            "-pix_fmt",
            "yuyv422",
            CAM_DEV,
        ]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        if self.proc:
            end(self.proc)


@pytest.fixture
def feeder():
    made: list[Feeder] = []

    def make(*args: str) -> Feeder:
        f = Feeder(list(args)).start()
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


Sketchd = SketchdRun  # the device tests' name for it


def run_sketchd(args: Sequence[str], env: dict, log: Path, on_demand: bool = False) -> Sketchd:
    extra = [] if on_demand else ["--always-on"]
    return Sketchd([*args, *extra], env, log)


@pytest.fixture
def sketchd(vm_env, tmp_path):
    made: list[Sketchd] = []

    def start(*args: str, on_demand: bool = False) -> Sketchd:
        """sketchd with ``args``; the camera always on (--always-on) unless ``on_demand``:
        most tests look at the picture, and the on-demand tests at when the camera opens."""
        s = run_sketchd(args, vm_env, tmp_path / f"sketchd{len(made)}.log", on_demand)
        made.append(s)
        return s

    yield start
    for s in made:
        s.stop()


class Reader(I420Reader):
    """ffmpeg reading /dev/video10 as a call app would, frames (Y plane) timestamped on
    arrival. Runs until stopped."""

    def __init__(self, width: int, height: int, dev: str = OUT_DEV):
        cmd = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "v4l2", "-i", dev,
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
        ]  # fmt: skip
        super().__init__(cmd, width, height)

    def stop(self) -> None:
        self.end()


def open_as_webcam(fourcc: bytes, width: int, height: int, sizeimage: int, stride: int = 0) -> int:
    """Open /dev/video11 as its producer with the given format set (VIDIOC_S_FMT), so the
    test writes frames into the 'physical webcam' itself. Returns the file descriptor."""
    import fcntl
    import struct

    from sketchd.platform.linux.v4l2out import (
        BUF_TYPE_VIDEO_OUTPUT,
        COLORSPACE_SRGB,
        FIELD_NONE,
        FMT,
        VIDIOC_S_FMT,
    )

    fd = os.open(CAM_DEV, os.O_RDWR)
    fmt = bytearray(FMT.size)
    struct.pack_into("I", fmt, 0, BUF_TYPE_VIDEO_OUTPUT)
    struct.pack_into(
        "8I", fmt, 8,
        width, height, int.from_bytes(fourcc, "little"), FIELD_NONE,
        stride, sizeimage, COLORSPACE_SRGB, 0,
    )  # fmt: skip
    fcntl.ioctl(fd, VIDIOC_S_FMT, fmt)
    return fd


def producing(dev: str) -> bool:
    """Whether a producer has set a format on a loopback device (readers may open it then).
    Opening it earlier would take it as a capture device and lock the producer out."""
    fmt = Path("/sys/class/video4linux") / Path(dev).name / "format"
    try:
        return bool(fmt.read_text().strip())
    except OSError:
        return False


def wait_for_output(timeout: float, dev: str = OUT_DEV) -> bool:
    """True once something publishes to ``dev`` (without opening it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if producing(dev):
            return True
        time.sleep(0.2)
    return False


def read_camera_y(timeout: float = 30) -> np.ndarray:
    """One frame from /dev/video11 as sketchd sees it: the raw Y plane of the YUYV frame."""
    return read_camera_yuyv(timeout)[:, :, 0].copy()


def read_camera_yuyv(timeout: float = 30) -> np.ndarray:
    """One frame from /dev/video11 as sketchd receives it: the raw YUYV frame, HxWx2 (a
    colour preset sees ``cv2.cvtColor(it, cv2.COLOR_YUV2BGR_YUYV)``)."""
    import cv2

    assert wait_for_output(timeout, CAM_DEV), "the feeder never set a format on /dev/video11"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        cap = cv2.VideoCapture(CAM_DEV, cv2.CAP_V4L2)
        if cap.isOpened():
            cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
            for _ in range(3):
                ok, data = cap.read()
            cap.release()
            if ok:
                h, w = int(data.shape[0]), data.size // (2 * int(data.shape[0]))
                return np.ascontiguousarray(data).reshape(h, w, 2).copy()
        time.sleep(0.3)
    raise AssertionError("the feeder never delivered a frame on /dev/video11")


LOOPBACK_OPTS = [
    "devices=2",
    "video_nr=10,11",
    'card_label="Sketch Camera,Fake Webcam"',
    "exclusive_caps=1,1",
]


def _module_file() -> Path:
    """The v4l2loopback.ko of the release the guest booted with.

    v4l2vm keeps one module per release (``v4l2loopback-0.12.ko``, ``-0.13.ko``, ``-0.15.ko``);
    the guest's ``$V4L2VM_LOOPBACK`` holds the exact release ("0.12.7"), and the file is named
    by its major.minor. Reloading another release than the one booted would silently test the
    wrong driver, so without the variable the loaded module's own version (sysfs) decides.
    """
    cache = os.environ.get("V4L2VM_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "v4l2vm"
    )
    release = os.environ.get("V4L2VM_LOOPBACK") or _read_text(
        Path("/sys/module/v4l2loopback/version")
    )
    major_minor = ".".join(release.split(".")[:2])
    return Path(cache) / (f"v4l2loopback-{major_minor}.ko" if major_minor else "v4l2loopback.ko")


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


@pytest.fixture
def fresh_loopback():
    """Reload v4l2loopback before a test that publishes.

    v4l2loopback 0.12.7 with exclusive_caps=1 leaves a device unusable (EINVAL on S_FMT) once a
    producer and a reader have both closed it (upstream issue #442); only a module reload clears
    it. Each publishing test therefore starts on fresh devices, as a user's fresh boot would.
    """
    reload_loopback(LOOPBACK_OPTS, (OUT_DEV, CAM_DEV))
    yield


SECOND_OUT = "/dev/video12"


@pytest.fixture
def second_output():
    """The rig's devices plus /dev/video12 "Sketch Camera 2", as the packaging makes them for
    two call apps at once; the rig's own two again afterwards."""
    reload_loopback(
        [
            "devices=3",
            "video_nr=10,11,12",
            'card_label="Sketch Camera,Fake Webcam,Sketch Camera 2"',
            "exclusive_caps=1,1,1",
        ],
        (OUT_DEV, CAM_DEV, SECOND_OUT),
    )
    yield SECOND_OUT
    reload_loopback(LOOPBACK_OPTS, (OUT_DEV, CAM_DEV))


def reload_loopback(opts: list[str], devices: tuple[str, ...]) -> None:
    ko = _module_file()
    busybox = shutil.which("busybox")
    if not ko.exists() or not busybox:
        msg = f"cannot reload v4l2loopback ({ko} or busybox missing)"
        if os.environ.get("SKETCHD_REQUIRE_DEVICE"):
            pytest.fail(msg)  # a renamed module file once skipped every publishing test
        pytest.skip(msg)
    for _ in range(50):  # the previous test's processes may still be closing the devices
        if subprocess.run([busybox, "rmmod", "v4l2loopback"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    done = subprocess.run([busybox, "insmod", str(ko), *opts], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    end = time.monotonic() + 5
    while not all(os.path.exists(d) for d in devices):
        assert time.monotonic() < end, "devices did not come back after reloading v4l2loopback"
        time.sleep(0.05)

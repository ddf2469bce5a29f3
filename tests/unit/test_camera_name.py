"""A camera by its name: the lookup rules, identity across a replug at another /dev/videoN, the
config and --camera checks, and `sketchd devices`. The OS is faked at its edge only: a /sys tree
of plain files with VIDIOC_QUERYCAP answered by a table, a device lister, and OpenCV's
VideoCapture (which opens the device node)."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from sketchd import cli, devices
from sketchd.config.schema import CameraConfig, camera_device, validate
from sketchd.devices import Device
from sketchd.errors import CameraError
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from sketchd.platform.linux import v4l2 as linux_v4l2
from sketchd.sources import camera
from sketchd.sources.camera_name import CameraFinder, choose, is_name

CAPTURE = linux_v4l2.CAP_VIDEO_CAPTURE
LOOPBACK_BUS = "platform:v4l2loopback-0{nr}"


class FakeV4l2:
    """/sys/class/video4linux, /dev and /dev/v4l/by-id made of plain files, and QUERYCAP's
    answers per node (what the kernel would say)."""

    def __init__(self, root: Path):
        self.root = root
        self.sys_class = root / "sys" / "class" / "video4linux"
        self.dev = root / "dev"
        self.by_id = self.dev / "v4l" / "by-id"
        self.sys_class.mkdir(parents=True)
        self.by_id.mkdir(parents=True)
        self.caps: dict[str, tuple[str, str, str, int]] = {}

    def _node(self, parent: Path, nr: int, name: str, loopback: bool) -> str:
        real = parent / "video4linux" / f"video{nr}"
        real.mkdir(parents=True)
        (real / "name").write_text(name + "\n")
        if loopback:
            (real / "max_openers").write_text("10\n")
        (self.sys_class / f"video{nr}").symlink_to(real)
        path = self.dev / f"video{nr}"
        path.write_text("")
        return str(path)

    def webcam(self, nr: int, name: str, bus: str, serial: str = "", caps: int = CAPTURE) -> str:
        usb = self.root / "sys" / "devices" / "pci0000:00" / bus
        path = self._node(usb, nr, name, loopback=False)
        self.caps[path] = ("uvcvideo", name, bus, caps)
        if serial:
            link = self.by_id / f"usb-{name.replace(' ', '_')}_{serial}-video-index0"
            link.symlink_to(f"../../video{nr}")
        return path

    def loopback(self, nr: int, name: str, producing: bool = True) -> str:
        path = self._node(self.root / "sys" / "devices" / "virtual", nr, name, loopback=True)
        caps = CAPTURE if producing else linux_v4l2.CAP_VIDEO_OUTPUT
        self.caps[path] = (linux_v4l2.LOOPBACK_DRIVER, name, f"platform:v4l2loopback-{nr:03}", caps)
        return path

    def unplug(self, nr: int) -> None:
        (self.sys_class / f"video{nr}").unlink()
        (self.dev / f"video{nr}").unlink()
        for link in self.by_id.iterdir():
            if link.readlink().name == f"video{nr}":
                link.unlink()

    def list(self) -> list[linux_v4l2.VideoDevice]:
        return LIST_DEVICES(self.sys_class, str(self.dev), self.by_id, query=self.caps.get)


LIST_DEVICES = linux_v4l2.list_devices  # the real parsing, run on the fake tree


@pytest.fixture
def v4l2(tmp_path, monkeypatch) -> FakeV4l2:
    fake = FakeV4l2(tmp_path / "root")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(linux_v4l2, "list_devices", lambda *a, **k: fake.list())
    monkeypatch.setattr(linux_v4l2, "exclusive_caps_for", lambda d, *a: True)
    return fake


def cam(path: str, name: str, bus: str = "", by_id: str = "", kind: str = "camera") -> Device:
    return Device(path, name, kind, "", bus, by_id)


# ---------------------------------------------------------------- the OS edge: sysfs, by-id


def test_devices_carry_their_bus_and_by_id_link(v4l2):
    c920 = v4l2.webcam(0, "HD Pro Webcam C920", "usb-0000:00:14.0-1", serial="A1B2")
    v4l2.webcam(1, "HD Pro Webcam C920", "usb-0000:00:14.0-1", caps=0)  # its metadata node
    fake = v4l2.loopback(11, "Fake Webcam", producing=False)
    [webcam] = devices.cameras()
    assert (webcam.path, webcam.name, webcam.bus_info) == (
        c920,
        "HD Pro Webcam C920",
        "usb-0000:00:14.0-1",
    )
    assert webcam.by_id.endswith("/v4l/by-id/usb-HD_Pro_Webcam_C920_A1B2-video-index0")
    named = {d.path: d for d in devices.named_cameras()}
    assert set(named) == {c920, fake}  # not the metadata node; the loopback device even unfed
    assert named[fake].kind == "virtual"
    assert named[fake].bus_info == "platform:v4l2loopback-011"


def test_by_id_links_without_udev_are_none(tmp_path):
    assert linux_v4l2.by_id_links(tmp_path / "no-such-dir") == {}


# ---------------------------------------------------------------- the rules


FOUND = [
    cam("/dev/video0", "HD Pro Webcam C920", "usb-0000:00:14.0-1"),
    cam("/dev/video2", "Integrated Camera: Integrated C", "usb-0000:00:14.0-5"),
    cam("/dev/video10", "Sketch Camera", "platform:v4l2loopback-010", kind="virtual"),
    cam("/dev/video11", "Fake Webcam", "platform:v4l2loopback-011", kind="virtual"),
]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("HD Pro Webcam C920", "/dev/video0"),  # exact
        ("hd pro webcam c920 ", "/dev/video0"),  # any case, spaces around
        ("c920", "/dev/video0"),  # part of one physical camera's name
        ("Integrated", "/dev/video2"),
        ("Fake Webcam", "/dev/video11"),  # a loopback device, named in full
        ("fake webcam", "/dev/video11"),
    ],
)
def test_a_name_picks_by_the_documented_rules(name, path):
    assert choose(name, FOUND).device.path == path


def test_a_part_of_a_name_never_picks_a_virtual_camera():
    with pytest.raises(CameraError, match='no camera named "Fake"'):
        choose("Fake", FOUND)
    assert choose("Camera", FOUND).device.path == "/dev/video2"  # not "Sketch Camera"


def test_a_part_of_two_names_is_not_guessed():
    two = [*FOUND, cam("/dev/video4", "USB Webcam", "usb-0000:00:14.0-2")]
    with pytest.raises(CameraError) as e:
        choose("webcam", two)
    assert 'part of several camera names: "HD Pro Webcam C920", "USB Webcam"' in str(e.value)
    assert "give the whole name" in str(e.value)


def test_sketchds_own_virtual_camera_is_never_the_camera():
    with pytest.raises(CameraError) as e:
        choose("sketch camera", FOUND)
    assert '"sketch camera" is sketchd\'s own virtual camera' in str(e.value)


def test_no_such_name_lists_every_camera_with_its_name_and_a_suggestion():
    with pytest.raises(CameraError) as e:
        choose("Fake Webcm", FOUND)
    text = str(e.value)
    assert 'no camera named "Fake Webcm"' in text
    assert '/dev/video0 "HD Pro Webcam C920" (bus usb-0000:00:14.0-1)' in text
    assert 'Virtual cameras (taken by their whole name only): /dev/video10 "Sketch Camera"' in text
    assert '/dev/video11 "Fake Webcam" (bus platform:v4l2loopback-011)' in text
    assert 'Did you mean "Fake Webcam"?' in text
    assert "sketchd devices" in text and "--camera demo" in text


def test_two_cameras_of_one_name_prefer_the_one_used_before():
    a = cam("/dev/video4", "USB Camera", "usb-1-1", "/dev/v4l/by-id/usb-cam-A")
    b = cam("/dev/video2", "USB Camera", "usb-1-2", "/dev/v4l/by-id/usb-cam-B")
    first = choose("USB Camera", [a, b])
    assert first.device is b and "took the lowest number" in first.why
    assert "/dev/video4, /dev/video2" in first.why
    # A moved to another port and number: its by-id link (its serial) still tells it apart
    a_moved = cam("/dev/video6", "USB Camera", "usb-1-3", "/dev/v4l/by-id/usb-cam-A")
    again = choose("USB Camera", [b, a_moved], last=a)
    assert again.device is a_moved and "same /dev/v4l/by-id link" in again.why
    # no serial, so no by-id link: the USB port tells them apart
    c, d = cam("/dev/video8", "USB Camera", "usb-1-1"), cam("/dev/video9", "USB Camera", "usb-1-2")
    assert (
        choose("USB Camera", [c, d], last=cam("/dev/video3", "USB Camera", "usb-1-2")).device is d
    )


def test_what_counts_as_a_name():
    assert is_name("HD Pro Webcam C920") and is_name("Fake Webcam")
    assert not any(is_name(v) for v in ("auto", "demo", "/dev/video0", "/dev/v4l/by-id/x", 0))


# ---------------------------------------------------------------- following it across a replug


def test_the_finder_follows_the_camera_to_its_new_node_and_says_so(caplog):
    now: list[Device] = [cam("/dev/video11", "Fake Webcam", "platform:v4l2loopback-011")]
    finder = CameraFinder("Fake Webcam", lister=lambda: list(now))
    with caplog.at_level(logging.INFO, logger="sketchd.sources.camera_name"):
        assert finder.find().path == "/dev/video11"
        assert finder.find().path == "/dev/video11"  # unchanged: said once
        now.clear()  # unplugged
        with pytest.raises(CameraError, match='no camera named "Fake Webcam"'):
            finder.find()
        now.append(cam("/dev/video13", "Fake Webcam", "platform:v4l2loopback-013"))
        assert finder.find().path == "/dev/video13"
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        'camera: "Fake Webcam" is /dev/video11 (bus platform:v4l2loopback-011)',
        'camera: "Fake Webcam" is now /dev/video13 (bus platform:v4l2loopback-013) '
        "(was /dev/video11)",
    ]


class FakeOpenCV:
    """cv2.VideoCapture at the OS edge: opens a node when it is fed (``fed``), records it in
    ``opened`` and sets ``event``; delivers 4x2 YUYV frames until its node stops being fed."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.fed: set[str] = set()
        self.event = threading.Event()

    def VideoCapture(self, device: str, api: int) -> FakeCapture:
        return FakeCapture(self, device)


class FakeCapture:
    def __init__(self, cv: FakeOpenCV, device: str):
        self.cv, self.device = cv, device
        self.ok = device in cv.fed
        if self.ok:
            cv.opened.append(device)
            cv.event.set()

    def isOpened(self) -> bool:
        return self.ok

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        cv2 = camera.cv2
        return {
            cv2.CAP_PROP_FOURCC: float(int.from_bytes(b"YUYV", "little")),
            cv2.CAP_PROP_FRAME_WIDTH: 4.0,
            cv2.CAP_PROP_FRAME_HEIGHT: 2.0,
            cv2.CAP_PROP_FPS: 30.0,
        }.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.device not in self.cv.fed:
            return False, None
        return True, np.zeros((2, 4, 2), np.uint8)

    def release(self) -> None:
        self.ok = False


@pytest.fixture
def capture(monkeypatch) -> FakeOpenCV:
    fake = FakeOpenCV()
    monkeypatch.setattr(camera.cv2, "VideoCapture", fake.VideoCapture)
    return fake


def test_every_open_looks_the_name_up_again(v4l2, capture, caplog):
    old = v4l2.loopback(11, "Fake Webcam")
    capture.fed.add(old)
    source = camera.CameraSource(CameraConfig(device="Fake Webcam", width=4, height=2))
    with caplog.at_level(logging.INFO):
        desc = source.open()
        assert desc.startswith(f'{old} "Fake Webcam": asked 4x2')
        assert source.read().fmt == "YUYV"
        source.close()
        v4l2.unplug(11)
        capture.fed.discard(old)
        with pytest.raises(CameraError, match="no camera named"):
            source.open()
        new = v4l2.loopback(13, "Fake Webcam", producing=False)  # back, not fed yet
        with pytest.raises(CameraError, match="exists but cannot be opened"):
            source.open()
        capture.fed.add(new)
        source.open()
        source.close()
    assert capture.opened == [old, new]
    assert f'"Fake Webcam" is now {new} (bus platform:v4l2loopback-013) (was {old})' in caplog.text


def test_the_capture_thread_reconnects_to_the_new_node(v4l2, capture):
    """The real reconnect loop (no backoff): unplugged, then back at another number."""
    old = v4l2.loopback(11, "Fake Webcam")
    capture.fed.add(old)
    source = camera.CameraSource(CameraConfig(device="Fake Webcam", width=4, height=2))
    stop, mailbox = threading.Event(), Mailbox()
    thread = Capture(source, mailbox, stop, Stats(), backoff=(0.0,))
    thread.start()
    try:
        assert capture.event.wait(10)
        capture.event.clear()
        v4l2.unplug(11)
        capture.fed.discard(old)
        new = v4l2.loopback(13, "Fake Webcam")
        capture.fed.add(new)
        assert capture.event.wait(10), capture.opened
    finally:
        stop.set()
        thread.join(10)
    assert capture.opened[0] == old and capture.opened[-1] == new


def test_a_name_not_found_at_start_waits_for_the_camera(v4l2, caplog):
    v4l2.webcam(0, "HD Pro Webcam C920", "usb-1-1")
    with caplog.at_level(logging.WARNING):
        camera.check_exists(CameraConfig(device="Logitech Brio"))  # no exception: keep running
    assert 'no camera named "Logitech Brio"' in caplog.text
    assert '/dev/video0 "HD Pro Webcam C920"' in caplog.text
    assert "or try --camera demo. Waiting for it to be plugged in." in caplog.text


def test_names_outside_linux_are_one_clear_error(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(CameraError, match="camera names work on Linux only"):
        camera.check_exists(CameraConfig(device="HD Pro Webcam C920"))


# ---------------------------------------------------------------- config, --camera, devices


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("HD Pro Webcam C920", "HD Pro Webcam C920"),
        ("2", 2),
        (1, 1),
        ("/dev/video3", "/dev/video3"),
    ],
)
def test_camera_device_accepts_every_form(value, want):
    assert camera_device(value) == (want, "")
    config, errors = validate(
        {"camera": {"device": value}, "presets": {"p": {"chain": ["pencil"]}}}
    )
    assert not errors and config is not None and config.camera.device == want


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("video2", "did you mean '/dev/video2'?"),
        ("Demo", "did you mean 'demo' (lower case)?"),
        ("", "a camera's name as `sketchd devices` lists it"),
        (True, "not True"),
        (-1, "not -1"),
        ("Cam\nera", "must be one line of text"),
    ],
)
def test_camera_device_says_what_is_wrong(value, message):
    _, errors = validate({"camera": {"device": value}, "presets": {"p": {"chain": ["pencil"]}}})
    assert len(errors) == 1 and errors[0].startswith("camera.device: ") and message in errors[0]


def test_the_camera_option_is_checked_like_the_config(capsys):
    with pytest.raises(SystemExit) as e:
        cli.build_parser().parse_args(["run", "--camera", "video2"])
    assert e.value.code == 2
    assert (
        "argument --camera: 'video2' is no path: did you mean '/dev/video2'?"
        in capsys.readouterr().err
    )
    args = cli.build_parser().parse_args(["run", "--camera", "Fake Webcam"])
    assert args.camera == "Fake Webcam"


def test_devices_shows_the_name_to_paste_and_the_bus(v4l2, tmp_path, capsys):
    v4l2.webcam(0, "HD Pro Webcam C920", "usb-0000:00:14.0-1", serial="A1B2")
    v4l2.loopback(10, "Sketch Camera")
    v4l2.loopback(11, "Fake Webcam")
    conf = tmp_path / "sketchd.yaml"
    conf.write_text('camera: {device: "Fake Webcam"}\npresets: {p: {chain: [pencil]}}\n')
    assert cli.main(["devices", "--config", str(conf)]) == 0
    out = capsys.readouterr().out
    dev = v4l2.dev
    assert f'   {dev}/video0 "HD Pro Webcam C920"  bus usb-0000:00:14.0-1  [uvcvideo]' in out
    assert "/v4l/by-id/usb-HD_Pro_Webcam_C920_A1B2-video-index0" in out
    assert f'{dev}/video10 "Sketch Camera"  bus platform:v4l2loopback-010' in out
    assert (
        f'* {dev}/video11 "Fake Webcam"  bus platform:v4l2loopback-011  [exclusive_caps=1] '
        "(read as the camera)"
    ) in out

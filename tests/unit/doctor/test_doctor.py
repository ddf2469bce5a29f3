"""`sketchd doctor` on fake sysfs and module data (tests/helpers/sysfs.py): the real parsing
in linux_v4l2 reads a temporary /sys tree; the camera is the demo scene; the tray probe and
pyvirtualcam are faked. Per-release fixes and free/busy/stuck: test_doctor_v4l2.py."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import pytest

from sketchd import doctor
from sketchd.doctor import checks as common
from tests.helpers.sysfs import checks


def test_a_labelled_loopback_with_exclusive_caps_is_all_green(fake_sys):
    fake_sys.load(devices="2", video_nr="10,11", exclusive_caps="Y,Y", card_label="x")
    out = fake_sys.loopback(10, "Sketch Camera")
    fake_sys.loopback(11, "Fake Webcam")
    got = checks()
    assert got["config"].ok and got["camera"].ok and "demo" in got["camera"].summary
    assert got["v4l2loopback"].ok and "exclusive_caps=Y,Y" in got["v4l2loopback"].summary
    assert got["virtual camera"].ok and got["virtual camera"].summary.startswith(out)
    assert got["exclusive_caps"].ok
    assert doctor.run_can_work(got["_all"])
    assert doctor.report(got["_all"]).endswith("→ `sketchd run` can work")


def test_no_module_fails_with_the_modprobe_command(fake_sys):
    got = checks()
    assert not got["v4l2loopback"].ok
    assert got["v4l2loopback"].fix.startswith(doctor.MODPROBE)
    # the module is built (fake_sys has one for this kernel): installing it again is no fix
    assert "apt install" not in got["v4l2loopback"].fix
    # the virtual camera check points back to it instead of printing the same command twice
    assert not got["virtual camera"].ok and "v4l2loopback check above" in got["virtual camera"].fix
    assert not doctor.run_can_work(got["_all"])
    text = doctor.report(got["_all"])
    assert re.search(r"^✗ v4l2loopback +the v4l2loopback kernel module is not loaded$", text, re.M)
    assert text.count(doctor.MODPROBE) == 1
    assert text.endswith("cannot work until this is fixed: v4l2loopback, virtual camera")


def test_no_module_installed_says_what_to_install(fake_sys):
    import shutil

    shutil.rmtree(fake_sys.root / "lib" / "modules")
    got = checks()
    assert got["v4l2loopback"].summary == "v4l2loopback is not installed"
    assert got["v4l2loopback"].fix.startswith("sudo apt install v4l2loopback-dkms linux-headers-")
    # one fix, said once: no "sudo modprobe" of a module that is not even installed
    text = doctor.report(got["_all"])
    assert text.count("sudo apt install v4l2loopback-dkms") == 1
    assert "v4l2loopback check above" in got["virtual camera"].fix


def test_an_output_that_is_a_webcam_is_refused(fake_sys):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    loop = fake_sys.loopback(10, "Sketch Camera")
    cam = fake_sys.webcam(0, "Integrated Camera")
    got = checks(output=cam)
    bad = got["virtual camera"]
    assert not bad.ok and bad.required
    assert f'{cam} is not a v4l2loopback device ("Integrated Camera")' in bad.summary
    assert bad.fix == f"sketchd run --output {loop}"


def test_an_output_that_does_not_exist(fake_sys):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    fake_sys.loopback(10, "Sketch Camera")
    bad = checks(output="/dev/video99")["virtual camera"]
    assert not bad.ok and bad.summary == "/dev/video99: no such device"


def test_exclusive_caps_off_warns_but_run_works(fake_sys):
    fake_sys.load(video_nr="10", exclusive_caps="N")
    fake_sys.loopback(10, "Sketch Camera")
    got = checks()
    warn = got["exclusive_caps"]
    assert not warn.ok and not warn.required and "Chrome, Zoom" in warn.summary
    assert warn.fix == doctor.RELOAD
    assert doctor.run_can_work(got["_all"])
    assert "(optional)" in doctor.report(got["_all"])


def test_several_loopbacks_none_labelled(fake_sys):
    fake_sys.load(video_nr="4,5", exclusive_caps="Y,Y")
    first = fake_sys.loopback(4, "Dummy video device (0x0000)")
    fake_sys.loopback(5, "OBS Cam")
    bad = checks()["virtual camera"]
    assert not bad.ok and 'none is labelled "Sketch Camera"' in bad.summary
    assert bad.fix.startswith(f"sketchd run --output {first}")


def test_one_unlabelled_loopback_is_used_with_a_label_warning(fake_sys):
    fake_sys.load(video_nr="4", exclusive_caps="Y")
    only = fake_sys.loopback(4, "Dummy video device (0x0000)")
    got = checks()
    assert got["virtual camera"].ok and got["virtual camera"].summary.startswith(only)
    assert not got["card label"].ok and not got["card label"].required


def test_loaded_module_without_devices(fake_sys):
    fake_sys.load(devices="0")
    got = checks()
    assert not got["loopback devices"].ok and got["loopback devices"].fix == doctor.RELOAD


def test_an_invalid_config_lists_every_problem(fake_sys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("camera:\n  fps: 0\n  widht: 3\n")
    got = checks(config_path=str(bad))
    c = got["config"]
    assert not c.ok and c.summary == f"{bad}: 2 problems"
    assert len(c.details) == 2 and any("fps" in d for d in c.details)
    assert c.fix == f"edit {bad}, then check it with: sketchd config check {bad}"
    assert got["camera"].ok  # the other checks still run, on the defaults


def test_a_missing_camera_says_how_to_pick_one(fake_sys):
    got = checks(camera="/dev/video42")
    assert not got["camera"].ok and "no camera at '/dev/video42'" in got["camera"].summary
    assert got["camera"].fix.startswith("sketchd devices")


@pytest.mark.parametrize(
    ("env", "libs", "ok", "text"),
    [
        ({}, None, False, "no display"),
        ({"DISPLAY": ":0"}, None, False, "no D-Bus session bus"),
        ({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"}, None, False, "PyGObject"),
        (
            {"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"},
            {"Gtk": True, "AyatanaAppIndicator3": False, "AppIndicator3": False},
            False,
            "sudo apt install gir1.2-ayatanaappindicator3-0.1",
        ),
        (
            {"WAYLAND_DISPLAY": "w", "DBUS_SESSION_BUS_ADDRESS": "unix:x"},
            {"Gtk": True, "AyatanaAppIndicator3": True, "AppIndicator3": False},
            True,
            "AppIndicator",
        ),
        (
            {"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"},
            {"Gtk": False, "AyatanaAppIndicator3": False, "AppIndicator3": False},
            False,
            "sudo apt install gir1.2-gtk-3.0",
        ),
        (  # what the tray would do: it honours PYSTRAY_BACKEND=gtk
            {"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x", "PYSTRAY_BACKEND": "gtk"},
            {"Gtk": True, "AyatanaAppIndicator3": False, "AppIndicator3": True},
            False,
            "unset PYSTRAY_BACKEND",
        ),
    ],
)
def test_tray_check_never_fails_run(monkeypatch, env, libs, ok, text):
    monkeypatch.setattr(common, "typelibs", lambda: libs)
    c = common.tray_check("linux", env)
    assert c.ok is ok and not c.required
    assert text in c.summary + c.fix


@pytest.mark.parametrize(
    ("env", "probes", "ok"),
    [
        ({}, 0, False),  # no session: the tray would not look at typelibs, nor does doctor
        ({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"}, 1, True),
    ],
)
def test_the_tray_check_probes_the_typelibs_once_and_only_when_the_tray_would(
    monkeypatch, env, probes, ok
):
    calls = []

    def typelibs():
        calls.append(1)
        return {"Gtk": True, "AyatanaAppIndicator3": False, "AppIndicator3": True}

    monkeypatch.setattr(common, "typelibs", typelibs)
    assert common.tray_check("linux", env).ok is ok
    assert len(calls) == probes


def test_the_tray_check_finds_the_bus_by_its_socket_as_the_tray_does(monkeypatch, tmp_path):
    from sketchd.tray import choose_backend

    libs = {"Gtk": True, "AyatanaAppIndicator3": True, "AppIndicator3": False}
    monkeypatch.setattr(common, "typelibs", lambda: libs)
    env = {"DISPLAY": ":0", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert "no D-Bus session bus" in common.tray_check("linux", env).summary
    assert choose_backend(env, "linux", lambda ns, v: libs[ns])[0] is None
    (tmp_path / "bus").touch()
    assert common.tray_check("linux", env).ok
    assert choose_backend(env, "linux", lambda ns, v: libs[ns])[0] == "appindicator"


@pytest.mark.parametrize(("platform", "where"), [("darwin", "macOS"), ("win32", "Windows")])
def test_on_macos_and_windows_the_tray_needs_only_pystray(platform, where):
    c = common.tray_check(platform, {})
    assert c.ok and where in c.summary


def test_the_typelib_probe_answers_for_the_tray_s_typelibs():
    import importlib.util

    from sketchd.tray import TYPELIBS

    libs = common.typelibs()
    if importlib.util.find_spec("gi") is None:
        assert libs is None
    else:
        assert libs is not None and set(libs) == {ns for ns, _ in TYPELIBS}


def test_the_tray_probe_does_not_import_pystray_or_gi_here():
    before = {m for m in sys.modules if m.split(".")[0] in ("pystray", "gi")}
    common.tray_check("linux", {"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"})
    after = {m for m in sys.modules if m.split(".")[0] in ("pystray", "gi")}
    assert after == before


def test_a_stale_autostart_entry_is_reported(fake_sys, monkeypatch):
    from sketchd.platform.autostart.xdg import XdgAutostart

    monkeypatch.setattr(sys, "platform", "linux")
    XdgAutostart(("/gone/venv/bin/python", "-m", "sketchd", "run")).enable()
    c = checks()["autostart"]
    assert not c.ok and not c.required and "/gone/venv/bin/python, which is gone" in c.summary
    assert c.fix.startswith("sketchd autostart enable")


def test_autostart_off_is_fine(fake_sys):
    c = checks()["autostart"]
    assert c.ok and "autostart enable" in c.summary


@pytest.mark.parametrize("works", [True, False])
def test_macos_and_windows_check_pyvirtualcam(monkeypatch, fake_sys, works):
    fake = types.ModuleType("pyvirtualcam")

    class Camera:
        def __init__(self, **kw):
            if not works:
                raise RuntimeError("'obs' backend: OBS Virtual Camera is not installed")
            self.backend, self.device = "obs", "OBS Virtual Camera"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    fake.Camera = Camera
    monkeypatch.setitem(sys.modules, "pyvirtualcam", fake)
    got = checks(platform="darwin")
    assert "v4l2loopback" not in got
    c = got["virtual camera"]
    assert c.ok is works
    if not works:
        assert "OBS Virtual Camera is not installed" in c.summary
        assert "packaging/macos/README.md" in c.fix and "Start Virtual Camera" in c.fix


def test_cli_doctor_exit_code_and_output(sketchd_env):
    done = subprocess.run(
        [sys.executable, "-m", "sketchd", "doctor", "--camera", "demo", "--output", "/dev/null"],
        capture_output=True,
        text=True,
        env=sketchd_env,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 1  # /dev/null is never a loopback device
    assert "✓ config" in done.stdout and "✓ camera" in done.stdout
    assert "✗ virtual camera" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("→ `sketchd run` cannot work")

"""`sketchd doctor`'s Linux virtual-camera checks (sketchd/doctor/v4l2.py) per v4l2loopback
release, on the fake tree of tests/helpers/sysfs.py: the release shown, the fix that fits it,
free/busy/stuck devices with the programs holding them, the second device."""

from __future__ import annotations

import re

import pytest

from sketchd import doctor
from sketchd.platform.linux import v4l2 as linux_v4l2
from sketchd.platform.linux.v4l2 import CAP_VIDEO_CAPTURE, CAP_VIDEO_OUTPUT
from tests.helpers.sysfs import checks

CTL_ADD = 'sudo v4l2loopback-ctl add -n "Sketch Camera" -x 1 /dev/video10'
TWO_DEVICES = (
    'devices=2 video_nr=10,12 card_label="Sketch Camera,Sketch Camera 2" exclusive_caps=1,1'
)


def test_the_release_is_shown(fake_sys):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    fake_sys.loopback(10, "Sketch Camera")
    summary = checks()["v4l2loopback"].summary
    assert summary.startswith("loaded, release 0.12 or older (exclusive_caps=Y)")
    assert "no /sys/module/v4l2loopback/version" in summary
    fake_sys.version("0.15.0")
    assert checks()["v4l2loopback"].summary == "loaded, release 0.15.0 (exclusive_caps=Y)"


def test_doctor_modprobe_is_the_two_device_command():
    assert doctor.MODPROBE == linux_v4l2.MODPROBE == f"sudo modprobe v4l2loopback {TWO_DEVICES}"
    reload = doctor.RELOAD
    assert reload == f"sudo modprobe -r v4l2loopback && {doctor.MODPROBE}"
    with pytest.raises(AttributeError):
        doctor.NO_SUCH_NAME  # noqa: B018


@pytest.mark.parametrize("release", ["0.13.2", "0.15.0"])
def test_on_0_13_and_later_a_missing_sketch_camera_is_added_without_a_reload(fake_sys, release):
    fake_sys.load(devices="0")
    fake_sys.version(release)
    got = checks()
    assert not got["loopback devices"].ok and got["loopback devices"].fix == CTL_ADD
    assert not got["virtual camera"].ok and got["virtual camera"].fix == CTL_ADD
    assert "modprobe" not in doctor.report(got["_all"])


def test_on_0_13_several_unlabelled_devices_offer_to_add_one(fake_sys):
    fake_sys.load(video_nr="4,5", exclusive_caps="Y,Y")
    fake_sys.version("0.13.2")
    first = fake_sys.loopback(4, "OBS Cam")
    fake_sys.loopback(5, "Other")
    bad = checks()["virtual camera"]
    assert bad.fix.splitlines() == [
        f"sketchd run --output {first}   (or output.device in the config)",
        f"or make one: {CTL_ADD}",
    ]


@pytest.mark.parametrize(("release", "fix"), [("", doctor.RELOAD), ("0.15.0", CTL_ADD)])
def test_a_wrong_label_is_fixed_per_release(fake_sys, release, fix):
    fake_sys.load(video_nr="4", exclusive_caps="Y")
    if release:
        fake_sys.version(release)
    fake_sys.loopback(4, "Dummy video device (0x0000)")
    assert checks()["card label"].fix == fix


def test_a_stuck_device_on_0_12_fails_with_why_and_the_reload(fake_sys):
    fake_sys.load(video_nr="10,11", exclusive_caps="Y,Y")
    out = fake_sys.loopback(10, "Sketch Camera", caps=0)  # neither CAPTURE nor OUTPUT
    cam = fake_sys.loopback(11, "Fake Webcam", caps=CAP_VIDEO_CAPTURE)
    fake_sys.hold(out, 301, "chrome")
    fake_sys.hold(cam, 300, "ffmpeg")
    got = checks()
    bad = got["virtual camera"]
    assert not bad.ok and bad.required
    assert bad.summary == (
        f'{out} "Sketch Camera" is stuck: no program can publish to it '
        "(VIDIOC_S_FMT fails with EINVAL)"
    )
    assert bad.fix == (
        f"close chrome (pid 301) on {out}; ffmpeg (pid 300) on {cam}, then: {doctor.RELOAD}"
    )
    why = bad.details[0]
    assert why.startswith("why: another program published to it with write() only")
    assert "v4l2loopback 0.12 bug" in why
    assert bad.details[1] == "still open in: chrome (pid 301)"
    text = doctor.report(got["_all"])
    assert re.search(rf"^ +{re.escape(out)}: STUCK, no program can publish to it", text, re.M)
    assert re.search(
        rf"^ +{re.escape(cam)}: busy, publishing YU12:1280x720@30; open in ffmpeg", text, re.M
    )
    assert text.endswith("cannot work until this is fixed: virtual camera")


@pytest.mark.parametrize("release", ["0.13.2", "0.15.0"])
def test_a_stuck_device_on_0_13_is_deleted_and_added(fake_sys, release):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    fake_sys.version(release)
    out = fake_sys.loopback(10, "Sketch Camera", caps=0)
    bad = checks()["virtual camera"]
    assert not bad.ok and "stuck" in bad.summary and len(bad.details) == 1
    assert bad.fix == f"sudo v4l2loopback-ctl delete {out} && {CTL_ADD}"


def test_a_device_another_program_publishes_to(fake_sys):
    fake_sys.load(video_nr="10,12", exclusive_caps="Y,Y")
    out = fake_sys.loopback(10, "Sketch Camera", caps=CAP_VIDEO_CAPTURE)
    spare = fake_sys.loopback(12, "Sketch Camera 2")
    fake_sys.hold(out, 4242, "obs", "/usr/bin/obs")
    bad = checks()["virtual camera"]
    assert not bad.ok
    assert (
        bad.summary
        == f'{out} "Sketch Camera" is in use: another program publishes to it (YU12:1280x720@30)'
    )
    assert bad.details == ("open in: obs (pid 4242)",)
    assert bad.fix.splitlines() == [
        "close the program publishing to it (obs (pid 4242))",
        f"or publish to another device: sketchd run --output {spare}",
    ]


def test_a_device_sketchd_publishes_to_is_fine(fake_sys):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    out = fake_sys.loopback(10, "Sketch Camera", caps=CAP_VIDEO_CAPTURE)
    fake_sys.hold(out, 77, "python3", "/venv/bin/python3", "-m", "sketchd", "run")
    got = checks()["virtual camera"]
    assert (
        got.ok
        and got.summary == f'{out} "Sketch Camera": sketchd (python3 (pid 77)) publishes here now'
    )


@pytest.mark.parametrize(
    ("release", "fix"),
    [
        ("", doctor.RELOAD),
        ("0.13.2", 'sudo v4l2loopback-ctl add -n "Sketch Camera 2" -x 1 /dev/video12'),
    ],
)
def test_the_second_device_is_offered_per_release(fake_sys, release, fix):
    fake_sys.load(video_nr="10", exclusive_caps="Y")
    if release:
        fake_sys.version(release)
    fake_sys.loopback(10, "Sketch Camera")
    got = checks()
    second = got["second device"]
    assert second.ok and not second.required
    assert "two call apps at once" in second.summary
    assert second.details == (f"to make it: {fix}",)
    assert doctor.run_can_work(got["_all"])


def test_a_second_device_present(fake_sys):
    fake_sys.load(video_nr="10,12", exclusive_caps="Y,Y")
    fake_sys.loopback(10, "Sketch Camera")
    two = fake_sys.loopback(12, "Sketch Camera 2")
    second = checks()["second device"]
    assert second.ok and second.summary.startswith(f'{two} "Sketch Camera 2"')
    assert not second.details


def test_exclusive_caps_of_an_added_device_is_told_from_its_caps(fake_sys):
    """0.13+ devices made by v4l2loopback-ctl are not in the module's parameters; a device
    without exclusive_caps advertises CAPTURE and OUTPUT at once."""
    fake_sys.load(video_nr="-1", exclusive_caps="N")
    fake_sys.version("0.15.0")
    out = fake_sys.loopback(10, "Sketch Camera", caps=CAP_VIDEO_CAPTURE | CAP_VIDEO_OUTPUT)
    warn = checks()["exclusive_caps"]
    assert not warn.ok and warn.fix == f"sudo v4l2loopback-ctl delete {out} && {CTL_ADD}"
    fake_sys.caps[out] = CAP_VIDEO_OUTPUT
    assert checks()["exclusive_caps"].summary == f"on for {out}"

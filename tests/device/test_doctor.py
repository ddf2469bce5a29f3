"""`sketchd doctor` against the real v4l2loopback module (inside ../shared/tools/v4l2vm).

Each test keeps doctor's output in its tmp folder (doctor.txt) for the issue's note.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shlex
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sketchd.platform.linux import loopback as linux_loopback
from sketchd.platform.linux.v4l2out import (
    BUF_TYPE_VIDEO_OUTPUT,
    COLORSPACE_SRGB,
    FIELD_NONE,
    FMT,
    FORMATS,
    VIDIOC_S_FMT,
)
from tests.device.conftest import (
    CAM_DEV,
    LOOPBACK_OPTS,
    OUT_DEV,
    ROOT,
    _module_file,
    wait_for_output,
)

MODPROBE = (
    "sudo modprobe v4l2loopback devices=2 video_nr=10,12 "
    'card_label="Sketch Camera,Sketch Camera 2" exclusive_caps=1,1'
)
RELOAD = f"sudo modprobe -r v4l2loopback && {MODPROBE}"
CTL_ADD = 'sudo v4l2loopback-ctl add -n "Sketch Camera" -x 1 /dev/video10'
CTL_ADD_2 = 'sudo v4l2loopback-ctl add -n "Sketch Camera 2" -x 1 /dev/video12'
# the release the rig booted ("0.12.7", "0.13.2", "0.15.0"); 0.12 has no version in sysfs
RELEASE = os.environ.get("V4L2VM_LOOPBACK", "")
DYNAMIC = bool(RELEASE) and not RELEASE.startswith("0.12")


def doctor(env: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "sketchd", "doctor", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    (tmp_path / "doctor.txt").write_text(
        f"$ sketchd doctor {' '.join(args)}\n{done.stdout}{done.stderr}(exit {done.returncode})\n"
    )
    print(done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def line(out: str, name: str) -> str:
    found = [x for x in out.splitlines() if x[2:].startswith(name)]
    assert found, f"no {name!r} line in:\n{out}"
    return found[0]


def said(out: str, name: str) -> str:
    """A check's line as "✓ summary" / "✗ summary" (without its name and padding)."""
    found = line(out, name)
    return f"{found[0]} {found[2 + len(name) :].strip()}"


def test_all_green_with_the_module_loaded_and_a_camera(fresh_loopback, feeder, vm_env, tmp_path):
    feeder("-f", "lavfi", "-i", "testsrc=size=640x480:rate=15")
    assert wait_for_output(60, CAM_DEV), "the feeder never started"
    done = doctor(vm_env, tmp_path, "--camera", CAM_DEV, "--camera-timeout", "60")
    out = done.stdout
    assert done.returncode == 0, out
    assert line(out, "config").startswith("✓")
    assert line(out, "camera").startswith("✓ camera") and "640x480" in line(out, "camera")
    assert line(out, "v4l2loopback").startswith("✓") and "loaded" in line(out, "v4l2loopback")
    assert OUT_DEV in line(out, "loopback devices") and CAM_DEV in line(out, "loopback devices")
    assert line(out, "virtual camera").startswith("✓")
    assert f'{OUT_DEV} "Sketch Camera"' in line(out, "virtual camera")
    assert line(out, "exclusive_caps").startswith("✓ exclusive_caps") and "on for" in out
    assert said(out, "second device").startswith('✓ no "Sketch Camera 2"')
    assert f"to make it: {CTL_ADD_2 if DYNAMIC else RELOAD}" in out
    assert "→ `sketchd run` can work" in out


def test_the_release_shown_is_the_loaded_one(vm_env, tmp_path):
    assert RELEASE, "the rig sets V4L2VM_LOOPBACK in the guest"
    out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
    shown = said(out, "v4l2loopback")
    if DYNAMIC:
        assert Path("/sys/module/v4l2loopback/version").read_text().strip() == RELEASE
        assert shown.startswith(f"✓ loaded, release {RELEASE} ("), shown
    else:  # 0.12.x: the module says no version; doctor says what it can tell
        assert not Path("/sys/module/v4l2loopback/version").exists()
        assert shown.startswith("✓ loaded, release 0.12 or older"), shown


def test_a_device_that_is_not_a_loopback_fails_with_the_fix(vm_env, tmp_path):
    done = doctor(vm_env, tmp_path, "--camera", "demo", "--output", "/dev/null")
    out = done.stdout
    assert done.returncode == 1, out
    bad = line(out, "virtual camera")
    assert bad.startswith("✗") and "/dev/null is not a v4l2loopback device" in bad
    assert f"fix: sketchd run --output {OUT_DEV}" in out
    assert "cannot work until this is fixed: virtual camera" in out


@pytest.fixture
def no_loopback():
    """v4l2loopback unloaded for the test, loaded again (as the rig had it) afterwards."""
    ko, busybox = _module_file(), shutil.which("busybox")
    if not ko.exists() or not busybox:
        pytest.skip(f"cannot unload v4l2loopback ({ko} or busybox missing)")
    for _ in range(50):
        if subprocess.run([busybox, "rmmod", "v4l2loopback"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    assert not Path("/sys/module/v4l2loopback").exists(), "v4l2loopback stayed loaded"
    yield
    done = subprocess.run([busybox, "insmod", str(ko), *LOOPBACK_OPTS], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    end = time.monotonic() + 5
    while not (Path(OUT_DEV).exists() and Path(CAM_DEV).exists()) and time.monotonic() < end:
        time.sleep(0.05)


def test_no_module_no_device_fails_with_the_modprobe_command(no_loopback, vm_env, tmp_path):
    done = doctor(vm_env, tmp_path, "--camera", "demo")
    out = done.stdout
    assert done.returncode == 1, out
    assert line(out, "v4l2loopback").startswith("✗ v4l2loopback")
    # the command once, on the v4l2loopback check ("on the host: …" where the guest, which sees
    # the host's files, looks like a container); the virtual camera check points back to it
    assert out.count(MODPROBE) == 1, out
    assert line(out, "virtual camera").startswith("✗")
    assert line(out, "camera ").startswith("✓ camera")  # the demo camera: only the output fails


def _reload() -> None:
    """v4l2loopback loaded again with the rig's devices (what fresh_loopback does before)."""
    ko, busybox = _module_file(), shutil.which("busybox")
    assert ko.exists() and busybox, f"cannot reload v4l2loopback ({ko} or busybox missing)"
    for _ in range(50):
        if subprocess.run([busybox, "rmmod", "v4l2loopback"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    held = linux_loopback.holders_of([OUT_DEV, CAM_DEV], self_pid=-1)
    assert not Path("/sys/module/v4l2loopback").exists(), f"v4l2loopback stayed loaded: {held}"
    done = subprocess.run([busybox, "insmod", str(ko), *LOOPBACK_OPTS], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    end = time.monotonic() + 5
    while not (Path(OUT_DEV).exists() and Path(CAM_DEV).exists()) and time.monotonic() < end:
        time.sleep(0.05)


@pytest.fixture
def reloaded_after() -> Iterator[None]:
    """The test changes or breaks the devices: give the next tests the rig's devices back."""
    yield
    _reload()


def write_only_producer(width: int = 640, height: int = 360) -> tuple[int, bytes]:
    """/dev/video10 opened as its producer the way pyvirtualcam and ffmpeg's v4l2 output do it:
    VIDIOC_S_FMT on the output queue, then write() per frame (never STREAMON)."""
    fd = os.open(OUT_DEV, os.O_RDWR)
    fmt = bytearray(FMT.size)
    size = width * height * 3 // 2
    struct.pack_into("I", fmt, 0, BUF_TYPE_VIDEO_OUTPUT)
    struct.pack_into(
        "8I", fmt, 8,
        width, height, FORMATS["I420"].code(), FIELD_NONE, width, size, COLORSPACE_SRGB, 0,
    )  # fmt: skip
    frame = bytes(range(256)) * (size // 256) + bytes(size % 256)
    try:
        fcntl.ioctl(fd, VIDIOC_S_FMT, fmt)
        os.write(fd, frame)
    except OSError:
        os.close(fd)  # a leaked fd would keep the module from unloading
        raise
    return fd, frame


def test_a_write_only_producer_leaves_0_12_stuck_and_doctor_says_so(
    fresh_loopback, reloaded_after, vm_env, tmp_path
):
    fd, frame = write_only_producer()
    try:
        # while it is open: busy, and the holder is this test's own process
        out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
        bad = line(out, "virtual camera")
        assert bad.startswith("✗") and "is in use: another program publishes to it" in bad, out
        assert f"open in: {Path('/proc/self/comm').read_text().strip()} (pid {os.getpid()})" in out
        assert f"{OUT_DEV}: busy, publishing YU12:640x360" in out
        # a call app reads one frame and leaves, while the producer keeps writing
        reader = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "v4l2", "-i", OUT_DEV,
             "-frames:v", "1", str(tmp_path / "read.png")],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        end = time.monotonic() + 120
        while reader.poll() is None and time.monotonic() < end:
            os.write(fd, frame)
            time.sleep(0.1)
        assert reader.wait(10) == 0 and (tmp_path / "read.png").exists(), "the reader got no frame"
    finally:
        os.close(fd)
    done = doctor(vm_env, tmp_path, "--camera", "demo")
    out = done.stdout
    state = linux_loopback.loopback_state(OUT_DEV)
    if DYNAMIC:  # fixed since 0.13: the output side is back
        assert state.state == "free", state
        assert done.returncode == 0, out
        assert said(out, "virtual camera").startswith(f'✓ {OUT_DEV} "Sketch Camera"')
        assert f"{OUT_DEV}: free" in out
        assert linux_loopback.stuck_message(OUT_DEV) is None
        os.close(write_only_producer()[0])  # a next producer can set its format
        return
    assert state.state == "stuck" and state.caps is not None, state
    assert done.returncode == 1, out
    bad = said(out, "virtual camera")
    assert bad == (
        f'✗ {OUT_DEV} "Sketch Camera" is stuck: no program can publish to it '
        "(VIDIOC_S_FMT fails with EINVAL)"
    ), out
    assert "why: another program published to it with write() only and closed it" in out
    assert "a v4l2loopback 0.12 bug" in out
    assert f"fix: {RELOAD}" in out
    assert f"{OUT_DEV}: STUCK, no program can publish to it" in out
    assert "cannot work until this is fixed: virtual camera" in out
    message = linux_loopback.stuck_message(OUT_DEV)
    assert message is not None and message.endswith(f"Fix: {RELOAD}"), message
    (tmp_path / "stuck_message.txt").write_text(message + "\n")
    # and it is what doctor says: the next producer really is refused
    with pytest.raises(OSError) as refused:
        os.close(write_only_producer()[0])
    assert refused.value.errno == errno.EINVAL
    # `sketchd run` says the same, with the fix, instead of a bare "Invalid argument"
    run = subprocess.run(
        [sys.executable, "-m", "sketchd", "run", "--no-tray", "--camera", "demo"],
        cwd=ROOT, env=vm_env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert f'cannot open the virtual camera {OUT_DEV}: {OUT_DEV} "Sketch Camera" is stuck' in (
        run.stderr
    ), run.stderr
    assert f"Fix: {RELOAD}" in run.stderr and "Traceback" not in run.stderr
    (tmp_path / "run_stuck.txt").write_text(run.stderr)


def run_fix(command: str) -> None:
    """Run a fix doctor printed (as root in the guest: without its sudo)."""
    argv = shlex.split(command.replace("sudo ", ""))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


@pytest.mark.skipif(not DYNAMIC, reason="v4l2loopback-ctl add/delete came with 0.13")
def test_on_0_13_and_later_the_printed_fixes_make_the_devices(
    fresh_loopback, reloaded_after, vm_env, tmp_path
):
    run_fix(f"sudo v4l2loopback-ctl delete {OUT_DEV}")
    # the only device left is "Fake Webcam": doctor would use it and offers to add ours
    out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
    assert said(out, "card label").startswith(f'✗ {CAM_DEV} is "Fake Webcam"'), out
    assert f"fix: {CTL_ADD}" in out and "modprobe" not in out, out
    # the module loaded without any device: the fix adds one, no reload
    run_fix(f"sudo v4l2loopback-ctl delete {CAM_DEV}")
    out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
    assert said(out, "loopback devices") == "✗ the module is loaded but made no device", out
    assert said(out, "virtual camera") == "✗ no virtual camera to publish to", out
    fixes = {x.split("fix: ", 1)[1] for x in out.splitlines() if "fix: " in x and "v4l2" in x}
    assert fixes == {CTL_ADD} and "modprobe" not in out, out
    run_fix(CTL_ADD)
    out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
    assert said(out, "virtual camera").startswith(f'✓ {OUT_DEV} "Sketch Camera"')
    assert line(out, "exclusive_caps").startswith("✓"), out
    add_second = out.split("to make it: ", 1)[1].splitlines()[0]
    assert add_second == CTL_ADD_2
    run_fix(add_second)
    out = doctor(vm_env, tmp_path, "--camera", "demo").stdout
    assert said(out, "second device").startswith('✓ /dev/video12 "Sketch Camera 2"')
    assert "→ `sketchd run` can work" in out

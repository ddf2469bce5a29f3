"""`sketchd doctor` against the real v4l2loopback module (inside ../shared/tools/v4l2vm).

Each test keeps doctor's output in its tmp folder (doctor.txt) for the issue's note.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.device.conftest import (
    CAM_DEV,
    LOOPBACK_OPTS,
    OUT_DEV,
    ROOT,
    _module_file,
    wait_for_output,
)

MODPROBE = 'sudo modprobe v4l2loopback devices=1 video_nr=10 card_label="Sketch Camera"'


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
    assert "→ `sketchd run` can work" in out


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
    assert f"fix: {MODPROBE} exclusive_caps=1" in out
    assert line(out, "virtual camera").startswith("✗")
    assert line(out, "camera ").startswith("✓ camera")  # the demo camera: only the output fails

"""The Debian package on a real v4l2loopback: the modprobe options it installs make "Sketch
Camera" at /dev/video10 (and "Sketch Camera 2" at /dev/video12), and its /usr/bin/sketchd,
with the Python libraries it carries, publishes there.

It needs the package's files, unpacked on the host (unpacking 280 MiB in the emulated guest
would take minutes):

    scripts/build-deb.sh --fast && dpkg-deb -x build/deb/sketchd_*_amd64.deb build/deb/tree
    SKETCHD_DEB_TREE=build/deb/tree ../shared/tools/v4l2vm/v4l2vm -- \\
        .venv/bin/python -m pytest -m device tests/device/test_package.py

Inside the throw-away guest the files are bind-mounted where dpkg puts them. The install
itself (dependencies, postinst, removal) is packaging/linux/deb/ci-test.sh's, in real roots.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.device.conftest import (
    CAM_DEV,
    LOOPBACK_OPTS,
    OUT_DEV,
    Reader,
    reload_loopback,
    wait_for_output,
)
from tests.helpers.process import end

TREE = os.environ.get("SKETCHD_DEB_TREE")
PLACES = ("usr/lib/sketchd", "usr/bin/sketchd")


@pytest.fixture
def package() -> Iterator[Path]:
    """The unpacked package, its /usr/lib/sketchd and /usr/bin/sketchd mounted in place."""
    if not TREE:
        pytest.skip("set SKETCHD_DEB_TREE to the unpacked package (see this file's docstring)")
    if not os.environ.get("V4L2VM_LOOPBACK"):
        pytest.skip("mounts the package into /usr: only inside the throw-away v4l2vm guest")
    tree = Path(TREE).resolve()
    mounted = []
    try:
        for place in PLACES:
            target = Path("/") / place
            assert not target.exists(), f"{target} exists already"
            if (tree / place).is_dir():
                target.mkdir()
            else:
                target.touch()
            subprocess.run(["mount", "--bind", str(tree / place), str(target)], check=True)
            mounted.append(target)
        yield tree
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", str(target)], check=False)
        for place in PLACES:
            target = Path("/") / place
            if target.is_dir():
                target.rmdir()
            elif target.exists():
                target.unlink()


def test_the_packages_options_make_sketch_camera_and_its_sketchd_publishes_there(
    package, vm_env, tmp_path
):
    conf = (package / "etc/modprobe.d/sketchd-v4l2loopback.conf").read_text()
    line = next(x for x in conf.splitlines() if x.startswith("options v4l2loopback "))
    # modprobe hands the options to the kernel as one string, quotes and all; so does insmod
    options = line.removeprefix("options v4l2loopback ")
    try:
        reload_loopback([options], ("/dev/video10", "/dev/video12"))
        names = {
            n: Path(f"/sys/class/video4linux/video{n}/name").read_text().strip() for n in (10, 12)
        }
        assert names == {10: "Sketch Camera", 12: "Sketch Camera 2"}
        log = tmp_path / "sketchd.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                ["/usr/bin/sketchd", "run", "--no-tray", "--camera", "demo"],
                env=vm_env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            assert wait_for_output(180), log.read_text()
            reader = Reader(1280, 720)
            try:
                assert reader.wait_frames(3, 120), log.read_text()
            finally:
                reader.stop()
            assert "/dev/video10" in log.read_text()
        finally:
            assert end(proc, timeout=60) == 0, log.read_text()
    finally:
        reload_loopback(LOOPBACK_OPTS, (OUT_DEV, CAM_DEV))

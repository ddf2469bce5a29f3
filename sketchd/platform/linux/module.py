"""Why v4l2loopback is not loaded, told apart: in a container, never built (no headers for
the running kernel), not installed, refused by Secure Boot, or simply not loaded yet.

Each cause has its own fix; a user who just installed v4l2loopback-dkms must not be told to
install it again when what failed was the build. Everything is read from plain files under
``root`` (/ on a real machine), so tests give it a fake tree. packaging/linux/install.sh
tells the same causes apart in shell, for the one-time set-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sketchd.platform.linux.v4l2 import MODPROBE

ROOT = Path("/")  # the tests point it at a fake tree
SECURE_BOOT = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9c01a41a8"
INSTALL = "sudo apt install v4l2loopback-dkms"


@dataclass(frozen=True)
class Cause:
    problem: str
    fix: str


def in_container(root: Path | None = None) -> bool:
    """Docker, Podman, LXC and systemd-nspawn leave one of these marks."""
    root = root or ROOT
    if (root / ".dockerenv").exists() or (root / "run/.containerenv").exists():
        return True
    try:
        return bool((root / "run/systemd/container").read_text().strip())
    except OSError:
        return False


def module_built(kernel: str, root: Path | None = None) -> bool:
    """Whether a v4l2loopback module file exists for ``kernel`` (DKMS puts it in updates/)."""
    root = root or ROOT
    modules = root / "lib/modules" / kernel
    return modules.is_dir() and any(modules.rglob("v4l2loopback.ko*"))


def dkms_source(root: Path | None = None) -> bool:
    """Whether v4l2loopback-dkms's sources are installed (/usr/src/v4l2loopback-VERSION)."""
    root = root or ROOT
    src = root / "usr/src"
    return src.is_dir() and any(src.glob("v4l2loopback-*"))


def secure_boot_on(root: Path | None = None) -> bool:
    """The SecureBoot EFI variable: 4 bytes of attributes, then 1 when it is on."""
    root = root or ROOT
    try:
        data = (root / SECURE_BOOT).read_bytes()
    except OSError:
        return False
    return len(data) >= 5 and data[4] == 1


def why_not_loaded(root: Path | None = None, kernel: str | None = None) -> Cause:
    """The most likely reason v4l2loopback is not loaded, with its fix."""
    root = root or ROOT
    kernel = kernel or os.uname().release
    if in_container(root):
        return Cause(
            "this is a container: kernel modules come from the host, not from inside",
            f"on the host: {MODPROBE}, then pass /dev/video10 into the container",
        )
    if not module_built(kernel, root):
        headers = f"linux-headers-{kernel}"
        if dkms_source(root) and not (root / "lib/modules" / kernel / "build").exists():
            return Cause(
                f"v4l2loopback-dkms is installed but was never built for the running kernel "
                f"{kernel}: its headers are missing",
                f"sudo apt install {headers} && sudo dpkg-reconfigure v4l2loopback-dkms && "
                f"{MODPROBE}",
            )
        if dkms_source(root):
            return Cause(
                f"v4l2loopback-dkms is installed but its build for kernel {kernel} failed",
                "sudo dpkg-reconfigure v4l2loopback-dkms (it prints why), then " + MODPROBE,
            )
        return Cause(
            "v4l2loopback is not installed",
            f"{INSTALL} {headers} && {MODPROBE} (or once, for every boot: "
            "sudo packaging/linux/install.sh)",
        )
    if secure_boot_on(root):
        return Cause(
            "the module is built, and Secure Boot is on: an unsigned module is refused",
            "sudo mokutil --import /var/lib/dkms/mok.pub, reboot and enroll the key, then "
            + MODPROBE,
        )
    return Cause(
        "the v4l2loopback kernel module is not loaded",
        f"{MODPROBE} (to load it at every boot: sudo packaging/linux/install.sh)",
    )


if __name__ == "__main__":  # packaging/linux/install.sh asks, from a checkout, stdlib only
    c = why_not_loaded()
    print(f"{c.problem}.\nFix: {c.fix}")

"""Why v4l2loopback is not loaded, told apart: in a container, never built (no headers for
the running kernel), not installed, refused by Secure Boot, or simply not loaded yet.

Each cause has its own fix; a user who just installed v4l2loopback-dkms must not be told to
install it again when what failed was the build. Everything is read from plain files under
``root`` (/ on a real machine), so tests give it a fake tree, and from two commands whose
runner the tests replace: ``mokutil`` (is Secure Boot on, is DKMS's key enrolled) and, when the
caller has it, what ``modprobe`` said. Stdlib only: packaging/linux/install.sh and the Debian
package's postinst run ``python3 -m sketchd.platform.linux.module [MODPROBE_MESSAGE]``.

Secure Boot: the kernel loads only modules signed by a key it trusts. DKMS signs the modules
it builds with its own key (Debian: /var/lib/dkms/mok.pub; Ubuntu: shim-signed's
/var/lib/shim-signed/mok/MOK.der), which the firmware trusts only once the user has enrolled it
(``mokutil --import``, a reboot, the blue MOK manager screen). Until then modprobe says "Key was
rejected by service" (older kernels: "Required key not available"). sketchd's PipeWire camera
needs no kernel module at all, so it is named as the other way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sketchd.platform.linux.v4l2 import MODPROBE

ROOT = Path("/")  # the tests point it at a fake tree
SECURE_BOOT = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9c01a41a8"
INSTALL = "sudo apt install v4l2loopback-dkms"
# sketchd's modprobe.d file (packaging/linux/install.sh or the Debian package put it there):
# with it, a plain `modprobe v4l2loopback` makes "Sketch Camera"
MODPROBE_CONF = "etc/modprobe.d/sketchd-v4l2loopback.conf"
# the key DKMS signs modules with, by distribution: Debian's dkms, then Ubuntu's shim-signed
MOK_KEYS = ("var/lib/dkms/mok.pub", "var/lib/shim-signed/mok/MOK.der")
# what modprobe prints when the kernel refuses a module's signature (EKEYREJECTED, ENOKEY)
KEY_REFUSED = ("Key was rejected by service", "Required key not available")
PIPEWIRE_ALTERNATIVE = (
    "or, with no kernel module at all: sketchd's own PipeWire camera (output.device: pipewire "
    "in the config), which apps that find cameras through PipeWire list (Flatpak apps, OBS, "
    "GNOME Snapshot, Firefox on Fedora)"
)

# runs a command and returns its output, or None when it cannot be run
Runner = Callable[[Sequence[str]], "str | None"]


def run_command(argv: Sequence[str]) -> str | None:
    """stdout and stderr of ``argv``, or None if it is not installed or hangs. mokutil answers
    --sb-state and --test-key without root."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout + done.stderr


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


def secure_boot_on(root: Path | None = None, run: Runner | None = None) -> bool:
    """Whether Secure Boot is on. The SecureBoot EFI variable (4 bytes of attributes, then 1
    when it is on); where efivarfs is not readable, ``mokutil --sb-state`` ("SecureBoot
    enabled"). Off, or a machine without EFI: False."""
    root = root or ROOT
    try:
        data = (root / SECURE_BOOT).read_bytes()
    except OSError:
        if not (root / "sys/firmware/efi").is_dir():
            return False  # booted without EFI: no Secure Boot
        said = (run or run_command)(["mokutil", "--sb-state"]) or ""
        return "secureboot enabled" in said.lower()
    return len(data) >= 5 and data[4] == 1


def key_refused(modprobe_said: str | None) -> bool:
    """Whether modprobe's message says the kernel refused the module's signature."""
    said = (modprobe_said or "").lower()
    return any(k.lower() in said for k in KEY_REFUSED)


def mok_key(root: Path | None = None) -> str:
    """The key DKMS signs with on this system (its path), Debian's when there is none yet."""
    root = root or ROOT
    found = next((k for k in MOK_KEYS if (root / k).is_file()), MOK_KEYS[0])
    return "/" + found


def key_enrolled(key: str, run: Runner | None = None) -> bool | None:
    """Whether the firmware trusts ``key`` (``mokutil --test-key``); None when unknown."""
    said = ((run or run_command)(["mokutil", "--test-key", key]) or "").lower()
    if "is not enrolled" in said:
        return False
    if "already enrolled" in said:
        return True
    return None


def modprobe_command(root: Path | None = None) -> str:
    """The command that loads sketchd's devices: plain modprobe where sketchd's modprobe.d file
    gives the options, else modprobe with them."""
    root = root or ROOT
    return "sudo modprobe v4l2loopback" if (root / MODPROBE_CONF).is_file() else MODPROBE


def secure_boot_cause(root: Path, problem: str) -> Cause:
    """Secure Boot refuses the module: enroll DKMS's key, the distribution's way."""
    key = mok_key(root)
    make_key = (
        ""
        if (root / key.lstrip("/")).is_file()
        else f" (no {key} yet: sudo dpkg-reconfigure v4l2loopback-dkms makes it and signs)"
    )
    return Cause(
        problem,
        f"enroll the key DKMS signs its modules with{make_key}:\n"
        f"  sudo mokutil --import {key}   (choose a one-time password)\n"
        "  reboot; the blue MOK manager screen comes up: Enroll MOK, Continue, Yes, the "
        "password, Reboot\n"
        f"  then: {modprobe_command(root)}\n"
        f"{PIPEWIRE_ALTERNATIVE}",
    )


def why_not_loaded(
    root: Path | None = None,
    kernel: str | None = None,
    modprobe_said: str | None = None,
    run: Runner | None = None,
) -> Cause:
    """The most likely reason v4l2loopback is not loaded, with its fix. ``modprobe_said`` is
    modprobe's message when the caller tried to load it (the postinst, install.sh): a refused
    signature in it settles the cause."""
    root = root or ROOT
    kernel = kernel or os.uname().release
    if key_refused(modprobe_said):
        said = (modprobe_said or "").strip().splitlines()[-1]
        return secure_boot_cause(
            root,
            f"Secure Boot refused the v4l2loopback module: its signature is not trusted ({said})",
        )
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
                f"{modprobe_command(root)}",
            )
        if dkms_source(root):
            return Cause(
                f"v4l2loopback-dkms is installed but its build for kernel {kernel} failed",
                "sudo dpkg-reconfigure v4l2loopback-dkms (it prints why), then "
                + modprobe_command(root),
            )
        if (root / MODPROBE_CONF).is_file():  # sketchd's files are there: only the module lacks
            return Cause(
                "v4l2loopback is not installed",
                f"{INSTALL} {headers} && sudo modprobe v4l2loopback\n{PIPEWIRE_ALTERNATIVE}",
            )
        return Cause(
            "v4l2loopback is not installed",
            f"{INSTALL} {headers} && {MODPROBE} (or once, for every boot: "
            "sudo packaging/linux/install.sh)",
        )
    if secure_boot_on(root, run):
        key = mok_key(root)
        enrolled = key_enrolled(key, run)
        if enrolled is False:
            return secure_boot_cause(
                root,
                "Secure Boot is on and the key DKMS signed v4l2loopback with is not enrolled: "
                "the kernel will refuse the module (modprobe: Key was rejected by service)",
            )
        if enrolled is None:
            return Cause(
                "the v4l2loopback kernel module is not loaded, and Secure Boot is on",
                f"{modprobe_command(root)}; if it says 'Key was rejected by service', "
                + secure_boot_cause(root, "").fix,
            )
    if (root / MODPROBE_CONF).is_file():
        return Cause(
            "the v4l2loopback kernel module is not loaded",
            f"{modprobe_command(root)} (it loads at every boot from now on)",
        )
    return Cause(
        "the v4l2loopback kernel module is not loaded",
        f"{MODPROBE} (to load it at every boot: sudo packaging/linux/install.sh)",
    )


def main(argv: Sequence[str]) -> int:
    """``python3 -m sketchd.platform.linux.module [MODPROBE_MESSAGE]``: the cause and its fix,
    for install.sh and the Debian package's postinst (stdlib only)."""
    c = why_not_loaded(modprobe_said=argv[0] if argv else None)
    print(f"{c.problem}.\nFix: {c.fix}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

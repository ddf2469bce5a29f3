"""Why v4l2loopback is not loaded: each cause told apart, each with its own fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sketchd.platform.linux import module as mod
from sketchd.platform.linux.v4l2 import MODPROBE

KERNEL = "6.1.0-99-amd64"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "lib/modules" / KERNEL).mkdir(parents=True)
    return tmp_path


def dkms(root: Path, built: bool = False, headers: bool = True) -> None:
    (root / "usr/src/v4l2loopback-0.12.7").mkdir(parents=True)
    if headers:
        (root / "lib/modules" / KERNEL / "build").mkdir()
    if built:
        ko = root / "lib/modules" / KERNEL / "updates/dkms"
        ko.mkdir(parents=True)
        (ko / "v4l2loopback.ko.xz").write_bytes(b"")


def cause(root: Path) -> mod.Cause:
    return mod.why_not_loaded(root, KERNEL)


def test_nothing_installed_names_the_package_and_the_headers(root):
    c = cause(root)
    assert c.problem == "v4l2loopback is not installed"
    assert c.fix.startswith(f"sudo apt install v4l2loopback-dkms linux-headers-{KERNEL} && ")


def test_installed_but_never_built_for_want_of_headers_asks_for_the_headers_only(root):
    dkms(root, headers=False)
    c = cause(root)
    assert "never built" in c.problem and KERNEL in c.problem
    assert c.fix.startswith(f"sudo apt install linux-headers-{KERNEL} && ")
    assert "v4l2loopback-dkms &&" not in c.fix.split("dpkg-reconfigure")[0]  # not again


def test_headers_present_but_no_module_points_at_the_build_log(root):
    dkms(root, headers=True)
    assert "build for kernel" in cause(root).problem
    assert cause(root).fix.startswith("sudo dpkg-reconfigure v4l2loopback-dkms")


def test_built_and_secure_boot_on_is_the_signing_key(root):
    dkms(root, built=True)
    efi = root / mod.SECURE_BOOT
    efi.parent.mkdir(parents=True)
    efi.write_bytes(b"\x06\x00\x00\x00\x01")
    assert "Secure Boot is on" in cause(root).problem
    assert "mokutil --import" in cause(root).fix
    efi.write_bytes(b"\x06\x00\x00\x00\x00")  # off: Secure Boot is never blamed
    assert cause(root).fix.startswith(MODPROBE)
    assert "Secure Boot" not in cause(root).problem + cause(root).fix


def test_a_container_is_told_to_load_it_on_the_host(root):
    (root / ".dockerenv").write_text("")
    c = cause(root)
    assert "container" in c.problem and c.fix.startswith(f"on the host: {MODPROBE}")
    assert not mod.in_container(root.parent / "elsewhere")


def test_the_install_hint_names_the_cause_when_the_module_is_not_loaded(root, monkeypatch):
    """What `sketchd run` says with no virtual camera, after setup installed the package but
    DKMS could not build it: the headers, never 'install v4l2loopback-dkms' again."""
    from sketchd import devices
    from sketchd.platform.linux import v4l2 as linux_v4l2

    dkms(root, headers=False)
    monkeypatch.setattr(mod, "ROOT", root)
    monkeypatch.setattr(mod.os, "uname", lambda: type("U", (), {"release": KERNEL})())
    monkeypatch.setattr(linux_v4l2, "module_loaded", lambda *a: False)
    monkeypatch.setattr(devices, "is_linux", lambda: True)
    hint = devices.install_hint()
    assert hint.startswith("v4l2loopback-dkms is installed but was never built")
    assert f"\nFix: sudo apt install linux-headers-{KERNEL} && " in hint
    assert "apt install v4l2loopback-dkms" not in hint

"""Why v4l2loopback is not loaded: each cause told apart, each with its own fix; Secure Boot
from the EFI variable, mokutil's answers (faked) and modprobe's message."""

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


class Mokutil:
    """A stand-in for ``mokutil``: its answer to each command, or None (not installed)."""

    def __init__(self, sb_state: str | None = None, test_key: str | None = None):
        self.answers = {"--sb-state": sb_state, "--test-key": test_key}
        self.asked: list[list[str]] = []

    def __call__(self, argv):
        self.asked.append(list(argv))
        assert argv[0] == "mokutil"
        return self.answers[argv[1]]


def cause(root: Path, run=None, modprobe_said: str | None = None) -> mod.Cause:
    return mod.why_not_loaded(root, KERNEL, modprobe_said=modprobe_said, run=run or Mokutil())


def secure_boot(root: Path, on: bool) -> None:
    efi = root / mod.SECURE_BOOT
    efi.parent.mkdir(parents=True, exist_ok=True)
    efi.write_bytes(b"\x06\x00\x00\x00" + (b"\x01" if on else b"\x00"))


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
    secure_boot(root, on=True)
    assert "Secure Boot is on" in cause(root).problem
    assert "mokutil --import" in cause(root).fix
    secure_boot(root, on=False)  # off: Secure Boot is never blamed
    assert cause(root).fix.startswith(MODPROBE)
    assert "Secure Boot" not in cause(root).problem + cause(root).fix


@pytest.mark.parametrize(
    "said",
    [
        "modprobe: ERROR: could not insert 'v4l2loopback': Key was rejected by service",
        "modprobe: ERROR: could not insert 'v4l2loopback': Required key not available",
    ],
)
def test_modprobe_refusing_the_key_is_secure_boot_whatever_else_is_known(root, said):
    """What the postinst and install.sh see: modprobe's own words settle it, even where the
    EFI variables cannot be read and mokutil is not installed."""
    dkms(root, built=True)
    c = cause(root, modprobe_said=said)
    assert c.problem.startswith("Secure Boot refused the v4l2loopback module")
    assert said in c.problem
    lines = c.fix.splitlines()
    assert "sudo mokutil --import /var/lib/dkms/mok.pub" in c.fix
    assert any("reboot" in line and "Enroll MOK" in line for line in lines)
    assert "output.device: pipewire" in lines[-1]  # the way without a kernel module


def test_another_modprobe_failure_is_not_blamed_on_secure_boot(root):
    dkms(root, headers=False)
    said = "modprobe: FATAL: Module v4l2loopback not found in directory /lib/modules/" + KERNEL
    c = cause(root, modprobe_said=said)
    assert "never built" in c.problem
    assert "Secure Boot" not in c.problem + c.fix and "mokutil" not in c.fix


def test_secure_boot_state_from_mokutil_when_the_efi_variable_cannot_be_read(root):
    (root / "sys/firmware/efi").mkdir(parents=True)  # EFI, but no efivars to read
    assert mod.secure_boot_on(root, Mokutil(sb_state="SecureBoot enabled\n"))
    assert not mod.secure_boot_on(root, Mokutil(sb_state="SecureBoot disabled\n"))
    assert not mod.secure_boot_on(root, Mokutil(sb_state=None))  # no mokutil: not blamed


def test_no_efi_means_no_secure_boot_without_asking_mokutil(root):
    asked = Mokutil(sb_state="SecureBoot enabled")
    assert not mod.secure_boot_on(root, asked)
    assert asked.asked == []


def test_secure_boot_on_and_the_dkms_key_not_enrolled_says_the_module_will_be_refused(root):
    dkms(root, built=True)
    secure_boot(root, on=True)
    (root / "var/lib/dkms").mkdir(parents=True)
    (root / "var/lib/dkms/mok.pub").write_bytes(b"key")
    run = Mokutil(test_key="/var/lib/dkms/mok.pub is not enrolled\n")
    c = cause(root, run)
    assert "not enrolled" in c.problem and "Key was rejected by service" in c.problem
    assert "sudo mokutil --import /var/lib/dkms/mok.pub" in c.fix
    assert "dpkg-reconfigure" not in c.fix  # the key is there: nothing to make
    assert ["mokutil", "--test-key", "/var/lib/dkms/mok.pub"] in run.asked


def test_secure_boot_on_with_the_key_enrolled_is_only_not_loaded(root):
    dkms(root, built=True)
    secure_boot(root, on=True)
    c = cause(root, Mokutil(test_key="/var/lib/dkms/mok.pub is already enrolled\n"))
    assert c.problem == "the v4l2loopback kernel module is not loaded"
    assert "mokutil" not in c.fix


def test_ubuntus_signing_key_is_the_one_to_enroll_where_it_is(root):
    dkms(root, built=True)
    secure_boot(root, on=True)
    key = root / "var/lib/shim-signed/mok/MOK.der"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"key")
    c = cause(root, Mokutil(test_key="/var/lib/shim-signed/mok/MOK.der is not enrolled"))
    assert "sudo mokutil --import /var/lib/shim-signed/mok/MOK.der" in c.fix


def test_with_sketchds_modprobe_file_installed_a_plain_modprobe_loads_it(root):
    """The Debian package (or install.sh) put the options in /etc/modprobe.d: the fixes say
    `sudo modprobe v4l2loopback` and never send a package user to install.sh."""
    conf = root / mod.MODPROBE_CONF
    conf.parent.mkdir(parents=True)
    conf.write_text("options v4l2loopback devices=2\n")
    c = cause(root)
    assert c.problem == "v4l2loopback is not installed"
    assert c.fix.startswith(f"sudo apt install v4l2loopback-dkms linux-headers-{KERNEL} && ")
    assert "install.sh" not in c.fix and "output.device: pipewire" in c.fix
    dkms(root, headers=False)  # what the package's install in a fresh root meets
    c = cause(root)
    assert "never built" in c.problem
    assert c.fix.endswith("&& sudo modprobe v4l2loopback")
    (root / "lib/modules" / KERNEL / "build").mkdir()
    assert cause(root).fix.endswith("then sudo modprobe v4l2loopback")
    ko = root / "lib/modules" / KERNEL / "updates/dkms"
    ko.mkdir(parents=True)
    (ko / "v4l2loopback.ko.xz").write_bytes(b"")
    assert cause(root).fix.startswith("sudo modprobe v4l2loopback (")
    assert "install.sh" not in cause(root).fix


def test_the_command_line_prints_the_cause_for_a_modprobe_message(root, monkeypatch, capsys):
    """What the postinst runs: python3 -m sketchd.platform.linux.module MESSAGE."""
    dkms(root, built=True)
    monkeypatch.setattr(mod, "ROOT", root)
    assert mod.main(["modprobe: ERROR: ...: Key was rejected by service"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Secure Boot refused the v4l2loopback module")
    assert "\nFix: enroll the key DKMS signs its modules with" in out


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

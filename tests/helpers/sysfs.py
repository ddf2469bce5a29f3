"""A fake /sys, /proc and /dev for `sketchd doctor`'s Linux checks: the real parsing in
platform/linux/v4l2 and platform/linux/loopback reads these plain files; only VIDIOC_QUERYCAP
is faked (``FakeSys.caps``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sketchd import doctor
from sketchd.platform.linux import loopback as loop
from sketchd.platform.linux import module as linux_module
from sketchd.platform.linux import v4l2 as linux_v4l2
from sketchd.platform.linux.v4l2 import CAP_VIDEO_CAPTURE, CAP_VIDEO_OUTPUT

NO_DISPLAY = {"XDG_RUNTIME_DIR": "/nonexistent"}


class FakeSys:
    """A /sys/class/video4linux, /sys/module/v4l2loopback, /proc and /dev made of plain files;
    ``caps`` is what VIDIOC_QUERYCAP answers for a device (a free exclusive_caps device: OUTPUT)."""

    def __init__(self, root: Path):
        self.root = root
        self.sys_class = root / "sys" / "class" / "video4linux"
        self.module = root / "sys" / "module" / "v4l2loopback"
        self.dev = root / "dev"
        self.proc = root / "proc"
        self.caps: dict[str, int] = {}
        self.sys_class.mkdir(parents=True)
        self.dev.mkdir()
        self.proc.mkdir()

    def loopback(self, nr: int, name: str, caps: int = CAP_VIDEO_OUTPUT) -> str:
        real = self.root / "sys" / "devices" / "virtual" / "video4linux" / f"video{nr}"
        real.mkdir(parents=True)
        (real / "name").write_text(name + "\n")
        (real / "max_openers").write_text("10\n")
        (real / "format").write_text("YU12:1280x720@30\n" if caps == CAP_VIDEO_CAPTURE else "")
        (self.sys_class / f"video{nr}").symlink_to(real)
        (self.dev / f"video{nr}").write_text("")
        self.caps[str(self.dev / f"video{nr}")] = caps
        return str(self.dev / f"video{nr}")

    def query(self, path: str) -> tuple[str, str, int] | None:
        return ("v4l2 loopback", "", self.caps[path]) if path in self.caps else None

    def hold(self, path: str, pid: int, comm: str, *argv: str) -> None:
        """Process ``pid`` (/proc/PID/comm ``comm``) holds ``path`` open."""
        fd = self.proc / str(pid) / "fd"
        fd.mkdir(parents=True, exist_ok=True)
        (fd / str(3 + len(list(fd.iterdir())))).symlink_to(path)
        (self.proc / str(pid) / "comm").write_text(comm + "\n")
        (self.proc / str(pid) / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))

    def version(self, text: str) -> None:
        self.module.mkdir(parents=True, exist_ok=True)
        (self.module / "version").write_text(text + "\n")

    def webcam(self, nr: int, name: str) -> str:
        real = self.root / "sys" / "devices" / "pci0000:00" / "usb1" / "video4linux" / f"video{nr}"
        real.mkdir(parents=True)
        (real / "name").write_text(name + "\n")
        (self.sys_class / f"video{nr}").symlink_to(real)
        (self.dev / f"video{nr}").write_text("")
        return str(self.dev / f"video{nr}")

    def load(self, **params: str) -> None:
        (self.module / "parameters").mkdir(parents=True, exist_ok=True)
        for key, value in params.items():
            (self.module / "parameters" / key).write_text(value + "\n")


def install(root: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSys:
    """A FakeSys at ``root`` that linux_v4l2 and linux_loopback read instead of the real one."""
    fake = FakeSys(root)
    # the module is installed (DKMS built it) but not loaded, unless a test changes that
    built = root / "lib" / "modules" / os.uname().release / "updates" / "dkms"
    built.mkdir(parents=True)
    (built / "v4l2loopback.ko.xz").write_bytes(b"")
    monkeypatch.setattr(linux_module, "ROOT", root)
    orig_list, orig_loaded = linux_v4l2.list_devices, linux_v4l2.module_loaded
    orig_params, orig_excl = linux_v4l2.module_params, linux_v4l2.exclusive_caps_for
    monkeypatch.setattr(
        linux_v4l2, "list_devices", lambda *a, **k: orig_list(fake.sys_class, str(fake.dev))
    )
    monkeypatch.setattr(linux_v4l2, "module_loaded", lambda m=fake.module: orig_loaded(m))
    monkeypatch.setattr(linux_v4l2, "module_params", lambda m=fake.module: orig_params(m))
    monkeypatch.setattr(linux_v4l2, "exclusive_caps_for", lambda d, m=fake.module: orig_excl(d, m))
    orig_release, orig_state = loop.loaded_release, loop.loopback_state
    monkeypatch.setattr(loop, "loaded_release", lambda m=fake.module: orig_release(m))
    monkeypatch.setattr(
        loop,
        "loopback_state",
        lambda path, **k: orig_state(
            path, sys_class=fake.sys_class, proc=fake.proc, query=fake.query, self_pid=0
        ),
    )
    return fake


def checks(**kw: Any) -> dict[str, Any]:
    """doctor.run_checks on the demo camera, by check name; "_all": the list in order."""
    kw.setdefault("camera", "demo")
    kw.setdefault("platform", "linux")
    kw.setdefault("env", NO_DISPLAY)
    found = doctor.run_checks(**kw)
    return {c.name: c for c in found} | {"_all": found}

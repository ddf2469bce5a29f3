"""The per-OS decisions in sketchd/platform (which OS, its guide, its tray backend, how a file
is opened, whether a Linux desktop session is there), each with the OS or the environment
handed in, so every OS is tested on this one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sketchd import devices, platform
from sketchd.errors import SketchdError
from sketchd.platform import desktop
from sketchd.platform.linux import desktop as linux_desktop


@pytest.mark.parametrize(
    ("raw", "name", "linux", "macos", "windows"),
    [
        ("linux", "linux", True, False, False),
        ("linux2", "linux", True, False, False),
        ("darwin", "macos", False, True, False),
        ("win32", "windows", False, False, True),
        ("freebsd14", "freebsd14", False, False, False),
    ],
)
def test_the_os_is_named_once(raw, name, linux, macos, windows):
    assert platform.name(raw) == name
    assert (platform.is_linux(raw), platform.is_macos(raw), platform.is_windows(raw)) == (
        linux,
        macos,
        windows,
    )


def test_no_platform_means_this_one(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert platform.current() == "darwin"
    assert platform.name() == "macos" and platform.is_macos() and not platform.is_linux()
    monkeypatch.setattr(sys, "platform", "win32")
    assert platform.is_windows() and platform.guide_for_os() == "packaging/windows/README.md"


@pytest.mark.parametrize(
    ("raw", "guide"),
    [
        ("linux", "packaging/linux/README.md"),
        ("darwin", "packaging/macos/README.md"),
        ("win32", "packaging/windows/README.md"),
        ("freebsd14", "packaging/windows/README.md"),  # OBS + pyvirtualcam, as on Windows
    ],
)
def test_each_os_has_its_guide_and_it_exists(raw, guide):
    assert platform.guide_for_os(raw) == guide
    assert (Path(__file__).parents[2] / guide).is_file()


def test_the_install_hint_off_linux_names_this_os_s_guide(monkeypatch):
    monkeypatch.setattr(devices, "is_linux", lambda: False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "packaging/macos/README.md" in devices.install_hint()
    monkeypatch.setattr(sys, "platform", "win32")
    assert "packaging/windows/README.md" in devices.install_hint()


# -- desktop: tray backend, opening files


@pytest.mark.parametrize(
    ("raw", "backend", "main_thread"),
    [("win32", "win32", False), ("darwin", "darwin", True)],
)
def test_windows_and_macos_have_a_native_tray(raw, backend, main_thread):
    got = desktop.native_tray(raw)
    assert got is not None and got[0] == backend
    assert desktop.tray_loop_on_main_thread(backend) is main_thread


def test_linux_has_no_native_tray_and_its_backends_run_off_the_main_thread():
    assert desktop.native_tray("linux") is None
    assert not desktop.tray_loop_on_main_thread("appindicator")
    assert not desktop.tray_loop_on_main_thread("gtk")


@pytest.mark.parametrize(("raw", "opener"), [("linux", "xdg-open"), ("darwin", "open")])
def test_a_file_is_opened_with_the_os_s_opener(monkeypatch, raw, opener):
    spawned = []
    monkeypatch.setattr(desktop, "spawn", spawned.append)
    desktop.open_with_default_app(Path("/c/sketchd.yaml"), raw)
    assert spawned == [[opener, "/c/sketchd.yaml"]]


def test_on_windows_a_file_is_opened_by_startfile(monkeypatch):
    started, spawned = [], []
    monkeypatch.setattr(os, "startfile", started.append, raising=False)
    monkeypatch.setattr(desktop, "spawn", spawned.append)
    desktop.open_with_default_app(Path("C:/c/sketchd.yaml"), "win32")
    assert started == [Path("C:/c/sketchd.yaml")] and spawned == []


def test_a_missing_opener_is_one_sketchd_error(monkeypatch):
    def fail(argv):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(desktop, "spawn", fail)
    with pytest.raises(SketchdError, match=r"cannot open /x\.yaml: No such file or directory"):
        desktop.open_with_default_app(Path("/x.yaml"), "linux")


def test_a_spawned_program_is_detached_from_the_daemon():
    child = desktop.spawn(
        [sys.executable, "-c", "import os; os._exit(0 if os.getsid(0) == os.getpid() else 3)"]
    )
    assert child.wait(30) == 0  # it leads its own session: a Ctrl-C to ours misses it


# -- a Linux desktop session


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, linux_desktop.NO_DISPLAY),
        ({"DBUS_SESSION_BUS_ADDRESS": "unix:x"}, linux_desktop.NO_DISPLAY),
        ({"DISPLAY": ":0"}, linux_desktop.NO_SESSION_BUS),
        ({"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": ""}, linux_desktop.NO_SESSION_BUS),
        ({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"}, None),
        ({"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": "unix:x"}, None),
    ],
)
def test_a_desktop_session_needs_a_display_and_a_session_bus(env, problem):
    assert linux_desktop.session_problem(env) == problem


def test_the_session_bus_may_be_only_its_socket(tmp_path):
    env = {"DISPLAY": ":0", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert not linux_desktop.has_session_bus(env)
    (tmp_path / "bus").touch()
    assert linux_desktop.has_session_bus(env) and linux_desktop.session_problem(env) is None


def test_no_environment_means_this_process_s(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not linux_desktop.has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x")
    assert linux_desktop.has_display() and linux_desktop.session_problem() is None

"""doctor's PipeWire checks on pw-dump's JSON shape, with PipeWire's socket a real socket file
in the private runtime folder (running) or absent (not running)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sketchd.doctor import pipewire as doctor_pw
from sketchd.platform.linux import pipewire as pw


def core(version: str) -> dict:
    return {"id": 0, "type": "PipeWire:Interface:Core", "info": {"version": version}}


def node(i: int, **props: object) -> dict:
    return {"id": i, "type": "PipeWire:Interface:Node",
            "info": {"props": {"media.class": "Video/Source", **props}}}  # fmt: skip


LOOPBACK = node(37, **{"node.description": "Sketch Camera (V4L2)", "api.v4l2.path": "/dev/video10"})
OURS = node(41, **{"node.name": "sketchd", "node.description": "Sketch Camera",
                   "media.role": "Camera"})  # fmt: skip


@pytest.fixture
def running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "pipewire-0"))
        yield


def by_name(checks):
    return {c.name: c for c in checks}


def test_not_running_is_required_only_when_the_node_is_the_output(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (only,) = doctor_pw.checks(uses_node=False, uses_loopback=True, objects=[])
    assert (only.name, only.ok, only.required) == ("PipeWire", False, False)
    assert "systemctl --user enable --now pipewire wireplumber" in only.fix
    (only,) = doctor_pw.checks(uses_node=True, uses_loopback=False, objects=[])
    assert only.required


@pytest.mark.usefixtures("running")
def test_our_node_listed_says_which_apps_see_it():
    c = by_name(doctor_pw.checks(True, False, [core("0.3.65"), OURS]))
    assert c["PipeWire"].summary == "running (0.3.65)"
    listed = c["PipeWire cameras"]
    assert listed.ok and "node 41" in listed.summary and "Flatpak" in listed.summary
    assert listed.details == ('node 41: "Sketch Camera" (sketchd\'s own)',)


@pytest.mark.usefixtures("running")
def test_a_loopback_node_on_old_pipewire_is_a_camera_without_a_picture():
    listed = by_name(doctor_pw.checks(False, True, [core("0.3.65"), LOOPBACK]))["PipeWire cameras"]
    assert not listed.ok and not listed.required
    assert "cannot read a v4l2loopback device" in listed.summary
    assert "[auto, pipewire]" in listed.fix
    assert "not handed to sandboxed apps" in listed.details[0]
    newer = by_name(doctor_pw.checks(False, True, [core("1.4.2"), LOOPBACK]))["PipeWire cameras"]
    assert newer.ok and "node 37" in newer.summary


@pytest.mark.usefixtures("running")
def test_loopback_only_and_nothing_listed_names_the_fix():
    listed = by_name(doctor_pw.checks(False, True, [core("0.3.65")]))["PipeWire cameras"]
    assert not listed.ok and "do not see it" in listed.summary
    assert listed.fix == doctor_pw.BOTH


def test_the_gstreamer_check_names_packages(monkeypatch, running):
    monkeypatch.setattr(pw, "gst_missing", lambda: "GStreamer's pipewiresink is missing: "
                        "sudo apt install gstreamer1.0-pipewire")  # fmt: skip
    c = by_name(doctor_pw.checks(True, False, [core("0.3.65")]))["PipeWire camera"]
    assert not c.ok and c.required
    assert c.fix == "sudo apt install gstreamer1.0-pipewire"

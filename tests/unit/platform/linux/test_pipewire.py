"""platform/linux/pipewire.py: what sketchd reads of PipeWire, on pw-dump's own JSON shape,
a real socket file and a sysfs tree in a temporary folder."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from sketchd import devices
from sketchd.errors import OutputError
from sketchd.platform.linux import pipewire as pw

# pw-dump's shape (PipeWire 0.3.65), trimmed to what sketchd reads
DUMP = [
    {"id": 0, "type": "PipeWire:Interface:Core", "info": {"version": "0.3.65", "props": {}}},
    {
        "id": 41,
        "type": "PipeWire:Interface:Node",
        "info": {
            "props": {
                "media.class": "Video/Source",
                "media.role": "Camera",
                "node.name": "sketchd",
                "node.description": "Sketch Camera",
                "application.process.id": 4242,
            }
        },
    },
    {
        "id": 37,
        "type": "PipeWire:Interface:Node",
        "info": {
            "props": {
                "media.class": "Video/Source",
                "node.name": "v4l2_input.platform-v4l2loopback-000.video10",
                "node.description": "Sketch Camera (V4L2)",
                "api.v4l2.path": "/dev/video10",
            }
        },
    },
    {
        "id": 50,
        "type": "PipeWire:Interface:Node",
        "info": {"props": {"media.class": "Audio/Sink", "node.name": "speakers"}},
    },
    {"id": 60, "type": "PipeWire:Interface:Link", "info": {"props": {}}},
]


def test_video_sources_are_the_camera_nodes_in_id_order():
    nodes = pw.video_sources(DUMP)
    assert [n.id for n in nodes] == [37, 41]
    loop, own = nodes
    assert (loop.device, loop.pid, loop.portal_visible) == ("/dev/video10", None, False)
    assert (own.name, own.description, own.pid, own.portal_visible) == (
        "sketchd",
        "Sketch Camera",
        4242,
        True,
    )


def test_server_version_and_whether_it_reads_loopback_devices():
    assert pw.server_version(DUMP) == (0, 3, 65)
    assert not pw.reads_loopback((0, 3, 65))
    assert not pw.reads_loopback((1, 0, 5))  # Ubuntu 24.04
    assert pw.reads_loopback((1, 2, 7))
    assert pw.reads_loopback((1, 4, 2))  # Debian 13
    assert not pw.reads_loopback(None)
    assert pw.server_version([{"type": "PipeWire:Interface:Core", "info": {}}]) is None


def test_running_means_this_users_socket_exists(tmp_path):
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert not pw.running(env)
    (tmp_path / "pipewire-0").write_text("")  # a plain file is no PipeWire
    assert not pw.running(env)
    (tmp_path / "pipewire-0").unlink()
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "pipewire-0"))
        assert pw.running(env)
        assert not pw.running({})  # no runtime folder: no session
        assert pw.socket_path({"XDG_RUNTIME_DIR": "/r", "PIPEWIRE_REMOTE": "p-1"}) == Path("/r/p-1")


def test_rescan_writes_the_action_or_says_why_not(tmp_path):
    uevent = tmp_path / "video10" / "uevent"
    uevent.parent.mkdir()
    uevent.write_text("")
    assert pw.rescan("/dev/video10", "change", sysfs=tmp_path) == ""
    assert uevent.read_text() == "change\n"
    assert "video12" in pw.rescan("/dev/video12", sysfs=tmp_path)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets")
def test_auto_output_is_the_pipewire_node_without_a_loopback_device(monkeypatch, tmp_path):
    """No /dev/video* here (the unit machine has none): with PipeWire running, ``auto``
    publishes the PipeWire node; without it, the error names the module to install."""
    if devices.virtual_cameras():
        pytest.skip("this machine has a v4l2loopback device")
    if pw.gst_missing():
        pytest.skip(pw.gst_missing())
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(OutputError, match="virtual camera"):
        devices.output_device("auto")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "pipewire-0"))
        assert devices.output_device("auto") == devices.PIPEWIRE
    assert devices.output_device("/dev/video10") == "/dev/video10"


def test_announce_tells_only_a_pipewire_that_can_read_loopback_devices(monkeypatch, tmp_path):
    sysfs = tmp_path / "sysfs"
    uevent = sysfs / "video10" / "uevent"
    uevent.parent.mkdir(parents=True)
    uevent.write_text("")
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    assert pw.announce("/dev/video10", [DUMP[0]], sysfs) == "", "no PipeWire: nothing to say"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(run / "pipewire-0"))
        old = pw.announce("/dev/video10", [DUMP[0]], sysfs)
        assert "PipeWire 0.3.65 cannot read a v4l2loopback device" in old
        assert "[auto, pipewire]" in old
        assert uevent.read_text() == "", "a camera with no picture is not announced"
        new = [{"type": "PipeWire:Interface:Core", "info": {"version": "1.4.2"}}]
        assert "udev remove + add" in pw.announce("/dev/video10", new, sysfs)
        assert uevent.read_text() == "add\n"
        uevent.chmod(0o444)
        if os.access(uevent, os.W_OK):  # root writes anyway
            return
        assert "70-sketchd.rules" in pw.announce("/dev/video10", new, sysfs)

"""The PipeWire camera node (sinks/pipewire.py) with PipeWire faked at its boundary: a Stream
that records what it is given, and PipeWire's answer about links as pw-dump prints it."""

from __future__ import annotations

import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.platform.linux.pipewire import Links, links_to
from sketchd.sinks.pipewire import PipeWireCamera, node_format
from sketchd.sinks.vcam import VirtualCameraSink
from tests.helpers.clock import Clock


class FakeStream:
    def __init__(self) -> None:
        self.pushed: list[bytes] = []
        self.fail: str = ""
        self.closed = 0

    def push(self, data: memoryview) -> None:
        if self.fail:
            raise OutputError(self.fail)
        self.pushed.append(bytes(data))

    def close(self) -> None:
        self.closed += 1


class NoPacer:
    def sleep_until_next_frame(self) -> None:
        pass


def node(i: int, name: str) -> dict:
    return {"id": i, "type": "PipeWire:Interface:Node", "info": {"props": {"node.name": name}}}


def link(i: int, out: int, state: str = "active") -> dict:
    return {"id": i, "type": "PipeWire:Interface:Link",
            "info": {"output-node-id": out, "input-node-id": 99, "state": state}}  # fmt: skip


class Dump:
    """What pw-dump prints now (None: PipeWire did not answer)."""

    def __init__(self) -> None:
        self.objects: list[dict] | None = None

    def __call__(self) -> list[dict] | None:
        return self.objects


def camera(stream: FakeStream, dump: Dump) -> tuple[PipeWireCamera, Links]:
    links = Links("sketchd", ask=dump)  # not started: the test polls it
    return PipeWireCamera(stream, links, 30, "I420", pacer=NoPacer()), links


def test_links_are_the_apps_reading_the_node():
    objects = [node(41, "sketchd"), node(50, "other"), link(60, 41), link(61, 41, "paused"),
               link(62, 50), link(63, 41, "error")]  # fmt: skip
    assert links_to(objects, "sketchd") == 2
    assert links_to(objects, "other") == 1
    assert links_to([node(50, "other")], "sketchd") is None, "no node: nothing to tell"


def test_frames_reach_the_stream_byte_for_byte_and_readers_are_the_links():
    stream, dump = FakeStream(), Dump()
    cam, links = camera(stream, dump)
    frame = np.arange(6 * 4, dtype=np.uint8).reshape(6, 4)
    cam.send(frame)
    assert stream.pushed == [frame.tobytes()]
    assert cam.readers() is None, "PipeWire has not answered yet: cannot tell"
    dump.objects = [node(41, "sketchd")]
    links.poll_once()
    assert cam.readers() == 0
    dump.objects = [node(41, "sketchd"), link(60, 41)]
    links.poll_once()
    assert cam.readers() == 1
    dump.objects = None  # PipeWire went away
    links.poll_once()
    assert cam.readers() is None


def test_a_failed_stream_raises_output_error_and_close_closes_both_once():
    stream, dump = FakeStream(), Dump()
    cam, _ = camera(stream, dump)
    stream.fail = "PipeWire: connection lost"
    with pytest.raises(OutputError, match="connection lost"):
        cam.send(np.zeros((6, 4), np.uint8))
    cam.close()
    assert stream.closed == 1


@pytest.mark.parametrize(("asked", "sent"), [("I420", "I420"), ("YUYV", "YUYV"), ("MJPG", "I420")])
def test_node_formats(asked, sent):
    assert node_format(asked) == sent


def test_the_virtual_camera_sink_drives_the_node_and_reopens_it_after_a_failure():
    """VirtualCameraSink's own reopen-with-backoff serves the node too: PipeWire restarted
    under a running daemon makes the node come back by itself."""
    clock = Clock()
    streams: list[FakeStream] = []
    asked: list[tuple] = []
    dump = Dump()
    dump.objects = [node(41, "sketchd"), link(60, 41)]

    def opener(device, width, height, fps, fmt, backend):
        asked.append((device, width, height, fps, fmt, backend))
        streams.append(FakeStream())
        cam, links = camera(streams[-1], dump)
        links.poll_once()
        return cam

    sink = VirtualCameraSink(
        8, 6, 30, "pipewire", "auto", clock=clock, fmt="MJPG", opener=opener, idle_pacer=None
    )
    assert "PipeWire node" in sink.open()
    assert asked == [("pipewire", 8, 6, 30, "I420", "auto")], "MJPG is for V4L2 readers"
    assert len(streams[0].pushed) == 1, "blank paper goes out at once"
    gray = np.full((6, 8), 200, np.uint8)
    sink.send(gray)
    i420 = np.frombuffer(streams[0].pushed[-1], np.uint8)
    assert i420.size == 8 * 6 * 3 // 2
    assert 16 <= i420[0] <= 235, "video range, like the V4L2 output"
    streams[0].fail = "PipeWire: the connection was closed"
    with pytest.raises(OutputError, match="connection was closed"):
        sink.send(gray)
    assert streams[0].closed == 1
    with pytest.raises(OutputError):
        sink.send(gray)  # within the backoff: no reopen yet
    assert len(streams) == 1
    clock.t += VirtualCameraSink.BACKOFF[0]
    sink.send(gray)
    assert len(streams) == 2 and streams[1].pushed, "the node is back, frames flow again"
    readers = sink.readers()
    assert readers is not None and readers.count == 1
    assert "PipeWire" in readers.how
    sink.close()
    assert streams[1].closed == 1

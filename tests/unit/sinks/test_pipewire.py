"""The PipeWire camera node (sinks/pipewire.py) with PipeWire faked at its boundary: a Stream
that records what it is given and says whether a reader took it."""

from __future__ import annotations

import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.sinks.pipewire import PipeWireCamera, node_format
from sketchd.sinks.vcam import VirtualCameraSink
from tests.helpers.clock import Clock


class FakeStream:
    """What GstStream is to the camera: ``taking`` says whether a reader has a free buffer."""

    def __init__(self) -> None:
        self.taking = False
        self.pushed: list[bytes] = []
        self.fail: str = ""
        self.closed = 0

    def push(self, data: memoryview) -> bool:
        if self.fail:
            raise OutputError(self.fail)
        if not self.taking:
            return False
        self.pushed.append(bytes(data))
        return True

    def close(self) -> None:
        self.closed += 1


class NoPacer:
    def sleep_until_next_frame(self) -> None:
        pass


def camera(stream: FakeStream, clock: Clock, fps: int = 30) -> PipeWireCamera:
    return PipeWireCamera(stream, fps, "I420", clock, pacer=NoPacer())


def test_frames_reach_a_reader_byte_for_byte():
    stream, clock = FakeStream(), Clock()
    cam = camera(stream, clock)
    stream.taking = True
    frame = np.arange(6 * 4, dtype=np.uint8).reshape(6, 4)
    cam.send(frame)
    assert stream.pushed == [frame.tobytes()]


def test_readers_follow_whether_an_app_takes_frames():
    stream, clock = FakeStream(), Clock()
    cam = camera(stream, clock, fps=30)
    frame = np.zeros((6, 4), np.uint8)
    cam.send(frame)
    assert cam.readers() == 0, "nothing linked: no buffer was free"
    stream.taking = True
    cam.send(frame)
    assert cam.readers() == 1
    stream.taking = False  # the app closed: no buffer comes free any more
    clock.t += cam.reader_grace / 2
    cam.send(frame)
    assert cam.readers() == 1, "an app holding every buffer for a moment still reads"
    clock.t += cam.reader_grace
    cam.send(frame)
    assert cam.readers() == 0


def test_grace_covers_three_frames_at_low_rates():
    stream, clock = FakeStream(), Clock()
    assert camera(stream, clock, fps=2).reader_grace == pytest.approx(1.5)
    assert camera(stream, clock, fps=30).reader_grace == pytest.approx(1.0)


def test_a_failed_stream_raises_output_error_and_close_closes_once():
    stream, clock = FakeStream(), Clock()
    cam = camera(stream, clock)
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

    def opener(device, width, height, fps, fmt, backend):
        asked.append((device, width, height, fps, fmt, backend))
        s = FakeStream()
        s.taking = True
        streams.append(s)
        return camera(s, clock)

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

"""sketchd's V4L2 streaming producer, with the kernel faked at the ioctl boundary
(tests/helpers/v4l2.py). The real module on every v4l2loopback release: tests/device."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.platform.linux import v4l2out as v
from sketchd.sinks.vcam import VirtualCameraSink
from tests.helpers.v4l2 import FakeKernel, FakeLoopback

W, H = 64, 48


def writer(dev: FakeLoopback, fmt: str = "I420") -> v.StreamingWriter:
    return v.StreamingWriter("/dev/video10", W, H, fmt, kernel=FakeKernel(dev))


def test_ioctl_numbers_are_the_kernels():
    # from <linux/videodev2.h> on x86_64, as strace prints them
    assert v.VIDIOC_S_FMT == 0xC0D05605
    assert v.VIDIOC_REQBUFS == 0xC0145608
    assert v.VIDIOC_QUERYBUF == 0xC0585609
    assert v.VIDIOC_QBUF == 0xC058560F
    assert v.VIDIOC_STREAMON == 0x40045612
    assert v.VIDIOC_STREAMOFF == 0x40045613
    assert v.SUPPORTED


def test_opens_as_a_streaming_producer_in_the_order_v4l2loopback_needs():
    dev = FakeLoopback(max_buffers=2)
    w = writer(dev)
    w.open()
    # STREAMON is what makes 0.12.7 record us as the writer, and 0.14+ needs REQBUFS first
    assert dev.calls == [
        "open /dev/video10",
        "S_FMT",
        "S_PARM",
        "REQBUFS",
        "QUERYBUF",
        "QUERYBUF",
        "STREAMON",
    ]
    assert dev.fmt == (W, H, b"YU12", W, W * H * 3 // 2)
    assert dev.timeperframe == (1, 30)  # readers are told the rate frames really come at
    assert w.buffers == 2 and dev.streaming


def test_yuyv_format_and_size():
    dev = FakeLoopback()
    w = writer(dev, "YUYV")
    w.open()
    assert dev.fmt == (W, H, b"YUYV", 2 * W, 2 * W * H)
    assert w.frame_size == 2 * W * H


def test_frames_go_round_robin_and_each_buffer_holds_its_frame():
    dev = FakeLoopback(max_buffers=3)
    w = writer(dev)
    w.open()
    frames = [bytes([i]) * w.frame_size for i in range(7)]
    for f in frames:
        w.send(memoryview(f))
    assert [i for i, _ in dev.frames] == [0, 1, 2, 0, 1, 2, 0]
    assert [data for _, data in dev.frames] == frames  # what each reader got, frame by frame
    assert w.sent == 7


def test_close_stops_streaming_and_releases_everything_once():
    dev = FakeLoopback()
    w = writer(dev)
    w.open()
    maps = list(dev.maps.values())
    w.close()
    w.close()
    assert dev.calls[-2:] == ["STREAMOFF", "close"]
    assert dev.calls.count("close") == 1
    assert not dev.open_fds and all(m.closed for m in maps)
    with pytest.raises(OSError, match="not open"):
        w.send(b"\0" * w.frame_size)


def test_a_failed_streamoff_still_closes_the_file():
    dev = FakeLoopback()
    w = writer(dev)
    w.open()
    dev.fail["STREAMOFF"] = errno.ENODEV
    w.close()
    assert not dev.open_fds


@pytest.mark.parametrize("step", ["S_FMT", "REQBUFS", "QUERYBUF", "STREAMON"])
def test_a_refused_open_leaves_nothing_open(step):
    dev = FakeLoopback()
    dev.fail[step] = errno.EINVAL
    w = writer(dev)
    with pytest.raises(OSError) as e:
        w.open()
    assert e.value.errno == errno.EINVAL
    assert not dev.open_fds and all(m.closed for m in dev.maps.values())


def test_a_reader_holding_another_size_is_named():
    dev = FakeLoopback()
    dev.held = (640, 360, b"YU12")
    with pytest.raises(v.FormatMismatch, match="held at 640x360 YU12") as e:
        writer(dev).open()
    assert e.value.asked == f"{W}x{H} YU12"
    assert not dev.open_fds


def test_a_driver_granting_no_buffers_is_an_error():
    dev = FakeLoopback(max_buffers=0)
    with pytest.raises(OSError, match="granted no buffers"):
        writer(dev).open()


def test_wrong_sizes_are_refused():
    with pytest.raises(ValueError, match="even"):
        v.StreamingWriter("/dev/video10", 641, 360)
    dev = FakeLoopback()
    w = writer(dev)
    w.open()
    with pytest.raises(ValueError, match="bytes"):
        w.send(b"\0" * 10)


# ---- the sink on top of it, with the fake kernel as the OS


@pytest.fixture
def kernel(monkeypatch):
    dev = FakeLoopback()
    monkeypatch.setattr(v, "RealKernel", lambda: FakeKernel(dev))
    monkeypatch.setattr("sys.platform", "linux")
    return dev


def test_the_sink_publishes_video_range_i420_through_the_streaming_writer(kernel):
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto")
    desc = sink.open()
    assert "v4l2 streaming" in desc and "I420" in desc
    assert kernel.timeperframe == (1, 30)
    sink.send(np.full((H, W), 255, np.uint8))
    sink.send(np.zeros((H, W), np.uint8))
    (_, paper), (_, white), (_, black) = kernel.frames
    y = W * H
    assert set(paper[:y]) == {round(16 + 246 * 219 / 255)}  # blank paper, queued at open
    assert set(white[:y]) == {235} and set(black[:y]) == {16}  # BT.601 video range
    assert set(white[y:]) == {128}  # neutral chroma for a gray sketch
    sink.close()
    assert not kernel.open_fds


def test_the_sink_sends_yuyv_when_configured(kernel):
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto", fmt="YUYV")
    sink.open()
    frame = np.zeros((H, W, 3), np.uint8)
    frame[:, :, 2] = 255  # pure red
    sink.send(frame)
    data = np.frombuffer(kernel.frames[1][1], np.uint8).reshape(H, W, 2)
    assert abs(int(data[0, 0, 0]) - 81) <= 2  # Y of red in BT.601 video range
    assert data[0, 1, 1] > 200  # V (Cr) high for red
    gray = np.tile(np.arange(W, dtype=np.uint8) * 4, (H, 1))
    sink.send(gray)
    data = np.frombuffer(kernel.frames[2][1], np.uint8).reshape(H, W, 2)
    assert np.array_equal(
        data[:, :, 0], np.round(16 + gray.astype(int) * 219 / 255).astype(np.uint8)
    )
    assert set(data[:, :, 1].ravel()) == {128}  # a gray sketch has neutral chroma
    sink.send(frame)
    assert kernel.frames[3][1] == kernel.frames[1][1]  # and colour after gray is colour again


def test_a_stuck_device_is_an_output_error_with_the_fix(kernel):
    kernel.fail["S_FMT"] = errno.EINVAL
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto")
    with pytest.raises(OutputError, match="cannot open the virtual camera /dev/video10"):
        sink.open()


def test_a_missing_device_says_what_to_install(kernel, monkeypatch):
    from sketchd.platform.linux import v4l2 as linux_v4l2

    monkeypatch.setattr(linux_v4l2, "module_loaded", lambda *a: True)  # loaded, no such node
    kernel.fail["open"] = errno.ENOENT
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto")
    with pytest.raises(OutputError, match=r"does not exist\.\ninstall and load v4l2loopback"):
        sink.open()


def test_a_write_failure_reopens_the_device(kernel):
    clock_t = [0.0]
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto", clock=lambda: clock_t[0])
    sink.open()
    frame = np.zeros((H, W), np.uint8)
    sink.send(frame)
    kernel.fail["QBUF"] = errno.ENODEV
    with pytest.raises(OutputError, match="keeps reopening"):
        sink.send(frame)
    assert not kernel.open_fds  # closed at once, so the next producer could take it
    del kernel.fail["QBUF"]
    clock_t[0] += sink.BACKOFF[0]
    sink.send(frame)
    assert len(kernel.frames) == 4 and kernel.streaming  # each open queues a first frame


def test_several_devices_get_the_same_frame_converted_once(monkeypatch):
    from sketchd.sinks import convert, vcam

    devs = {"/dev/video10": FakeLoopback(), "/dev/video12": FakeLoopback()}
    monkeypatch.setattr("sys.platform", "linux")

    def opener(device, width, height, fps, fmt, backend):
        w = v.StreamingWriter(device, width, height, fmt, kernel=FakeKernel(devs[device]))
        return vcam.LoopbackCamera(w, fps)

    calls = []
    real = convert.I420Converter.__call__
    monkeypatch.setattr(
        convert.I420Converter, "__call__", lambda s, f: calls.append(1) or real(s, f)
    )
    shared = convert.Conversions()
    sinks = [
        VirtualCameraSink(W, H, 30, d, "auto", opener=opener, conversions=shared) for d in devs
    ]
    for sink in sinks:
        sink.open()
    calls.clear()  # (each open converted its own first, blank frame)
    a, b = np.full((H, W), 200, np.uint8), np.full((H, W), 40, np.uint8)
    for frame in (a, a, b):  # the loop repeats a frame while the camera is slower
        for sink in sinks:
            sink.send(frame)
    assert len(calls) == 2  # one conversion per distinct frame, not per device or tick
    got = [[data for _, data in d.frames] for d in devs.values()]
    assert got[0] == got[1] and len(got[0]) == 4  # the blank first frame, then a, a, b
    assert got[0][1][0] == round(16 + 200 * 219 / 255) and got[0][3][0] == round(
        16 + 40 * 219 / 255
    )


def test_the_daemon_builds_one_sink_per_configured_device():
    from sketchd.config.loader import parse
    from sketchd.daemon import build_daemon

    cfg = parse("camera: {device: demo}\noutput: {device: [/dev/video10, /dev/video12]}")
    d = build_daemon(cfg)
    assert [s.configured for s in d.sinks] == ["/dev/video10", "/dev/video12"]
    assert d.publisher.pacer is d.sinks[0]
    assert build_daemon(cfg, output="/dev/video14").sinks[0].configured == "/dev/video14"


def test_mjpg_frames_are_jpegs_of_their_own_size_that_decode_to_the_frame(kernel):
    import cv2
    import simplejpeg

    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "auto", fmt="MJPG")
    assert "MJPG" in sink.open()
    assert kernel.fmt[2] == b"MJPG"
    gray = np.tile(np.linspace(40, 250, W, dtype=np.uint8), (H, 1))
    colour = cv2.merge([gray, 255 - gray, np.full_like(gray, 128)])
    sink.send(gray)
    sink.send(colour)
    (_, a), (_, b) = kernel.frames[1:]
    assert a[:2] == b"\xff\xd8" and len(a) < W * H  # a JPEG, sent with its own length
    back = simplejpeg.decode_jpeg(a, colorspace="GRAY")[:, :, 0]
    assert np.abs(back.astype(int) - gray).mean() < 2  # full range: no 16-235 squeeze
    back = simplejpeg.decode_jpeg(b, colorspace="BGR")
    assert np.abs(back.astype(int) - colour).mean() < 4


def test_mjpg_through_pyvirtualcam_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    sink = VirtualCameraSink(W, H, 30, "/dev/video10", "v4l2loopback", fmt="MJPG")
    with pytest.raises(OutputError, match=r"set output\.backend to auto or v4l2"):
        sink.open()


def test_a_driver_refusing_the_frame_rate_still_publishes():
    dev = FakeLoopback()
    dev.fail["S_PARM"] = errno.EINVAL  # an older driver: readers are told 30 fps, no harm
    w = writer(dev)
    w.open()
    w.send(b"\0" * w.frame_size)
    assert dev.streaming and len(dev.frames) == 1

"""The live pipeline's parts with the OS faked at its boundary: a scripted camera source, a
recording sink and a hand-driven clock. The real camera and virtual camera are in tests/device.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.errors import CameraError, OutputError
from sketchd.filters import build
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.demand import Demand
from sketchd.pipeline.engine import Publisher, process
from sketchd.pipeline.frames import CameraFrame, DecodeError, card, decode, fit, torn
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.pacer import Pacer
from sketchd.pipeline.state import Stats
from sketchd.presets import settings_for
from sketchd.sinks.convert import BGRConverter, I420Converter
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource

W, H = 160, 90
CONFIG = parse(paths.default_config_file().read_text())  # never the user's own file


class Clock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def photo(w: int = 120, h: int = 90) -> np.ndarray:
    """A small picture with edges and colour (a sketch of a flat frame would be blank)."""
    img = np.full((h, w, 3), (40, 120, 200), np.uint8)
    cv2.circle(img, (w // 2, h // 2), min(w, h) // 3, (230, 230, 230), -1)
    cv2.rectangle(img, (5, 5), (w // 4, h // 4), (10, 10, 10), -1)
    return img


def frame(img: np.ndarray, seq: int, t: float) -> CameraFrame:
    return CameraFrame(img, "BGR", img.shape[1], img.shape[0], seq, t)


def publisher(
    preset: str = "pencil", clock=None, sinks=(), demand: Demand | None = None, **toggles
) -> Publisher:
    config = CONFIG
    s = settings_for(config, preset, **toggles)
    stats = Stats(started=clock())
    return Publisher(Mailbox(), list(sinks), s, W, H, 30, stats, clock=clock, demand=demand)


# -- mailbox -------------------------------------------------------------------------------


def test_mailbox_keeps_only_the_newest_item():
    box: Mailbox[int] = Mailbox()
    assert box.latest() == (None, 0)
    for i in range(5):
        box.put(i)
    assert box.latest() == (4, 5)


class WatchedCondition(threading.Condition):
    """The mailbox's condition; ``waiting`` is set once a reader waits on it (the lock then
    released), so the test wakes it for sure while it waits, not before."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_mailbox_wait_newer_wakes_on_put_and_on_close():
    box: Mailbox[str] = Mailbox()
    box._cond = cond = WatchedCondition()
    got: list[tuple[str | None, int]] = []
    for version, wake in ((0, lambda: box.put("x")), (1, box.close)):
        cond.waiting.clear()
        reader = threading.Thread(target=lambda v=version: got.append(box.wait_newer(v, 60)))
        reader.daemon = True
        reader.start()
        assert cond.waiting.wait(10), "the reader never waited"
        wake()
        reader.join(10)
        assert not reader.is_alive(), "not woken: it would wait out its 60 s"
    assert got == [("x", 1), ("x", 1)] and box.closed


# -- decode and fit ------------------------------------------------------------------------


def test_decode_takes_the_y_plane_of_yuyv_without_converting():
    bgr = photo(64, 48)
    yuyv = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), cv2.COLOR_YUV2BGR_I420)
    y = cv2.cvtColor(yuyv, cv2.COLOR_BGR2GRAY)
    packed = np.dstack([y, np.full_like(y, 128)])
    f = CameraFrame(packed, "YUYV", 64, 48, 1, 0.0)
    assert np.array_equal(decode(f, gray=True), y)
    assert decode(f, gray=False).shape == (48, 64, 3)


def test_decode_mjpg_to_gray_or_colour_and_reject_corrupt_bytes():
    jpg = cv2.imencode(".jpg", photo(), [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    f = CameraFrame(jpg, "MJPG", 120, 90, 1, 0.0)
    g, c = decode(f, gray=True), decode(f, gray=False)
    assert g.shape == (90, 120) and c.shape == (90, 120, 3)
    assert np.abs(g.astype(int) - cv2.cvtColor(c, cv2.COLOR_BGR2GRAY)).mean() < 2
    with pytest.raises(DecodeError, match="does not decode"):
        decode(CameraFrame(jpg[:40], "MJPG", 120, 90, 2, 0.0), gray=True)
    with pytest.raises(DecodeError, match="unknown camera format"):
        decode(CameraFrame(jpg, "H264", 120, 90, 3, 0.0), gray=True)


def test_mjpg_decodes_to_exactly_what_opencv_gives(monkeypatch):
    """The fast decoder (simplejpeg) is an optimisation only: same pixels as OpenCV, and
    frames it refuses (a libjpeg warning) still decode through OpenCV."""
    import sketchd.pipeline.frames as frames

    assert frames.simplejpeg is not None, "simplejpeg is a dependency"
    img = cv2.resize(photo(), (640, 480))
    jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
    f = CameraFrame(jpg, "MJPG", 640, 480, 1, 0.0)
    for gray, flag in ((True, cv2.IMREAD_GRAYSCALE), (False, cv2.IMREAD_COLOR)):
        want = cv2.imdecode(jpg, flag)
        got = decode(f, gray=gray)
        assert got.shape == want.shape and np.array_equal(got, want)
    # a frame with bytes before its end marker, as cheap webcams send: simplejpeg refuses it
    extra = np.concatenate([jpg[:-2], np.frombuffer(b"junk!", np.uint8), jpg[-2:]])
    with pytest.raises(ValueError):
        frames.simplejpeg.decode_jpeg(extra, "GRAY", strict=True)
    jpeg = frames.JpegDecoder()  # the stream's own, as the publish loop holds one
    calls = []
    real = frames.simplejpeg.decode_jpeg
    monkeypatch.setattr(
        frames.simplejpeg, "decode_jpeg", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    bad = CameraFrame(extra, "MJPG", 640, 480, 2, 0.0)
    for _ in range(jpeg.REFUSALS):
        got = decode(bad, gray=True, jpeg=jpeg)
        assert np.array_equal(got, cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE))
    assert len(calls) == jpeg.REFUSALS
    # such a camera is left to OpenCV alone for a while, then simplejpeg is tried again
    for _ in range(jpeg.SKIP):
        decode(bad, gray=True, jpeg=jpeg)
    assert len(calls) == jpeg.REFUSALS
    decode(f, gray=True, jpeg=jpeg)
    assert len(calls) == jpeg.REFUSALS + 1 and jpeg.refused == 0
    # without simplejpeg (no wheel for the platform) OpenCV decodes alone
    monkeypatch.setattr(frames, "simplejpeg", None)
    assert np.array_equal(decode(f, gray=False), cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    with pytest.raises(DecodeError, match="does not decode"):
        decode(CameraFrame(jpg[:40], "MJPG", 640, 480, 3, 0.0), gray=True)


def test_fit_letterboxes_with_paper_white_and_keeps_the_picture_centred():
    img = np.zeros((480, 640), np.uint8)  # 4:3 black into 16:9
    out = fit(img, 640, 360)
    assert out.shape == (360, 640)
    cols = np.where(out.min(axis=0) == 0)[0]
    assert cols[0] == 80 and cols[-1] == 559  # 480 wide, centred
    assert (out[:, :80] == 255).all() and (out[:, 560:] == 255).all()
    same = np.zeros((360, 640, 3), np.uint8)
    assert fit(same, 640, 360) is same


def test_cards_are_gray_paper_with_ink_and_distinct():
    lost = card(W, H, "Camera unavailable", "retrying")
    off = card(W, H, "Camera off")
    assert lost.shape == (H, W) and lost.dtype == np.uint8
    assert lost.mean() > 200 and lost.min() < 120  # paper with pencil strokes
    assert np.abs(lost.astype(int) - off).mean() > 1
    assert np.array_equal(lost, card(W, H, "Camera unavailable", "retrying"))


# -- the publish loop ----------------------------------------------------------------------


def test_publisher_shows_starting_then_the_sketch_then_lost_then_live_again():
    clock = Clock()
    sink = RecordingSink()
    p = publisher(clock=clock, sinks=[sink])
    p.tick()
    assert p.stats.camera == "starting"
    assert np.array_equal(sink.last(), p.card("starting"))

    img = photo()
    p.mailbox.put(frame(img, 1, clock.t))
    p.tick()
    want = fit(build("pencil")(img), W, H)
    assert p.stats.camera == "live"
    assert np.array_equal(sink.last(), want)

    clock.t += 0.5  # no new frame for less than stall_after: the last frame repeats
    p.tick()
    assert np.array_equal(sink.last(), want) and p.stats.processed == 1

    clock.t += 1.0  # silent for longer than stall_after: the placeholder, never nothing
    p.tick()
    assert p.stats.camera == "lost"
    assert np.array_equal(sink.last(), p.card("lost"))

    p.mailbox.put(frame(img[::-1].copy(), 2, clock.t))
    p.tick()
    assert p.stats.camera == "live"
    assert np.array_equal(sink.last(), fit(build("pencil")(img[::-1]), W, H))
    assert sink.count == p.stats.published == 5


def test_the_newest_frame_goes_out_and_its_freshness_is_measured():
    """A camera faster than the loop: frames that came in between ticks are skipped, never
    queued; a frame arriving while the last one is filtered makes it one frame behind."""
    clock = Clock()
    img = photo()
    p = publisher(clock=clock)
    for seq in range(1, 6):  # five frames between two ticks: only the fifth is sketched
        p.mailbox.put(frame(img if seq < 5 else img[::-1].copy(), seq, clock.t))
    clock.t += 0.012
    p.tick()
    assert p.stats.processed == 1
    assert np.array_equal(p.last_published, fit(build("pencil")(img[::-1]), W, H))
    assert (p.stats.behind, p.stats.behind_max) == (0, 0)
    assert p.stats.latency_ms == pytest.approx(12.0)

    slow = p.settings.chain

    def filter_while_the_camera_delivers(x):
        clock.t += 0.040
        p.mailbox.put(frame(img, 99, clock.t))  # arrives during filtering
        return slow(x)

    from dataclasses import replace

    p.set_settings(replace(p.settings, chain=filter_while_the_camera_delivers))
    p.mailbox.put(frame(img, 6, clock.t))
    p.tick()
    assert (p.stats.behind, p.stats.behind_max) == (1, 1)
    assert p.stats.latency_ms == pytest.approx(26.0)  # median of 12 and 40 ms

    p.set_settings(replace(p.settings, chain=slow))
    clock.t += 2.0  # a second later the window has forgotten it; the worst is kept
    p.mailbox.put(frame(img, 100, clock.t))
    p.tick()
    assert (p.stats.behind, p.stats.behind_max) == (0, 1)
    assert p.stats.latency_ms == pytest.approx(0.0)
    assert p.stats.fps == 1.0


def test_publisher_privacy_bypass_and_mirror():
    clock = Clock()
    img = photo()
    p = publisher(clock=clock, privacy=True)
    p.mailbox.put(frame(img, 1, clock.t))
    assert np.array_equal(p.next_frame(), p.card("privacy"))

    p = publisher(clock=clock, bypass=True)
    p.mailbox.put(frame(img, 1, clock.t))
    out = p.next_frame()
    assert out.ndim == 3 and np.array_equal(out, fit(img, W, H))

    p = publisher(clock=clock, mirror=True)
    p.mailbox.put(frame(img, 1, clock.t))
    assert np.array_equal(p.next_frame(), fit(build("pencil")(img), W, H)[:, ::-1])


@pytest.mark.parametrize("kind", ["privacy", "starting", "lost"])
def test_mirror_flips_the_camera_picture_but_never_a_cards_text(kind):
    clock = Clock()
    p = publisher(clock=clock, mirror=True, privacy=kind == "privacy")
    if kind == "lost":
        p.mailbox.put(frame(photo(), 1, clock.t))
        p.next_frame()
        clock.t += 5.0  # the camera went silent
    out = p.next_frame()
    assert p.stats.camera == kind or kind == "privacy"
    assert np.array_equal(out, p.card(kind))  # as drawn, not reversed
    assert not np.array_equal(out, out[:, ::-1])  # (the card is not symmetric: a real check)


class FailingSink(RecordingSink):
    def send(self, frame: np.ndarray) -> None:
        raise OutputError("the device went away")


def test_farewell_sends_the_off_card_to_every_sink_even_past_a_failing_one():
    sleeps: list[float] = []
    good = RecordingSink()
    p = publisher(clock=Clock(), sinks=[FailingSink(), good])
    p.farewell(sleep=sleeps.append)
    assert good.count == Publisher.FAREWELL_FRAMES
    assert np.array_equal(good.last(), p.card("off"))
    assert sleeps == [pytest.approx(1 / 30)] * (Publisher.FAREWELL_FRAMES - 1)  # paced
    off = card(W, H, "Sketch Camera is off", "sketchd has stopped; start it to go live again")
    assert np.array_equal(good.last(), off)


def test_a_failing_filter_keeps_the_last_good_frame():
    clock = Clock()
    p = publisher(clock=clock)
    img = photo()
    p.mailbox.put(frame(img, 1, clock.t))
    good = p.next_frame().copy()

    def broken(_):
        raise RuntimeError("bug in a filter")

    from dataclasses import replace

    p.set_settings(replace(p.settings, chain=broken))
    p.mailbox.put(frame(img[::-1].copy(), 2, clock.t))
    assert np.array_equal(p.next_frame(), good)
    assert p.stats.filter_errors == 1


def test_corrupt_camera_frames_are_counted_and_skipped():
    clock = Clock()
    p = publisher(clock=clock)
    img = photo()
    p.mailbox.put(frame(img, 1, clock.t))
    good = p.next_frame().copy()
    p.mailbox.put(CameraFrame(np.zeros(10, np.uint8), "MJPG", 120, 90, 2, clock.t))
    assert np.array_equal(p.next_frame(), good)
    assert p.stats.decode_errors == 1


def test_a_failing_sink_is_reported_and_the_others_still_get_frames():
    class Broken:
        name = "broken"

        def send(self, frame):
            raise OutputError("device went away")

    clock = Clock()
    good = RecordingSink()
    broken = Broken()
    p = publisher(clock=clock, sinks=[broken, good])
    p.tick()
    p.tick()
    assert good.count == 2
    assert p.stats.output_error == "device went away"
    broken.send = lambda frame: None  # the device is back: the error goes from the status
    p.tick()
    assert p.stats.output_error == "" and good.count == 3


def test_when_every_sink_fails_nothing_counts_as_published_and_fps_falls_to_zero():
    class Broken:
        name = "broken"

        def send(self, frame):
            raise OutputError("no virtual camera found")

    clock = Clock()
    p = publisher(clock=clock, sinks=[Broken()])
    for _ in range(5):
        p.tick()
        clock.t += 0.1
    assert p.stats.published == 0 and p.stats.fps == 0.0
    p.swap_sinks([RecordingSink()], None, W, H, 30)  # the device came: frames count again
    p.tick()
    clock.t += 1.5  # then it goes again: the last second's window empties
    p.swap_sinks([Broken()], None, W, H, 30)
    p.tick()
    assert p.stats.published == 1 and p.stats.fps == 0.0


def test_swapping_sinks_between_ticks_keeps_the_loop_and_its_picture():
    """An output change on reload: a pure swap (the Daemon opens the new sinks and closes the
    old ones, outside the loop's lock); the new ones get the next frame at the new size."""
    clock = Clock()
    old = RecordingSink()
    p = publisher(clock=clock, sinks=[old])
    p.mailbox.put(frame(photo(), 1, clock()))
    p.tick()
    assert old.last().shape[:2] == (H, W) and p.stats.camera == "live"
    new = RecordingSink()
    pacer = Pacer(15)
    assert p.swap_sinks([new], pacer, 200, 100, 15) == [old]
    assert not old.closed and not new.opened  # neither opened nor closed here
    assert p.sinks == [new] and p.pacer is pacer
    p.tick()  # no new camera frame: the picture up before the swap, at the new size
    assert new.last().shape[:2] == (100, 200) and p.stats.camera == "live"
    assert old.count == 1  # nothing went to the old sink
    p.mailbox.put(frame(photo(), 2, clock()))
    p.tick()
    assert new.count == 2 and new.last().shape[:2] == (100, 200)
    assert p.card("privacy").shape[:2] == (100, 200)  # the cards are drawn again


def test_with_no_sink_the_loop_runs_on_paced_by_a_pacer_of_its_own():
    clock = Clock()
    old = RecordingSink()
    p = publisher(clock=clock, sinks=[old])
    assert p.swap_sinks([], None, 200, 100, 30) == [old]
    assert p.sinks == [] and isinstance(p.pacer, Pacer)
    n = p.stats.published
    p.tick()
    assert p.stats.published == n + 1 and old.count == 0


def test_gray_presets_take_the_y_plane_and_colour_presets_decode_colour(monkeypatch):
    calls = []
    import sketchd.pipeline.engine as engine

    real = engine.decode
    monkeypatch.setattr(
        engine, "decode", lambda f, gray, jpeg=None: calls.append(gray) or real(f, gray=gray)
    )
    yuyv = np.dstack([np.full((4, 6), 90, np.uint8), np.full((4, 6), 128, np.uint8)])
    f = CameraFrame(yuyv, "YUYV", 6, 4, 1, 0.0)
    assert process(f, settings_for(CONFIG, "pencil")).shape == (4, 6)
    assert process(f, settings_for(CONFIG, "cartoon")).shape == (4, 6, 3)
    assert calls == [True, False]


def test_pacer_sleeps_to_a_steady_rate_and_resyncs_after_a_stall():
    clock, slept = Clock(0.0), []

    def sleep(d):
        slept.append(round(d, 6))
        clock.t += d

    pacer = Pacer(10, clock=clock, sleep=sleep)
    for work in (0.02, 0.03, 0.0):
        clock.t += work
        pacer.sleep_until_next_frame()
    assert slept == [0.1, 0.07, 0.1]  # the first call starts the schedule
    clock.t += 5  # a long stall: no burst of catch-up frames afterwards
    pacer.sleep_until_next_frame()
    assert slept[-1] == pytest.approx(0.1)


# -- capture -------------------------------------------------------------------------------


class ScriptedSource:
    """A camera that fails to open ``fail_opens`` times, then fails its ``reads``-th read, and
    stops the capture (``stop``) with its ``stop_after``-th frame."""

    name = "scripted"

    def __init__(self, fail_opens: int, reads: int, stop: threading.Event, stop_after: int):
        self.fail_opens, self.reads = fail_opens, reads
        self.stop, self.stop_after = stop, stop_after
        self.opens = self.closes = self.seq = 0

    def open(self) -> str:
        self.opens += 1
        if self.opens <= self.fail_opens:
            raise CameraError("no camera at '/dev/video0'")
        return "scripted 120x90"

    def read(self) -> CameraFrame:
        self.seq += 1
        if self.seq == self.reads:
            raise CameraError("read failed")
        if self.seq == self.stop_after:
            self.stop.set()
        return frame(photo(), self.seq, float(self.seq))

    def close(self) -> None:
        self.closes += 1


class Backoff(threading.Event):
    """The capture's stop event: records each wait (the backoff between opens) and returns at
    once, so Capture.run goes through its retries in the test's own thread."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_capture_retries_with_backoff_and_reopens_after_a_read_failure():
    stop, box, stats = Backoff(), Mailbox(), Stats()
    src = ScriptedSource(fail_opens=3, reads=5, stop=stop, stop_after=20)
    Capture(src, box, stop, stats, backoff=(0.25, 0.5)).run()  # in this thread: no timing
    assert stop.waits == [0.25, 0.5, 0.5]  # after each failed open; the last wait repeats
    assert src.opens == 5  # 3 failures, the first session, the reopen after the read failure
    got, version = box.latest()
    assert got is not None and got.seq == 20 and version == 19  # all but the failed read
    assert src.closes >= 2 and not stats.camera_open  # closed after the failure and at the end
    assert stats.camera_desc == "scripted 120x90" and stats.camera_error == ""


def jpeg(img: np.ndarray) -> np.ndarray:
    return cv2.imencode(".jpg", img)[1].reshape(-1)


def mjpg(data: np.ndarray, seq: int, t: float = 100.0) -> CameraFrame:
    return CameraFrame(data, "MJPG", 120, 90, seq, t)


def test_torn_spots_mjpg_frames_cut_short_and_passes_whole_ones():
    whole = jpeg(photo())
    padded = np.concatenate([whole, np.zeros(1000, np.uint8)])  # zeros after the end marker
    assert not torn(mjpg(whole, 1)) and not torn(mjpg(padded, 2))
    assert torn(mjpg(whole[: whole.size // 2], 3))  # the transfer stopped half-way
    assert torn(mjpg(np.concatenate([whole[:2], np.zeros(300, np.uint8)]), 4))
    assert torn(mjpg(whole[2:], 5))  # no start marker
    assert torn(mjpg(np.zeros(0, np.uint8), 6))
    assert not torn(frame(photo(), 7, 0.0))  # raw frames have no markers to check


class ListSource:
    """A camera that delivers ``frames`` once, then asks the capture thread to stop."""

    name = "list"

    def __init__(self, frames: list[CameraFrame], stop: threading.Event):
        self.frames, self.stop = list(frames), stop

    def open(self) -> str:
        return "list"

    def read(self) -> CameraFrame:
        f = self.frames.pop(0)
        if not self.frames:
            self.stop.set()
        return f

    def close(self) -> None:
        pass


def test_capture_drops_torn_frames_so_the_last_good_one_stays_in_the_mailbox():
    whole = jpeg(photo())
    cut = whole[: whole.size // 3]
    stop, stats, box = threading.Event(), Stats(), Mailbox()
    frames = [mjpg(whole, 1), mjpg(cut, 2), mjpg(cut, 3)]
    Capture(ListSource(frames, stop), box, stop, stats).run()  # in this thread: no timing
    got, version = box.latest()
    assert got is not None and got.seq == 1 and version == 1
    assert stats.torn_frames == 2


def test_a_camera_sending_only_torn_frames_goes_to_the_placeholder():
    clock = Clock()
    p = publisher(clock=clock)
    whole = jpeg(photo())
    p.mailbox.put(mjpg(whole, 1, clock.t))
    assert not np.array_equal(p.next_frame(), p.card("lost"))
    assert p.stats.camera == "live"
    clock.t += p.stall_after + 0.1  # only torn frames since: nothing new reached the mailbox
    assert np.array_equal(p.next_frame(), p.card("lost"))
    assert p.stats.camera == "lost"


# -- output buffers ------------------------------------------------------------------------


def test_i420_converter_writes_gray_into_y_and_keeps_chroma_neutral():
    conv = I420Converter(W, H)
    gray = np.random.default_rng(1).integers(0, 256, (H, W), dtype=np.uint8)
    buf = conv(gray)
    assert buf.size == W * H * 3 // 2
    y = buf[: W * H].reshape(H, W)
    # video range, like OpenCV's BGR→I420 of the same gray picture in colour
    as_colour = cv2.cvtColor(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), cv2.COLOR_BGR2YUV_I420)
    assert np.abs(y.astype(int) - as_colour[:H]).max() <= 1
    assert y.min() >= 16 and y.max() <= 235
    assert (buf[W * H :] == 128).all()
    colour = fit(photo(), W, H)
    buf = conv(colour)
    back = cv2.cvtColor(buf.reshape(H * 3 // 2, W), cv2.COLOR_YUV2BGR_I420)
    assert np.abs(back.astype(int) - colour).mean() < 4
    assert conv(gray) is buf and (buf[W * H :] == 128).all()  # same buffer, chroma reset
    with pytest.raises(OutputError, match="even"):
        I420Converter(W + 1, H)


def test_bgr_converter_expands_gray():
    out = BGRConverter(W, H)(np.full((H, W), 77, np.uint8))
    assert out.shape == (H, W, 3) and (out == 77).all()


# -- the daemon, end to end with the demo camera --------------------------------------------


class Ticks:
    """The loop's pacer in a test: says when a tick is over (the Stats updated), then lets
    ``inner`` pace. ``wait_for`` waits on ticks, never on time."""

    def __init__(self, inner) -> None:
        self.inner, self.count = inner, 0
        self._cond = threading.Condition()

    def sleep_until_next_frame(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()
        self.inner.sleep_until_next_frame()

    def wait_for(self, check, timeout: float = 10.0) -> None:
        with self._cond:
            assert self._cond.wait_for(check, timeout), f"not after {self.count} ticks"


def test_daemon_publishes_the_demo_camera_and_releases_everything_on_stop():
    """How fast it stops is a real-time figure: tests/soak/test_shutdown_realtime.py."""
    config = CONFIG
    sink = RecordingSink(keep=5)
    demo = DemoSource(320, 240, 30)
    ticks = Ticks(Pacer(config.output.fps))
    d = Daemon(config, demo, [sink], pacer=ticks)
    d.start()
    try:
        ticks.wait_for(lambda: d.stats.camera == "live", 20)
        n = sink.count
        ticks.wait_for(lambda: sink.count > n + 3)  # frames keep flowing
        c = Controller(config, d)
        c.set_preset("ink")
        assert c.status()["preset"] == "ink"
        n = sink.count
        ticks.wait_for(lambda: sink.count > n + 1)
        last = sink.last()
        assert last is not None and last.shape[:2] == (config.output.height, config.output.width)
    finally:
        d.stop()
    assert sink.closed and not d.capture.is_alive() and not d._publish_thread.is_alive()


def test_a_camera_sending_only_corrupt_frames_counts_as_lost_but_a_broken_filter_does_not():
    clock = Clock()
    p = publisher(clock=clock)
    img = photo()
    p.mailbox.put(frame(img, 1, clock.t))
    good = p.next_frame().copy()
    for seq in range(2, 30):  # 1.4 s of torn frames
        clock.t += 0.05
        p.mailbox.put(CameraFrame(np.zeros(10, np.uint8), "MJPG", 120, 90, seq, clock.t))
        out = p.next_frame()
    assert p.stats.camera == "lost" and np.array_equal(out, p.card("lost"))

    from dataclasses import replace

    p = publisher(clock=clock)
    p.mailbox.put(frame(img, 1, clock.t))
    good = p.next_frame().copy()
    p.set_settings(replace(p.settings, chain=lambda f: 1 / 0))
    for seq in range(2, 30):
        clock.t += 0.05
        p.mailbox.put(frame(img, seq, clock.t))
        out = p.next_frame()
    assert p.stats.camera == "live" and np.array_equal(out, good)
    assert p.stats.filter_errors == 28

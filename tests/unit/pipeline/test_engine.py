"""The publish loop (pipeline/engine.py) with the OS faked at its boundary: a recording sink
and a hand-driven clock. The real camera and virtual camera are in tests/device."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from sketchd.errors import OutputError
from sketchd.filters import build
from sketchd.pipeline.engine import Publisher, process
from sketchd.pipeline.frames import CameraFrame, card, fit
from sketchd.pipeline.pacer import Pacer
from sketchd.presets import settings_for
from sketchd.sinks.memory import RecordingSink
from tests.helpers.clock import Clock
from tests.helpers.pipeline import CONFIG, H, W, frame, jpeg, mjpg, photo, publisher


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
        engine,
        "decode",
        lambda f, gray, jpeg=None, fit=None: calls.append(gray) or real(f, gray=gray, fit=fit),
    )
    yuyv = np.dstack([np.full((4, 6), 90, np.uint8), np.full((4, 6), 128, np.uint8)])
    f = CameraFrame(yuyv, "YUYV", 6, 4, 1, 0.0)
    assert process(f, settings_for(CONFIG, "pencil")).shape == (4, 6)
    assert process(f, settings_for(CONFIG, "cartoon")).shape == (4, 6, 3)
    assert calls == [True, False]


def test_a_camera_four_times_the_output_is_sketched_at_the_outputs_size():
    """The loop decodes a large MJPG frame shrunk in the decoder (frames.shrink_factor), so
    the preset runs on the pixels the output shows, not on sixteen times as many."""
    clock = Clock()
    sink = RecordingSink()
    p = publisher(clock=clock, sinks=[sink])
    big = cv2.resize(photo(W, H), (4 * W, 4 * H), interpolation=cv2.INTER_CUBIC)
    p.mailbox.put(CameraFrame(jpeg(big), "MJPG", 4 * W, 4 * H, 1, clock.t))
    p.tick()
    assert p.stats.camera == "live"
    small = cv2.imdecode(jpeg(big), cv2.IMREAD_REDUCED_GRAYSCALE_4)
    assert small.shape == (H, W)
    assert np.array_equal(sink.last(), build("pencil")(small))


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

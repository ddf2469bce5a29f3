"""The publish loop: the newest camera frame → the preset's chain → every sink, paced.

    camera ──capture thread──▶ Mailbox (newest frame only) ──publish loop──▶ sinks
           (pipeline/capture.py)                                (paced at the output fps)

The publish loop never waits for the camera: every tick it publishes the newest frame, the last
one again if nothing new came, or a placeholder card once the camera has been silent for
``stall_after`` seconds. So the virtual camera never stops, whatever the camera does.

The Publisher owns its state (its sinks, the on-demand state machine, the frame published last)
and other threads ask through its methods. The Daemon opens sinks and hands them over; a changed
output is swapped in between two ticks (``swap_sinks``): the loop and its state go on.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from sketchd import STARTED
from sketchd.errors import OutputError
from sketchd.filters.chain import restart
from sketchd.pipeline.demand import Demand, combine
from sketchd.pipeline.frames import CameraFrame, DecodeError, JpegDecoder, card, decode, fit
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.pacer import Pacer, Pacing
from sketchd.pipeline.state import Settings, Stats
from sketchd.sinks import ReaderAware, Sink

log = logging.getLogger(__name__)


def new_run(last: tuple[int, float], frame: CameraFrame, gap: float) -> bool:
    """Whether ``frame`` comes from another run of the camera than the frame (seq, capture time)
    before it: a reopened source counts from 1; one silent > ``gap`` s may show another scene."""
    seq, t = last
    return frame.seq <= seq or frame.t - t > gap


def process(
    frame: CameraFrame,
    s: Settings,
    jpeg: JpegDecoder | None = None,
    fit: tuple[int, int] | None = None,
) -> np.ndarray:
    """One camera frame through the chain, decoded no further than needed (frames.decode)."""
    if s.bypass:
        return decode(frame, gray=False, jpeg=jpeg, fit=fit)
    return s.chain(decode(frame, gray=not s.needs_colour, jpeg=jpeg, fit=fit))


CARDS = {  # what the call app sees instead of the camera: (title, line)
    "starting": ("Starting camera...", "sketchd is opening your camera"),
    "lost": ("Camera unavailable", "sketchd keeps trying; the picture returns by itself"),
    "privacy": ("Camera off", "privacy mode: turn it off in the sketchd menu"),
    "off": ("Sketch Camera is off", "sketchd has stopped; start it to go live again"),
    "standby": ("Sketch Camera", "the camera turns on when an app uses it"),
}


class Publisher:
    """The paced loop: newest frame → chain → fit → mirror → every sink.

    It owns its state; other threads ask through its methods, each under its lock:
    ``run`` (and so ``tick``) runs in the publish thread and alone changes the loop's state;
    ``set_settings``, ``set_demand``, ``hold``, ``request_frame`` and ``swap_sinks`` may be
    called from any thread; ``farewell`` once the loop has stopped. Times are on ``clock``."""

    def __init__(
        self,
        mailbox: Mailbox[CameraFrame],
        sinks: Sequence[Sink],
        settings: Settings,
        width: int,
        height: int,
        fps: int,
        stats: Stats,
        pacer: Pacing | None = None,
        stall_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        demand: Demand | None = None,
        wanted: threading.Event | None = None,
    ):
        """``demand``: on-demand capture's state machine (None: the camera is wanted always);
        ``wanted``: the Event the capture thread obeys, which the loop sets and clears (a new
        one when None; read it back as ``wanted``)."""
        self.mailbox = mailbox
        self._tick_lock = threading.Lock()  # held by a tick, so a swap falls between two
        # what other threads change or wait for; the loop takes changes at its next tick
        self._shared = threading.Condition()
        self._sinks, self._pacer = list(sinks), pacer or Pacer(fps)
        self._settings = settings
        self._demand = demand  # the loop's own; it follows _asked at every tick
        self._asked = None if demand is None else demand.idle_after  # None: no on-demand
        self._wanted = wanted if wanted is not None else threading.Event()
        if demand is None:
            self._wanted.set()
        self._hold_until = float("-inf")  # the preview or a snapshot keeps the camera on
        self._last_published: np.ndarray | None = None
        self._published_as = ""  # stats.camera when _last_published went out
        self._jpeg = JpegDecoder()  # this stream's decoder state
        self._woke = stats.started  # when the camera was last asked to open
        self._standby_sent = float("-inf")
        self.width, self.height, self.fps = width, height, fps
        self.stats = stats
        self.stall_after = stall_after
        self._clock = clock
        self._version = 0
        self._out: np.ndarray | None = None  # the last frame made from the camera
        self._input_t = 0.0  # capture time of the newest frame that decoded
        self._last: tuple[int, float] | None = None  # (seq, capture time) of the last frame taken
        self._cards: dict[str, np.ndarray] = {}
        self._window: deque[tuple[float, int, float | None]] = deque()  # (sent, behind, ms)
        self._new_capture_t: float | None = None  # capture time of a frame new this tick

    # -- what other threads read and ask
    @property
    def settings(self) -> Settings:
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Swap in new Settings whole; the next frame uses them."""
        self._settings = settings  # one reference: the loop reads it once per frame

    def now(self) -> float:
        """This loop's clock (Stats times are on it)."""
        return self._clock()

    @property
    def sinks(self) -> list[Sink]:
        return list(self._sinks)  # one reference, swapped whole

    @property
    def pacer(self) -> Pacing:
        return self._pacer

    @property
    def wanted(self) -> threading.Event:
        """Set while the camera should be open; the capture thread obeys it, the loop sets it."""
        return self._wanted

    @property
    def on_demand(self) -> bool:
        """Whether the camera opens only while an app reads (as last asked)."""
        with self._shared:
            return self._asked is not None

    @property
    def last_published(self) -> np.ndarray | None:
        with self._shared:
            return self._last_published

    def set_demand(self, idle_after: float | None) -> None:
        """On-demand capture, off ``idle_after`` s after the last reader left; None: the
        camera wanted always. The loop takes it at its next tick; a running state machine
        keeps its state (a call going on stays on)."""
        with self._shared:
            self._asked = idle_after

    def hold(self, seconds: float) -> None:
        """Keep the camera on for ``seconds`` (on the loop's clock) as if an app read it."""
        with self._shared:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def request_frame(self, timeout: float) -> np.ndarray | None:
        """The frame published last (None: nothing yet). In standby, the camera is held open
        for ``timeout`` s and the first live frame waited for: TimeoutError if none came."""
        with self._shared:
            if self._published_as == "standby":
                self._hold_until = max(self._hold_until, self._clock() + timeout)
                if not self._shared.wait_for(lambda: self._published_as == "live", timeout):
                    raise TimeoutError(f"no live frame within {timeout:g} s")
            return self._last_published

    def swap_sinks(
        self, sinks: Sequence[Sink], pacer: Pacing | None, width: int, height: int, fps: int
    ) -> list[Sink]:
        """Between two ticks, go on with ``sinks`` at this size and rate, paced by ``pacer``
        (None: a Pacer at ``fps``); returns the sinks it sent to until now. A pure swap: the
        caller opens the new sinks before and closes the old ones after, outside the lock."""
        with self._tick_lock:
            old, self._sinks = self._sinks, list(sinks)
            self._pacer = pacer or Pacer(fps)
            self.width, self.height, self.fps = width, height, fps
            self._cards.clear()
            if self._out is not None:  # the picture up now, at the new size
                self._out = fit(self._out, width, height)
            return old

    def card(self, kind: str) -> np.ndarray:
        if kind not in self._cards:
            self._cards[kind] = card(self.width, self.height, *CARDS[kind])
        return self._cards[kind]

    def next_frame(self) -> np.ndarray:
        """The frame to publish this tick (no sleeping, no sending)."""
        s = self.settings
        frame, version = self.mailbox.latest()
        now = self._clock()
        if frame is not None and version != self._version:
            self._version = version
            if self._last is not None and new_run(self._last, frame, self.stall_after):
                restart(s.chain)  # the stateful filters start afresh on what the camera sees
            self._last = (frame.seq, frame.t)
            try:
                out = process(frame, s, self._jpeg, (self.width, self.height))
                self._out = fit(out, self.width, self.height)
                self.stats.processed += 1
                self._input_t = frame.t
                self._new_capture_t = frame.t
            except DecodeError as e:
                self.stats.decode_errors += 1
                log.debug("camera: %s", e)
            except Exception:
                self.stats.filter_errors += 1
                self._input_t = frame.t  # the camera is fine: keep its last good picture up
                if self.stats.filter_errors in (1, 10, 100) or self.stats.filter_errors % 1000 == 0:
                    log.exception(
                        "preset %s failed on a frame; publishing the last good one", s.preset
                    )
        # live: a frame that decoded recently (a camera sending only corrupt frames is as lost
        # as a silent one), captured since the camera was last asked to open (after a standby,
        # a frame left from before it is a stale picture)
        fresh = (
            self._out is not None
            and now - self._input_t <= self.stall_after
            and self._input_t >= self._woke
        )
        waking = now - self._woke <= max(self.stall_after, 3.0)
        if self._demand is not None and not self._wanted.is_set():
            self.stats.camera = "standby"
        elif fresh:
            self.stats.camera = "live"
        elif (frame is None or self._input_t < self._woke) and waking:
            self.stats.camera = "starting"
        else:
            if self.stats.camera != "lost":
                log.warning(
                    "camera: no frame for %.1f s; publishing the placeholder", self.stall_after
                )
            self.stats.camera = "lost"
        if s.privacy:
            return self.card("privacy")
        if self.stats.camera != "live" or self._out is None:
            return self.card(self.stats.camera)
        # only the camera's picture is mirrored: a card's text must stay readable
        return cv2.flip(self._out, 1) if s.mirror else self._out

    STANDBY_INTERVAL = 0.5  # s between frames in standby: the device stays listed, cheaply

    def _take_demand(self, now: float) -> None:
        """What ``set_demand`` asked for, taken in (the loop alone changes its Demand)."""
        with self._shared:
            idle_after = self._asked
        if idle_after is None:
            if self._demand is None:
                return
            self._demand = None
            self.stats.standby_since = None
            if not self._wanted.is_set():
                self._woke = now
                self._wanted.set()
                log.info("camera: on (on-demand capture is off)")
        elif self._demand is None:
            self._demand = Demand(idle_after)
        elif self._demand.idle_after != idle_after:
            self._demand.retune(idle_after)

    def update_demand(self, now: float) -> None:
        """Ask the sinks who reads them and turn the camera on or off (on-demand capture)."""
        demand = self._demand
        if demand is None:
            return
        st = self.stats
        with self._shared:
            hold = now < self._hold_until
        sinks = self._sinks
        readers = combine([s.readers() if isinstance(s, ReaderAware) else None for s in sinks])
        if readers is None:  # nothing can tell who reads: on, as always
            on, why = True, "no sink can tell who reads it"
            st.readers, st.readers_how = None, ""
        else:
            on = demand.update(now, readers.count, readers.grace, hold)
            why = demand.why
            st.readers, st.readers_how = readers.count, readers.how
        if on == self._wanted.is_set():
            if not on and st.standby_since is None:  # the first tick: say where it stands
                st.standby_since = now
                log.info("camera: standby (%s; it opens when one does)", why)
            return
        if on:
            self._woke = now
            st.standby_since = None
            self._wanted.set()
            log.info("camera: on (%s)", why)
        else:
            st.standby_since = now
            self._wanted.clear()
            log.info("camera: standby (%s)", why)

    def tick(self) -> None:
        with self._tick_lock:
            self._tick()

    def _tick(self) -> None:
        self._new_capture_t = None
        now = self._clock()
        self._take_demand(now)
        self.update_demand(now)
        out = self.next_frame()
        if self.stats.camera == "standby":
            if now - self._standby_sent < self.STANDBY_INTERVAL:
                return  # nobody watches: a frame every half second keeps the device listed
            self._standby_sent = now
        failed, took = "", 0
        for sink in self._sinks:
            try:
                sink.send(out)
                took += 1
            except OutputError as e:
                failed = str(e)
                if self.stats.output_error != failed:
                    log.error("output: %s", e)
        if self.stats.output_error and not failed:
            log.info("output: the virtual camera works again")
        self.stats.output_error = failed
        with self._shared:  # a snapshot may wait for it
            self._last_published, self._published_as = out, self.stats.camera
            self._shared.notify_all()
        sent = took > 0 or not self._sinks  # published and fps count frames a sink took
        if sent:
            self.stats.published += 1
        self._measure(self._clock(), sent)
        if not failed:
            self._log_firsts()

    def _log_firsts(self) -> None:
        """When the virtual camera first took a picture, and first the camera's own."""
        st = self.stats
        live = st.camera == "live"
        if not st.sent_any or (live and not st.went_live):
            what = "first live frame" if live else f"first frame ({st.camera} card)"
            log.info("output: %s out %.2f s after start", what, time.monotonic() - STARTED)
            st.sent_any, st.went_live = True, live

    def _measure(self, now: float, sent: bool = True) -> None:
        """fps, and how fresh the picture just sent was, over the last second."""
        st = self.stats
        behind, ms = 0, None
        window = self._window
        if not sent:  # nothing went out: the second's window only ages
            while window and window[0][0] < now - 1.0:
                window.popleft()
            st.fps = float(len(window))
            return
        if st.camera == "live":
            behind = self.mailbox.latest()[1] - self._version
            st.behind_max = max(st.behind_max, behind)
            if self._new_capture_t is not None:
                ms = 1000.0 * (now - self._new_capture_t)
        window.append((now, behind, ms))
        while window[0][0] < now - 1.0:
            window.popleft()
        st.fps = float(len(window))
        st.behind = max(b for _, b, _ in window)
        fresh = [m for _, _, m in window if m is not None]
        if fresh:
            st.latency_ms = statistics.median(fresh)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.tick()
            self._pacer.sleep_until_next_frame()

    FAREWELL_FRAMES = 3

    def farewell(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Send the "Sketch Camera is off" card a few frames long, so that a call still holding
        the virtual camera after sketchd stops shows that instead of a frozen face. Called
        once the loop has stopped, by the thread stopping it; never raises."""
        with self._tick_lock:
            self._farewell(sleep)

    def _farewell(self, sleep: Callable[[float], None]) -> None:
        off = self.card("off")
        for i in range(self.FAREWELL_FRAMES):
            if i:
                sleep(1.0 / self.fps)
            for sink in self._sinks:
                try:
                    sink.send(off)
                except Exception as e:  # stopping: a failing device changes nothing now
                    log.debug("output: the off card did not go out: %s", e)

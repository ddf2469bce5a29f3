"""The publish loop: the newest camera frame → the preset's chain → every sink, paced.

    camera ──capture thread──▶ Mailbox (newest frame only) ──publish loop──▶ sinks
           (pipeline/capture.py)                                (paced at the output fps)

The publish loop never waits for the camera: every tick it publishes the newest frame, the last
one again if nothing new came, or a placeholder card once the camera has been silent for
``stall_after`` seconds. So the virtual camera never stops, whatever the camera does.

The Publisher owns its sinks while it runs: the Daemon opens them before the loop starts, and
swaps them between two ticks with :meth:`Publisher.swap_sinks` (a changed output on reload),
so the loop's thread and its state (the demand, the stream of stateful filters) go on.
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
from sketchd.pipeline.pacer import Pacer
from sketchd.pipeline.state import Settings, Stats
from sketchd.sinks import ReaderAware, Sink

log = logging.getLogger(__name__)


def new_run(last: tuple[int, float], frame: CameraFrame, gap: float) -> bool:
    """Whether ``frame`` comes from another run of the camera than the frame (seq, capture time)
    before it: a source opened again numbers its frames from 1, and a camera silent for more
    than ``gap`` seconds may come back on another scene. The chain's stream then restarts."""
    seq, t = last
    return frame.seq <= seq or frame.t - t > gap


def process(frame: CameraFrame, s: Settings, jpeg: JpegDecoder | None = None) -> np.ndarray:
    """One camera frame through the settings' chain (decode only as far as needed)."""
    if s.bypass:
        return decode(frame, gray=False, jpeg=jpeg)
    return s.chain(decode(frame, gray=not s.needs_colour, jpeg=jpeg))


class Publisher:
    """The paced loop: newest frame → chain → fit → mirror → every sink.

    Threads: ``run`` (and so ``tick``) runs in the publish thread; ``settings`` is swapped
    whole by the Controller from any thread; ``swap_sinks`` and ``hold_until`` may be called
    from any thread; ``farewell`` once the loop has stopped."""

    def __init__(
        self,
        mailbox: Mailbox[CameraFrame],
        sinks: Sequence[Sink],
        settings: Settings,
        width: int,
        height: int,
        fps: int,
        stats: Stats,
        pacer=None,
        stall_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        demand: Demand | None = None,
        wanted: threading.Event | None = None,
    ):
        self.mailbox, self.sinks = mailbox, list(sinks)
        self._output_lock = threading.Lock()  # held by a tick, so a swap falls between two
        self._jpeg = JpegDecoder()  # this stream's decoder state
        # on-demand capture (both or neither): the state machine, and the Event the capture
        # thread obeys; the loop asks the sinks for their readers every tick
        self.demand, self.wanted = demand, wanted
        self.hold_until = float("-inf")  # the preview or a snapshot keeps the camera on
        self._woke = stats.started  # when the camera was last asked to open
        self._standby_sent = float("-inf")
        self.settings = settings
        self.width, self.height, self.fps = width, height, fps
        self.stats = stats
        self.pacer = pacer or Pacer(fps)
        self.stall_after = stall_after
        self._clock = clock
        self._version = 0
        self._out: np.ndarray | None = None  # the last frame made from the camera
        self._input_t = 0.0  # capture time of the newest frame that decoded
        self._last: tuple[int, float] | None = None  # (seq, capture time) of the last frame taken
        self.last_published: np.ndarray | None = None
        self._cards: dict[str, np.ndarray] = {}
        self._window: deque[tuple[float, int, float | None]] = deque()  # (sent, behind, ms)
        self._new_capture_t: float | None = None  # capture time of a frame new this tick

    def card(self, kind: str) -> np.ndarray:
        if kind not in self._cards:
            text = {
                "starting": ("Starting camera...", "sketchd is opening your camera"),
                "lost": (
                    "Camera unavailable",
                    "sketchd keeps trying; the picture returns by itself",
                ),
                "privacy": ("Camera off", "privacy mode: turn it off in the sketchd menu"),
                "off": ("Sketch Camera is off", "sketchd has stopped; start it to go live again"),
                "standby": ("Sketch Camera", "the camera turns on when an app uses it"),
            }[kind]
            self._cards[kind] = card(self.width, self.height, *text)
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
                out = process(frame, s, self._jpeg)
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
        # live means a frame that decoded and filtered well, recently: a camera sending only
        # corrupt frames is as lost as a silent one (never show a stale picture as live)
        # live: a frame that decoded recently, captured since the camera was last asked to
        # open (after a standby, a frame left from before it is a stale picture)
        fresh = (
            self._out is not None
            and now - self._input_t <= self.stall_after
            and self._input_t >= self._woke
        )
        waking = now - self._woke <= max(self.stall_after, 3.0)
        if self.wanted is not None and not self.wanted.is_set():
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

    def update_demand(self, now: float) -> None:
        """Ask the sinks who reads them and turn the camera on or off (on-demand capture)."""
        if self.demand is None or self.wanted is None:
            return
        st = self.stats
        readers = combine([s.readers() if isinstance(s, ReaderAware) else None for s in self.sinks])
        if readers is None:  # nothing can tell who reads: on, as always
            on, why = True, "no sink can tell who reads it"
            st.readers, st.readers_how = None, ""
        else:
            on = self.demand.update(now, readers.count, readers.grace, now < self.hold_until)
            why = self.demand.why
            st.readers, st.readers_how = readers.count, readers.how
        if on == self.wanted.is_set():
            if not on and st.standby_since is None:  # the first tick: say where it stands
                st.standby_since = now
                log.info("camera: standby (%s; it opens when one does)", why)
            return
        if on:
            self._woke = now
            st.standby_since = None
            self.wanted.set()
            log.info("camera: on (%s)", why)
        else:
            st.standby_since = now
            self.wanted.clear()
            log.info("camera: standby (%s)", why)

    def swap_sinks(
        self,
        replace: Callable[[list[Sink]], tuple[list[Sink], object | None]],
        width: int,
        height: int,
        fps: int,
    ) -> None:
        """Between two ticks, hand the sinks to ``replace`` (it closes them and opens the new
        ones, in the caller's thread, while the loop waits) and go on with the sinks it
        returns, at the new size and rate, paced by the pacer it returns (None: a Pacer at
        ``fps``). Whatever ``replace`` raises propagates; the loop then goes on with no sink."""
        with self._output_lock:
            old, self.sinks = self.sinks, []
            self.width, self.height, self.fps = width, height, fps
            self._cards.clear()
            if self._out is not None:  # the picture up now, at the new size
                self._out = fit(self._out, width, height)
            sinks: list[Sink] = []
            pacer: object | None = None
            try:
                sinks, pacer = replace(old)
            finally:
                self.sinks, self.pacer = list(sinks), pacer or Pacer(fps)

    def tick(self) -> None:
        with self._output_lock:
            self._tick()

    def _tick(self) -> None:
        self._new_capture_t = None
        now = self._clock()
        self.update_demand(now)
        out = self.next_frame()
        if self.stats.camera == "standby":
            if now - self._standby_sent < self.STANDBY_INTERVAL:
                return  # nobody watches: a frame every half second keeps the device listed
            self._standby_sent = now
        failed, took = "", 0
        for sink in self.sinks:
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
        self.last_published = out
        sent = took > 0 or not self.sinks  # published and fps count frames a sink took
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
            self.pacer.sleep_until_next_frame()

    FAREWELL_FRAMES = 3

    def farewell(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Send the "Sketch Camera is off" card a few frames long, so that a call still holding
        the virtual camera after sketchd stops shows that instead of a frozen face. Called
        once the loop has stopped, by the thread stopping it; never raises."""
        with self._output_lock:
            self._farewell(sleep)

    def _farewell(self, sleep: Callable[[float], None]) -> None:
        off = self.card("off")
        for i in range(self.FAREWELL_FRAMES):
            if i:
                sleep(1.0 / self.fps)
            for sink in self.sinks:
                try:
                    sink.send(off)
                except Exception as e:  # stopping: a failing device changes nothing now
                    log.debug("output: the off card did not go out: %s", e)

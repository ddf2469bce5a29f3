"""The Daemon: owns the threads and devices of one `sketchd run` (the pipeline).

    source ──Capture thread──▶ Mailbox ──Publisher (publish thread)──▶ sinks
                                              ▲ Settings
                                          Controller ◀── tray, control channel, config watcher

Ownership goes one way: the Daemon makes the source and the sinks, opens the sinks and hands
them to the Publisher, which sends to them until the Daemon stops it or swaps them (a changed
output on reload). The publish thread runs from ``start()`` to ``stop()``; only the capture
thread is replaced, when the camera's settings change. ``start``, ``reopen`` and ``stop`` hold
one lock, so a reload never reopens a device that ``stop`` is releasing. The Controller is
built on top of it (app.py) and calls it through ``reopen``, ``request_stop`` and the
Publisher's methods; the Daemon knows nothing of it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable

from sketchd.config.schema import CameraConfig, Config
from sketchd.errors import OutputError, SketchdError
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.demand import Demand
from sketchd.pipeline.engine import Publisher
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.pacer import Pacing
from sketchd.pipeline.state import Stats
from sketchd.presets import settings_for
from sketchd.sinks import SelfHealing, Sink
from sketchd.sources import Source

log = logging.getLogger(__name__)

MakeSource = Callable[[CameraConfig], Source]
MakeSinks = Callable[[Config], "tuple[list[Sink], Pacing | None]"]  # (sinks, what paces)


def close_all(sinks: Iterable[Sink]) -> None:
    """Close every sink, newest first; a failure is logged and the rest still close."""
    for sink in reversed(list(sinks)):
        try:
            sink.close()
        except Exception:
            log.exception("closing %s failed", getattr(sink, "name", sink))


class Daemon:
    """``make_source(camera_config)`` and ``make_sinks(config) -> (sinks, pacer)`` let a reload
    reopen the camera or the output; without them a changed camera needs a restart and a
    changed output keeps the given sinks at the new size and rate."""

    STUCK_AFTER = 2.0  # s a camera reopen waits for the old capture thread before going on

    def __init__(
        self,
        config: Config,
        source: Source,
        sinks: Iterable[Sink],
        pacer: Pacing | None = None,
        make_source: MakeSource | None = None,
        make_sinks: MakeSinks | None = None,
    ):
        self.stop_event = threading.Event()
        self.stats = Stats()
        self.mailbox: Mailbox = Mailbox()
        self.source = source
        self._make_source, self._make_sinks = make_source, make_sinks
        out, cam = config.output, config.camera
        self.publisher = Publisher(
            self.mailbox,
            list(sinks),
            settings_for(config, config.preset, mirror=out.mirror),
            out.width,
            out.height,
            out.fps,
            self.stats,
            pacer=pacer,
            # on-demand capture: the loop sets publisher.wanted while an app reads Sketch Camera
            demand=Demand(cam.idle_after) if cam.on_demand else None,
        )
        self._capture_stop = threading.Event()  # its own: a camera change replaces the thread
        self.capture = self._capture(source)
        self._publish_thread = threading.Thread(
            target=self._publish, name="sketchd-publish", daemon=True
        )
        self._lifecycle = threading.Lock()  # start, reopen and stop never overlap
        self._started = False

    @property
    def sinks(self) -> list[Sink]:
        """The sinks the Publisher sends to now."""
        return list(self.publisher.sinks)

    def _capture(self, source: Source) -> Capture:
        return Capture(
            source, self.mailbox, self._capture_stop, self.stats, wanted=self.publisher.wanted
        )

    def _publish(self) -> None:
        try:
            self.publisher.run(self.stop_event)
        except Exception:
            log.exception("the publish loop failed")
            self.stop_event.set()

    def start(self, retry_output: bool = False) -> None:
        """Open the sinks, then start the threads. A sink that does not open is the user's to
        fix: raised (the sinks opened so far are closed again), unless ``retry_output`` and
        the sink can reopen by itself; then it is logged with its fix and retried with backoff
        while the loop runs (a daemon started at login before the v4l2loopback module, or
        with the device in use elsewhere)."""
        with self._lifecycle:
            opened: list[Sink] = []
            try:
                for sink in self.publisher.sinks:
                    try:
                        log.info("output: %s", sink.open())
                    except OutputError as e:
                        if not (retry_output and isinstance(sink, SelfHealing)):
                            raise
                        sink.reopen_later(e)  # the publish loop reports it, with its fix
                    opened.append(sink)
            except BaseException:
                close_all(opened)
                raise
            self._started = True
            self.capture.start()
            self._publish_thread.start()

    def wait(self) -> None:
        while not self.stop_event.wait(0.2):
            pass

    def request_stop(self) -> None:
        """Ask ``wait()`` to return (from any thread); the caller of ``wait`` then stops."""
        self.stop_event.set()

    def reopen(self, config: Config, camera: bool = False, output: bool = False) -> None:
        """Reopen the camera and/or the output for a changed config; the rest keeps running.
        The publish loop goes on through both (the placeholder shows meanwhile). Raises
        SketchdError when the new output does not open (the loop goes on without it)."""
        with self._lifecycle:
            if self.stop_event.is_set() or not self._started:
                log.info("config: not reopening anything: sketchd is not running")
                return
            if camera:
                self._reopen_camera(config)
            if output:
                self._reopen_output(config)

    def _reopen_camera(self, config: Config) -> None:
        cam = config.camera
        self.publisher.set_demand(cam.idle_after if cam.on_demand else None)  # the loop's part
        if self._make_source is None:
            log.warning("config: camera settings changed; restart sketchd to apply them")
            return
        log.info("config: camera settings changed; reopening the camera")
        old = self.capture
        old.retire()  # from now on it writes nothing, even from a read stuck until later
        old.join(self.STUCK_AFTER)
        if old.is_alive():
            log.warning(
                "camera: the old capture thread is still in a read of %s after %g s; "
                "opening the new camera beside it (the old one's frames are dropped)",
                getattr(self.source, "name", "the camera"),
                self.STUCK_AFTER,
            )
        self._capture_stop = threading.Event()
        self.source = self._make_source(cam)
        self.capture = self._capture(self.source)
        self.capture.start()

    def _reopen_output(self, config: Config) -> None:
        """Outside the loop's lock: the old sinks swapped out (the loop goes on to none) and
        closed, the new ones opened (a device reopened at a new size must be closed first),
        then swapped in. A failure is raised; the loop goes on with what did open."""
        out = config.output
        log.info("config: output settings changed; reopening the output (%dx%d @ %d fps)",
                 out.width, out.height, out.fps)  # fmt: skip
        size = (out.width, out.height, out.fps)
        if self._make_sinks is None:  # the same sinks, at the new size and rate
            self.publisher.swap_sinks(self.publisher.sinks, None, *size)
            return
        close_all(self.publisher.swap_sinks([], None, *size))
        opened: list[Sink] = []
        try:
            sinks, pacer = self._make_sinks(config)
            for sink in sinks:
                log.info("output: %s", sink.open())
                opened.append(sink)
        except SketchdError:
            self.publisher.swap_sinks(opened, None, *size)  # the next valid edit tries again
            raise
        self.publisher.swap_sinks(opened, pacer, *size)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads and release camera and virtual camera (within ~``timeout``)."""
        self.stop_event.set()
        self._capture_stop.set()
        self.mailbox.close()
        with self._lifecycle:
            deadline = time.monotonic() + timeout
            if self._publish_thread.is_alive():
                self._publish_thread.join(max(0.0, deadline - time.monotonic()))
            if self._started:
                if not self._publish_thread.is_alive():
                    self.publisher.farewell()
                close_all(self.publisher.sinks)
                self._started = False
            if self.capture.is_alive():
                self.capture.join(max(0.1, deadline - time.monotonic()))
        log.info("stopped: camera and virtual camera released")

    def publishing(self) -> bool:
        """Whether the publish thread runs (stop() ends it)."""
        return self._publish_thread.is_alive()

    def install_signal_handlers(self) -> None:
        def handle(signum, _frame):
            log.info("%s received: stopping", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


def build_daemon(config: Config, output: str | None = None) -> Daemon:
    """The daemon for ``config``: its camera source and its sinks (the virtual camera, or
    ``output="null"`` for none)."""
    from sketchd.sources import make_source

    source = make_source(config.camera)
    if output == "null":
        from sketchd.sinks.memory import NullSink

        return Daemon(config, source, [NullSink()], make_source=make_source)

    def make_sinks(cfg: Config) -> tuple[list[Sink], Pacing | None]:
        from sketchd.sinks.outputs import make_sinks as sinks_for

        return sinks_for(cfg, output)

    sinks, pacer = make_sinks(config)
    return Daemon(
        config, source, sinks, pacer=pacer, make_source=make_source, make_sinks=make_sinks
    )

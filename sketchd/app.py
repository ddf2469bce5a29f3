"""Wiring: config → source → filter chain → sinks, the controller, and signals.

The tray, the CLI and the control channel call the Controller; none of them touch frames.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

from sketchd import snapshots
from sketchd.config.schema import Config
from sketchd.errors import SketchdError, UsageError
from sketchd.filters.registry import compose, needs_colour
from sketchd.pipeline.engine import Capture, Publisher, Settings, Stats
from sketchd.pipeline.mailbox import Mailbox

log = logging.getLogger(__name__)


def settings_for(config: Config, preset: str, **toggles) -> Settings:
    steps = config.presets[preset].steps
    return Settings(preset, compose(steps), needs_colour(steps), **toggles)


class Controller:
    """The one place that changes what the daemon does. Thread-safe; cheap to call."""

    def __init__(self, config: Config, publisher: Publisher, stop: threading.Event):
        self.config = config
        self.publisher = publisher
        self._stop = stop
        self._lock = threading.Lock()
        self.listeners: list = []  # called with no arguments after any change

    # -- state
    @property
    def settings(self) -> Settings:
        return self.publisher.settings

    def _apply(self, **changes) -> Settings:
        with self._lock:
            s = replace(self.publisher.settings, **changes)
            self.publisher.settings = s
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("a state listener failed")
        return s

    # -- commands
    def set_preset(self, name: str) -> Settings:
        if name not in self.config.presets:
            raise UsageError(
                f"no preset named {name!r}; known presets: {', '.join(self.config.presets)}"
            )
        steps = self.config.presets[name].steps
        log.info("preset: %s", name)
        return self._apply(preset=name, chain=compose(steps), needs_colour=needs_colour(steps))

    def next_preset(self) -> Settings:
        names = list(self.config.presets)
        i = names.index(self.settings.preset) if self.settings.preset in names else -1
        return self.set_preset(names[(i + 1) % len(names)])

    def set_bypass(self, on: bool) -> Settings:
        log.info("bypass: %s", "on" if on else "off")
        return self._apply(bypass=on)

    def set_privacy(self, on: bool) -> Settings:
        log.info("privacy: %s", "on" if on else "off")
        return self._apply(privacy=on)

    def set_mirror(self, on: bool) -> Settings:
        log.info("mirror: %s", "on" if on else "off")
        return self._apply(mirror=on)

    def snapshot(self) -> Path:
        """Save the frame last published as a PNG; returns its path."""
        frame = self.publisher.last_published
        if frame is None:
            raise SketchdError("nothing has been published yet; try again in a moment")
        return snapshots.save(frame, self.config.snapshots.folder)

    def status(self) -> dict:
        st, s = self.publisher.stats, self.settings
        return {
            "preset": s.preset,
            "bypass": s.bypass,
            "privacy": s.privacy,
            "mirror": s.mirror,
            "camera": st.camera,
            "camera_desc": st.camera_desc,
            "camera_error": st.camera_error,
            "output_error": st.output_error,
            "fps": round(st.fps, 1),
            "published": st.published,
            "uptime": round(time.monotonic() - st.started, 1),
        }

    def quit(self) -> None:
        log.info("quit requested")
        self._stop.set()


class Daemon:
    """Owns the threads and devices of one `sketchd run`."""

    def __init__(self, config: Config, source, sinks, pacer=None):
        self.config = config
        self.stop_event = threading.Event()
        self.stats = Stats()
        self.mailbox: Mailbox = Mailbox()
        self.source = source
        self.sinks = list(sinks)
        out = config.output
        self.publisher = Publisher(
            self.mailbox,
            self.sinks,
            settings_for(config, config.preset, mirror=out.mirror),
            out.width,
            out.height,
            out.fps,
            self.stats,
            pacer=pacer,
        )
        self.controller = Controller(config, self.publisher, self.stop_event)
        self.capture = Capture(source, self.mailbox, self.stop_event, self.stats)
        self._publish_thread = threading.Thread(
            target=self._publish, name="sketchd-publish", daemon=True
        )
        self._opened: list = []

    def _publish(self) -> None:
        try:
            self.publisher.run(self.stop_event)
        except Exception:
            log.exception("the publish loop failed")
            self.stop_event.set()

    def start(self) -> None:
        """Open the sinks (errors here are the user's to fix: raise), then start the threads."""
        for sink in self.sinks:
            log.info("output: %s", sink.open())
            self._opened.append(sink)
        self.capture.start()
        self._publish_thread.start()

    def wait(self) -> None:
        while not self.stop_event.wait(0.2):
            pass

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads and release camera and virtual camera (within ~``timeout``)."""
        self.stop_event.set()
        self.mailbox.close()
        deadline = time.monotonic() + timeout
        if self._publish_thread.is_alive():
            self._publish_thread.join(max(0.0, deadline - time.monotonic()))
        for sink in reversed(self._opened):
            try:
                sink.close()
            except Exception:
                log.exception("closing %s failed", getattr(sink, "name", sink))
        self._opened.clear()
        if self.capture.is_alive():
            self.capture.join(max(0.1, deadline - time.monotonic()))
        log.info("stopped: camera and virtual camera released")

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
    out = config.output
    if output == "null":
        from sketchd.sinks.memory import NullSink

        return Daemon(config, source, [NullSink()])
    from sketchd.devices import output_device
    from sketchd.sinks.vcam import VirtualCameraSink

    device = output_device(output or out.device)
    vcam = VirtualCameraSink(out.width, out.height, out.fps, device, out.backend)
    return Daemon(config, source, [vcam], pacer=vcam)

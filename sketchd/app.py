"""Wiring: config → source → filter chain → sinks, the controller, and signals.

The tray, the CLI and the control channel call the Controller; none of them touch frames.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sketchd import snapshots
from sketchd import state as states
from sketchd.config.schema import Config
from sketchd.errors import ConfigError, OutputError, SketchdError, UsageError
from sketchd.filters.registry import compose, needs_colour
from sketchd.pipeline.demand import Demand
from sketchd.pipeline.engine import Capture, Publisher, Settings, Stats
from sketchd.pipeline.mailbox import Mailbox

log = logging.getLogger(__name__)


def settings_for(config: Config, preset: str, **toggles) -> Settings:
    steps = config.presets[preset].steps
    return Settings(preset, compose(steps), needs_colour(steps), **toggles)


class Controller:
    """The one place that changes what the daemon does. Thread-safe; cheap to call."""

    SNAPSHOT_HOLD_S = 5.0  # a snapshot in standby opens the camera for this long

    def __init__(self, config: Config, publisher: Publisher, stop: threading.Event):
        self.config = config
        self.publisher = publisher
        self._stop = stop
        self._lock = threading.RLock()
        self._reload_lock = threading.Lock()
        self.listeners: list = []  # called with no arguments after any change
        # called with (title, message) for what the user should see even with no terminal
        self.notices: list[Callable[[str, str], None]] = []
        self.config_path: Path | None = None  # the file reload reads (None: defaults only)
        self.overrides: Callable[[Config], Config] = lambda c: c  # command-line options
        self.reopen: Callable | None = None  # set by the Daemon: reopen camera and/or output

    # -- state
    @property
    def settings(self) -> Settings:
        return self.publisher.settings

    def _apply(self, **changes) -> Settings:
        with self._lock:
            s = replace(self.publisher.settings, **changes)
            self.publisher.settings = s
        self._changed()
        return s

    def _changed(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("a state listener failed")

    def notify(self, title: str, message: str) -> None:
        for notice in list(self.notices):
            try:
                notice(title, message)
            except Exception:
                log.exception("a notice listener failed")

    def saved_state(self) -> states.State:
        s = self.settings
        return states.State(s.preset, s.bypass, s.privacy, s.mirror)

    def restore(self, saved: states.State, preset: bool = True) -> Settings:
        """Apply the state of the last run (``preset=False``: the preset came from the
        command line, keep it)."""
        changes: dict = {"bypass": saved.bypass, "privacy": saved.privacy}
        if saved.mirror is not None:
            changes["mirror"] = saved.mirror
        name = saved.preset if preset else None
        if name is not None and name not in self.config.presets:
            log.info("state: last preset %r is no longer in the config", name)
            name = None
        if name is not None:
            steps = self.config.presets[name].steps
            changes.update(preset=name, chain=compose(steps), needs_colour=needs_colour(steps))
        s = self._apply(**changes)
        log.info(
            "state: preset %s, bypass %s, privacy %s, mirror %s",
            s.preset,
            "on" if s.bypass else "off",
            "on" if s.privacy else "off",
            "on" if s.mirror else "off",
        )
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
        """Save the frame last published as a PNG; returns its path. In standby (no app
        reads Sketch Camera, so the camera is closed) the camera is opened for it first."""
        pub = self.publisher
        if pub.stats.camera == "standby" and pub.demand is not None:
            pub.hold_until = time.monotonic() + self.SNAPSHOT_HOLD_S
            deadline = time.monotonic() + self.SNAPSHOT_HOLD_S
            while pub.stats.camera != "live" and time.monotonic() < deadline:
                self._stop.wait(0.05)
            if pub.stats.camera != "live":
                raise SketchdError(
                    f"the camera did not deliver within {self.SNAPSHOT_HOLD_S:g} s of being "
                    "opened for the snapshot; `sketchd status` says why"
                )
        frame = self.publisher.last_published
        if frame is None:
            raise SketchdError("nothing has been published yet; try again in a moment")
        return snapshots.save(frame, self.config.snapshots.folder)

    def status(self) -> dict:
        from sketchd import logs

        st, s = self.publisher.stats, self.settings
        return {
            "preset": s.preset,
            "presets": list(self.config.presets),
            "bypass": s.bypass,
            "privacy": s.privacy,
            "mirror": s.mirror,
            "camera": st.camera,
            "camera_desc": st.camera_desc,
            "camera_error": st.camera_error,
            "output_error": st.output_error,
            "fps": round(st.fps, 1),
            "published": st.published,
            "latency_ms": round(st.latency_ms, 1),
            "behind": st.behind,
            "behind_max": st.behind_max,
            "readers": st.readers,
            "readers_how": st.readers_how,
            "standby_for": None
            if st.standby_since is None
            else round(time.monotonic() - st.standby_since, 1),
            "camera_open": st.camera_open,
            "on_demand": self.publisher.demand is not None,
            "uptime": round(time.monotonic() - st.started, 1),
            "pid": os.getpid(),
            "config": str(self.config_path) if self.config_path else "",
            "log": str(logs.log_file()),
        }

    def reload(self) -> dict:
        """Read the config file again and apply it. An invalid file changes nothing: every
        problem is logged, the first one is shown to the user, and ConfigError is raised."""
        from sketchd import reload as reloading

        with self._reload_lock:
            try:
                new = self.overrides(reloading.read(self.config_path))
            except ConfigError as e:
                log.error("config: not applied, the running config stays. %s", e)
                more = len(e.problems) - 1
                self.notify(
                    "Config not applied",
                    e.first + (f" (and {more} more: see the log)" if more > 0 else ""),
                )
                raise
            return self.apply_config(new)

    def apply_config(self, new: Config) -> dict:
        """Swap in a valid config: presets and parameters in place; camera and output
        reopened only when their own settings changed."""
        from sketchd import reload as reloading

        changes = reloading.diff(self.config, new)
        with self._lock:
            old, self.config = self.config, new
            cur = self.settings
            name = cur.preset
            if changes.preset or name not in new.presets:
                name = new.preset
            mirror = new.output.mirror if changes.mirror else cur.mirror
            steps = new.presets[name].steps
            s = replace(
                cur, preset=name, chain=compose(steps), needs_colour=needs_colour(steps),
                mirror=mirror,
            )  # fmt: skip
            self.publisher.settings = s
        if (changes.camera or changes.output) and self.reopen is not None:
            try:
                self.reopen(new, camera=changes.camera, output=changes.output)
            except SketchdError as e:
                log.error("config: reopening failed: %s", e)
                self.notify("Config applied, but", str(e))
        log.info(
            "config: applied (%s); preset %s",
            ", ".join(changes.names) or "no changes",
            name,
        )
        del old
        self._changed()
        return {"changed": changes.names, "preset": name}

    def quit(self) -> None:
        log.info("quit requested")
        self._stop.set()


class Daemon:
    """Owns the threads and devices of one `sketchd run`.

    ``make_source(camera_config)`` and ``make_sinks(config) -> (sinks, pacer)`` let a reload
    reopen the camera or the output; without them the given ones are kept."""

    def __init__(
        self,
        config: Config,
        source,
        sinks,
        pacer=None,
        make_source: Callable | None = None,
        make_sinks: Callable | None = None,
    ):
        self.config = config
        self.stop_event = threading.Event()
        self.stats = Stats()
        self.mailbox: Mailbox = Mailbox()
        self.source = source
        self.sinks = list(sinks)
        self._make_source, self._make_sinks = make_source, make_sinks
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
        self.controller.reopen = self.reopen
        # on-demand capture: the publish loop sets this while an app reads Sketch Camera
        self.camera_wanted = threading.Event()
        self._apply_demand(config)
        # each thread has its own stop event, so a reload can restart one without the other
        self._capture_stop = threading.Event()
        self._publish_stop = threading.Event()
        self.capture = self._capture(source)
        self._publish_thread = self._publisher_thread()
        self._opened: list = []
        self._reopen_lock = threading.Lock()

    def _capture(self, source) -> Capture:
        return Capture(
            source, self.mailbox, self._capture_stop, self.stats, wanted=self.camera_wanted
        )

    def _apply_demand(self, config: Config, publisher: Publisher | None = None) -> None:
        """camera.on_demand into the publish loop: a Demand it updates every tick, or the
        camera wanted always. The state of a running Demand is kept across a reopen."""
        p = publisher or self.publisher
        cam = config.camera
        if not cam.on_demand:
            p.demand, p.wanted = None, None
            self.camera_wanted.set()
            return
        if p.demand is None:
            p.demand = Demand(cam.idle_after)
        p.demand.idle_after = cam.idle_after
        p.wanted = self.camera_wanted

    def _publisher_thread(self) -> threading.Thread:
        publisher, stop = self.publisher, self._publish_stop

        def publish() -> None:
            try:
                publisher.run(stop)
            except Exception:
                log.exception("the publish loop failed")
                self.stop_event.set()

        return threading.Thread(target=publish, name="sketchd-publish", daemon=True)

    def start(self, retry_output: bool = False) -> None:
        """Open the sinks, then start the threads. A sink that does not open is the user's to
        fix: raised, unless ``retry_output`` and the sink can reopen by itself; then it is
        logged with its fix and retried with backoff while the loop runs (a daemon started
        at login before the v4l2loopback module, or with the device in use elsewhere)."""
        for sink in self.sinks:
            try:
                log.info("output: %s", sink.open())
            except OutputError as e:
                if not (retry_output and hasattr(sink, "reopen_later")):
                    raise
                sink.reopen_later(e)  # the publish loop reports it, with its fix
            self._opened.append(sink)
        self.capture.start()
        self._publish_thread.start()

    def wait(self) -> None:
        while not self.stop_event.wait(0.2):
            pass

    def reopen(self, config: Config, camera: bool = False, output: bool = False) -> None:
        """Reopen the camera and/or the output for a changed config; the rest keeps running.
        The publish loop goes on through a camera change (the placeholder shows meanwhile)."""
        with self._reopen_lock:
            self.config = config
            if camera:
                self._reopen_camera(config)
            if output:
                self._reopen_output(config)

    def _reopen_camera(self, config: Config) -> None:
        if self._make_source is None:
            log.warning("config: camera settings changed; restart sketchd to apply them")
            return
        log.info("config: camera settings changed; reopening the camera")
        self._capture_stop.set()
        self.capture.join(2.0)  # a stuck read ends by itself; the thread is a daemon
        self._capture_stop = threading.Event()
        self._apply_demand(config)
        self.source = self._make_source(config.camera)
        self.capture = self._capture(self.source)
        self.capture.start()

    def _reopen_output(self, config: Config) -> None:
        out = config.output
        log.info("config: output settings changed; reopening the output (%dx%d @ %d fps)",
                 out.width, out.height, out.fps)  # fmt: skip
        self._publish_stop.set()
        self._publish_thread.join(2.0)
        pacer, failure = None, None
        if self._make_sinks is not None:
            for sink in reversed(self._opened):
                try:
                    sink.close()
                except Exception:
                    log.exception("closing %s failed", getattr(sink, "name", sink))
            self._opened.clear()
            try:
                sinks, pacer = self._make_sinks(config)
                for sink in sinks:
                    log.info("output: %s", sink.open())
                    self._opened.append(sink)
            except SketchdError as e:
                # keep the loop running with what did open; the next valid edit tries again
                failure, pacer = e, None
            self.sinks = list(self._opened)
        with self.controller._lock:
            settings = self.publisher.settings
            old = self.publisher
            self.publisher = Publisher(
                self.mailbox, self.sinks, settings, out.width, out.height, out.fps,
                self.stats, pacer=pacer, demand=old.demand, wanted=old.wanted,
            )  # fmt: skip
            self.controller.publisher = self.publisher
        self._publish_stop = threading.Event()
        self._publish_thread = self._publisher_thread()
        self._publish_thread.start()
        if failure is not None:
            raise failure

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads and release camera and virtual camera (within ~``timeout``)."""
        self.stop_event.set()
        self._publish_stop.set()
        self._capture_stop.set()
        self.mailbox.close()
        deadline = time.monotonic() + timeout
        if self._publish_thread.is_alive():
            self._publish_thread.join(max(0.0, deadline - time.monotonic()))
        if self._opened and not self._publish_thread.is_alive():
            self.publisher.farewell()
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
    if output == "null":
        from sketchd.sinks.memory import NullSink

        return Daemon(config, source, [NullSink()], make_source=make_source)

    def make_sinks(cfg: Config):
        from sketchd.sinks.convert import Conversions
        from sketchd.sinks.vcam import VirtualCameraSink

        out = cfg.output
        shared = Conversions()  # each frame converted once, whatever the number of devices
        sinks = [
            VirtualCameraSink(
                out.width,
                out.height,
                out.fps,
                device,
                out.backend,
                fmt=out.format,
                conversions=shared,
            )
            for device in ((output,) if output else out.devices)
        ]
        return sinks, sinks[0]  # the first device paces the loop

    sinks, pacer = make_sinks(config)
    return Daemon(
        config, source, sinks, pacer=pacer, make_source=make_source, make_sinks=make_sinks
    )


# ---------------------------------------------------------------- `sketchd run`


def camera_override(device: str | None, always_on: bool = False) -> Callable[[Config], Config]:
    """--camera and --always-on as a function, applied again to every reloaded config."""
    changes: dict = {}
    if device is not None:
        changes["device"] = int(device) if device.isdigit() else device
    if always_on:
        changes["on_demand"] = False
    if not changes:
        return lambda c: c
    return lambda c: replace(c, camera=replace(c.camera, **changes))


def run(
    config: Config,
    *,
    config_path: Path | None = None,
    overrides: Callable[[Config], Config] = lambda c: c,
    preset_given: bool = False,
    output: str | None = None,
    tray: bool = True,
) -> int:
    """The whole daemon: one instance, state restored, control channel, config watcher and
    (when wanted and possible) the tray. Returns when quit from anywhere."""
    from sketchd import control
    from sketchd import reload as reloading
    from sketchd.sources.camera import check_exists

    lock = control.InstanceLock().acquire()  # raises AlreadyRunning at once
    from sketchd.platform import tune_memory

    tune_memory()  # frame-sized buffers stay in the heap between frames
    stack: list[Callable[[], None]] = [lock.release]
    try:
        check_exists(config.camera)
        daemon = build_daemon(config, output)
        controller = daemon.controller
        controller.config_path = config_path
        controller.overrides = overrides
        controller.restore(states.load(), preset=not preset_given)
        controller.listeners.append(states.Saver(controller.saved_state))
        daemon.install_signal_handlers()
        stack.append(daemon.stop)
        # in a terminal (--no-tray) a missing virtual camera is a clear error and exit 1; a
        # tray daemon (at login) stays up, shows it in the tray and retries
        daemon.start(retry_output=tray)
        try:
            stack.append(control.serve(controller).close)
        except SketchdError as e:
            log.error("control: %s; `sketchd status` and friends will not reach this daemon", e)
        watcher = reloading.Watcher(reloading.watched_file(config_path), controller.reload)
        stack.append(watcher.start().stop)
        main_tray = None
        if tray:
            from sketchd import tray as trays

            icon = trays.start(controller)
            if icon is not None:
                stack.append(icon.stop)
                main_tray = icon if icon.main_thread else None
        log.info("running: preset %s; Ctrl-C stops", controller.settings.preset)
        if main_tray is None or not main_tray.run_in_main_thread(daemon.stop_event):
            daemon.wait()
    finally:
        for undo in reversed(stack):
            try:
                undo()
            except Exception:
                log.exception("shutting down: %s failed", getattr(undo, "__qualname__", undo))
    return 0

"""The Controller: the one place that changes what a running daemon does.

The tray, the CLI (through the control channel) and the config watcher call it; none of them
touch frames or devices. It sits on top of the pipeline (app.py builds the Daemon first, then
the Controller on it): it swaps whole Settings into the publish loop and asks the pipeline to
reopen the camera or the output when their settings change. What it needs from the layer below
is the two Protocols here, nothing more.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from sketchd import presets, snapshots
from sketchd.config import state as states
from sketchd.config.schema import Config, check_preset
from sketchd.errors import ConfigError, SketchdError, UsageError, no_preset
from sketchd.pipeline.state import Settings, Stats

log = logging.getLogger(__name__)


class Loop(Protocol):
    """The publish loop as the Controller steers it (pipeline/engine.py's Publisher); every
    method may be called from any thread."""

    @property
    def settings(self) -> Settings: ...

    @property
    def stats(self) -> Stats: ...

    @property
    def on_demand(self) -> bool: ...

    def set_settings(self, settings: Settings) -> None: ...

    def now(self) -> float:
        """The loop's clock, the one its Stats times are on."""
        ...

    def request_frame(self, timeout: float) -> np.ndarray | None:
        """The frame published last; in standby it opens the camera for one (TimeoutError)."""
        ...


class Pipeline(Protocol):
    """What the Controller needs from the daemon below it (daemon.py's Daemon)."""

    @property
    def publisher(self) -> Loop: ...

    def reopen(self, config: Config, camera: bool = False, output: bool = False) -> None:
        """Reopen the camera and/or the output for ``config``; raises SketchdError."""
        ...

    def request_stop(self) -> None: ...


class Preview(Protocol):
    """The settings window's preview (pipeline/preview.py's PreviewTap)."""

    def frames(self, width: int) -> dict: ...


def _same(config: Config) -> Config:
    return config


def chain_data(config: Config, name: str) -> list[dict]:
    """Preset ``name``'s chain as data: [{"filter": name, "params": {...}}, ...]."""
    return [{"filter": s.name, "params": dict(s.params)} for s in config.presets[name].steps]


class Controller:
    """The one place that changes what the daemon does. Thread-safe; cheap to call."""

    SNAPSHOT_HOLD_S = 5.0  # a snapshot in standby opens the camera for this long

    def __init__(
        self,
        config: Config,
        pipeline: Pipeline,
        *,
        config_path: Path | None = None,
        overrides: Callable[[Config], Config] = _same,
        preview: Preview | None = None,
    ):
        """``pipeline``: the daemon it steers (running or not yet); ``config_path``: the file
        reload reads (None: the defaults only); ``overrides``: the command-line options,
        applied to every reloaded config; ``preview``: what serves the settings window's
        preview (None: no preview)."""
        self._preview = preview
        self.config = config
        self._pipeline = pipeline
        self._loop = pipeline.publisher
        self.config_path = config_path
        self._overrides = overrides
        self._lock = threading.Lock()  # one change of Settings at a time
        self._reload_lock = threading.Lock()  # one reload at a time
        self.listeners: list[Callable[[], None]] = []  # called with no arguments after a change
        # called with (title, message) for what the user should see even with no terminal
        self.notices: list[Callable[[str, str], None]] = []

    # -- state
    @property
    def settings(self) -> Settings:
        return self._loop.settings

    def _apply(self, **changes) -> Settings:
        with self._lock:
            s = replace(self._loop.settings, **changes)
            self._loop.set_settings(s)
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
            changes.update(presets.fields(self.config, name))
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
        """Switch to preset ``name`` (UsageError with a did-you-mean when there is none)."""
        changes = presets.fields(self.config, name)
        log.info("preset: %s", name)
        return self._apply(**changes)

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
        try:
            frame = self._loop.request_frame(self.SNAPSHOT_HOLD_S)
        except TimeoutError:
            raise SketchdError(
                f"the camera did not deliver within {self.SNAPSHOT_HOLD_S:g} s of being "
                "opened for the snapshot; `sketchd status` says why"
            ) from None
        if frame is None:
            raise SketchdError("nothing has been published yet; try again in a moment")
        return snapshots.save(frame, self.config.snapshots.folder)

    def set_chain(self, name: str, chain: list) -> Settings:
        """Preset ``name``'s chain replaced in memory (the settings window's live edit; the
        file changes only when the window saves it). ``chain`` as a config file has it, each
        step a filter name or {filter: {param: value}}; a wrong one is refused with the
        config check's own message (UsageError). The running chain is swapped at once when
        ``name`` is the preset in use."""
        with self._lock:
            if name not in self.config.presets:
                raise UsageError(no_preset(name, self.config.presets))
            old = self.config.presets[name]
            preset, problems = check_preset({"description": old.description, "chain": chain}, name)
            if preset is None:
                raise UsageError("; ".join(problems))
            self.config = replace(self.config, presets={**self.config.presets, name: preset})
            s = self._loop.settings
            if s.preset == name:
                s = presets.switched(s, self.config, name)
                self._loop.set_settings(s)
        log.info("preset %s: chain set in memory (%d steps)", name, len(preset.steps))
        self._changed()
        return s

    def settings_info(self) -> dict:
        """What the settings window shows: the presets in config order with their chains as
        data, the toggles, the camera and the output in use."""
        config, s, st = self.config, self.settings, self._loop.stats
        out = config.output
        return {
            "preset": s.preset,
            "presets": [
                {"name": n, "description": p.description, "chain": chain_data(config, n)}
                for n, p in config.presets.items()
            ],
            "bypass": s.bypass,
            "privacy": s.privacy,
            "mirror": s.mirror,
            "camera": st.camera,
            "camera_desc": st.camera_desc,
            "output": f"{out.width}x{out.height}",
            "fps": round(st.fps, 1),
            "config": str(self.config_path) if self.config_path else "",
        }

    def preview(self, width: int) -> dict:
        """A preview pair for the settings window (see pipeline/preview.py)."""
        if self._preview is None:
            raise SketchdError("this daemon serves no preview")
        return self._preview.frames(width)

    def status(self) -> dict:
        from sketchd import logs

        st, s = self._loop.stats, self.settings
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
            else round(self._loop.now() - st.standby_since, 1),
            "camera_open": st.camera_open,
            "on_demand": self._loop.on_demand,
            "uptime": round(self._loop.now() - st.started, 1),
            "pid": os.getpid(),
            "config": str(self.config_path) if self.config_path else "",
            "log": str(logs.log_file()),
        }

    def reload(self) -> dict:
        """Read the config file again and apply it. An invalid file changes nothing: every
        problem is logged, the first one is shown to the user, and ConfigError is raised."""
        from sketchd.config import reload as reloading

        with self._reload_lock:
            try:
                new = self._overrides(reloading.read(self.config_path))
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
        from sketchd.config import reload as reloading

        changes = reloading.diff(self.config, new)
        with self._lock:
            self.config = new
            cur = self.settings
            name = cur.preset
            if changes.preset or name not in new.presets:
                name = new.preset
            mirror = new.output.mirror if changes.mirror else cur.mirror
            self._loop.set_settings(replace(presets.switched(cur, new, name), mirror=mirror))
        if changes.camera or changes.output:
            self._reopen_devices(new, camera=changes.camera, output=changes.output)
        log.info(
            "config: applied (%s); preset %s",
            ", ".join(changes.names) or "no changes",
            name,
        )
        self._changed()
        return {"changed": changes.names, "preset": name}

    def _reopen_devices(self, config: Config, camera: bool, output: bool) -> None:
        """The camera and/or the output, reopened for a changed config; a failure is the
        user's to see (a notice), and the daemon goes on."""
        try:
            self._pipeline.reopen(config, camera=camera, output=output)
        except SketchdError as e:
            log.error("config: reopening failed: %s", e)
            self.notify("Config applied, but", str(e))

    def quit(self) -> None:
        log.info("quit requested")
        self._pipeline.request_stop()

"""`sketchd run`: one daemon with everything around it, started in order, undone in reverse.

The single-instance lock, the pipeline (daemon.py), the Controller on top of it, the state of
the last run, the control channel, the config watcher and the tray. Built bottom-up: the
pipeline knows nothing of the Controller, and the tray, the CLI and the control channel call
the Controller only; none of them touch frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sketchd.config import state as states
from sketchd.config.schema import Config
from sketchd.controller import Controller
from sketchd.daemon import build_daemon
from sketchd.errors import SketchdError
from sketchd.pipeline.preview import PreviewTap

log = logging.getLogger(__name__)


def run(
    config: Config,
    *,
    config_path: Path | None = None,
    overrides: Callable[[Config], Config] | None = None,
    preset_given: bool = False,
    output: str | None = None,
    tray: bool = True,
) -> int:
    """The whole daemon: one instance, state restored, control channel, config watcher and
    (when wanted and possible) the tray. Returns when quit from anywhere."""
    from sketchd import control
    from sketchd.config import reload as reloading
    from sketchd.sources.camera import check_exists

    lock = control.InstanceLock().acquire()  # raises AlreadyRunning at once
    from sketchd.platform import tune_memory

    tune_memory()  # frame-sized buffers stay in the heap between frames
    stack: list[Callable[[], None]] = [lock.release]
    try:
        check_exists(config.camera)
        daemon = build_daemon(config, output)
        controller = Controller(
            config,
            daemon,
            config_path=config_path,
            overrides=overrides or (lambda c: c),
            preview=PreviewTap(daemon.mailbox.latest, daemon.publisher),
        )
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

"""Live config reload: notice an edited config file, validate it, and say what changed.

Polling (every ``POLL`` s: the file's mtime and size, then its bytes) instead of inotify or
FSEvents: one small file, the same code on every OS, and editors that save by rename (vim,
VS Code) are seen like any other write. The daemon swaps the new config in only when it is
valid; ``diff`` tells it what to reopen — presets and their parameters never reopen anything,
so the call app keeps its stream.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sketchd import config as configs
from sketchd import paths
from sketchd.config.schema import Config
from sketchd.errors import ConfigError

log = logging.getLogger(__name__)

POLL = 0.5  # seconds between looks at the file
SETTLE = 0.1  # an editor still writing: wait this long for the bytes to stop changing


@dataclass(frozen=True)
class Changes:
    """What differs between two valid configs."""

    presets: bool = False  # the presets or their parameters (applied in place)
    preset: bool = False  # the `preset:` key: switch to the file's new choice
    mirror: bool = False  # output.mirror
    snapshots: bool = False
    camera: bool = False  # reopen the camera
    output: bool = False  # reopen the virtual camera (size, rate, device, backend)

    @property
    def names(self) -> list[str]:
        return [k for k, v in vars(self).items() if v]


def diff(old: Config, new: Config) -> Changes:
    def without_mirror(c: Config):
        o = c.output
        return (o.device, o.width, o.height, o.fps, o.format, o.backend)

    return Changes(
        presets=old.presets != new.presets,
        preset=old.preset != new.preset,
        mirror=old.output.mirror != new.output.mirror,
        snapshots=old.snapshots != new.snapshots,
        camera=old.camera != new.camera,
        output=without_mirror(old) != without_mirror(new),
    )


def watched_file(path: Path | None) -> Path:
    """The file to watch: the one in use, else the user's (it may be created later)."""
    return Path(path) if path is not None else paths.config_file()


def read(path: Path | None) -> Config:
    """The config in ``path`` over the defaults (the defaults alone when there is no file).
    Raises ConfigError with every problem."""
    if path is not None and not Path(path).exists():
        raise ConfigError(["no such file (was it deleted? the running config stays)"], str(path))
    cfg, _ = configs.load(path)
    return cfg


def _fingerprint(path: Path) -> tuple[int, int, bytes] | None:
    try:
        st = path.stat()
        data = path.read_bytes()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, hashlib.sha256(data).digest()


class Watcher:
    """Calls ``on_change()`` (in its own thread) each time the file's content changes.

    The thread takes one look, :meth:`poll_once`, every ``poll`` s; an edit is applied once its
    bytes held still for ``settle`` s. Tests call ``poll_once`` themselves (no thread)."""

    def __init__(
        self,
        path: Path,
        on_change: Callable[[], object],
        poll: float = POLL,
        settle: float = SETTLE,
    ):
        self.path = Path(path)
        self.on_change = on_change
        self.poll, self.settle = poll, settle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sketchd-reload", daemon=True)
        self._seen = _fingerprint(self.path)

    def start(self) -> Watcher:
        log.info("config: watching %s for changes", self.path)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            self.poll_once()

    def poll_once(self) -> bool:
        """One look at the file. True when its content changed: ``on_change`` was called
        (an error it raises is logged, never raised: the running config stays)."""
        now = _fingerprint(self.path)
        if now is None or now == self._seen:
            return False  # missing (an editor between delete and write) or unchanged
        if self._seen is not None and now[2] == self._seen[2]:
            self._seen = now  # touched, same bytes
            return False
        # the bytes changed: wait until they stop changing, then apply once
        while not self._stop.wait(self.settle):
            later = _fingerprint(self.path)
            if later == now or later is None:
                break
            now = later
        self._seen = now
        log.info("config: %s changed; reloading", self.path)
        try:
            self.on_change()
        except ConfigError:
            pass  # reported by the reload itself; the running config stays
        except Exception:
            log.exception("config: reload failed; the running config stays")
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1.0)

    def is_alive(self) -> bool:
        """Whether the watcher's thread still runs (stop() ends it)."""
        return self._thread.is_alive()

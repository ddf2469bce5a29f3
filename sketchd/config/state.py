"""What sketchd remembers between runs: the last preset and the toggles.

Kept in ``state.json`` under the platform's state folder, apart from the user's config:
sketchd never rewrites the user's YAML. A missing or damaged state file is not an error —
sketchd starts from the config and says so in the log.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sketchd import paths

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class State:
    preset: str | None = None  # None: the config's preset
    bypass: bool = False
    privacy: bool = False
    mirror: bool | None = None  # None: the config's output.mirror


def state_file() -> Path:
    return paths.state_dir() / "state.json"


def load(path: Path | None = None) -> State:
    """The saved state, or the empty State when there is none or it cannot be used."""
    path = path or state_file()
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"is larger than {MAX_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return State()
    except (OSError, ValueError) as e:
        log.warning("state: ignoring %s (%s); starting from the config", path, e)
        return State()
    if not isinstance(data, dict):
        log.warning("state: ignoring %s (not a JSON object); starting from the config", path)
        return State()
    preset = data.get("preset")
    mirror = data.get("mirror")
    return State(
        preset=preset if isinstance(preset, str) else None,
        bypass=data.get("bypass") is True,
        privacy=data.get("privacy") is True,
        mirror=mirror if isinstance(mirror, bool) else None,
    )


def save(state: State, path: Path | None = None) -> None:
    """Write ``state`` atomically (a crash never leaves half a file). Errors are logged only:
    losing the state is a nuisance, not a reason to stop publishing."""
    path = path or state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(state), f, indent=1)
                f.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        log.warning("state: cannot save %s: %s", path, e)


class Saver:
    """A controller listener that saves the state whenever it changes."""

    def __init__(self, get_state, path: Path | None = None):
        self._get_state = get_state
        self.path = path or state_file()
        self._last: State | None = None

    def __call__(self) -> None:
        state = self._get_state()
        if state != self._last:
            save(state, self.path)
            self._last = state

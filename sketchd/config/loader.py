"""Load a config: the bundled defaults, then the user's file, then command-line overrides.

Every source is logged; every problem in the file is reported at once, with its line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sketchd import paths
from sketchd.config import yamlsafe
from sketchd.config.schema import Config, validate
from sketchd.errors import ConfigError, UsageError, no_preset

log = logging.getLogger(__name__)

_MERGED_SECTIONS = ("camera", "output", "snapshots")


def read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """Parse one YAML file → (data, lines). Raises ConfigError naming the file."""
    try:
        size = path.stat().st_size
        if size > yamlsafe.MAX_BYTES:
            raise ConfigError(
                [f"is {size:,} bytes; a sketchd config is a few KB (limit {yamlsafe.MAX_BYTES:,})"],
                str(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(["no such file"], str(path)) from None
    except IsADirectoryError:
        raise ConfigError(["is a folder, not a file"], str(path)) from None
    except UnicodeDecodeError as e:
        raise ConfigError([f"is not UTF-8 text (byte {e.start})"], str(path)) from None
    except OSError as e:
        raise ConfigError([f"cannot be read: {e.strerror}"], str(path)) from None
    try:
        return yamlsafe.load(text)
    except yamlsafe.YamlProblem as e:
        raise ConfigError([str(e)], str(path)) from None


def defaults_data() -> dict[str, Any]:
    data, _ = read_yaml(paths.default_config_file())
    return data


def merge(defaults: dict[str, Any], user: Any) -> Any:
    """User values over defaults. Sections merge key by key; a user ``presets`` mapping replaces
    the default presets whole (so a preset deleted from the file is gone)."""
    if not isinstance(user, dict):
        return user  # validation explains what is wrong with it
    merged = dict(defaults)
    for key, value in user.items():
        if (
            key in _MERGED_SECTIONS
            and isinstance(value, dict)
            and isinstance(merged.get(key), dict)
        ):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    presets = user.get("presets")
    if "preset" not in user and isinstance(presets, dict) and merged.get("preset") not in presets:
        # the default active preset went with the default presets: the user's first one applies
        merged.pop("preset", None)
    return merged


def parse(text: str, source: str = "config") -> Config:
    """Validate config text (merged over the defaults). Raises ConfigError."""
    try:
        data, lines = yamlsafe.load(text)
    except yamlsafe.YamlProblem as e:
        raise ConfigError([str(e)], source) from None
    config, problems = validate(merge(defaults_data(), data), lines)
    if problems:
        raise ConfigError(problems, source)
    assert config is not None
    return config


def resolve_path(path: str | Path | None) -> Path | None:
    """The file to read: the one given, else the user's file if it exists, else None."""
    if path is not None:
        return Path(path)
    user = paths.config_file()
    return user if user.exists() else None


def load(path: str | Path | None = None) -> tuple[Config, Path | None]:
    """Load defaults + the user's (or given) file → (Config, the file used or None)."""
    defaults = defaults_data()
    file = resolve_path(path)
    lines: dict[str, int]
    if file is None:
        log.info(
            "config: built-in defaults (%s); no user file at %s",
            paths.default_config_file(),
            paths.config_file(),
        )
        data, lines = defaults, {}
    else:
        log.info("config: built-in defaults, then %s", file)
        user, lines = read_yaml(file)
        data = merge(defaults, user)
    config, problems = validate(data, lines)
    if problems:
        raise ConfigError(problems, str(file or paths.default_config_file()))
    assert config is not None
    return config, file


def with_preset(config: Config, name: str | None) -> Config:
    """``config`` with ``name`` as the active preset (a command-line override)."""
    if name is None:
        return config
    if name not in config.presets:
        raise UsageError(no_preset(name, config.presets))
    log.info("config: preset %r from the command line", name)
    return replace(config, preset=name)


def command_line(camera: str | None, always_on: bool = False) -> Callable[[Config], Config]:
    """``--camera`` and ``--always-on`` as one function, applied to the config at start and
    to every reloaded one (each time logged), so both see the same overrides."""
    changes: dict = {}
    if camera is not None:
        changes["device"] = int(camera) if camera.isdigit() else camera
    if always_on:
        changes["on_demand"] = False

    def apply(config: Config) -> Config:
        if camera is not None:
            log.info("config: camera %r from the command line", camera)
        if always_on:
            log.info("config: camera always on (--always-on)")
        return replace(config, camera=replace(config.camera, **changes)) if changes else config

    return apply

"""A preset of the config made into the Settings the publish loop applies: the one place.

Start, a preset switch, a reload, the preview and the benchmark all go through
:func:`settings_for`, so a preset means the same chain everywhere.
"""

from __future__ import annotations

from dataclasses import replace

from sketchd.config.schema import Config
from sketchd.errors import UsageError, no_preset
from sketchd.filters.registry import compose, needs_colour
from sketchd.pipeline.state import Settings


def require(config: Config, name: str) -> str:
    """``name`` if ``config`` has such a preset, else UsageError with a did-you-mean."""
    if name not in config.presets:
        raise UsageError(no_preset(name, config.presets))
    return name


def fields(config: Config, name: str) -> dict:
    """What preset ``name`` of ``config`` sets in the Settings (UsageError when there is none):
    its name, its chain and whether it needs colour; the toggles are not a preset's."""
    steps = config.presets[require(config, name)].steps
    return {"preset": name, "chain": compose(steps), "needs_colour": needs_colour(steps)}


def settings_for(config: Config, name: str, **toggles) -> Settings:
    """The Settings for preset ``name`` of ``config`` (UsageError when there is none);
    ``toggles``: bypass, privacy, mirror."""
    return Settings(**fields(config, name), **toggles)


def switched(settings: Settings, config: Config, name: str) -> Settings:
    """``settings`` with preset ``name``'s chain, the toggles kept."""
    return replace(settings, **fields(config, name))

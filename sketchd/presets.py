"""A preset of the config made into the Settings the publish loop applies: the one place.

Start, a preset switch, a reload, the preview and the benchmark all go through
:func:`settings_for`, so a preset means the same chain everywhere.
"""

from __future__ import annotations

from sketchd.config.schema import Config
from sketchd.errors import UsageError, no_preset
from sketchd.filters.registry import compose, needs_colour
from sketchd.pipeline.state import Settings


def require(config: Config, name: str) -> str:
    """``name`` if ``config`` has such a preset, else UsageError with a did-you-mean."""
    if name not in config.presets:
        raise UsageError(no_preset(name, config.presets))
    return name


def settings_for(config: Config, name: str, **toggles) -> Settings:
    """The Settings for preset ``name`` of ``config`` (UsageError when there is none);
    ``toggles``: bypass, privacy, mirror."""
    steps = config.presets[require(config, name)].steps
    return Settings(name, compose(steps), needs_colour(steps), **toggles)


def switched(settings: Settings, config: Config, name: str) -> Settings:
    """``settings`` with preset ``name``'s chain, the toggles kept."""
    new = settings_for(config, name)
    return Settings(
        new.preset, new.chain, new.needs_colour, settings.bypass, settings.privacy, settings.mirror
    )

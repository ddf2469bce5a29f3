"""Sketch filters as a library: pure frame→frame functions and presets built from them.

    import cv2, sketchd.filters as sf
    sketch = sf.build("pencil")               # a preset from the default config: one stream
    out = sketch(cv2.imread("me.jpg"))         # HxW uint8 (gray presets) or HxWx3 BGR
    inked = sf.build({"chain": [{"ink": {"c": 9}}, "mirror"]})   # or a preset mapping

Every filter takes a uint8 frame (HxW, HxWx1, HxWx3 BGR or HxWx4 BGRA, any size), never
modifies it, and returns a uint8 frame of the same height and width. A few follow the picture
over time (stabilize, autoframe, face_colour, segment): ``build`` returns a ``Chain``, one
stream that keeps their state from call to call (feed it one video; ``reset()`` starts again).
Its first frame is what the pure filters make of it: a photo is never changed by that state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sketchd.filters.adjust import auto_contrast, mirror, original, paper_tint
from sketchd.filters.chain import Chain
from sketchd.filters.registry import FILTERS, Step, compose
from sketchd.filters.sketch import classic_sketch, colour_pencil, ink, pencil
from sketchd.filters.toon import cartoon


def build(preset: str | Mapping[str, Any] | list, config=None) -> Chain:
    """One stream (a frame→frame ``Chain``) for a preset name (looked up in ``config``,
    default: the built-in config), a preset mapping ``{"chain": [...]}``, or a bare chain list.
    Raises sketchd.errors.ConfigError / UsageError with a readable message."""
    from sketchd.config import schema
    from sketchd.errors import ConfigError, UsageError

    if isinstance(preset, str):
        if config is None:
            from sketchd.config import loader

            config, _ = schema.validate(loader.defaults_data())
        if preset not in config.presets:
            known = ", ".join(config.presets)
            raise UsageError(f"no preset named {preset!r}; known presets: {known}")
        return compose(config.presets[preset].steps)
    raw = {"chain": preset} if isinstance(preset, list) else dict(preset)
    checked, problems = schema.check_preset(raw)
    if problems:
        raise ConfigError(problems, "preset")
    assert checked is not None  # check_preset returns a Preset whenever it found no problem
    return compose(checked.steps)


__all__ = [
    "FILTERS",
    "Chain",
    "Step",
    "auto_contrast",
    "build",
    "cartoon",
    "classic_sketch",
    "colour_pencil",
    "compose",
    "ink",
    "mirror",
    "original",
    "paper_tint",
    "pencil",
]

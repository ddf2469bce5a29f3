"""Configuration: schema, safe loading, validation. See config/sketchd.yaml for the format."""

from sketchd.config.loader import load, parse, with_preset
from sketchd.config.schema import CameraConfig, Config, OutputConfig, Preset, validate

__all__ = [
    "CameraConfig",
    "Config",
    "OutputConfig",
    "Preset",
    "load",
    "parse",
    "validate",
    "with_preset",
]

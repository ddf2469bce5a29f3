"""sketchd: a pencil-sketch virtual webcam."""

__version__ = "0.1.0"

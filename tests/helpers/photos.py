"""Real photographs for tests, from scikit-image's wheel (no download at test time)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PHOTO_DIR = Path(importlib.util.find_spec("skimage").origin).parent / "data"
# colour photographs of different kinds: a face, fur, a still life, a night scene, a machine
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")

"""Render docs/face.png: a camera frame with the face off-centre | pencil_autoframe | face_colour,
each through sketchd's own presets, as a stream (so the crop has settled as it would live).

    .venv/bin/python scripts/face_image.py [OUT]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np

from sketchd.filters import build

W, H = 640, 360
ROOT = Path(__file__).resolve().parent.parent


def photo(name: str) -> np.ndarray:
    folder = Path(importlib.util.find_spec("skimage").origin).parent / "data"
    img = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"face_image: scikit-image ships no readable {name}")
    return img


def camera_frame() -> np.ndarray:
    """The astronaut's head and shoulders at the right of a table with a coffee cup."""
    frame = cv2.resize(photo("coffee.png"), (W, H), interpolation=cv2.INTER_AREA)
    side = int(H * 1.1)
    person = cv2.resize(photo("astronaut.png"), (side, side), interpolation=cv2.INTER_AREA)
    person = person[: int(side * 0.62), side // 5 : side * 4 // 5]
    ph, pw = person.shape[:2]
    frame[H - ph :, W - pw - 90 : W - 90] = person
    return frame


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img.copy()
    cv2.rectangle(out, (0, 0), (W, 28), (255, 255, 255), -1)
    cv2.putText(out, text, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (40, 40, 40), 1, cv2.LINE_AA)
    return out


def main(argv: list[str]) -> int:
    out_path = Path(argv[0]) if argv else ROOT / "docs" / "face.png"
    frame = camera_frame()
    panels = [label(frame, "camera")]
    for preset in ("pencil_autoframe", "face_colour"):
        chain = build(preset)  # one stream: 90 frames, so the crop has glided into place
        for _ in range(90):
            result = chain(frame)
        panels.append(label(result, preset))
    gap = np.full((H, 8, 3), 255, np.uint8)
    sheet = np.hstack([panels[0], gap, panels[1], gap, panels[2]])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {out_path} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

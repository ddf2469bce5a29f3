"""Render docs/drawing.png: two photographs as the camera sees them, then pencil, drawing and
drawing_colour (each preset as shipped, the photo through a fresh stream); under them three
consecutive frames of drawing on a moving, noisy clip (a pan across a photograph, 3 px a
frame, with bench/stillness.py's sensor noise), after the stream has run a moment: the
strokes stay on the paper while the picture moves under them, so nothing boils. Every panel
is at 100 % (crops, never scaled).

    .venv/bin/python scripts/drawing_image.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from sketchd.bench import stillness
from sketchd.filters import build

ROOT = Path(__file__).resolve().parent.parent
SIDE = 340  # each panel's side in pixels
GAP = 6
PHOTOS = (  # (file, top, left): the crop of each photograph shown
    ("astronaut.png", 0, 90),
    ("coffee.png", 40, 110),
)
CLIP = ("chelsea.png", 20, 3.0)  # the clip's photograph, its top row, pixels a frame
WARM = 12  # frames the clip's stream runs before the three shown


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img.copy()
    out = cv2.copyMakeBorder(out, 28, 0, 0, 0, cv2.BORDER_CONSTANT, value=(255,) * 3)
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (40, 40, 40), 1, cv2.LINE_AA)
    return out


def crop(img: np.ndarray, top: int, left: int) -> np.ndarray:
    return np.ascontiguousarray(img[top : top + SIDE, left : left + SIDE])


def hstack(panels: list[np.ndarray]) -> np.ndarray:
    gap = np.full((panels[0].shape[0], GAP, 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for p in panels:
        parts += [p, gap]
    return np.hstack(parts[:-1])


def photo_row(name: str, top: int, left: int) -> np.ndarray:
    camera = crop(stillness.photo(name), top, left)
    panels = [label(camera, f"camera ({name.split('.')[0]})")]
    for preset in ("pencil", "drawing", "drawing_colour"):
        panels.append(label(build(preset)(camera), preset))
    return hstack(panels)


def clip_row() -> np.ndarray:
    name, top, step = CLIP
    img = stillness.photo(name)
    rng = np.random.default_rng(25)
    stream = build("drawing")
    frames, outs = [], []
    for t in range(WARM + 3):
        x = round(t * step)
        frame = stillness.noisy(stillness.scene(crop(img, top, x)), rng)
        frames.append(frame)
        outs.append(stream(frame))
    panels = [label(frames[WARM], f"camera, frame {WARM + 1} (pan {step:g} px)")]
    panels += [label(outs[WARM + i], f"drawing, frame {WARM + 1 + i}") for i in range(3)]
    return hstack(panels)


def save(path: Path, bgr: np.ndarray) -> None:
    """A 256-colour PNG (a third of the bytes; paper, graphite and two photos need no more),
    by Pillow, which scikit-image brings; a full-colour PNG without it."""
    try:
        from PIL import Image
    except ImportError:
        cv2.imwrite(str(path), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        return
    rgb = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    rgb.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "drawing.png"
    rows = [photo_row(*p) for p in PHOTOS] + [clip_row()]
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for r in rows:
        parts += [r, gap]
    save(out, np.vstack(parts[:-1]))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

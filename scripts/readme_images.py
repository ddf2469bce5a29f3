"""Render the README's pictures with sketchd itself: python scripts/readme_images.py

A real photograph (the astronaut portrait that ships with scikit-image, NASA, public domain)
and what each preset makes of it, and the strip of tray icons, written to docs/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from sketchd.filters import build

ROOT = Path(__file__).resolve().parents[1]


def photo() -> np.ndarray:
    import importlib.util

    data = Path(importlib.util.find_spec("skimage").origin).parent / "data"
    return cv2.imread(str(data / "astronaut.png"))


def label(img: np.ndarray, text: str) -> np.ndarray:
    img = img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    out = cv2.copyMakeBorder(img, 0, 34, 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    cv2.putText(
        out,
        text,
        (10, out.shape[0] - 10),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.75,
        (40, 40, 40),
        2,
        cv2.LINE_AA,
    )
    return out


def main() -> int:
    # filtered at a webcam-like 720 px, shown at 320 px
    src = cv2.resize(photo(), (720, 720), interpolation=cv2.INTER_CUBIC)

    def small(img: np.ndarray) -> np.ndarray:
        return cv2.resize(img, (320, 320), interpolation=cv2.INTER_AREA)

    tiles = [label(small(src), "camera")]
    for preset in ("pencil", "colour_pencil", "cartoon", "ink"):
        tiles.append(label(small(build(preset)(src)), preset))
    gap = np.full((tiles[0].shape[0], 6, 3), 255, np.uint8)
    sheet = np.hstack([t for tile in tiles for t in (tile, gap)][:-1])
    out = ROOT / "docs" / "presets.png"
    out.parent.mkdir(exist_ok=True)
    cv2.imwrite(str(out), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out)
    print(tray_icons())
    return 0


def tray_icons() -> Path:
    """Each tray state's icon as the panel shows it: the first three presets, bypass,
    privacy, camera lost, virtual camera failing; on a light panel grey."""
    from PIL import Image

    from sketchd.tray import icon

    looks = [icon.draw("preset", i) for i in range(3)]
    looks += [icon.draw(kind) for kind in ("bypass", "privacy", "lost", "output")]
    size, gap = 64, 12
    strip = Image.new(
        "RGBA", (gap + len(looks) * (size + gap), size + 2 * gap), (245, 244, 242, 255)
    )
    for i, img in enumerate(looks):
        strip.alpha_composite(img, (gap + i * (size + gap), gap))
    out = ROOT / "docs" / "tray-icons.png"
    strip.save(out, optimize=True)
    return out


if __name__ == "__main__":
    sys.exit(main())

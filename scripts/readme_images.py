"""Render the README's pictures with sketchd itself: python scripts/readme_images.py

A real photograph (the astronaut portrait that ships with scikit-image, NASA, public domain)
and what each preset makes of it, the portrait presets on that portrait and on a photograph with
nobody in it (scikit-image's rocket, NASA, public domain), and the strip of tray icons, written
to docs/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from sketchd.filters import build

ROOT = Path(__file__).resolve().parents[1]


def photo(name: str = "astronaut.png") -> np.ndarray:
    import importlib.util

    data = Path(importlib.util.find_spec("skimage").origin).parent / "data"
    img = cv2.imread(str(data / name))
    if img is None:
        sys.exit(f"readme_images: scikit-image ships no readable {name}")
    return img


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
    print(portraits())
    print(tray_icons())
    return 0


def portraits() -> Path:
    """docs/portrait.png: camera | pencil | portrait | portrait_colour, on the astronaut (a
    portrait) and on the rocket (nobody in view: the scene is sketched whole)."""
    rows = []
    for name in ("astronaut.png", "rocket.jpg"):
        img = photo(name)
        h = round(720 * img.shape[0] / img.shape[1])  # filtered 720 px wide, shown at 320
        src = cv2.resize(img, (720, h), interpolation=cv2.INTER_CUBIC)
        shown = (320, round(320 * h / 720))
        tiles = []
        for preset in ("camera", "pencil", "portrait", "portrait_colour"):
            out = src if preset == "camera" else build(preset)(src)
            tile = cv2.resize(out, shown, interpolation=cv2.INTER_AREA)
            tile = tile if tile.ndim == 3 else cv2.cvtColor(tile, cv2.COLOR_GRAY2BGR)
            # a hairline round each picture: paper-white tiles on the white page
            cv2.rectangle(tile, (0, 0), (shown[0] - 1, shown[1] - 1), (200, 200, 200), 1)
            tiles.append(label(tile, preset))
        gap = np.full((tiles[0].shape[0], 6, 3), 255, np.uint8)
        rows.append(np.hstack([t for tile in tiles for t in (tile, gap)][:-1]))
    sheet = np.vstack([rows[0], np.full((6, rows[0].shape[1], 3), 255, np.uint8), rows[1]])
    out = ROOT / "docs" / "portrait.png"
    cv2.imwrite(str(out), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return out


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

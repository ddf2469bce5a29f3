"""Render docs/stability.png: a still portrait as a noisy webcam sees it (good light, then a dim
room), the pencil preset without stabilize, and the pencil preset as shipped (stabilize first),
each a frame of a stream that has run for a moment; under each sketch, the share of its pixels
that change by more than 24 levels in the next frame. The scene and the sensor noise are
sketchd/bench/stillness.py's, as in the tests and `sketchd bench --part stability`.

    .venv/bin/python scripts/stability_image.py [OUT] [--frames DIR]

``--frames DIR`` also writes a few consecutive frames of each stream there, to look at.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from sketchd.bench import stillness as stability
from sketchd.filters import build
from sketchd.filters.chain import Chain

ROOT = Path(__file__).resolve().parent.parent
CROP = (slice(10, 330), slice(100, 420))  # the astronaut's head and shoulders, 320 px square
GAP = 6


def label(img: np.ndarray, text: str, note: str = "") -> np.ndarray:
    out = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img.copy()
    out = cv2.copyMakeBorder(
        out, 30, 26 if note else 0, 0, 0, cv2.BORDER_CONSTANT, value=(255,) * 3
    )
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(out, text, (8, 21), font, 0.55, (40, 40, 40), 1, cv2.LINE_AA)
    if note:
        cv2.putText(out, note, (8, out.shape[0] - 8), font, 0.5, (90, 90, 90), 1, cv2.LINE_AA)
    return out


def streams(light: float, frames: int) -> dict[str, list[np.ndarray]]:
    """The camera's frames and both pencil streams' outputs, ``frames`` of each."""
    clean = stability.scene(stability.photo(), light)
    rng = np.random.default_rng(11)
    before = Chain(stability.without_stabilize(build("pencil").steps))
    after = build("pencil")
    out: dict[str, list[np.ndarray]] = {"camera": [], "before": [], "after": []}
    for _ in range(frames):
        frame = stability.noisy(clean, rng)
        out["camera"].append(frame)
        out["before"].append(before(frame))
        out["after"].append(after(frame))
    return out


def row(light: str, shown: int, frames: dict[str, list[np.ndarray]]) -> np.ndarray:
    def changed(kind: str) -> str:
        share = stability.sparkle(frames[kind][shown], frames[kind][shown + 1])
        return f"changes next frame: {share:.1%}"

    tiles = [
        label(frames["camera"][shown][CROP], f"camera, {light}", " "),
        label(frames["before"][shown][CROP], "pencil, frame by frame", changed("before")),
        label(frames["after"][shown][CROP], "pencil with stabilize", changed("after")),
    ]
    gap = np.full((tiles[0].shape[0], GAP, 3), 255, np.uint8)
    return np.hstack([t for tile in tiles for t in (tile, gap)][:-1])


def main(argv: list[str]) -> int:
    frames_dir = None
    if "--frames" in argv:
        i = argv.index("--frames")
        frames_dir = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    out_path = Path(argv[0]) if argv else ROOT / "docs" / "stability.png"
    shown = stability.WARM + 1  # a moment in: the average has settled
    rows = []
    for light, value in (("good light", 1.0), ("dim room, 30 % light", stability.LIGHTS["dim"])):
        frames = streams(value, shown + 4)
        rows.append(row(light, shown, frames))
        if frames_dir is not None:
            frames_dir.mkdir(parents=True, exist_ok=True)
            for kind in ("before", "after"):
                strip = np.hstack([f[CROP] for f in frames[kind][shown : shown + 4]])
                name = f"{'dim' if value < 1 else 'good'}-{kind}.png"
                cv2.imwrite(str(frames_dir / name), strip)
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    sheet = np.vstack([rows[0], gap, rows[1]])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

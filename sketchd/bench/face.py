"""What the face presets cost at 1080p, beside plain pencil, in one run on one thread.

    .venv/bin/python -m sketchd.bench.face [--frames 300] [--size 1920x1080]

Frames: real photographs from scikit-image's wheel at 1080p, with the astronaut's portrait
pasted off-centre and drifting a little every frame, so each chain runs as a stream would: the
detector every few frames, the crop zoomed in on the face (autoframe's dearest case). The chains
are the shipped presets, fed what the live loop feeds them (gray for the pencil presets, whose
first look at the picture is luma only; BGR for face_colour). The chains take turns frame by
frame so a slow moment of the machine hits them alike. Median and mean: the detector runs on
one frame in ``every``, so the mean carries its cost and the median does not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import cv2
import numpy as np

from sketchd.bench.inputs import default_config, photo_dir

PHOTOS = ("coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png")


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(photo_dir() / name), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"bench.face: scikit-image ships no readable {name}; pip install scikit-image")
    return img


def frames(n: int, w: int, h: int) -> list[np.ndarray]:
    """``n`` frames: a background photo with the astronaut's portrait (her face ~ 1/4 of the
    height, as at a desk in front of a webcam) right of centre, moving a little every frame."""
    side = int(h * 1.1)
    face = cv2.resize(photo("astronaut.png"), (side, side), interpolation=cv2.INTER_CUBIC)
    face = face[: h - 80, side // 5 : side * 4 // 5]  # head and shoulders
    fh, fw = face.shape[:2]
    backs = [cv2.resize(photo(p), (w, h), interpolation=cv2.INTER_CUBIC) for p in PHOTOS]
    out = []
    for i in range(n):
        f = backs[(i // 50) % len(backs)].copy()
        x = int(w * 0.5 + 60 * np.sin(i / 40))
        y = h - fh - int(40 + 30 * np.cos(i / 30))
        f[y : y + fh, x : x + fw] = face
        out.append(f)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1920x1080")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))

    from sketchd.filters.registry import compose, needs_colour
    from sketchd.pipeline.engine import Settings, process
    from sketchd.pipeline.frames import CameraFrame, fit
    from sketchd.sinks.convert import I420Converter

    cv2.setNumThreads(1)
    config = default_config()
    bgrs = frames(args.frames, w, h)
    grays = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in bgrs]
    names = ["pencil", "pencil_autoframe", "face_colour"]
    chains, inputs = {}, {}
    for name in names:
        steps = config.presets[name].steps
        chains[name] = compose(steps)  # one stream each: fresh state, kept across frames
        inputs[name] = bgrs if needs_colour(steps) else grays
    # the live loop per frame: MJPG camera bytes → decode → chain → fit to the shipped output
    # size (1280x720) → I420 for the virtual camera; fresh chains, so fresh state
    jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 90])[1] for f in bgrs]
    cams = [CameraFrame(j, "MJPG", w, h, i + 1, 0.0) for i, j in enumerate(jpegs)]
    live = {}
    for name in names:
        steps = config.presets[name].steps
        settings = Settings(name, compose(steps), needs_colour(steps))
        conv = I420Converter(1280, 720)
        live[name] = lambda cam, s=settings, c=conv: c(fit(process(cam, s), 1280, 720))

    times: dict[str, list[float]] = {n: [] for n in names}
    e2e: dict[str, list[float]] = {n: [] for n in names}
    for i in range(args.frames):
        for name in names:
            t = time.perf_counter()
            chains[name](inputs[name][i])
            t1 = time.perf_counter()
            live[name](cams[i])
            t2 = time.perf_counter()
            times[name].append((t1 - t) * 1000)
            e2e[name].append((t2 - t1) * 1000)
    print(f"{w}x{h}, {args.frames} frames, 1 thread, OpenCV {cv2.__version__}")
    print(f"{'':<34}{'median ms':>10}{'mean ms':>9}{'x pencil':>11}")
    for title, table in (("chain alone", times), ("live frame (MJPG → I420 720p)", e2e)):
        warm = max(1, args.frames // 20)  # the first frames load the cascade
        base_med = statistics.median(table["pencil"][warm:])
        base_mean = statistics.fmean(table["pencil"][warm:])
        print(title)
        for name in names:
            ms = table[name][warm:]
            med, mean = statistics.median(ms), statistics.fmean(ms)
            kind = "gray" if inputs[name] is grays else "bgr"
            ratio = f"{med / base_med:.2f}/{mean / base_mean:.2f}"
            print(f"  {name + ' (' + kind + ')':<32}{med:>10.2f}{mean:>9.2f}{ratio:>11}")
    print("x pencil: median ratio / mean ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())

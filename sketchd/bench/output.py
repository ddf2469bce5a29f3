"""What each virtual-camera output format costs per frame, beside the classic seed sketch.

    .venv/bin/python -m sketchd.bench.output [--frames 200] [--sizes 1280x720,1920x1080]

For each size: the pencil preset's output of real photographs (scikit-image's wheel), turned
into the device's buffer as the sink does it (sinks/vcam.py: I420, YUYV, MJPG with
simplejpeg), and the copy into a page-aligned buffer that stands for the mmap'ed kernel
buffer (what StreamingWriter.send does). The classic seed sketch of the same frame runs in
the same loop as the yardstick: the candidates take turns frame by frame, so a slow moment of
the machine hits all of them alike; read the ratios, not the milliseconds. One OpenCV thread.
"""

from __future__ import annotations

import argparse
import mmap
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from sketchd.bench.inputs import photo_dir
from sketchd.filters import build
from sketchd.sinks.convert import CONVERTERS

PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png")


def photos(w: int, h: int) -> list[np.ndarray]:
    folder = photo_dir()
    out = []
    for name in PHOTOS:
        img = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f"bench.output: no readable {name} in scikit-image; pip install scikit-image")
        out.append(cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA))
    return out


def classic(bgr: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(255 - gray, (21, 21), 0)
    return cv2.divide(gray, 255 - blurred, scale=256)


def steps_for(
    w: int, h: int, inputs: list[np.ndarray], sketches: list[np.ndarray]
) -> dict[str, Callable[[int], object]]:
    """The candidates at one size, each a function of the frame's index."""
    kernel_buffer = mmap.mmap(-1, w * h * 4)  # anonymous: as large as v4l2loopback's
    steps: dict[str, Callable[[int], object]] = {
        YARDSTICK: lambda i: classic(inputs[i]),
    }

    def converted(convert: Callable[[np.ndarray], np.ndarray]) -> Callable[[int], object]:
        return lambda i: convert(sketches[i])

    for fmt in ("I420", "YUYV", "MJPG"):
        steps[f"{fmt} buffer from the sketch"] = converted(CONVERTERS[fmt](w, h))
    i420 = CONVERTERS["I420"](w, h)

    def copy_out(i: int) -> None:
        data = i420(sketches[i])
        kernel_buffer[: data.size] = data.data.cast("B")

    steps["I420 buffer + copy to the device"] = copy_out
    return steps


YARDSTICK = "classic seed sketch (yardstick)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    print("| size | step | median ms | vs classic sketch |")
    print("|---|---|---:|---:|")
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        inputs = photos(w, h)
        pencil = build("pencil")
        sketches = [pencil(cv2.cvtColor(p, cv2.COLOR_BGR2GRAY)) for p in inputs]
        steps = steps_for(w, h, inputs, sketches)
        mjpg = CONVERTERS["MJPG"](w, h)
        sizes = [mjpg(s).size for s in sketches]
        times: dict[str, list[float]] = {name: [] for name in steps}
        for n in range(args.frames):
            for name, step in steps.items():
                t = time.perf_counter()
                step(n % len(inputs))
                times[name].append(time.perf_counter() - t)
        base = statistics.median(times[YARDSTICK])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"| {w}x{h} | {name} | {1000 * med:.2f} | {med / base:.2f}x |")
        print(f"| {w}x{h} | MJPG frame size | {statistics.median(sizes) / 1024:.0f} KiB | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

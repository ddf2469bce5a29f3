"""How a benchmark candidate is timed in a process of its own (``sketchd.bench.frames``
and ``sketchd.bench.segment``): the parent runs ``python -m sketchd.bench.worker MODULE KEY WxH
FRAMES``, the worker calls ``MODULE.measure(KEY, W, H, FRAMES)`` and prints the milliseconds
per frame as JSON; ``timed`` is the frame loop both modules' ``measure`` run."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

WARM = 3  # frames a worker runs before it starts counting (caches, scratch arrays, heap)


def spawn(module: str, key: str, w: int, h: int, frames: int) -> list[float]:
    """``module``'s ``measure(key, w, h, frames)`` in a fresh Python process."""
    cmd = [sys.executable, "-m", __name__, module, key, f"{w}x{h}", str(frames)]
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {key} at {w}x{h} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def interleaved(
    keys: Sequence[str], rounds: int, run: Callable[[str], list[float]]
) -> dict[str, list[float]]:
    """Every key's times over ``rounds`` turns, the order rotated each turn and reversed every
    other one, so no candidate always runs first or after the same neighbour (a noisy
    machine's drift is shared out): ``run(key)`` times one candidate once."""
    times: dict[str, list[float]] = {k: [] for k in keys}
    for turn in range(rounds):
        order = list(keys[turn % len(keys) :]) + list(keys[: turn % len(keys)])
        if turn % 2:
            order.reverse()
        for key in order:
            times[key] += run(key)
    return times


def timed(
    fn: Callable,
    inputs: Sequence,
    frames: int,
    in_thread: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Milliseconds of each ``fn(input)``, the inputs in turn, after WARM frames not counted:
    in a worker thread (as the daemon's publish loop runs) or, ``in_thread`` false, in the
    calling thread (as a plain script runs). ``clock``: wall time by default;
    ``time.thread_time`` counts only the CPU the loop's own thread used, which other
    processes on a busy machine do not inflate."""
    times: list[float] = []
    failed: list[BaseException] = []

    def loop() -> None:
        try:
            for i in range(WARM + frames):
                x = inputs[i % len(inputs)]
                t0 = clock()
                fn(x)
                if i >= WARM:
                    times.append((clock() - t0) * 1e3)
        except BaseException as e:  # handed to the caller's thread
            failed.append(e)

    if in_thread:
        worker = threading.Thread(target=loop, name="bench-worker")
        worker.start()
        worker.join()
    else:
        loop()
    if failed:
        raise failed[0]
    return times


def main(argv: Sequence[str]) -> int:
    """python -m sketchd.bench.worker MODULE KEY WxH FRAMES: one candidate's times as JSON."""
    from sketchd.bench.inputs import parse_sizes

    module, key, size, frames = argv
    (w, h), n = parse_sizes(size)[0], int(frames)
    measure = importlib.import_module(module).measure
    print(json.dumps([round(t, 4) for t in measure(key, w, h, n)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

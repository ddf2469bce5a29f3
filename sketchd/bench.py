"""The speed benchmark behind ``sketchd bench``: every preset against the classic pipeline,
in one run, on the same real photographs, one OpenCV thread, medians over many frames.

1. filter alone: each preset's chain on the frame the pipeline would give it (gray for gray
   presets, BGR otherwise), beside the classic sketch on that same frame;
2. end to end: camera MJPG bytes → the buffer handed to pyvirtualcam (I420 on Linux), beside
   the naive path (decode to BGR → classic → GRAY2RGB → the RGB buffer pyvirtualcam takes);
3. memory: the process's steady RSS, and what the hot path allocates per frame (tracemalloc);
4. the daemon as a whole (``daemon()``): start-up to the first frame, CPU, RSS, latency.

Each candidate is timed in a process of its own, frame after frame in a worker thread, the way
each program runs its one loop: sketchd's paths with the allocator settings the daemon uses
(platform/linux_malloc.py), the classic and naive paths as a plain script has them, plus the
naive path once more with sketchd's settings for reference. Measured in one shared process
instead, each path ran in the cache and allocator state the others left, and the same path's
median moved by half between runs (naive at 1080p: 8 to 14 ms). The candidates take turns in
ROUNDS rounds, each round in another order, so a busy machine slows them all alike and the
ratios stay meaningful even when the milliseconds do not.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")
SIZES = ((640, 480), (1280, 720), (1920, 1080))
ROUNDS = 3  # turns each candidate takes, each in a fresh process
WARM = 3  # frames a worker runs before it starts counting (caches, scratch arrays, heap)


@dataclass
class Row:
    section: str  # "filter" | "e2e"
    size: str
    name: str
    ms: float  # median milliseconds per frame
    ref_ms: float  # the classic (or naive) path's median in the same run
    input: str = ""
    ref2_ms: float = 0.0  # the same reference run as sketchd runs (thread, buffers kept)

    @property
    def ratio(self) -> float:
        return self.ref_ms / self.ms if self.ms > 0 else float("inf")

    @property
    def ratio2(self) -> float:
        return self.ref2_ms / self.ms if self.ms > 0 else float("inf")


@dataclass
class MemRow:
    name: str
    size: str
    transient_kb: float  # peak traced memory above the start, during one frame
    growth_bytes: float  # traced memory after N frames minus after the first, per frame
    frames: int


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    memory: list[MemRow] = field(default_factory=list)
    rss_mb: float = 0.0
    fidelity: list[tuple[str, str, float, float]] = field(default_factory=list)
    frames: int = 0
    rounds: int = ROUNDS

    def markdown(self) -> str:
        out = [
            f"one OpenCV thread; medians over {self.frames} frames per candidate and size "
            f"({len(PHOTOS)} photographs in turn), each candidate in its own process, "
            f"{self.rounds} turns",
            "",
            "| size | filter alone | input | median ms | classic ms | ratio "
            "| classic, run as sketchd | ratio |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            if r.section == "filter":
                out.append(
                    f"| {r.size} | {r.name} | {r.input} | {r.ms:.2f} | {r.ref_ms:.2f} "
                    f"| {r.ratio:.2f}x | {r.ref2_ms:.2f} | {r.ratio2:.2f}x |"
                )
        out += [
            "",
            "| size | end to end (camera MJPG → I420 buffer) | median ms | naive ms | ratio "
            "| naive, run as sketchd | ratio |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            if r.section == "e2e":
                out.append(
                    f"| {r.size} | e2e: {r.name} | {r.ms:.2f} | {r.ref_ms:.2f} | {r.ratio:.2f}x "
                    f"| {r.ref2_ms:.2f} | {r.ratio2:.2f}x |"
                )
        out += [
            "",
            "| size | hot path | KB allocated at peak per frame | growth bytes/frame |",
            "|---|---|---:|---:|",
        ]
        for m in self.memory:
            out.append(f"| {m.size} | {m.name} | {m.transient_kb:.0f} | {m.growth_bytes:.1f} |")
        out += [
            "",
            f"RSS of the benchmark process after the run (it holds every test frame): "
            f"{self.rss_mb:.0f} MB",
        ]
        if self.fidelity:
            out += [
                "",
                "| photo | size | SSIM pencil vs classic | mean abs diff |",
                "|---|---|---:|---:|",
            ]
            for name, size, ssim, mad in self.fidelity:
                out.append(f"| {name} | {size} | {ssim:.4f} | {mad:.3f} |")
        return "\n".join(out)


def photo_dir() -> Path:
    """scikit-image's bundled sample photographs (installed with the dev dependencies)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the benchmark uses scikit-image's sample photographs: pip install scikit-image"
        )
    return Path(spec.origin).parent / "data"


def load_photos() -> list[np.ndarray]:
    d = photo_dir()
    out = []
    for name in PHOTOS:
        img = cv2.imread(str(d / name), cv2.IMREAD_COLOR)
        if img is not None:
            out.append(img)
    if not out:
        raise RuntimeError(f"no sample photographs readable in {d}")
    return out


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), or its peak elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def _naive(jpeg: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    from sketchd.filters.sketch import classic_sketch

    bgr = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert bgr is not None  # the JPEG is one cv2.imencode made (Frames.make)
    return cv2.cvtColor(classic_sketch(bgr), cv2.COLOR_GRAY2RGB, dst=rgb)


@dataclass
class Frames:
    """The test frames at one size, in every form a candidate takes."""

    bgr: list[np.ndarray]
    gray: list[np.ndarray]
    jpeg: list[np.ndarray]
    camera: list  # CameraFrame of the JPEG bytes, as the camera source delivers MJPG

    @classmethod
    def make(cls, w: int, h: int) -> Frames:
        from sketchd.pipeline.frames import CameraFrame

        bgrs = [
            cv2.resize(
                p, (w, h), interpolation=cv2.INTER_AREA if p.shape[1] > w else cv2.INTER_CUBIC
            )
            for p in load_photos()
        ]
        grays = [cv2.cvtColor(b, cv2.COLOR_BGR2GRAY) for b in bgrs]
        jpegs = [cv2.imencode(".jpg", b, [cv2.IMWRITE_JPEG_QUALITY, 90])[1] for b in bgrs]
        cams = [CameraFrame(j, "MJPG", w, h, i + 1, 0.0) for i, j in enumerate(jpegs)]
        return cls(bgrs, grays, jpegs, cams)


@functools.cache
def _presets() -> dict:
    from sketchd.config import loader, schema

    config, _ = schema.validate(loader.defaults_data())
    assert config is not None  # the shipped defaults are valid (as in loader.load)
    return dict(config.presets)


def hot_path(name: str, w: int, h: int) -> Callable:
    """sketchd's per-frame path for preset ``name``: camera frame → decode as far as needed →
    chain → fit → the I420 buffer handed to pyvirtualcam."""
    from sketchd.filters.registry import compose, needs_colour
    from sketchd.pipeline.engine import Settings, process
    from sketchd.pipeline.frames import fit
    from sketchd.sinks.convert import I420Converter

    steps = _presets()[name].steps
    settings = Settings(name, compose(steps), needs_colour(steps))
    conv = I420Converter(w, h)

    def hot(cam):
        return conv(fit(process(cam, settings), w, h))

    return hot


def candidate(key: str, frames: Frames) -> tuple[Callable, Sequence, bool]:
    """(function, its inputs, whether it runs as sketchd runs) for a benchmark key:
    classic/bgr, classic/gray, naive (the seed's paths, as a plain script runs them), the same
    with /kept (as sketchd runs: see ``measure``), and sketchd's own pencil/bgr, pencil/gray,
    preset/NAME (a preset's chain) and e2e/NAME (its whole per-frame path)."""
    from sketchd.filters.registry import compose, needs_colour
    from sketchd.filters.sketch import classic_sketch, pencil

    kind, _, name = key.partition("/")
    kept = kind in ("classic", "naive") and (name == "kept" or name.endswith("/kept"))
    if kept:
        name = name.removesuffix("kept").removesuffix("/")
    h, w = frames.gray[0].shape
    if kind == "classic":
        return classic_sketch, frames.bgr if name == "bgr" else frames.gray, kept
    if kind == "naive":
        rgb = np.empty((h, w, 3), np.uint8)
        return functools.partial(_naive, rgb=rgb), frames.jpeg, kept
    if kind == "pencil":
        return pencil, frames.bgr if name == "bgr" else frames.gray, True
    if kind == "preset":
        steps = _presets()[name].steps
        return compose(steps), frames.bgr if needs_colour(steps) else frames.gray, True
    if kind == "e2e":
        return hot_path(name, w, h), frames.camera, True
    raise ValueError(f"unknown benchmark candidate {key!r}")


def measure(key: str, w: int, h: int, frames: int) -> list[float]:
    """Milliseconds per frame of candidate ``key`` in this process, after WARM frames not
    counted. sketchd's paths run as in the daemon: in a worker thread (its publish loop), with
    the daemon's allocator settings. The seed's paths run as a plain script: in the main
    thread with the C library's defaults (glibc trims and re-faults its frame-sized arrays
    there: the classic sketch measured ~6.7 ms at 1080p that way, ~3.6 ms in a thread with
    the buffers kept, which is what the /kept variants show)."""
    from sketchd.platform import tune_memory

    cv2.setNumThreads(1)
    fn, inputs, as_sketchd = candidate(key, Frames.make(w, h))
    if as_sketchd:
        tune_memory()
    times: list[float] = []
    failed: list[BaseException] = []

    def loop() -> None:
        try:
            clock = time.perf_counter
            for i in range(WARM + frames):
                x = inputs[i % len(inputs)]
                t0 = clock()
                fn(x)
                if i >= WARM:
                    times.append((clock() - t0) * 1e3)
        except BaseException as e:  # handed to the caller's thread
            failed.append(e)

    if as_sketchd:
        worker = threading.Thread(target=loop, name="bench-worker")
        worker.start()
        worker.join()
    else:
        loop()
    if failed:
        raise failed[0]
    return times


def _spawn(key: str, w: int, h: int, frames: int) -> list[float]:
    """``measure`` in a fresh Python process."""
    cmd = [sys.executable, "-m", "sketchd.bench", "--worker", key, f"{w}x{h}", str(frames)]
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {key} at {w}x{h} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def run(
    sizes: Sequence[tuple[int, int]] = SIZES,
    frames: int = 200,
    presets: Sequence[str] | None = None,
    fidelity: bool = True,
    rounds: int = ROUNDS,
) -> Report:
    """Measure everything; returns the report (``report.markdown()`` is the table).
    ``frames`` per candidate and size, spread over ``rounds`` turns."""
    from sketchd.filters.registry import needs_colour
    from sketchd.filters.sketch import classic_sketch, pencil

    all_presets = _presets()
    names = list(presets or all_presets)
    kinds = {n: "bgr" if needs_colour(all_presets[n].steps) else "gray" for n in names}
    keys = [f"classic/{k}{kept}" for k in ("bgr", "gray") for kept in ("", "/kept")]
    keys += ["pencil/bgr", "pencil/gray"]
    keys += [f"preset/{n}" for n in names] + ["naive", "naive/kept"] + [f"e2e/{n}" for n in names]
    per_turn = max(2, -(-frames // rounds))
    report = Report(frames=per_turn * rounds, rounds=rounds)
    for w, h in sizes:
        size = f"{w}x{h}"
        times: dict[str, list[float]] = {k: [] for k in keys}
        for turn in range(rounds):
            order = keys[turn % len(keys) :] + keys[: turn % len(keys)]
            if turn % 2:
                order.reverse()
            for key in order:
                times[key] += _spawn(key, w, h, per_turn)
        med = {k: statistics.median(v) for k, v in times.items()}
        for kind in ("bgr", "gray"):
            report.rows.append(
                Row(
                    "filter", size, "pencil() alone", med[f"pencil/{kind}"],
                    med[f"classic/{kind}"], kind, med[f"classic/{kind}/kept"],
                )
            )  # fmt: skip
        for n in names:
            k = kinds[n]
            report.rows.append(
                Row(
                    "filter", size, n, med[f"preset/{n}"], med[f"classic/{k}"], k,
                    med[f"classic/{k}/kept"],
                )
            )  # fmt: skip
        for n in names:
            report.rows.append(
                Row("e2e", size, n, med[f"e2e/{n}"], med["naive"], "MJPG→I420", med["naive/kept"])
            )

        # allocations per frame in the hot path (in this process: tracemalloc sees numpy)
        test = Frames.make(w, h)
        for n in names:
            report.memory.append(
                _allocations(n, size, hot_path(n, w, h), test.camera, max(10, frames // 10))
            )
        if fidelity and (w, h) == tuple(sizes[-1]):
            report.fidelity += _fidelity(load_photos(), (w, h), classic_sketch, pencil)
    report.rss_mb = rss_mb()
    return report


def _allocations(name: str, size: str, fn, inputs: Sequence, n: int) -> MemRow:
    fn(inputs[0])  # scratch arrays and caches exist before we count
    tracemalloc.start()
    try:
        fn(inputs[0])
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn(inputs[1 % len(inputs)])
        after_one, peak = tracemalloc.get_traced_memory()
        for i in range(n):
            fn(inputs[i % len(inputs)])
        after_n, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return MemRow(name, size, (peak - base) / 1024.0, (after_n - after_one) / n, n)


def _fidelity(photos, size, classic, pencil) -> list[tuple[str, str, float, float]]:
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        return []
    rows = []
    for fname, img in zip(PHOTOS, photos, strict=False):
        for label, frame in (
            ("native", img),
            (f"{size[0]}x{size[1]}", cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)),
        ):
            a, b = classic(frame), pencil(frame)
            ssim = float(structural_similarity(a, b, data_range=255))
            mad = float(np.abs(a.astype(np.int16) - b).mean())
            rows.append((fname.split(".")[0], label, ssim, mad))
    return rows


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'640x480,1920x1080' → [(640, 480), (1920, 1080)]; ValueError says what was wrong."""
    out = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        try:
            w, h = (int(v) for v in part.lower().split("x"))
        except ValueError:
            raise ValueError(f"sizes must look like 640x480,1920x1080, not {part!r}") from None
        if w < 16 or h < 16 or w % 2 or h % 2:
            raise ValueError(f"size {part}: width and height must be even and at least 16")
        out.append((w, h))
    if not out:
        raise ValueError("no sizes given")
    return out


# ---------------------------------------------------------------- the daemon as a whole


@dataclass
class DaemonRow:
    size: str
    first_frame_s: float  # process start → first frame out (the "Starting camera" card)
    first_live_s: float  # process start → first frame from the camera out
    cpu_percent: float  # of one core, steady state, demo camera and null output
    rss_mb: float  # steady resident memory of the daemon process
    latency_ms: float  # the daemon's own capture → send median (`sketchd status`)
    behind_max: int  # newer camera frames that had come in when a frame went out, worst case
    runs: int


@dataclass
class DaemonReport:
    rows: list[DaemonRow] = field(default_factory=list)
    import_floor_s: float = 0.0  # `python -c "import numpy, cv2"`: what any OpenCV app pays

    def markdown(self) -> str:
        out = [
            f"`sketchd run --camera demo --output null`, preset pencil at 30 fps, medians of "
            f"{self.rows[0].runs if self.rows else 0} starts; a bare `import numpy, cv2` takes "
            f"{self.import_floor_s:.2f} s",
            "",
            "| size | first frame out | first live frame out | CPU (one core) | RSS "
            "| capture → send | frames behind (worst) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            out.append(
                f"| {r.size} | {r.first_frame_s:.2f} s | {r.first_live_s:.2f} s | "
                f"{r.cpu_percent:.0f}% | {r.rss_mb:.0f} MB | {r.latency_ms:.1f} ms | "
                f"{r.behind_max} |"
            )
        return "\n".join(out)


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def _start_once(cmd: list[str], env: dict, settle: float, timeout: float = 30.0):
    """Start the daemon, time its first frames from its log, measure it once it has settled,
    stop it. Returns (first frame s, first live s, cpu %, rss MB, latency ms, behind max)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stderr = proc.stderr
    assert stderr is not None  # stderr=subprocess.PIPE
    lines: queue.Queue[tuple[float, str]] = queue.Queue()

    def pump() -> None:
        for line in stderr:
            lines.put((time.perf_counter(), line))

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    first = live = None
    log = []
    try:
        while live is None:
            try:
                t, line = lines.get(timeout=0.2)
            except queue.Empty:
                if proc.poll() is not None or time.perf_counter() > t0 + timeout:
                    time.sleep(0.2)  # the rest of its last words
                    while not lines.empty():
                        log.append(lines.get()[1])
                    raise RuntimeError(
                        f"`{' '.join(cmd[2:])}` showed no live frame "
                        f"(exit status {proc.poll()}):\n" + "".join(log)
                    ) from None
                continue
            log.append(line)
            if "first frame" in line and first is None:
                first = t - t0
            if "first live frame" in line:
                live = t - t0
                first = first if first is not None else live
        time.sleep(1.0)  # past start-up
        cpu0, w0 = _proc_cpu_s(proc.pid), time.perf_counter()
        time.sleep(settle)
        cpu = 100.0 * (_proc_cpu_s(proc.pid) - cpu0) / (time.perf_counter() - w0)
        rss = _proc_rss_mb(proc.pid)
        from sketchd import control

        sock = Path(env["XDG_RUNTIME_DIR"]) / "sketchd" / control.SOCKET_NAME
        st = control.request("status", path=sock)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        pumping.join(5)
        stderr.close()
    return first, live, cpu, rss, st["latency_ms"], st["behind_max"]


def daemon(
    sizes: Sequence[tuple[int, int]] = ((1280, 720), (1920, 1080)),
    runs: int = 5,
    settle: float = 5.0,
) -> DaemonReport:
    """Start ``sketchd run`` ``runs`` times per size in a private home and measure start-up
    (from the moment the process is spawned), steady CPU and memory. Linux only (/proc)."""
    if not Path("/proc/self/stat").exists():
        raise RuntimeError("the daemon benchmark reads /proc: Linux only")
    report = DaemonReport()
    floor = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, cv2"], check=True)
        floor.append(time.perf_counter() - t0)
    report.import_floor_s = statistics.median(floor)
    with tempfile.TemporaryDirectory(prefix="sketchd-bench-") as tmp:
        home = Path(tmp)
        runtime = home / "run"
        runtime.mkdir(mode=0o700)
        env = dict(
            os.environ,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_STATE_HOME=str(home / "state"),
            XDG_RUNTIME_DIR=str(runtime),
        )
        for w, h in sizes:
            cfg = home / f"sketchd-{w}x{h}.yaml"
            cfg.write_text(
                f"camera: {{device: demo, width: {w}, height: {h}, fps: 30}}\n"
                f"output: {{width: {w}, height: {h}, fps: 30}}\n"
                "preset: pencil\n"
            )
            cmd = [sys.executable, "-m", "sketchd", "run", "--no-tray", "--config", str(cfg)]
            cmd += ["--output", "null"]
            results = [_start_once(cmd, env, settle) for _ in range(runs)]
            first, live, cpu, rss, ms, _ = (
                statistics.median(col) for col in zip(*results, strict=True)
            )
            worst = max(r[5] for r in results)
            report.rows.append(DaemonRow(f"{w}x{h}", first, live, cpu, rss, ms, worst, runs))
    return report


def _worker_main(argv: Sequence[str]) -> int:
    """python -m sketchd.bench --worker KEY WxH FRAMES: one candidate's times as JSON."""
    _, key, size, frames = argv
    (w, h), n = parse_sizes(size)[0], int(frames)
    print(json.dumps([round(t, 4) for t in measure(key, w, h, n)]))
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))

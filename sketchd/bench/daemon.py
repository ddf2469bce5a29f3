"""``sketchd bench --part daemon``: the daemon as a whole. ``sketchd run`` started in a private
home with the demo camera and no output, timed from the moment its process is spawned to its
first frame and its first live frame (from its log), then measured once settled: CPU and
resident memory (Linux /proc) and its own capture → send latency (``sketchd status``).

Each size runs the pencil preset as ``sketchd run`` does (OpenCV's own thread count: every core)
and, in full runs, with one OpenCV thread, and colour_pencil both ways: what the second core
buys in latency and what it costs in CPU."""

from __future__ import annotations

import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# (preset, OpenCV threads: None = OpenCV's default, every core) of a full run; quick: the first
CONFIGS: tuple[tuple[str, int | None], ...] = (
    ("pencil", None),
    ("pencil", 1),
    ("colour_pencil", None),
    ("colour_pencil", 1),
)


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
    preset: str = "pencil"
    threads: int | None = None  # OpenCV threads; None: its default (every core)


@dataclass
class DaemonReport:
    rows: list[DaemonRow] = field(default_factory=list)
    import_floor_s: float = 0.0  # `python -c "import numpy, cv2"`: what any OpenCV app pays

    def markdown(self) -> str:
        out = [
            f"`sketchd run --camera demo --output null` at 30 fps, medians of "
            f"{self.rows[0].runs if self.rows else 0} starts; a bare `import numpy, cv2` takes "
            f"{self.import_floor_s:.2f} s; OpenCV threads: as `sketchd run` has them (every "
            f"core: {os.cpu_count()} here) or one",
            "",
            "| size | preset | OpenCV threads | first frame out | first live frame out "
            "| CPU (one core) | RSS | capture → send | frames behind (worst) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            out.append(
                f"| {r.size} | {r.preset} | {r.threads or 'all'} | {r.first_frame_s:.2f} s | "
                f"{r.first_live_s:.2f} s | {r.cpu_percent:.1f}% | {r.rss_mb:.0f} MB | "
                f"{r.latency_ms:.1f} ms | {r.behind_max} |"
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


def start_once(cmd: list[str], env: dict, settle: float, timeout: float = 30.0):
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


def run(
    sizes: Sequence[tuple[int, int]] = ((1280, 720), (1920, 1080)),
    runs: int = 5,
    settle: float = 5.0,
    configs: Sequence[tuple[str, int | None]] = CONFIGS,
) -> DaemonReport:
    """Start ``sketchd run`` ``runs`` times per size and (preset, OpenCV threads) in a private
    home and measure start-up (from the moment the process is spawned), steady CPU and memory.
    The configurations take turns, so a busy machine slows them alike. Linux only (/proc)."""
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
            )
            results: dict[tuple[str, int | None], list[tuple]] = {c: [] for c in configs}
            for _ in range(runs):
                for preset, threads in configs:
                    cmd = [sys.executable, "-m", "sketchd", "run", "--no-tray"]
                    cmd += ["--config", str(cfg), "--output", "null", "--preset", preset]
                    run_env = dict(env)
                    if threads:
                        run_env["OPENCV_FOR_THREADS_NUM"] = str(threads)
                    results[preset, threads].append(start_once(cmd, run_env, settle))
            for (preset, threads), got in results.items():
                first, live, cpu, rss, ms, _ = (
                    statistics.median(col) for col in zip(*got, strict=True)
                )
                worst = max(r[5] for r in got)
                report.rows.append(
                    DaemonRow(f"{w}x{h}", first, live, cpu, rss, ms, worst, runs, preset, threads)
                )
    return report

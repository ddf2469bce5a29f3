"""What the settings window's preview costs the daemon: its CPU at 720p with the window's
preview closed, open, and closed again.

A `sketchd run --camera demo --output null --no-tray --always-on` (1280x720 at 30 fps, the
pencil preset) in a private home; "open" is the window's own Poller asking for 480 px panels
~15 times a second, as the settings window does. CPU is the daemon's user + system time from
/proc over each period, as % of one core. Linux only. Run: python scripts/preview_cost.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sketchd import control
from sketchd.settings.frames import Poller
from sketchd.settings.view import PREVIEW_MAX

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def measure(pid: int, seconds: float) -> float:
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="each period (default 15)")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sketchd-preview-cost-"))
    run = home / "run"
    run.mkdir(mode=0o700)
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), XDG_RUNTIME_DIR=str(run))  # fmt: skip
    sock = run / "sketchd" / control.SOCKET_NAME
    argv = [sys.executable, "-m", "sketchd", "run", "--camera", "demo", "--output", "null"]
    daemon = subprocess.Popen([*argv, "--no-tray", "--always-on"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if control.request("status", path=sock)["camera"] == "live":
                    break
            except control.NotRunning:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the daemon did not go live within 30 s")
            time.sleep(0.2)
        time.sleep(3.0)  # settled
        closed = measure(daemon.pid, args.seconds)
        poller = Poller(lambda: control.request("preview", width=PREVIEW_MAX, path=sock)).start()
        time.sleep(1.0)
        served0 = control.request("status", path=sock)["published"]
        opened = measure(daemon.pid, args.seconds)
        served = control.request("status", path=sock)["published"] - served0
        poller.stop()
        time.sleep(1.0)
        again = measure(daemon.pid, args.seconds)
        fps = control.request("status", path=sock)["fps"]
    finally:
        daemon.send_signal(signal.SIGINT)
        daemon.wait(10)
    print("sketchd daemon at 1280x720, 30 fps, pencil preset, demo camera, null output")
    print(f"  preview closed:          {closed:5.1f} % of one core")
    print(f"  preview open (2x{PREVIEW_MAX} px JPEG, ~15/s): {opened:5.1f} % of one core")
    print(f"  preview closed again:    {again:5.1f} % of one core")
    print(f"  the window's cost:       {opened - (closed + again) / 2:+5.1f} points")
    print(f"  frames published while open: {served} ({fps:g} fps at the end)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

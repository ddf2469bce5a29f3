"""sketchd runs fully local: no network socket, and no frame on disk except a snapshot.

Checked through /proc on a real `sketchd run` process (demo camera, no virtual camera), until
its first live frame is out; and for the publish loop, on a Publisher in this process driven
tick by tick for many frames on a hand-driven clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sketchd.presets import settings_for
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource
from tests.helpers.clock import Clock
from tests.helpers.pipeline import CONFIG, publisher
from tests.helpers.process import DaemonOutput

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc (Linux)")

INET_TABLES = ("tcp", "tcp6", "udp", "udp6", "raw", "raw6")


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def inet_inodes(pid: int) -> set[str]:
    """Inodes of the IPv4/IPv6 sockets in the process's network namespace."""
    found = set()
    for table in INET_TABLES:
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 9:
                found.add(fields[9])
    return found


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() or p.is_socket())


def test_the_check_sees_a_real_network_socket():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert socket_inodes(os.getpid()) & inet_inodes(os.getpid())


def test_a_running_daemon_opens_no_network_socket_and_writes_no_frames(tmp_path):
    home = tmp_path / "home"
    run = tmp_path / "run"
    scratch = tmp_path / "tmp"
    for d in (home, run, scratch):
        d.mkdir(mode=0o700)
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(run),
        TMPDIR=str(scratch),
    )
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sketchd",
            "run",
            "--no-tray",
            "--camera",
            "demo",
            "--output",
            "null",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    out = DaemonOutput(proc.stdout)
    try:
        # everything up (control channel, config watcher) and the demo camera's picture out
        out.wait_for("camera: demo", "running: preset", "output: first live frame out")
        sockets = socket_inodes(proc.pid)
        network = sockets & inet_inodes(proc.pid)
        assert not network, f"sketchd holds network sockets: {sorted(network)}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        out.join()
    assert proc.returncode == 0, out.text

    written = [p for root in (home, run, scratch) for p in files_under(root)]
    images = [p for p in written if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".raw", ".yuv"}]
    assert not images, f"frames written to disk without a snapshot: {images}"
    # what may be there: the log file, the state file, the control socket
    unexpected = [p for p in written if p.suffix not in {".log", ".json", ".sock", ".pid", ""}]
    assert not unexpected, unexpected
    assert sum(p.stat().st_size for p in written if p.is_file()) < 1_000_000


def test_publishing_opens_no_network_socket_and_writes_no_file(home, tmp_path, monkeypatch):
    """The publish loop with the demo camera: every preset, plain, in bypass and in privacy
    mode, six frames each, on a hand-driven clock (6 s of frames by it)."""
    cwd, scratch = tmp_path / "cwd", tmp_path / "tmp"
    for d in (cwd, scratch):
        d.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    pid = os.getpid()
    before = socket_inodes(pid) & inet_inodes(pid)
    clock = Clock()
    camera = DemoSource(320, 180, 30, clock=clock, sleep=lambda _s: None)
    camera.open()
    sink = RecordingSink(keep=1)
    p = publisher(clock=clock, sinks=[sink])
    ticks = 0
    for preset in CONFIG.presets:
        for toggles in ({}, {"bypass": True}, {"privacy": True}):
            p.set_settings(settings_for(CONFIG, preset, **toggles))
            for _ in range(6):
                p.mailbox.put(camera.read())
                p.tick()
                clock.t += 1 / 30
                ticks += 1
    assert sink.count == ticks and p.stats.camera == "live"  # every frame went out
    camera.close()
    opened = (socket_inodes(pid) & inet_inodes(pid)) - before
    assert not opened, f"publishing opened network sockets: {sorted(opened)}"
    written = [f for root in (home, cwd, scratch) for f in files_under(root)]
    assert not written, f"publishing wrote files: {written}"

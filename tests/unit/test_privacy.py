"""sketchd runs fully local: no network socket, and no frame on disk except a snapshot.

Checked on a real `sketchd run` process (demo camera, no virtual camera) through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    log = (tmp_path / "out.log").open("w")
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
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        end = time.monotonic() + 60
        text = ""
        while "camera: demo" not in text and time.monotonic() < end:
            assert proc.poll() is None, (tmp_path / "out.log").read_text()
            time.sleep(0.2)
            text = (tmp_path / "out.log").read_text()
        assert "camera: demo" in text, text
        time.sleep(2)  # frames flow for a while
        sockets = socket_inodes(proc.pid)
        network = sockets & inet_inodes(proc.pid)
        assert not network, f"sketchd holds network sockets: {sorted(network)}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        log.close()
    assert proc.returncode == 0, (tmp_path / "out.log").read_text()

    written = [p for root in (home, run, scratch) for p in files_under(root)]
    images = [p for p in written if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".raw", ".yuv"}]
    assert not images, f"frames written to disk without a snapshot: {images}"
    # what may be there: the log file, the state file, the control socket
    unexpected = [p for p in written if p.suffix not in {".log", ".json", ".sock", ".pid", ""}]
    assert not unexpected, unexpected
    assert sum(p.stat().st_size for p in written if p.is_file()) < 1_000_000

"""A real PipeWire session for tests, started as a desktop login starts it: a D-Bus session
bus, ``pipewire``, then ``wireplumber`` (the session manager that links apps to cameras), all
in a private runtime folder, so nothing touches a real session. And a real PipeWire camera app:
GStreamer's ``pipewiresrc``, reading a node's frames as I420.

Used on the host (tests/pipewire) and inside the v4l2vm guest (tests/device).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.helpers.process import end
from tests.helpers.readers import I420Reader

WIREPLUMBER_NO_BLUEZ = "bluez_monitor.enabled = false\n"  # it quits at once without logind
UDEVD = "/lib/systemd/systemd-udevd"


def missing_tools() -> list[str]:
    return [t for t in ("dbus-daemon", "pipewire", "wireplumber", "pw-dump", "pw-cli",
                        "gst-launch-1.0")
            if shutil.which(t) is None]  # fmt: skip


class Session:
    """``start()`` brings PipeWire and WirePlumber up and waits until WirePlumber is there;
    ``env`` is what every client (sketchd, the camera app) runs with; ``stop()`` ends them.

    ``udev``: start udevd first and have it announce every device, as at boot (the v4l2vm
    guest has no init system; PipeWire's V4L2 monitor learns of devices from udev only).
    ``parent``: where the private folder goes; its sockets need a tmpfs inside the guest.
    ``timings``: seconds from ``start()`` to each step."""

    def __init__(
        self, parent: Path | None = None, ready_timeout: float = 120.0, udev: bool = False
    ):
        self.base = Path(tempfile.mkdtemp(prefix="sketchd-pw-", dir=parent))
        self.udev = udev
        self.timings: dict[str, float] = {}
        self.run_dir = self.base / "run"
        self.ready_timeout = ready_timeout
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self.env: dict[str, str] = {}
        self.ready_after = 0.0

    def start(self) -> Session:
        self.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        conf = self.base / "config" / "wireplumber" / "bluetooth.lua.d"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "60-no-bluez.lua").write_text(WIREPLUMBER_NO_BLUEZ)
        bus = self.run_dir / "bus"
        self.env = dict(
            os.environ,
            XDG_RUNTIME_DIR=str(self.run_dir),
            XDG_CONFIG_HOME=str(self.base / "config"),
            XDG_STATE_HOME=str(self.base / "state"),
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={bus}",
            PIPEWIRE_RUNTIME_DIR=str(self.run_dir),
        )
        self.env.pop("PIPEWIRE_REMOTE", None)
        t0 = time.monotonic()
        if self.udev:
            self._start_udev()
            self.timings["udev"] = round(time.monotonic() - t0, 1)
        self._spawn("dbus", ["dbus-daemon", "--session", "--nofork", f"--address=unix:path={bus}"])
        self._wait(lambda: bus.exists(), "the D-Bus session bus", 20)
        self._spawn("pipewire", ["pipewire"])
        self._wait(lambda: (self.run_dir / "pipewire-0").is_socket(), "PipeWire's socket", 30)
        self._spawn("wireplumber", ["wireplumber"])
        self._wait(self._wireplumber_ready, "WirePlumber", self.ready_timeout)
        self.ready_after = time.monotonic() - t0
        self.timings["wireplumber"] = round(self.ready_after, 1)
        return self

    def _start_udev(self) -> None:
        self.env["SYSTEMD_IGNORE_CHROOT"] = "1"  # else udevadm ignores requests in the guest
        if not self._udev_alive():
            self._spawn("udevd", [UDEVD])  # in the foreground without --daemon
            self._wait(self._udev_alive, "udevd", 60)
        subprocess.run(["udevadm", "trigger", "--action=add"], env=self.env, check=False)
        subprocess.run(["udevadm", "settle", "--timeout=120"], env=self.env, check=False)

    def _udev_alive(self) -> bool:
        ping = ["udevadm", "control", "--ping", "--timeout=5"]
        return subprocess.run(ping, env=self.env, capture_output=True).returncode == 0

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = (self.base / f"{name}.log").open("a")
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(
            cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait(self, ready, what: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while not ready():
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead or time.monotonic() > end:
                why = f"{', '.join(dead)} exited" if dead else f"not within {timeout:g} s"
                raise AssertionError(f"{what} did not come up ({why})\n{self.logs()}")
            time.sleep(0.1)

    def _wireplumber_ready(self) -> bool:
        """WirePlumber is connected and has run its configuration: its client and the
        "default" metadata it makes are listed (pw-dump 0.3.65 leaves that metadata out)."""
        done = subprocess.run(["pw-cli", "ls"], env=self.env, capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)  # fmt: skip
        out = done.stdout
        return 'application.name = "WirePlumber"' in out and 'metadata.name = "default"' in out

    def dump(self) -> list[dict]:
        done = subprocess.run(["pw-dump", "--no-colors"], env=self.env, capture_output=True,
                              timeout=30, stdin=subprocess.DEVNULL)  # fmt: skip
        try:
            return json.loads(done.stdout or b"[]") if done.returncode == 0 else []
        except ValueError:
            return []

    def cameras(self) -> list[dict]:
        """The Video/Source nodes: id and the properties apps see."""
        return [
            {"id": o["id"], **(o.get("info") or {}).get("props", {})}
            for o in self.dump()
            if str(o.get("type", "")).endswith(":Node")
            and (o.get("info") or {}).get("props", {}).get("media.class") == "Video/Source"
        ]

    def wait_camera(self, match, timeout: float, gone: bool = False) -> dict | None:
        """The first camera node ``match(props)`` accepts (or, with ``gone``, None once there
        is none); AssertionError after ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            found = [c for c in self.cameras() if match(c)]
            if gone and not found:
                return None
            if found and not gone:
                return found[0]
            assert time.monotonic() < end, (
                f"camera node {'still listed' if gone else 'not listed'} after {timeout:g} s: "
                f"{self.cameras()}"
            )
            time.sleep(0.2)

    def restart_pipewire(self) -> None:
        """PipeWire and WirePlumber stopped and started again (an update, a crash)."""
        for name in ("wireplumber", "pipewire"):
            end(self.procs.pop(name))
        self._spawn("pipewire", ["pipewire"])
        self._wait(lambda: (self.run_dir / "pipewire-0").is_socket(), "PipeWire's socket", 30)
        self._spawn("wireplumber", ["wireplumber"])
        self._wait(self._wireplumber_ready, "WirePlumber", self.ready_timeout)

    def logs(self) -> str:
        out = []
        for name in self.procs:
            path = self.base / f"{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-15:]
                out.append(f"--- {name} ---\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self) -> None:
        for name in ("wireplumber", "pipewire", "dbus", "udevd"):
            if name in self.procs:
                end(self.procs.pop(name))
        for log in self._logs:
            log.close()
        shutil.rmtree(self.base, ignore_errors=True)


class Consumer(I420Reader):
    """A PipeWire camera app: ``pipewiresrc`` linked to node ``target`` (its id or node.name)
    by WirePlumber, frames as I420 at ``width`` x ``height``, Y planes kept as they arrive."""

    def __init__(self, env: dict[str, str], target: str | int, width: int, height: int):
        prop = f"path={target}" if isinstance(target, int) else f"target-object={target}"
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._said = ""
        cmd = [
            "gst-launch-1.0", "-q", "pipewiresrc", prop, "!", "videoconvert", "!",
            f"video/x-raw,format=I420,width={width},height={height}", "!", "fdsink", "fd=1",
        ]  # fmt: skip
        super().__init__(cmd, width, height, stderr=self._err, env=env)

    def stop(self) -> str:
        """Ends the app; returns what it printed on stderr (for failure messages)."""
        if self._err.closed:
            return self._said
        self.end()
        self._err.seek(0)
        self._said = self._err.read().decode(errors="replace")
        self._err.close()
        return self._said

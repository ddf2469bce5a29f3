"""PipeWire, as sketchd meets it on a Linux desktop: is it running, which cameras does it list,
and the udev nudge that makes it look at Sketch Camera again.

Apps that find cameras only through PipeWire (Flatpak apps, Firefox on Fedora 41+, OBS's
PipeWire source, GNOME Snapshot, Chromium with WebRtcPipeWireCamera) see a v4l2loopback device
only once PipeWire's V4L2 monitor has found it capable of capture, which it checks when udev
announces the device; sketchd's own node (sinks/pipewire.py) needs no kernel module at all.

Everything here reads files or runs PipeWire's own tools with a timeout; nothing raises.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

NODE_NAME = "sketchd"  # node.name of sketchd's own camera node
# What a node must carry for WirePlumber to hand it to sandboxed (portal) apps as a camera
VIDEO_SOURCE, CAMERA_ROLE = "Video/Source", "Camera"
# Debian's package names for what the PipeWire camera needs
GST_PACKAGES = "gstreamer1.0-pipewire gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0"
# PipeWire's V4L2 source takes buffers from a v4l2loopback device only from this release on
# (before it, it asks for 4+ buffers and stops at one the driver marks queued; see the README)
READS_LOOPBACK_FROM = (1, 1, 81)


@dataclass(frozen=True)
class Node:
    """A camera as PipeWire lists it (a Video/Source node)."""

    id: int
    name: str  # node.name
    description: str  # node.description: what apps show
    role: str  # media.role ("Camera" for what portals hand out)
    device: str  # api.v4l2.path for a V4L2 device's node, "" for an app's own node
    pid: int | None  # application.process.id for an app's node

    @property
    def portal_visible(self) -> bool:
        return self.role == CAMERA_ROLE


def socket_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Where this user's PipeWire listens, or None without a runtime directory."""
    env = os.environ if env is None else env
    base = env.get("PIPEWIRE_RUNTIME_DIR") or env.get("XDG_RUNTIME_DIR")
    if not base:
        return None
    return Path(base) / (env.get("PIPEWIRE_REMOTE") or "pipewire-0")


def running(env: Mapping[str, str] | None = None) -> bool:
    """Whether this user's PipeWire is up (its socket exists)."""
    path = socket_path(env)
    return path is not None and path.is_socket()


def dump(timeout: float = 5.0, env: Mapping[str, str] | None = None) -> list[dict] | None:
    """PipeWire's objects as `pw-dump` prints them, or None (no pw-dump, PipeWire down)."""
    try:
        done = subprocess.run(
            ["pw-dump", "--no-colors"],
            capture_output=True,
            timeout=timeout,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        objects = json.loads(done.stdout or b"[]")
    except ValueError:
        return None
    return objects if isinstance(objects, list) else None


def video_sources(objects: list[dict]) -> list[Node]:
    """The Video/Source nodes among ``objects`` (pw-dump's), in id order."""
    found = []
    for o in objects:
        info = o.get("info") or {}
        props = info.get("props") or {}
        if not str(o.get("type", "")).endswith(":Node") or props.get("media.class") != VIDEO_SOURCE:
            continue
        pid = props.get("application.process.id")
        found.append(
            Node(
                id=int(o.get("id") or -1),
                name=str(props.get("node.name", "")),
                description=str(props.get("node.description") or props.get("node.nick") or ""),
                role=str(props.get("media.role", "")),
                device=str(props.get("api.v4l2.path", "")),
                pid=int(str(pid)) if str(pid).isdigit() else None,
            )
        )
    return sorted(found, key=lambda n: n.id)


def server_version(objects: list[dict]) -> tuple[int, ...] | None:
    """The PipeWire daemon's version (pw-dump's Core object), e.g. (0, 3, 65)."""
    for o in objects:
        if str(o.get("type", "")).endswith(":Core"):
            text = str((o.get("info") or {}).get("version", ""))
            parts = text.split(".")
            if parts and all(p.isdigit() for p in parts):
                return tuple(int(p) for p in parts)
    return None


def reads_loopback(version: tuple[int, ...] | None) -> bool:
    """Whether this PipeWire can take frames from a v4l2loopback device at all."""
    return version is not None and version >= READS_LOOPBACK_FROM


SYSFS = Path("/sys/class/video4linux")


def uevent_file(device: str, sysfs: Path = SYSFS) -> Path:
    return sysfs / Path(device).name / "uevent"


def rescan(device: str, action: str = "change", sysfs: Path = SYSFS) -> str:
    """Ask udev to announce ``device`` again (``action``: change, add, remove), so PipeWire's
    V4L2 monitor looks at it again. Returns "" when done, else why not (the udev rule that
    lets the user's session do it is not installed, or no such device)."""
    path = uevent_file(device, sysfs)
    try:
        path.write_text(action + "\n")
    except PermissionError:
        return f"{path} is not writable for this user (the udev rule 70-sketchd.rules is missing)"
    except OSError as e:
        return f"{path}: {e.strerror or e}"
    return ""


def gst_missing() -> str:
    """What the PipeWire camera lacks to run here ("" when nothing): PyGObject, GStreamer's
    introspection data, or its PipeWire plugin, with the packages that bring them."""
    try:
        import gi

        gi.require_version("Gst", "1.0")
        gi.require_version("GstVideo", "1.0")
        from gi.repository import Gst, GstVideo  # noqa: F401 (GstVideo: its data is needed)
    except (ImportError, ValueError) as e:
        return f"GStreamer for Python is missing ({e}): sudo apt install python3-gi {GST_PACKAGES}"
    if not Gst.is_initialized():
        Gst.init(None)
    for element, package in (
        ("appsrc", "gstreamer1.0-plugins-base"),
        ("pipewiresink", "gstreamer1.0-pipewire"),
    ):
        if Gst.ElementFactory.find(element) is None:
            return f"GStreamer's {element} is missing: sudo apt install {package}"
    return ""


def announce(device: str, objects: list[dict] | None = None, sysfs: Path = SYSFS) -> str:
    """Make PipeWire look at loopback ``device`` again (it streams now, or just stopped): udev
    announces it as removed, then added (PipeWire 1.2+ re-reads a device only then; 0.3.x also
    on "change"). Returns what to log: "" when PipeWire is not running here.

    Not done for a PipeWire that cannot read v4l2loopback devices: it would list a camera
    whose picture no app gets; sketchd's own node serves PipeWire apps there."""
    if not running():
        return ""
    version = server_version(dump() or [] if objects is None else objects)
    if not reads_loopback(version):
        shown = ".".join(map(str, version)) if version else "of unknown version"
        return (
            f"PipeWire {shown} cannot read a v4l2loopback device, so apps that find cameras "
            "through PipeWire do not see this one; output.device: [auto, pipewire] publishes "
            "sketchd's own PipeWire camera for them"
        )
    for action in ("remove", "add"):
        why = rescan(device, action, sysfs)
        if why:
            return f"PipeWire will not see {device} change: {why}"
    return f"PipeWire told that {device} changed (udev remove + add)"


def links_to(objects: list[dict], node_name: str) -> int | None:
    """How many links go out of the node named ``node_name`` (apps reading it), or None
    when there is no such node."""
    ids = {
        o.get("id")
        for o in objects
        if str(o.get("type", "")).endswith(":Node")
        and ((o.get("info") or {}).get("props") or {}).get("node.name") == node_name
    }
    if not ids:
        return None
    return sum(
        1
        for o in objects
        if str(o.get("type", "")).endswith(":Link")
        and (o.get("info") or {}).get("output-node-id") in ids
        and (o.get("info") or {}).get("state") not in ("error", "unlinked")
    )


class Links:
    """How many apps read sketchd's node, asked of PipeWire (pw-dump) every ``every`` seconds
    by a thread of its own, so the publish loop never waits for it. ``count()`` is None until
    PipeWire answered (then on-demand capture keeps the camera on). One pw-dump costs about
    6 ms of CPU here: every 2 s that is 0.3 % of a core, and a call's camera opens within 2 s."""

    def __init__(self, node_name: str = NODE_NAME, every: float = 2.0, ask=dump):
        self._name, self._every, self._ask = node_name, every, ask
        self._count: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sketchd-pw-links", daemon=True)

    def start(self) -> Links:
        self._thread.start()
        return self

    def poll_once(self) -> None:
        objects = self._ask()
        n = None if objects is None else links_to(objects, self._name)
        with self._lock:
            self._count = n

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self._every)

    def count(self) -> int | None:
        with self._lock:
            return self._count

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

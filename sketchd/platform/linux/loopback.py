"""v4l2loopback as sketchd needs it: which release is loaded, the commands that make (or make
again) a device on that release, and whether a device is free, busy or stuck, with the programs
holding it open.

Releases differ in how devices are made. Before 0.13 only module options make them, so a change
means reloading the module (every program must close its virtual cameras first); 0.13 added
``/dev/v4l2loopback`` and ``v4l2loopback-ctl add``/``delete`` (the same syntax in 0.13.x and
0.15.x: ``add -n NAME -x 1 /dev/videoN``), which make and remove one device at run time. 0.13
is also the first release with ``/sys/module/v4l2loopback/version``: without it, it is 0.12 or
older (QUERYCAP's version field is the kernel's, not the module's, so it cannot tell).

Every root (sysfs, /proc) and the QUERYCAP call are parameters, so tests run on a fake tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sketchd.platform import CARD_LABEL
from sketchd.platform.linux import v4l2 as linux_v4l2
from sketchd.platform.linux.v4l2 import (
    CAP_VIDEO_CAPTURE,
    CAP_VIDEO_OUTPUT,
    MODPROBE,
    RELOAD,
    SYS_CLASS,
    SYS_MODULE,
)

PROC = Path("/proc")
SECOND_LABEL = f"{CARD_LABEL} 2"
# (number, label) of sketchd's devices, as linux_v4l2.MODPROBE_OPTIONS makes them
SKETCH_DEVICES: tuple[tuple[int, str], ...] = ((10, CARD_LABEL), (12, SECOND_LABEL))
# why a second device: one loopback device serves one call app reliably
SECOND_WHY = (
    "needed only for two call apps at once: one device serves one call app (on 0.12, when one "
    "of two readers of a device stops, the other's stream ends)"
)

Query = Callable[[str], tuple[str, str, int] | None]  # linux_v4l2.querycap's shape
State = Literal["free", "busy", "stuck", "unknown"]


# ---------------------------------------------------------------- release


def parse_version(text: str) -> tuple[int, int, int] | None:
    """ "0.13.2" -> (0, 13, 2); "0.15.0-1-gabc" (a snapshot) -> (0, 15, 0); None if no number."""
    m = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@dataclass(frozen=True)
class Release:
    """The loaded v4l2loopback release. ``text`` is the kernel's
    /sys/module/v4l2loopback/version, "" when the module has none (0.12 and older)."""

    text: str

    @property
    def version(self) -> tuple[int, int, int] | None:
        return parse_version(self.text)

    @property
    def dynamic(self) -> bool:
        """Whether devices are added and deleted at run time (v4l2loopback-ctl, 0.13+)."""
        v = self.version
        return v >= (0, 13, 0) if v else bool(self.text)

    def __str__(self) -> str:
        return self.text or "0.12 or older"


def loaded_release(sys_module: Path = SYS_MODULE) -> Release | None:
    """The release of the loaded module; None when v4l2loopback is not loaded."""
    if not sys_module.is_dir():
        return None
    return Release(_read(sys_module / "version"))


# ---------------------------------------------------------------- commands that fix


def _dq(text: str) -> str:
    """A shell word in double quotes, as the docs write labels ("Sketch Camera")."""
    return '"' + re.sub(r'(["\\$`])', r"\\\1", text) + '"'


def ctl_add(number: int, label: str) -> str:
    return f"sudo v4l2loopback-ctl add -n {_dq(label)} -x 1 /dev/video{number}"


def ctl_delete(path: str) -> str:
    return f"sudo v4l2loopback-ctl delete {path}"


def number_of(path: str) -> int | None:
    m = re.search(r"/video(\d+)$", path)
    return int(m.group(1)) if m else None


def free_number(taken: Collection[int], wanted: int) -> int:
    """``wanted`` when no /dev/videoN has it, else the next number after it that is free."""
    n = wanted
    while n in taken:
        n += 1
    return n


def make_fix(release: Release | None, number: int = 10, label: str = CARD_LABEL) -> str:
    """The command that makes a device ``label`` at /dev/video{number}: on 0.13+ one
    ``v4l2loopback-ctl add`` (no reload); before, loading the module with sketchd's options
    (reloading it when it is loaded); when it is not loaded, loading it."""
    if release is None:
        return MODPROBE
    return ctl_add(number, label) if release.dynamic else RELOAD


def remake_fix(release: Release | None, path: str, label: str = CARD_LABEL) -> str:
    """The commands that make the device at ``path`` anew (labelled ``label``, exclusive_caps
    on): delete and add it on 0.13+, reload the module before."""
    number = number_of(path)
    if release is None or not release.dynamic or number is None:
        return make_fix(release)
    return f"{ctl_delete(path)} && {ctl_add(number, label)}"


def second_device_fix(release: Release | None, taken: Collection[int]) -> str:
    """How to make "Sketch Camera 2" (sketchd's options make both devices in one go)."""
    return make_fix(release, free_number(taken, SKETCH_DEVICES[1][0]), SECOND_LABEL)


# ---------------------------------------------------------------- who holds a device


@dataclass(frozen=True)
class Holder:
    """A process with a device open."""

    pid: int
    comm: str  # /proc/PID/comm, e.g. "ffmpeg", "obs", "chrome"
    argv: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.comm or '?'} (pid {self.pid})"


def holders_of(
    paths: Collection[str], *, proc: Path = PROC, self_pid: int | None = None
) -> dict[str, tuple[Holder, ...]]:
    """Which processes hold each of ``paths`` open, from the /proc/PID/fd links, in pid order.
    Sees the processes this user may inspect (all of them as root); never this process."""
    me = os.getpid() if self_pid is None else self_pid
    wanted = {p: p for p in paths} | {os.path.realpath(p): p for p in paths}
    found: dict[str, list[Holder]] = {p: [] for p in paths}
    try:
        pids = sorted(int(e.name) for e in proc.iterdir() if e.name.isdigit())
    except OSError:
        pids = []
    for pid in pids:
        if pid == me:
            continue
        try:
            fds = list((proc / str(pid) / "fd").iterdir())
        except OSError:  # gone, or another user's
            continue
        hit = set()
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in wanted:
                hit.add(wanted[target])
        if hit:
            holder = Holder(pid, _read(proc / str(pid) / "comm"), _argv(proc / str(pid)))
            for p in hit:
                found[p].append(holder)
    return {p: tuple(h) for p, h in found.items()}


def _argv(proc_pid: Path) -> tuple[str, ...]:
    try:
        raw = (proc_pid / "cmdline").read_bytes()
    except OSError:
        return ()
    return tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)


def loopback_paths(sys_class: Path = SYS_CLASS, dev_dir: str = "/dev") -> list[str]:
    """The /dev/videoN of every v4l2loopback device (they expose max_openers in sysfs)."""
    try:
        entries = list(sys_class.iterdir())
    except OSError:
        return []
    numbers = sorted(
        int(e.name[5:])
        for e in entries
        if re.fullmatch(r"video\d+", e.name) and (e / "max_openers").exists()
    )
    return [f"{dev_dir}/video{n}" for n in numbers]


# ---------------------------------------------------------------- free, busy, stuck


@dataclass(frozen=True)
class LoopbackState:
    """What a loopback device can do now.

    free: it advertises OUTPUT, a producer can start. busy: CAPTURE only while programs hold
    it: one of them publishes (the others read). stuck: it advertises neither, or CAPTURE only
    while no program holds it: no producer can set a format (S_FMT fails with EINVAL) until the
    device is made again; v4l2loopback 0.12 leaves a device so once a producer that used only
    write() has closed it (exclusive_caps=1; upstream issues #442, #470). unknown: it could not
    be opened for VIDIOC_QUERYCAP.
    """

    path: str
    state: State
    holders: tuple[Holder, ...] = ()
    caps: int | None = None  # QUERYCAP device caps
    format: str = ""  # what its producer set, from sysfs, e.g. "YU12:640x360@30"


def classify(caps: int | None, holders: Collection[Holder]) -> State:
    if caps is None:
        return "unknown"
    if caps & CAP_VIDEO_OUTPUT:
        return "free"
    if caps & CAP_VIDEO_CAPTURE and holders:
        return "busy"
    return "stuck"


def loopback_state(
    path: str,
    *,
    sys_class: Path = SYS_CLASS,
    proc: Path = PROC,
    query: Query | None = None,
    self_pid: int | None = None,
) -> LoopbackState:
    """Classify the loopback device at ``path`` from VIDIOC_QUERYCAP (``query``, by default
    linux_v4l2.querycap) and the processes holding it open (``proc``)."""
    cap = (query or linux_v4l2.querycap)(path)
    caps = cap[2] if cap else None
    held = holders_of([path], proc=proc, self_pid=self_pid)[path]
    fmt = _read(sys_class / Path(path).name / "format")
    return LoopbackState(path, classify(caps, held), held, caps, fmt)


def stuck_why(release: Release | None) -> str:
    if release is not None and release.dynamic:
        return "it offers no output side, yet nothing publishes to it: its last producer left it so"
    return (
        "another program published to it with write() only and closed it, and v4l2loopback "
        "0.12 never gives such a device its output side back (a v4l2loopback 0.12 bug, "
        "upstream issues #442 and #470; 0.13 and later do not have it)"
    )


def stuck_fix(
    state: LoopbackState,
    release: Release | None,
    label: str,
    others: Mapping[str, Collection[Holder]] | None = None,
) -> str:
    """Close the programs that hold the device (on 0.12 those holding any loopback device,
    ``others``: the module reload needs them all closed), then make the device again."""
    busy = {state.path: list(state.holders)}
    if not (release is not None and release.dynamic):
        busy |= {p: list(h) for p, h in (others or {}).items() if h and p != state.path}
    listed = "; ".join(f"{', '.join(map(str, h))} on {p}" for p, h in busy.items() if h)
    fix = remake_fix(release, state.path, label)
    return f"close {listed}, then: {fix}" if listed else fix


def describe(
    state: LoopbackState,
    release: Release | None,
    label: str = CARD_LABEL,
    others: Mapping[str, Collection[Holder]] | None = None,
) -> str | None:
    """One line for a user when ``state`` keeps sketchd from publishing (stuck, or busy with
    another producer), with why and the fix; None when the device is free or cannot be told."""
    where = f"{state.path} {_dq(label)}"
    if state.state == "stuck":
        fix = stuck_fix(state, release, label, others)
        return f"{where} is stuck: {stuck_why(release)}. Fix: {fix}"
    if state.state == "busy":
        held = ", ".join(map(str, state.holders))
        other = CARD_LABEL if label == SECOND_LABEL else SECOND_LABEL
        return (
            f"{where} is in use: another program publishes to it (open in {held}). "
            f'Fix: close that program, or publish to another device ("{other}")'
        )
    return None


def stuck_message(
    path: str,
    *,
    sys_module: Path = SYS_MODULE,
    sys_class: Path = SYS_CLASS,
    proc: Path = PROC,
    query: Query | None = None,
    dev_dir: str = "/dev",
) -> str | None:
    """The one-line explanation with the fix when the loopback device at ``path`` is stuck,
    else None. For the output sink when opening ``path`` fails (`sketchd run`, the tray)."""
    return _message(path, ("stuck",), sys_module, sys_class, proc, query, dev_dir)


def open_failure_message(
    path: str,
    *,
    sys_module: Path = SYS_MODULE,
    sys_class: Path = SYS_CLASS,
    proc: Path = PROC,
    query: Query | None = None,
    dev_dir: str = "/dev",
) -> str | None:
    """Like stuck_message, and also when another program publishes to ``path`` (busy)."""
    return _message(path, ("stuck", "busy"), sys_module, sys_class, proc, query, dev_dir)


def _message(
    path: str,
    states: tuple[State, ...],
    sys_module: Path,
    sys_class: Path,
    proc: Path,
    query: Query | None,
    dev_dir: str,
) -> str | None:
    state = loopback_state(path, sys_class=sys_class, proc=proc, query=query)
    if state.state not in states:
        return None
    release = loaded_release(sys_module)
    label = _read(sys_class / Path(path).name / "name") or CARD_LABEL
    others = holders_of(loopback_paths(sys_class, dev_dir), proc=proc)
    return describe(state, release, label, others)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""

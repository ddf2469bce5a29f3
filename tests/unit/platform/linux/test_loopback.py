"""platform/linux/loopback on fake sysfs and /proc trees: the release, the commands per release,
free/busy/stuck, and who holds a device; one test reads this machine's real /proc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sketchd.platform.linux import loopback as loop
from sketchd.platform.linux import v4l2 as linux_v4l2
from sketchd.platform.linux.loopback import Holder, LoopbackState, Release
from sketchd.platform.linux.v4l2 import CAP_VIDEO_CAPTURE, CAP_VIDEO_OUTPUT

RELOAD_TWO = (
    "sudo modprobe -r v4l2loopback && sudo modprobe v4l2loopback devices=2 video_nr=10,12 "
    'card_label="Sketch Camera,Sketch Camera 2" exclusive_caps=1,1'
)
ADD = 'sudo v4l2loopback-ctl add -n "Sketch Camera" -x 1 /dev/video10'
ADD_2 = 'sudo v4l2loopback-ctl add -n "Sketch Camera 2" -x 1 /dev/video12'
STREAMING = 0x04000000  # V4L2_CAP_STREAMING, as real devices add to the caps that matter here


class Tree:
    """/sys/class/video4linux, /sys/module/v4l2loopback, /proc and /dev as plain files."""

    def __init__(self, root: Path):
        self.sys_class = root / "sys" / "class" / "video4linux"
        self.module = root / "sys" / "module" / "v4l2loopback"
        self.proc, self.dev = root / "proc", root / "dev"
        for d in (self.sys_class, self.module / "parameters", self.proc, self.dev):
            d.mkdir(parents=True)
        self.caps: dict[str, int] = {}

    def device(self, nr: int, name: str, caps: int, fmt: str = "") -> str:
        node = self.sys_class / f"video{nr}"
        node.mkdir()
        (node / "name").write_text(name + "\n")
        (node / "max_openers").write_text("10\n")
        (node / "format").write_text(fmt and fmt + "\n")
        path = str(self.dev / f"video{nr}")
        Path(path).write_text("")
        self.caps[path] = caps
        return path

    def process(self, pid: int, comm: str, *files: str, argv: tuple[str, ...] = ()) -> None:
        (self.proc / str(pid) / "fd").mkdir(parents=True)
        (self.proc / str(pid) / "comm").write_text(comm + "\n")
        (self.proc / str(pid) / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))
        for i, f in enumerate(files):
            (self.proc / str(pid) / "fd" / str(i)).symlink_to(f)

    def query(self, path: str) -> tuple[str, str, int] | None:
        return ("v4l2 loopback", "", self.caps[path]) if path in self.caps else None

    def kw(self) -> dict:
        return {
            "sys_module": self.module,
            "sys_class": self.sys_class,
            "proc": self.proc,
            "query": self.query,
            "dev_dir": str(self.dev),
        }


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path)


# ---------------------------------------------------------------- release


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("0.12.7", (0, 12, 7)),
        ("0.13.2", (0, 13, 2)),
        ("0.15.0", (0, 15, 0)),
        ("0.15.0-3-g77bf1e2", (0, 15, 0)),  # a snapshot build: git describe
        ("v0.13.1\n", (0, 13, 1)),
        ("0.14", (0, 14, 0)),
        ("snapshot", None),
        ("", None),
    ],
)
def test_parse_version(text, version):
    assert loop.parse_version(text) == version


@pytest.mark.parametrize(
    ("text", "dynamic", "shown"),
    [
        ("", False, "0.12 or older"),  # 0.12 has no version file
        ("0.12.7", False, "0.12.7"),
        ("0.13.2", True, "0.13.2"),
        ("0.15.0", True, "0.15.0"),
        ("77bf1e2", True, "77bf1e2"),  # a version file at all means 0.13 or later
    ],
)
def test_release_dynamic_and_shown(text, dynamic, shown):
    r = Release(text)
    assert r.dynamic is dynamic and str(r) == shown


def test_loaded_release_reads_the_version_file(tree, tmp_path):
    assert loop.loaded_release(tmp_path / "not-loaded") is None
    assert loop.loaded_release(tree.module) == Release("")
    (tree.module / "version").write_text("0.13.2\n")
    assert loop.loaded_release(tree.module) == Release("0.13.2")


# ---------------------------------------------------------------- commands


def test_the_modprobe_options_make_both_devices():
    assert linux_v4l2.RELOAD == RELOAD_TWO
    assert linux_v4l2.MODPROBE in linux_v4l2.INSTALL_HINT


@pytest.mark.parametrize("text", ["0.13.2", "0.15.0"])
def test_fixes_on_0_13_and_later_add_at_run_time(text):
    r = Release(text)
    assert loop.make_fix(r) == ADD
    assert loop.second_device_fix(r, {10, 11}) == ADD_2
    assert loop.second_device_fix(r, {10, 12}) == ADD_2.replace("video12", "video13")
    assert (
        loop.remake_fix(r, "/dev/video10") == f"sudo v4l2loopback-ctl delete /dev/video10 && {ADD}"
    )


@pytest.mark.parametrize("release", [Release(""), Release("0.12.7")])
def test_fixes_on_0_12_reload_the_module(release):
    assert loop.make_fix(release) == RELOAD_TWO
    assert loop.second_device_fix(release, {10}) == RELOAD_TWO
    assert loop.remake_fix(release, "/dev/video10") == RELOAD_TWO


def test_fixes_without_the_module_load_it():
    assert loop.make_fix(None) == loop.remake_fix(None, "/dev/video10") == linux_v4l2.MODPROBE


def test_labels_are_quoted_for_the_shell():
    assert loop.ctl_add(3, 'My "cam" $x') == (
        'sudo v4l2loopback-ctl add -n "My \\"cam\\" \\$x" -x 1 /dev/video3'
    )


# ---------------------------------------------------------------- state


@pytest.mark.parametrize(
    ("caps", "held", "state"),
    [
        (CAP_VIDEO_OUTPUT, False, "free"),
        (CAP_VIDEO_OUTPUT | STREAMING, True, "free"),
        (CAP_VIDEO_OUTPUT | CAP_VIDEO_CAPTURE, True, "free"),  # exclusive_caps=0: both, always
        (CAP_VIDEO_CAPTURE | STREAMING, True, "busy"),
        (CAP_VIDEO_CAPTURE, False, "stuck"),  # no producer holds it, yet no output side
        (STREAMING, False, "stuck"),  # the 0.12 state: neither capture nor output
        (0, True, "stuck"),
        (None, False, "unknown"),
    ],
)
def test_classify(caps, held, state):
    holders = (Holder(1, "x"),) if held else ()
    assert loop.classify(caps, holders) == state


def test_holders_of_lists_each_process_once_in_pid_order(tree, tmp_path):
    a = tree.device(10, "Sketch Camera", CAP_VIDEO_CAPTURE)
    b = tree.device(11, "Fake Webcam", CAP_VIDEO_CAPTURE)
    tree.process(900, "chrome", a, a, "/dev/null", argv=("/opt/chrome", "--type=utility"))
    tree.process(42, "obs", a, b)
    tree.process(7, "bash", "/dev/tty1")
    tree.process(55, "sketchd", a)  # this process: never listed
    (tree.proc / "77").mkdir()  # another user's process: no readable fd folder
    (tree.proc / "self").mkdir()
    got = loop.holders_of([a, b], proc=tree.proc, self_pid=55)
    assert got[a] == (Holder(42, "obs"), Holder(900, "chrome", ("/opt/chrome", "--type=utility")))
    assert got[b] == (Holder(42, "obs"),)
    assert str(got[a][0]) == "obs (pid 42)"
    assert loop.holders_of([a], proc=tmp_path / "no-proc") == {a: ()}


def test_holders_of_reads_the_real_proc(tmp_path):
    """A child process holds a file open: /proc shows it with its pid and comm."""
    f = tmp_path / "held"
    f.write_text("")
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; f = open(sys.argv[1]); print(1, flush=True); "
         "time.sleep(60)", str(f)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"1"
        got = loop.holders_of([str(f)])[str(f)]
        assert [h.pid for h in got] == [child.pid]
        assert got[0].comm.startswith("python") and got[0].argv[-1] == str(f)
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


def test_loopback_state_free_busy_stuck(tree):
    free = tree.device(10, "Sketch Camera", CAP_VIDEO_OUTPUT | STREAMING)
    busy = tree.device(11, "Fake Webcam", CAP_VIDEO_CAPTURE | STREAMING, "YUYV:640x480@15")
    stuck = tree.device(12, "Sketch Camera 2", STREAMING)
    tree.process(300, "ffmpeg", busy, stuck)
    kw = {"sys_class": tree.sys_class, "proc": tree.proc, "query": tree.query, "self_pid": 0}
    assert loop.loopback_state(free, **kw) == LoopbackState(
        free, "free", (), CAP_VIDEO_OUTPUT | STREAMING
    )
    got = loop.loopback_state(busy, **kw)
    assert got.state == "busy" and got.holders == (Holder(300, "ffmpeg"),)
    assert got.format == "YUYV:640x480@15"
    got = loop.loopback_state(stuck, **kw)
    assert got.state == "stuck" and got.holders == (Holder(300, "ffmpeg"),)
    assert loop.loopback_state(str(tree.dev / "video9"), **kw).state == "unknown"


def test_loopback_paths_are_the_loopback_nodes_in_number_order(tree):
    tree.device(10, "a", 0)
    tree.device(2, "b", 0)
    (tree.sys_class / "video0").mkdir()  # a webcam: no max_openers
    assert loop.loopback_paths(tree.sys_class, "/dev") == ["/dev/video2", "/dev/video10"]


# ---------------------------------------------------------------- messages


def test_stuck_message_on_0_12_names_every_holder_and_the_reload(tree):
    out = tree.device(10, "Sketch Camera", STREAMING)
    cam = tree.device(11, "Fake Webcam", CAP_VIDEO_CAPTURE, "YUYV:640x480@15")
    tree.process(300, "ffmpeg", cam)
    tree.process(301, "chrome", out)
    msg = loop.stuck_message(out, **tree.kw())
    assert msg is not None and "\n" not in msg
    assert msg.startswith(f'{out} "Sketch Camera" is stuck: another program published to it')
    assert "write()" in msg and "v4l2loopback 0.12 bug" in msg
    # the reload needs every virtual camera closed, so the other device's program is named too
    assert msg.endswith(
        f"Fix: close chrome (pid 301) on {out}; ffmpeg (pid 300) on {cam}, then: {RELOAD_TWO}"
    )
    assert loop.open_failure_message(out, **tree.kw()) == msg


@pytest.mark.parametrize("text", ["0.13.2", "0.15.0"])
def test_stuck_message_on_0_13_and_later_deletes_and_adds(tree, text):
    (tree.module / "version").write_text(text + "\n")
    out = tree.device(10, "Sketch Camera", 0)
    tree.process(300, "ffmpeg", tree.device(11, "Fake Webcam", CAP_VIDEO_CAPTURE))
    msg = loop.stuck_message(out, **tree.kw())
    assert msg is not None and "is stuck" in msg and "ffmpeg" not in msg
    assert msg.endswith(f"Fix: sudo v4l2loopback-ctl delete {out} && {ADD}")


def test_no_message_for_a_free_device_and_busy_only_on_open_failure(tree):
    free = tree.device(10, "Sketch Camera", CAP_VIDEO_OUTPUT)
    busy = tree.device(12, "Sketch Camera 2", CAP_VIDEO_CAPTURE)
    tree.process(4242, "obs", busy)
    assert loop.stuck_message(free, **tree.kw()) is None
    assert loop.open_failure_message(free, **tree.kw()) is None
    assert loop.stuck_message(busy, **tree.kw()) is None
    msg = loop.open_failure_message(busy, **tree.kw())
    assert msg == (
        f'{busy} "Sketch Camera 2" is in use: another program publishes to it (open in obs '
        '(pid 4242)). Fix: close that program, or publish to another device ("Sketch Camera")'
    )

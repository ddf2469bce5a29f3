"""The command line as a user runs it: ``python -m sketchd ...`` in a child process with a
private home. Exit codes: 0 ok, 1 a runtime error, 2 bad usage or a bad config; never a
traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import sketchd
from sketchd import paths
from sketchd.filters import FILTERS, build
from tests.helpers.pipeline import CONFIG

ROOT = Path(__file__).resolve().parents[2]


def sketchd_cli(*args: str | Path, env: dict[str, str], cwd: Path | None = None):
    done = subprocess.run(
        [sys.executable, "-m", "sketchd", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def cli(sketchd_env, home):
    """``cli("config", "path")`` → the finished process (HOME and XDG_* are private)."""
    return lambda *args, **kw: sketchd_cli(*args, env=sketchd_env, **kw)


@pytest.fixture
def user_file(home) -> Path:
    return home / ".config" / "sketchd" / "sketchd.yaml"


def test_version(cli):
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"sketchd {sketchd.__version__}"


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["render"], ["presets", "--bogus"], ["config"], ["config", "nuke"]],
)
def test_bad_usage_exits_2_with_argparse_help(cli, args):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: sketchd") and "error:" in done.stderr


def test_presets_lists_each_with_its_description(cli):
    done = cli("presets")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert [line[2:].split()[0] for line in lines] == [
        "pencil", "colour_pencil", "cartoon", "ink", "charcoal", "pencil_autoframe",
        "face_colour", "portrait", "portrait_colour", "drawing", "drawing_colour",
        "portrait_drawing", "original",
    ]  # fmt: skip
    assert lines[0].startswith("* pencil") and "classic dodge-blend" in lines[0]
    assert all(len(line.split(maxsplit=2)) >= 2 for line in lines)
    assert done.stderr == ""


def test_presets_from_a_given_config(cli, tmp_path):
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(
        "presets:\n  mine: {description: My look, chain: [ink]}\n  bare: {chain: [mirror]}\n"
        "preset: bare\n"
    )
    done = cli("presets", "--config", cfg)
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["  mine  My look", "* bare  (no description)"]


def test_presets_filters_lists_every_filter_and_parameter(cli):
    done = cli("presets", "--filters")
    assert done.returncode == 0
    out = done.stdout
    for name, spec in FILTERS.items():
        assert re.search(rf"^{name}\s+{re.escape(spec.help)}$", out, re.M), name
        for key, default in spec.defaults().items():
            assert re.search(rf"^    {key}\s+.*\(default {re.escape(repr(default))}\)$", out, re.M)
    assert "an odd integer from 3 to 255 (default 21)" in out


def test_config_path_is_in_the_private_config_home(cli, user_file):
    done = cli("config", "path")
    assert done.returncode == 0
    assert done.stdout.strip() == str(user_file)
    assert "not created yet" in done.stderr
    user_file.parent.mkdir(parents=True)
    user_file.write_text("")
    assert cli("config", "path").stderr == ""


def test_config_init_writes_the_default_and_never_overwrites_without_force(cli, user_file):
    done = cli("config", "init")
    assert done.returncode == 0 and str(user_file) in done.stdout
    assert user_file.read_bytes() == paths.default_config_file().read_bytes()
    user_file.write_text("preset: ink\n")
    done = cli("config", "init")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"sketchd: error: {user_file} exists already; add --force to overwrite it"
    )
    assert user_file.read_text() == "preset: ink\n"
    done = cli("config", "init", "--force")
    assert done.returncode == 0
    assert user_file.read_bytes() == paths.default_config_file().read_bytes()


def test_config_check(cli, user_file, tmp_path):
    shipped = len(CONFIG.presets)  # the shipped file's own presets (13 with the drawings)
    done = cli("config", "check")
    assert (done.returncode, done.stdout.strip()) == (
        0,
        f"built-in defaults: valid ({shipped} presets, active: pencil)",
    )
    good = tmp_path / "good.yaml"
    good.write_text("preset: ink\n")
    done = cli("config", "check", good)
    assert (done.returncode, done.stdout.strip()) == (
        0,
        f"{good}: valid ({shipped} presets, active: ink)",
    )
    assert cli("config", "check", paths.default_config_file()).returncode == 0


def test_config_check_reports_every_problem_and_exits_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "camera:\n  widht: 640\npresets:\n  toon:\n    chain:\n"
        "      - cartoon: {edge_block_size: 4}\npreset: toon\n"
    )
    done = cli("config", "check", bad)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"sketchd: {bad}: 2 problems",
        "  camera.widht: unknown key; did you mean 'width'? (line 2)",
        "  presets.toon.chain[0].cartoon.edge_block_size: must be an odd integer from 3 to 255, "
        "not 4 (line 6)",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"camera:\n  width: 640\n   height: 480\n", "line 3, column 10: mapping values"),
        (b"camera: !!python/object/apply:os.system ['true']\n", "is not allowed"),
        (b"\xff\xfe\x00", "is not UTF-8 text"),
        (b"a: &a [1]\nb: [" + b", ".join([b"*a"] * 200) + b"]\n", "more than 100 aliases"),
        (None, "no such file"),
    ],
    ids=["syntax", "tag", "binary", "aliases", "missing"],
)
def test_a_bad_file_is_one_clear_line_and_exit_2(cli, tmp_path, content, expected):
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_bytes(content)
    done = cli("config", "check", bad)
    assert done.returncode == 2
    head, problem = done.stderr.splitlines()
    assert head == f"sketchd: {bad}: 1 problem"
    assert expected in problem


def test_a_bad_user_file_stops_every_command_with_exit_2(cli, user_file):
    user_file.parent.mkdir(parents=True)
    user_file.write_text("output:\n  fps: 0\n")
    for args in (["config", "check"], ["presets"]):
        done = cli(*args)
        assert done.returncode == 2, args
        assert "output.fps: must be an integer from 1 to 120, not 0 (line 2)" in done.stderr


# -- render --------------------------------------------------------------------------------


def test_render_an_image(cli, photo, tmp_path):
    src, dst = tmp_path / "cat.png", tmp_path / "out" / "cat-sketch.png"
    cv2.imwrite(str(src), photo("chelsea.png"))
    done = cli("render", src, dst)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{dst}: 1 image, 451x300, preset pencil"
    out = cv2.imread(str(dst), cv2.IMREAD_UNCHANGED)
    assert out.shape == (300, 451)
    assert np.array_equal(out, build("pencil")(photo("chelsea.png")))


def test_render_with_another_preset_and_config(cli, photo, tmp_path):
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    cv2.imwrite(str(src), photo("coffee.png"))
    done = cli("render", src, dst, "--preset", "ink")
    assert done.returncode == 0, done.stderr
    assert np.array_equal(cv2.imread(str(dst)), build("ink")(photo("coffee.png")))
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("presets:\n  flip: {chain: [mirror]}\n")
    done = cli("render", src, dst, "--config", cfg)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(cv2.imread(str(dst)), photo("coffee.png")[:, ::-1])


def test_render_a_short_video(cli, photo, tmp_path):
    img = photo("astronaut.png")
    src, dst = tmp_path / "in.avi", tmp_path / "out.mp4"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 15, (256, 192))
    frames = [np.ascontiguousarray(img[40 + 4 * i : 232 + 4 * i, 100:356]) for i in range(6)]
    for frame in frames:
        writer.write(frame)
    writer.release()
    done = cli("render", src, dst, "--preset", "pencil")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{dst}: 6 frames, 256x192, preset pencil"
    assert "6/6" in done.stderr  # the progress bar
    cap_in, cap_out = cv2.VideoCapture(str(src)), cv2.VideoCapture(str(dst))
    count = 0
    while True:
        ok_in, frame_in = cap_in.read()
        ok_out, frame_out = cap_out.read()
        assert ok_in == ok_out
        if not ok_out:
            break
        count += 1
        assert frame_out.shape == (192, 256, 3)
        sketch = cv2.cvtColor(build("pencil")(frame_in), cv2.COLOR_GRAY2BGR)
        assert np.abs(frame_out.astype(int) - sketch).mean() < 6
    assert count == 6


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda d: [d / "nope.png", d / "o.png"], "nope.png: no such file"),
        (lambda d: [d / "text.png", d / "o.png"], "text.png: not an image or video"),
        (lambda d: [d / "in.png", d / "o.png", "--preset", "pencl"], "no preset named 'pencl'"),
        (lambda d: [d / "in.png", d / "o.mp4"], "so the output must be an image"),
    ],
    ids=["missing", "not-an-image", "unknown-preset", "image-to-video"],
)
def test_render_bad_input_is_one_line_and_exit_2(cli, photo, tmp_path, make_args, expected):
    cv2.imwrite(str(tmp_path / "in.png"), photo("coffee.png"))
    (tmp_path / "text.png").write_text("hello")
    done = cli("render", *make_args(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("sketchd: error: ") and expected in done.stderr
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.mp4").exists()


def test_render_with_a_bad_config_exits_2(cli, photo, tmp_path):
    cv2.imwrite(str(tmp_path / "in.png"), photo("coffee.png"))
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("presets:\n  p: {chain: [{pencil: {blur: 2}}]}\npreset: p\n")
    done = cli("render", tmp_path / "in.png", tmp_path / "o.png", "--config", cfg)
    assert done.returncode == 2
    assert "presets.p.chain[0].pencil.blur: must be an odd integer" in done.stderr
    assert not (tmp_path / "o.png").exists()


STATUS = {
    "pid": 42, "preset": "pencil", "uptime": 75, "camera": "lost", "camera_desc": "",
    "camera_error": "no camera at 'auto'. No camera found.\nPick one with --camera DEVICE.",
    "fps": 0.0, "published": 0, "latency_ms": 0.0, "behind": 0, "behind_max": 0,
    "output_error": "no virtual camera found.\nLoad it: sudo modprobe v4l2loopback",
    "config": "", "log": "/tmp/sketchd.log",
}  # fmt: skip


def status_text(monkeypatch, capsys, **changes) -> str:
    from sketchd import cli, control

    monkeypatch.setattr(control, "request", lambda cmd, **a: {**STATUS, **changes})
    assert cli.main(["status"]) == 0
    return capsys.readouterr().out


def test_status_with_nothing_going_out_shows_no_fps_and_lines_up_continuations(monkeypatch, capsys):
    out = status_text(monkeypatch, capsys)
    assert "fps" not in out and "published" not in out
    assert "  output:    nothing goes out: no virtual camera found.\n" in out
    assert "\n             Load it: sudo modprobe v4l2loopback\n" in out
    assert "\n             Pick one with --camera DEVICE.\n" in out  # the camera's too


def test_status_with_one_of_two_devices_failing_shows_both(monkeypatch, capsys):
    out = status_text(monkeypatch, capsys, fps=30.0, published=900, camera="live")
    assert "  output:    30 fps, 900 frames published\n" in out
    assert "  output error: no virtual camera found.\n" in out
    assert "latency" in out


def test_status_in_standby_says_why_the_camera_is_off_and_who_reads(monkeypatch, capsys):
    out = status_text(
        monkeypatch, capsys, camera="standby", camera_error="", output_error="", fps=2.0,
        published=40, on_demand=True, readers=0, standby_for=125.0,
        readers_how="V4L2 client-usage events (streaming readers)",
    )  # fmt: skip
    assert (
        "  camera:    standby, closed: no app is using Sketch Camera (off for 2 min 5 s)\n" in out
    )
    assert "  readers:   0 apps reading Sketch Camera (seen through V4L2 client-usage" in out


def test_status_without_on_demand_says_the_camera_stays_on(monkeypatch, capsys):
    out = status_text(monkeypatch, capsys, on_demand=False, readers=None)
    assert "  readers:   not watched: the camera stays on" in out


RUN_WATCHED = """
import importlib.abc, os, sys, types
seen = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "cv2":
            seen.append(os.environ.get("OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER"))
sys.meta_path.insert(0, Watch())
import sketchd
app = types.ModuleType("sketchd.app")  # the daemon itself is not what is tested here
app.run = lambda config, **kw: print("run", sorted(set(seen)), config.preset) or 0
sys.modules["sketchd.app"] = sketchd.app = app
from sketchd.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_run_quiets_opencvs_thread_pool_before_opencv_loads(sketchd_env):
    """OpenCV reads its thread pool's settings once, when it loads: ``sketchd run`` sets them
    (workers sleep between frames instead of spinning) before anything imports cv2, and a
    user's own setting wins."""
    env = {k: v for k, v in sketchd_env.items() if not k.startswith("OPENCV_THREAD_POOL")}
    for given, want in ((None, "0"), ("100", "100")):
        if given:
            env["OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER"] = given
        done = subprocess.run(
            [sys.executable, "-c", RUN_WATCHED, "run", "--no-tray", "--preset", "ink"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"run [{want!r}] ink"

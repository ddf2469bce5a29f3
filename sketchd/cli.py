"""Command line: argument parsing and printing only. Every command calls into the package.

Errors a user can act on (SketchdError) print one clear message and exit 1 or 2; nothing here
prints a traceback for them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable

from sketchd import __version__
from sketchd.errors import ConfigError, SketchdError

log = logging.getLogger("sketchd")

# name -> (add arguments, handler); filled by the @command decorator below
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, help: str):
    """Register a sub-command: the decorated function adds its arguments; ``handler`` runs it."""

    def wrap(add_args):
        def with_handler(handler):
            _COMMANDS[name] = (help, add_args, handler)
            return handler

        add_args.handler = with_handler
        return add_args

    return wrap


# commands that run for a while log what they do; one-shot commands only print their result
_CHATTY = {"run", "preview"}


def _setup_logging(verbose: int, quiet: bool, chatty: bool, to_file: bool = False) -> None:
    from sketchd import logs

    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose or chatty else logging.WARNING
    if quiet:
        level = logging.WARNING
    logs.setup(level, to_file=to_file)


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="config file (default: the user's file)")


def _load(args, preset: str | None = None):
    from sketchd import config

    cfg, _ = config.load(getattr(args, "config", None))
    return config.with_preset(cfg, preset)


# ---------------------------------------------------------------- render / presets / config


@command("render", "render an image or video file through a preset")
def _render_args(p):
    p.add_argument("input", help="image (png, jpg …) or video (mp4, avi …)")
    p.add_argument("output", help="where to write the result; the same kind as the input")
    p.add_argument("--preset", help="preset name (default: the config's active preset)")
    _config_arg(p)


@_render_args.handler
def _render(args) -> int:
    from sketchd.filters.registry import compose
    from sketchd.render import render

    cfg = _load(args, args.preset)
    result = render(args.input, args.output, compose(cfg.presets[cfg.preset].steps))
    what = "1 image" if result.kind == "image" else f"{result.frames} frames"
    print(f"{args.output}: {what}, {result.width}x{result.height}, preset {cfg.preset}")
    return 0


@command("presets", "list the presets (and with --filters, the filters they can use)")
def _presets_args(p):
    p.add_argument("--filters", action="store_true", help="list filters and their parameters")
    _config_arg(p)


@_presets_args.handler
def _presets(args) -> int:
    if args.filters:
        from sketchd.filters.registry import FILTERS

        for spec in FILTERS.values():
            print(f"{spec.name:<15} {spec.help}")
            for key, default in spec.defaults().items():
                param = spec.params[key]
                print(f"    {key:<17} {param.help}; {param.describe()} (default {default!r})")
        return 0
    cfg = _load(args)
    width = max(len(n) for n in cfg.presets)
    for name, preset in cfg.presets.items():
        mark = "*" if name == cfg.preset else " "
        print(f"{mark} {name:<{width}}  {preset.description or '(no description)'}")
    return 0


@command("config", "show, create or check the config file")
def _config_args(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("path", help="print where the user's config file is (or would be)")
    init = sub.add_parser("init", help="write the commented default config to the user's file")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = sub.add_parser("check", help="validate a config file: exit 0 valid, 2 invalid")
    check.add_argument("file", nargs="?", help="file to check (default: the user's file)")


@_config_args.handler
def _config(args) -> int:
    from sketchd import config, paths

    if args.action == "path":
        file = paths.config_file()
        print(file)
        if not file.exists():
            print(
                "(not created yet: `sketchd config init` writes the default there)", file=sys.stderr
            )
        return 0
    if args.action == "init":
        file = paths.config_file()
        if file.exists() and not args.force:
            raise SketchdError(f"{file} exists already; add --force to overwrite it")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(paths.default_config_file().read_bytes())
        print(f"wrote the default config to {file}")
        return 0
    cfg, used = config.load(args.file)
    where = used or "built-in defaults"
    print(f"{where}: valid ({len(cfg.presets)} presets, active: {cfg.preset})")
    return 0


# ---------------------------------------------------------------- run / preview / devices


def _device(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _camera_arg(text: str) -> str:
    """--camera checked like camera.device (argparse reports a problem, exit 2)."""
    from sketchd.config.schema import camera_device

    value, err = camera_device(text)
    if err:
        raise argparse.ArgumentTypeError(err)
    return str(value)


_CAMERA_HELP = "camera: index, /dev/videoN, its name as `sketchd devices` lists it, or 'demo'"


def _live_config(args):
    """The config with run/preview's command-line overrides applied (each one logged)."""
    from dataclasses import replace

    cfg = _load(args, args.preset)
    if args.camera is not None:
        log.info("config: camera %r from the command line", args.camera)
        cfg = replace(cfg, camera=replace(cfg.camera, device=_device(args.camera)))
    if getattr(args, "always_on", False):
        log.info("config: camera always on (--always-on)")
        cfg = replace(cfg, camera=replace(cfg.camera, on_demand=False))
    return cfg


def _live_args(p) -> None:
    p.add_argument("--preset", help="preset to start with (default: the config's)")
    p.add_argument("--camera", metavar="DEV", type=_camera_arg, help=_CAMERA_HELP)
    _config_arg(p)


@command("run", "read the camera, sketch it, publish to the virtual camera (the default)")
def _run_args(p):
    _live_args(p)
    p.add_argument(
        "--output",
        metavar="DEV",
        help="virtual camera device (default: the one labelled 'Sketch Camera'); "
        "'null' publishes nowhere",
    )
    p.add_argument("--no-tray", action="store_true", help="run without a tray icon")
    p.add_argument(
        "--always-on",
        action="store_true",
        help="keep the camera open even while no app uses Sketch Camera (camera.on_demand: false)",
    )


@_run_args.handler
def _run(args) -> int:
    from sketchd import app
    from sketchd.config.loader import resolve_path

    return app.run(
        _live_config(args),
        config_path=resolve_path(args.config),
        overrides=app.camera_override(args.camera, always_on=args.always_on),
        preset_given=args.preset is not None,
        output=args.output,
        tray=not args.no_tray,
    )


@command("preview", "show the camera and its sketch side by side in a window")
def _preview_args(p):
    _live_args(p)


@_preview_args.handler
def _preview(args) -> int:
    from sketchd.preview import run_preview

    return run_preview(_live_config(args))


@command("devices", "list cameras and virtual cameras, and which ones sketchd would use")
def _devices_args(p):
    _config_arg(p)


@_devices_args.handler
def _devices(args) -> int:
    from sketchd import devices
    from sketchd.errors import CameraError, OutputError
    from sketchd.sources.camera import resolve_device

    cfg = _load(args)
    cams, virt = devices.cameras(), devices.virtual_cameras()
    try:
        cam = resolve_device(cfg.camera.device)
    except CameraError:
        cam = None
    cam_path = f"/dev/video{cam}" if isinstance(cam, int) else cam
    outs: list[str | None] = []
    for configured in cfg.output.devices:
        with contextlib.suppress(OutputError):
            outs.append(devices.output_device(configured))
    print("Cameras (camera.device or --camera takes the path, or the name as quoted here):")
    for d in cams:
        print(_device_line(d, d.path == cam_path))
    if not cams:
        print(f"   (none) {devices.describe_cameras()}")
    print("Virtual cameras:")
    for d in virt:
        used = " (read as the camera)" if d.path == cam_path else ""
        print(_device_line(d, d.path in (*outs, cam_path), used))
    if not virt:
        print(f"   (none) {devices.install_hint()}")
    print("* = what `sketchd run` would use with this config")
    return 0


def _device_line(d, marked: bool, extra: str = "") -> str:
    """` * /dev/video0     "HD Pro Webcam C920"  bus usb-0000:00:14.0-1  [uvcvideo]` and, when
    udev made one, its /dev/v4l/by-id link on the next line."""
    from sketchd.devices import quoted

    line = f" {'*' if marked else ' '} {d.path:<14} {quoted(d.name)}"
    line += f"  bus {d.bus_info}" if d.bus_info else ""
    line += (f"  [{d.note}]" if d.note else "") + extra
    return line + (f"\n   {'':<14} {d.by_id}" if d.by_id else "")


@command("bench", "time every preset against the classic sketch, and the daemon's start-up")
def _bench_args(p):
    p.add_argument("--quick", action="store_true", help="a few frames: proves it runs (CI)")
    p.add_argument("--sizes", help="frame sizes, e.g. 640x480,1920x1080 (default: 480p-1080p)")
    p.add_argument("--frames", type=int, help="frames per size (default 200, quick 6)")
    p.add_argument(
        "--part",
        choices=("all", "frames", "segment", "stability", "daemon"),
        default="all",
        help="frames: filters and the per-frame path against the classic sketch; daemon: "
        "`sketchd run` start-up to the first frame, CPU and memory (Linux), and on-demand "
        "capture's standby CPU and reader-to-live time; segment: the portrait presets "
        "beside pencil over a stream (1080p unless --sizes), mean and median; stability: "
        "each preset's shimmer in a still, noisy scene before and after stabilize, what "
        "moves, and its cost (1080p unless --sizes); default all",
    )


@_bench_args.handler
def _bench(args) -> int:
    from sketchd import bench
    from sketchd.errors import UsageError

    try:
        sizes = bench.parse_sizes(args.sizes) if args.sizes else bench.SIZES
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.part in ("all", "frames"):
        frames = args.frames or (6 if args.quick else 200)
        rounds = 1 if args.quick else bench.ROUNDS
        print(bench.run(sizes, frames, fidelity=not args.quick, rounds=rounds).markdown())
    if args.part in ("all", "segment"):
        from sketchd import bench_segment

        seg_sizes = sizes if args.sizes else bench_segment.SIZES
        seg_frames = args.frames or (8 if args.quick else 240)
        seg_rounds = 1 if args.quick else bench_segment.ROUNDS
        print()
        print(bench_segment.run(seg_sizes, seg_frames, seg_rounds).markdown())
    if args.part in ("all", "stability"):
        from sketchd import bench_stability

        size = sizes[-1] if args.sizes else (1920, 1080)
        stability = bench_stability.run(size, args.frames or 60, quick=args.quick)
        print()
        print(stability.markdown())
    if args.part in ("all", "daemon"):
        daemon_sizes = [s for s in sizes if s[1] >= 720] or sizes[-1:]
        if args.quick:
            report = bench.daemon(sizes=daemon_sizes[:1], runs=1, settle=1.0)
        else:
            report = bench.daemon(sizes=daemon_sizes)
        print()
        print(report.markdown())
        from sketchd import bench_demand

        w, h = daemon_sizes[-1]
        on_demand = bench_demand.run(
            w, h, seconds=2.0 if args.quick else 10.0, arrivals=1 if args.quick else 5
        )
        print()
        print(on_demand.markdown())
    return 0


# ---------------------------------------------------------------- talking to the running daemon


def _daemon(cmd: str, **args):
    from sketchd import control

    return control.request(cmd, **args)


def _on_off(p) -> None:
    p.add_argument("state", choices=("on", "off"))


def _print_settings(r: dict) -> None:
    flags = [name for name in ("bypass", "privacy", "mirror") if r.get(name)]
    print(f"preset {r['preset']}" + (f" ({', '.join(flags)} on)" if flags else ""))


@command("preset", "switch the running daemon to a preset")
def _preset_args(p):
    p.add_argument("name", help="a preset name (`sketchd presets` lists them)")


@_preset_args.handler
def _preset(args) -> int:
    _print_settings(_daemon("preset", name=args.name))
    return 0


@command("next", "switch the running daemon to the next preset")
def _next_args(p):
    pass


@_next_args.handler
def _next(args) -> int:
    _print_settings(_daemon("next"))
    return 0


def _toggle_command(name: str, help_text: str) -> None:
    def add(p):
        _on_off(p)

    def handler(args) -> int:
        _print_settings(_daemon(name, on=args.state == "on"))
        return 0

    command(name, help_text)(add).handler(handler)


_toggle_command("bypass", "publish the camera unfiltered (on) or sketched (off)")
_toggle_command("privacy", "publish a 'camera off' card (on) instead of the camera (off)")
_toggle_command("mirror", "flip what the call sees left-right")


@command("snapshot", "save the picture the call sees now as a PNG")
def _snapshot_args(p):
    pass


@_snapshot_args.handler
def _snapshot(args) -> int:
    print(_daemon("snapshot")["path"])
    return 0


@command("reload", "make the running daemon read its config file again")
def _reload_args(p):
    pass


@_reload_args.handler
def _reload(args) -> int:
    r = _daemon("reload")
    print(f"reloaded: {', '.join(r['changed']) or 'nothing changed'}; preset {r['preset']}")
    return 0


@command("status", "what the running daemon is doing")
def _status_args(p):
    p.add_argument("--json", action="store_true", help="print the status as JSON")


@_status_args.handler
def _status(args) -> int:
    s = _daemon("status")
    if args.json:
        import json

        print(json.dumps(s, indent=1))
        return 0
    flags = [name for name in ("bypass", "privacy", "mirror") if s.get(name)]
    up = int(s["uptime"])
    if s["camera"] == "standby":
        off = s.get("standby_for")
        camera = "standby, closed: no app is using Sketch Camera" + (
            f" (off for {_duration(off)})" if off is not None else ""
        )
    else:
        camera = s["camera"] + (f" ({s['camera_desc']})" if s.get("camera_desc") else "")
        if s.get("camera_error") and s["camera"] != "live":
            camera += f": {s['camera_error']}"
    print(f"sketchd running (pid {s['pid']})")
    print(f"  preset:    {s['preset']}" + (f" ({', '.join(flags)} on)" if flags else ""))
    print(f"  camera:    {_indented(camera)}")
    print(f"  readers:   {_readers(s)}")
    error = s.get("output_error")
    if error and not s["fps"]:
        print(f"  output:    nothing goes out: {_indented(error)}")
    else:  # with several devices, one may fail while the others take frames
        print(f"  output:    {s['fps']:g} fps, {s['published']} frames published")
        if error:
            print(f"  output error: {_indented(error, 16)}")
    if s["camera"] == "live" and s["fps"]:
        print(
            f"  latency:   {s['latency_ms']:.0f} ms camera → virtual camera, "
            f"{s['behind']} frame(s) behind the newest (worst since start: {s['behind_max']})"
        )
    print(f"  uptime:    {up // 3600}:{up // 60 % 60:02d}:{up % 60:02d}")
    print(f"  config:    {s.get('config') or 'built-in defaults'}")
    print(f"  log:       {s['log']}")
    return 0


def _readers(s: dict) -> str:
    """Who reads Sketch Camera, and so whether the camera is on demand."""
    if not s.get("on_demand"):
        return "not watched: the camera stays on (camera.on_demand is off, or --always-on)"
    n = s.get("readers")
    if n is None:
        return "cannot be told here: the camera stays on"
    apps = f"{n} app{'s' if n != 1 else ''} reading Sketch Camera"
    return apps + (f" (seen through {s['readers_how']})" if s.get("readers_how") else "")


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60} s" if s < 3600 else f"{s // 3600} h"


def _indented(text: str, by: int = 13) -> str:
    """A message's continuation lines lined up under its first (status's value column)."""
    return text.replace("\n", "\n" + " " * by)


@command("quit", "stop the running daemon")
def _quit_args(p):
    pass


@_quit_args.handler
def _quit(args) -> int:
    _daemon("quit")
    print("sketchd is stopping")
    return 0


# ---------------------------------------------------------------- autostart


@command("autostart", "start sketchd at login: enable, disable or show status")
def _autostart_args(p):
    p.add_argument("action", choices=("enable", "disable", "status"))
    how = p.add_mutually_exclusive_group()
    how.add_argument("--xdg", dest="mechanism", action="store_const", const="xdg",
                     help="Linux: an XDG autostart entry (the default)")  # fmt: skip
    how.add_argument("--systemd", dest="mechanism", action="store_const", const="systemd",
                     help="Linux: a systemd user unit")  # fmt: skip


@_autostart_args.handler
def _autostart(args) -> int:
    from sketchd.platform import autostart

    if args.action == "status":
        found = autostart.status()
        if args.mechanism:
            found = [s for s in found if s.mechanism == args.mechanism]
        active = [s.mechanism for s in found if s.enabled]
        for s in found:
            print(s.describe())
        print(f"active: {', '.join(active)}" if active else "active: none")
        return 0
    change = autostart.enable if args.action == "enable" else autostart.disable
    for s in change(args.mechanism):
        print(s.describe())
    return 0


@command("doctor", "check the camera, virtual camera, tray, config and autostart")
def _doctor_args(p):
    _config_arg(p)
    p.add_argument("--camera", metavar="DEV", type=_camera_arg, help=_CAMERA_HELP)
    p.add_argument("--output", metavar="DEV", help="virtual camera device to check")
    p.add_argument("--camera-timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for the camera's first frame (default 5)")  # fmt: skip


@_doctor_args.handler
def _doctor(args) -> int:
    from sketchd import doctor

    camera = _device(args.camera) if args.camera is not None else None
    checks = doctor.run_checks(
        config_path=args.config, camera=camera, output=args.output, timeout=args.camera_timeout
    )
    print(doctor.report(checks))
    return 0 if doctor.run_can_work(checks) else 1


# ---------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchd",
        description="A pencil-sketch virtual webcam. With no command: `sketchd run`.",
    )
    parser.add_argument("--version", action="version", version=f"sketchd {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    # the same two options after the command (`sketchd run -v`), without resetting them
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, _) in _COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text, parents=[common]))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # plain `sketchd` (with or without run's options) means `sketchd run`
    no_command = not any(a in _COMMANDS or a in ("-h", "--help", "--version") for a in argv)
    if no_command and "run" in _COMMANDS:
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet, args.command in _CHATTY, to_file=args.command == "run")
    try:
        return _COMMANDS[args.command][2](args) or 0
    except ConfigError as e:
        print(f"sketchd: {e}", file=sys.stderr)
        return e.exit_code
    except SketchdError as e:
        print(f"sketchd: error: {e}", file=sys.stderr)
        return e.exit_code
    except ImportError as e:  # a compiled module's system library is missing: say which
        from sketchd.platform.missing_lib import explain

        line = explain(e, args.command)
        if line is None:
            raise
        print(f"sketchd: error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

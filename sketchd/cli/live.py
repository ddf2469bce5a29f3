"""``run``: the command that opens the camera, with its options."""

from __future__ import annotations

from sketchd.cli.registry import CAMERA_HELP, camera_arg, command, config_arg, load


def _live_config(args):
    """The config with run's command-line overrides applied (each one logged), and
    the overrides themselves (a reload applies them again)."""
    from sketchd.config.loader import command_line

    overrides = command_line(args.camera, always_on=getattr(args, "always_on", False))
    return overrides(load(args, args.preset)), overrides


def _live_args(p) -> None:
    p.add_argument("--preset", help="preset to start with (default: the config's)")
    p.add_argument("--camera", metavar="DEV", type=camera_arg, help=CAMERA_HELP)
    config_arg(p)


@command("run", "read the camera, sketch it, publish to the virtual camera (the default)")
def _run_args(p):
    _live_args(p)
    p.add_argument(
        "--output",
        metavar="DEV",
        help="virtual camera device (default: the one labelled 'Sketch Camera', else the "
        "PipeWire node); 'pipewire' publishes sketchd's own PipeWire camera; 'null' publishes "
        "nowhere",
    )
    p.add_argument("--no-tray", action="store_true", help="run without a tray icon")
    p.add_argument(
        "--always-on",
        action="store_true",
        help="keep the camera open even while no app uses Sketch Camera (camera.on_demand: false)",
    )


@_run_args.handler
def _run(args) -> int:
    from sketchd.platform import quiet_thread_pool

    quiet_thread_pool()  # before anything loads OpenCV
    from sketchd import app
    from sketchd.config.loader import resolve_path

    config, overrides = _live_config(args)
    return app.run(
        config,
        config_path=resolve_path(args.config),
        overrides=overrides,
        preset_given=args.preset is not None,
        output=args.output,
        tray=not args.no_tray,
    )

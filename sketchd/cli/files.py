"""``render``, ``presets`` and ``config``: the commands that work on files and the config,
without a camera or the running daemon."""

from __future__ import annotations

import sys

from sketchd.cli.registry import command, config_arg, load
from sketchd.errors import SketchdError


@command("render", "render an image or video file through a preset")
def _render_args(p):
    p.add_argument("input", help="image (png, jpg …) or video (mp4, avi …)")
    p.add_argument("output", help="where to write the result; the same kind as the input")
    p.add_argument("--preset", help="preset name (default: the config's active preset)")
    config_arg(p)


@_render_args.handler
def _render(args) -> int:
    from sketchd.filters.registry import compose
    from sketchd.render import render

    cfg = load(args, args.preset)
    result = render(args.input, args.output, compose(cfg.presets[cfg.preset].steps))
    what = "1 image" if result.kind == "image" else f"{result.frames} frames"
    print(f"{args.output}: {what}, {result.width}x{result.height}, preset {cfg.preset}")
    return 0


@command("presets", "list the presets (and with --filters, the filters they can use)")
def _presets_args(p):
    p.add_argument("--filters", action="store_true", help="list filters and their parameters")
    config_arg(p)


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
    cfg = load(args)
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

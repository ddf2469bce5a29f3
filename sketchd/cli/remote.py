"""The commands that talk to the running daemon over its control socket: ``preset``,
``next``, ``bypass``, ``privacy``, ``mirror``, ``snapshot``, ``reload``, ``status``, ``quit``."""

from __future__ import annotations

from sketchd.cli import status
from sketchd.cli.registry import command


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
    status.show(s)
    return 0


@command("quit", "stop the running daemon")
def _quit_args(p):
    pass


@_quit_args.handler
def _quit(args) -> int:
    _daemon("quit")
    print("sketchd is stopping")
    return 0

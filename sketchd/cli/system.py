"""``autostart`` and ``doctor``: how sketchd sits on this machine (started at login, and
whether its camera, virtual camera, tray, config and autostart work)."""

from __future__ import annotations

from sketchd.cli.registry import CAMERA_HELP, camera_arg, command, config_arg, device


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
    config_arg(p)
    p.add_argument("--camera", metavar="DEV", type=camera_arg, help=CAMERA_HELP)
    p.add_argument("--output", metavar="DEV", help="virtual camera device to check")
    p.add_argument("--camera-timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for the camera's first frame (default 5)")  # fmt: skip


@_doctor_args.handler
def _doctor(args) -> int:
    from sketchd import doctor

    camera = device(args.camera) if args.camera is not None else None
    checks = doctor.run_checks(
        config_path=args.config, camera=camera, output=args.output, timeout=args.camera_timeout
    )
    print(doctor.report(checks))
    return 0 if doctor.run_can_work(checks) else 1

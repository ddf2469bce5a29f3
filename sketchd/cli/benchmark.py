"""``bench``: which parts of the benchmark run, at which sizes and how many frames."""

from __future__ import annotations

from sketchd.cli.registry import command


@command("bench", "time every preset against the classic sketch, and the daemon's start-up")
def _bench_args(p):
    p.add_argument(
        "--quick", action="store_true", help="a few frames at 1280x720: proves it runs (CI)"
    )
    p.add_argument("--sizes", help="frame sizes, e.g. 640x480,1920x1080 (default: 480p-1080p)")
    p.add_argument("--frames", type=int, help="frames per size (default 200, quick 6)")
    p.add_argument(
        "--part",
        choices=("all", "frames", "segment", "stability", "motion", "drawing", "daemon"),
        default="all",
        help="frames: filters and the per-frame path against the classic sketch; daemon: "
        "`sketchd run` start-up to the first frame, CPU and memory (Linux), and on-demand "
        "capture's standby CPU and reader-to-live time; segment: the portrait presets "
        "beside pencil over a stream (1080p unless --sizes), mean and median; stability: "
        "each preset's shimmer in a still, noisy scene before and after stabilize, what "
        "moves, and its cost (1080p unless --sizes); drawing: the drawing presets beside the "
        "classic sketch and pencil on a noisy stream (720p and 1080p unless --sizes), and "
        "how still they hold; motion: pencil (stabilize included) beside the classic sketch "
        "on a still and a panning noisy scene, pan sharpness and sparkle (720p unless "
        "--sizes); default all",
    )


@_bench_args.handler
def _bench(args) -> int:
    from sketchd.bench import daemon, frames, inputs
    from sketchd.errors import UsageError

    try:
        sizes = inputs.parse_sizes(args.sizes) if args.sizes else frames.SIZES
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.quick and not args.sizes:  # proves it runs: the default output's size only
        sizes = [(1280, 720)]
    if args.part in ("all", "frames"):
        n = args.frames or (6 if args.quick else 200)
        rounds = 1 if args.quick else frames.ROUNDS
        print(frames.run(sizes, n, fidelity=not args.quick, rounds=rounds).markdown())
    if args.part in ("all", "segment"):
        from sketchd.bench import segment

        seg_sizes = sizes if args.sizes else segment.SIZES
        seg_frames = args.frames or (8 if args.quick else 240)
        seg_rounds = 1 if args.quick else segment.ROUNDS
        seg_report = segment.run(seg_sizes, seg_frames, seg_rounds)
        print()
        print(seg_report.markdown())
    if args.part in ("all", "stability"):
        from sketchd.bench import stability

        size = sizes[-1] if args.sizes else (1920, 1080)
        still = stability.run(size, args.frames or 60, quick=args.quick)
        print()
        print(still.markdown())
    if args.part in ("all", "motion"):
        from sketchd.bench import motion

        size = sizes[-1] if args.sizes else (1280, 720)
        print()
        print(motion.run(size, args.frames or 60, quick=args.quick).markdown())
    if args.part in ("all", "drawing"):
        from sketchd.bench import drawing

        if args.quick:  # proves it runs: the drawing preset beside the classic sketch, 720p
            draw = drawing.run(
                sizes[-1:] if args.sizes else [(1280, 720)], args.frames or 6, rounds=1,
                names=("classic", "drawing"), still=False,
            )  # fmt: skip
        else:
            draw = drawing.run(sizes if args.sizes else drawing.SIZES, args.frames or 120)
        print()
        print(draw.markdown())
    if args.part in ("all", "daemon"):
        daemon_sizes = [s for s in sizes if s[1] >= 720] or sizes[-1:]
        if args.quick:
            report = daemon.run(
                sizes=daemon_sizes[:1], runs=1, settle=1.0, configs=daemon.CONFIGS[:1]
            )
        else:
            report = daemon.run(sizes=daemon_sizes)
        print()
        print(report.markdown())
        from sketchd.bench import demand

        w, h = daemon_sizes[-1]
        on_demand = demand.run(
            w, h, seconds=2.0 if args.quick else 10.0, arrivals=1 if args.quick else 5
        )
        print()
        print(on_demand.markdown())
    return 0

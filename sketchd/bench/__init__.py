"""Benchmark code, apart from what the daemon runs: ``sketchd bench`` (cli/benchmark.py) and
two scripts run by hand.

One module per part of ``sketchd bench --part``: ``frames.py`` (every preset and the per-frame
path against the classic sketch), ``segment.py`` (the portrait presets), ``stability.py`` (each
preset's shimmer before and after stabilize, on the scenes and measures of ``stillness.py``,
which the unit tests use too), ``drawing.py`` (the drawing presets beside the classic sketch
and pencil, and how still they hold), ``daemon.py`` and ``demand.py`` (``sketchd run``
start-up, CPU, memory; on-demand capture). Shared: ``inputs.py`` (photographs, sizes),
``worker.py`` (a candidate timed in a process of its own). Scripts: ``python -m
sketchd.bench.face`` (the face presets at 1080p), ``python -m sketchd.bench.output`` (the
virtual camera's pixel conversions).
"""

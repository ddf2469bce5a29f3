"""Which sinks a config's ``output`` section makes: one place, used at start and on reload.

Each entry of ``output.device`` is one sink: a v4l2loopback device (a path, or ``auto`` for the
one labelled "Sketch Camera"), or ``pipewire`` for sketchd's own PipeWire camera node.
"""

from __future__ import annotations

from sketchd.config.schema import Config
from sketchd.pipeline.pacer import Pacing
from sketchd.sinks import Sink


def make_sinks(config: Config, output: str | None = None) -> tuple[list[Sink], Pacing | None]:
    """The sinks for ``config`` (``output``: the command line's --output, which replaces
    ``output.device``) and what paces the loop (the first of them)."""
    from sketchd.sinks.convert import Conversions
    from sketchd.sinks.vcam import VirtualCameraSink

    out = config.output
    shared = Conversions()  # each frame converted once, whatever the number of devices
    made = [
        VirtualCameraSink(
            out.width,
            out.height,
            out.fps,
            device,
            out.backend,
            fmt=out.format,
            conversions=shared,
        )
        for device in ((output,) if output else out.devices)
    ]
    sinks: list[Sink] = list(made)
    return sinks, made[0]  # the first device paces the loop

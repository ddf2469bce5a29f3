"""What the threads of one daemon share: Settings (what to do) and Stats (what happened).

Ownership, so that no field needs a lock:
- ``Settings`` is frozen. The Controller builds a new one and swaps it in whole; the publish
  loop reads it once per frame, so a frame never sees half a change.
- Each ``Stats`` field has one writer (marked below): the capture thread, or the publish loop.
  Anyone may read (the control channel, the tray, doctor); a reader may see a field one frame
  old, never a torn value (each is a single Python object).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sketchd.filters.chain import FrameFn


@dataclass(frozen=True)
class Settings:
    """What the loop applies, swapped whole (never mutated) so a frame sees one consistent set.
    Build one from a preset with ``sketchd.presets.settings_for``."""

    preset: str
    chain: FrameFn
    needs_colour: bool
    bypass: bool = False
    privacy: bool = False
    mirror: bool = False


@dataclass
class Stats:
    """Counters and states of one daemon run. Writers: [capture] the capture thread,
    [publish] the publish loop, [start] set once before the threads start."""

    started: float = field(default_factory=time.monotonic)  # [start]
    # -- the camera side [capture]
    torn_frames: int = 0  # MJPG frames cut short, dropped before the mailbox
    camera_desc: str = ""  # what was opened, as the log says it
    camera_error: str = ""  # why the last open or read failed ("" while it works)
    camera_open: bool = False  # the device is open (on-demand capture closes it)
    # -- the publish side [publish]
    published: int = 0  # frames at least one sink took
    processed: int = 0  # camera frames through the chain
    decode_errors: int = 0  # camera frames that did not decode
    filter_errors: int = 0  # camera frames the chain raised on (the last good one went out)
    camera: str = "starting"  # starting | live | lost | standby: what the call app sees
    output_error: str = ""  # why the last send failed ("" while every sink takes frames)
    fps: float = 0.0  # frames sent over the last second
    # freshness of what goes out, over the last second: how many newer camera frames had
    # arrived when a frame was sent (the mailbox keeps this at 0 or 1), and capture → send
    behind: int = 0
    behind_max: int = 0  # the worst since start
    latency_ms: float = 0.0  # median over the last second's new frames
    # on-demand capture: readers of the virtual camera (None: no sink can tell), how they are
    # seen, and when the camera last went to standby (None: it is wanted)
    readers: int | None = None
    readers_how: str = ""
    standby_since: float | None = None
    sent_any: bool = False  # a frame has gone out (every sink took it)
    went_live: bool = False  # the camera's picture has gone out at least once

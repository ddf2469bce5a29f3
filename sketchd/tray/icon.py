"""Tray icons drawn with Pillow: one look per state, so the state reads at a glance.

- preset: a pencil on a round badge; the badge colour tells the presets apart
- bypass: a plain camera (the picture goes out unfiltered)
- privacy: a camera struck through in red (a "camera off" card goes out)
- lost: a grey camera with an amber warning mark (sketchd is waiting for the camera)
- output: a grey pencil with a red "!" (the virtual camera takes no frames; sketchd retries)
- standby: the pencil on a pale badge with a crescent moon (no app is using Sketch Camera, so
  the camera and its light are off)
"""

from __future__ import annotations

from PIL import Image, ImageDraw

SIZE = 64
# badge colours for presets in config order (cycled when there are more)
PALETTE = (
    (70, 70, 78),  # graphite
    (32, 128, 220),  # blue
    (232, 150, 0),  # amber
    (40, 150, 90),  # green
    (170, 60, 170),  # violet
    (200, 70, 60),  # brick
)
WHITE = (255, 255, 255, 255)


def _badge(d: ImageDraw.ImageDraw, colour) -> None:
    d.ellipse((2, 2, SIZE - 3, SIZE - 3), fill=(*colour, 255))


def _pencil(d: ImageDraw.ImageDraw) -> None:
    # a pencil lying from bottom-left to top-right: body, wood cone, graphite tip
    d.polygon([(20, 52), (12, 44), (40, 16), (48, 24)], fill=WHITE)
    d.polygon([(40, 16), (48, 24), (53, 11)], fill=(240, 205, 150, 255))
    d.polygon([(49, 15), (52, 18), (53, 11)], fill=(30, 30, 30, 255))
    d.line([(16, 48), (44, 20)], fill=(0, 0, 0, 60), width=1)


def _camera(d: ImageDraw.ImageDraw, colour=WHITE) -> None:
    d.rounded_rectangle((12, 22, 42, 44), radius=4, fill=colour)
    d.polygon([(42, 30), (53, 23), (53, 43), (42, 36)], fill=colour)


def draw(kind: str, preset_index: int = 0, size: int = SIZE) -> Image.Image:
    """The icon for ``kind`` (preset | bypass | privacy | lost | output | standby) as RGBA
    ``size``x``size``."""
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if kind == "preset":
        _badge(d, PALETTE[preset_index % len(PALETTE)])
        _pencil(d)
    elif kind == "bypass":
        _badge(d, (90, 96, 104))
        _camera(d)
    elif kind == "privacy":
        _badge(d, (200, 40, 40))
        _camera(d)
        d.line([(12, 52), (52, 12)], fill=(200, 40, 40, 255), width=9)
        d.line([(12, 52), (52, 12)], fill=WHITE, width=4)
    elif kind == "lost":
        _badge(d, (150, 150, 150))
        _camera(d, (235, 235, 235, 255))
        d.polygon([(38, 34), (60, 34), (49, 14)], fill=(255, 190, 0, 255))
        d.line([(49, 21), (49, 28)], fill=(0, 0, 0, 255), width=3)
        d.point([(49, 31), (48, 31), (50, 31)], fill=(0, 0, 0, 255))
    elif kind == "standby":
        _badge(d, (176, 180, 188))
        _pencil(d)
        d.ellipse((30, 30, 56, 56), fill=(40, 44, 70, 255))
        d.ellipse((38, 25, 60, 47), fill=(176, 180, 188, 255))  # the bite: a crescent moon
    elif kind == "output":
        _badge(d, (150, 150, 150))
        _pencil(d)
        d.ellipse((34, 34, 62, 62), fill=(210, 40, 40, 255), outline=WHITE, width=2)
        d.line([(48, 40), (48, 51)], fill=WHITE, width=4)
        d.ellipse((46, 54, 50, 58), fill=WHITE)
    else:
        raise ValueError(
            f"unknown icon kind {kind!r}; expected preset, bypass, privacy, lost, output or standby"
        )
    return img if size == SIZE else img.resize((size, size), Image.Resampling.LANCZOS)

"""The drawing's textures: made by sketchd from one seed, the same bytes every time, seamless
when tiled, and a stroke map whose strokes nest (a darker tone only adds strokes)."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys

import numpy as np

from sketchd.filters import textures


def _digest(img: np.ndarray) -> str:
    return hashlib.sha256(img.tobytes()).hexdigest()


def test_textures_are_the_same_bytes_in_every_process():
    here = [_digest(textures.stroke_map()), _digest(textures.paper_grain())]
    code = (
        "import hashlib; from sketchd.filters import textures as t; "
        "print(hashlib.sha256(t.stroke_map().tobytes()).hexdigest(), "
        "hashlib.sha256(t.paper_grain().tobytes()).hexdigest())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == here


def test_textures_are_read_only_tiles():
    for tile in (textures.stroke_map(), textures.paper_grain()):
        assert tile.shape == (textures.TILE, textures.TILE) and tile.dtype == np.uint8
        assert not tile.flags.writeable
    big = textures.tiled("strokes", 300, 700)
    assert big.shape == (300, 700) and not big.flags.writeable
    t = textures.TILE
    assert np.array_equal(big[:t, t : 2 * t], textures.stroke_map())
    assert np.array_equal(big[t:, :t], textures.stroke_map()[: 300 - t])


def test_tiles_are_seamless():
    """Across a tile's edge the texture changes no more than inside it (strokes and blurs
    wrap around), so the tiling leaves no seam in a frame."""
    for tile in (textures.stroke_map(), textures.paper_grain()):
        t = tile.astype(np.int16)
        inside = np.abs(np.diff(t, axis=1)).mean()
        seam = np.abs(t[:, 0] - t[:, -1]).mean()
        assert seam < 1.5 * inside, (seam, inside)
        inside_v = np.abs(np.diff(t, axis=0)).mean()
        seam_v = np.abs(t[0] - t[-1]).mean()
        assert seam_v < 1.5 * inside_v, (seam_v, inside_v)


def test_strokes_nest_and_cover_more_as_the_tone_darkens():
    """Praun's nesting: the texels drawn at darkness d are a subset of those drawn at any
    darker d' (a threshold map has it by construction); coverage rises from blank paper
    through hatching and cross-hatching to nearly all of it."""
    tile = textures.stroke_map()
    cover = [float(np.mean(tile < d)) for d in (0, 20, 60, 120, 180, 240, 256)]
    assert cover[0] == 0.0 and cover[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(cover)), cover
    assert 0.0 < cover[1] < 0.05 and cover[-2] > 0.7, cover  # 240: hatched thrice


def test_the_paper_has_grain_around_its_middle():
    grain = textures.paper_grain().astype(np.float32)
    assert 120 < grain.mean() < 136 and 15 < grain.std() < 40

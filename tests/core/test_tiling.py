"""Tile arithmetic: counts, coverage, overlaps, halo and blending weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from superad_geo.detectors.superad import default_halo
from superad_geo.errors import TilingError
from superad_geo.scene.mosaic import ramp, tile_weights
from superad_geo.scene.tiling import tile_count, tile_starts, tile_windows


@pytest.mark.parametrize(
    ("shape", "size", "overlap"),
    [((1024, 1024), 256, 32), ((300, 500), 256, 32), ((100, 80), 256, 64), ((513, 257), 128, 0)],
)
def test_grid_covers_scene_with_documented_count(shape, size, overlap):
    tiles = tile_windows(shape, size, overlap, halo=40)
    assert len(tiles) == tile_count(shape[0], size, overlap) * tile_count(shape[1], size, overlap)
    for length in shape:
        if length > size:
            assert tile_count(length, size, overlap) == math.ceil(
                (length - overlap) / (size - overlap)
            )
    covered = np.zeros(shape, dtype=int)
    for t in tiles:
        covered[t.window.rows, t.window.cols] += 1
        # cores are full size (clipped to the scene) and inside the padded window
        assert t.window.height == min(size, shape[0]) and t.window.width == min(size, shape[1])
        assert t.padded.row_off <= t.window.row_off and t.padded.col_off <= t.window.col_off
        assert t.padded.row_off + t.padded.height <= shape[0]
        assert t.padded.col_off + t.padded.width <= shape[1]
        assert t.padded.row_off == max(t.window.row_off - 40, 0)
    assert covered.min() >= 1


def test_neighbours_overlap_at_least_overlap():
    starts = tile_starts(1000, 256, 32)
    assert starts == [0, 224, 448, 672, 744]
    assert all(b - a <= 256 - 32 for a, b in zip(starts, starts[1:], strict=False))
    tiles = tile_windows((1000, 300), 256, 32)
    # recorded overlaps match the actual geometry
    first, second = tiles[0], tiles[2]
    assert first.overlaps[1] == first.window.row_off + 256 - second.window.row_off == 32


def test_tile_transform_is_offset_of_scene_transform():
    transform = Affine(30.0, 0.0, 370000.0, 0.0, -30.0, 5810000.0)
    tiles = tile_windows((600, 600), 256, 32, transform=transform)
    t = tiles[1]
    assert t.transform.c == 370000.0 + 30.0 * t.window.col_off
    assert t.transform.f == 5810000.0 - 30.0 * t.window.row_off


def test_invalid_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="overlap must satisfy"):
        tile_count(1000, 64, 64)
    # not a stride of one pixel (4225 tiles for a 128² scene, as it once was)
    with pytest.raises(TilingError, match="overlap must satisfy"):
        tile_windows((128, 128), 64, 64)
    # a scene smaller than a tile is one tile along that axis, whatever the overlap
    assert len(tile_windows((40, 50), 64, 64)) == 1
    with pytest.raises(ValueError, match="halo"):
        tile_windows((10, 10), 4, 1, halo=-1)


def test_default_halo_covers_receptive_field_and_superpixels():
    assert default_halo(100) == 40
    assert default_halo(400) == 60


def test_blending_weights_sum_to_one_and_vanish_at_inner_edges():
    shape = (300, 260)
    tiles = tile_windows(shape, 128, 32)
    total = np.zeros(shape)
    for t in tiles:
        total[t.window.rows, t.window.cols] += tile_weights(t)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    inner = tiles[1]  # has a left neighbour
    assert tile_weights(inner)[:, 0].max() < 0.01
    # scene edges are not ramped
    assert tile_weights(tiles[0])[0, 0] == 1.0
    assert np.all(ramp(10, 0, 0) == 1.0)

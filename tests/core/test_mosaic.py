"""Mosaic: per-tile normalisation and smooth blending remove seams."""

from __future__ import annotations

import numpy as np
import pytest

from superad_geo.scene.mosaic import (
    background_statistics,
    blend,
    constant_patch_warning,
    constant_spectrum_share,
    normalise,
    ramp,
    seam_figure,
)
from superad_geo.scene.tiling import Window, tile_windows


def test_ramps_are_complementary_across_an_overlap():
    for overlap in (1, 2, 7, 32):
        a, b = ramp(100, 0, overlap), ramp(100, overlap, 0)
        np.testing.assert_allclose(a[-overlap:] + b[:overlap], 1.0, atol=1e-12)
        assert np.all(np.diff(b[:overlap]) > 0)  # smooth rise from ~0 at the edge


def test_background_statistics_ignore_anomalies_and_nan():
    rng = np.random.default_rng(0)
    scores = rng.normal(5.0, 2.0, (100, 100))
    scores[:3, :3] = 1e6
    scores[50, :] = np.nan
    centre, spread = background_statistics(scores)
    assert centre == pytest.approx(5.0, abs=0.1) and spread == pytest.approx(2.0, rel=0.05)
    assert background_statistics(np.full((4, 4), 3.0)) == (3.0, 1.0)
    z = normalise(scores, centre, spread)
    assert np.isnan(z[50]).all() and z.dtype == np.float32


def test_constant_patch_floors_the_spread_and_says_so():
    rng = np.random.default_rng(1)
    scores = rng.normal(5.0, 2.0, (100, 100))
    scores[:, :60] = 4.0 + rng.normal(0.0, 1e-7, (100, 60))  # a constant patch: near-equal ...
    scores[:, :40] = 4.0  # ... and, at its heart, identical scores
    centre, spread = background_statistics(scores)
    assert spread > 0.5  # the MAD alone would be ~1e-7: ordinary pixels at ~1e7
    assert np.abs(normalise(scores, centre, spread)).max() < 10

    # measured on the input, a patch of one spectrum counts whatever rounding did to its scores
    cube = rng.normal(0.3, 0.05, (6, 100, 100)).astype(np.float32)
    cube[:, :, :40] = cube[:, :1, :1]
    share = constant_spectrum_share(cube, np.ones((100, 100), bool))
    assert share == 0.4
    scores[:, :40] = 4.0 + rng.normal(0.0, 1e-7, (100, 40))  # no two scores alike now
    assert background_statistics(scores)[1] < 1e-5  # not seen on the scores ...
    assert background_statistics(scores, share)[1] > 0.5  # ... but on the input
    assert constant_patch_warning(share, "tile_x").startswith(
        "40% of tile_x holds one identical spectrum: a constant patch"
    )
    assert constant_patch_warning(0.1, "tile_x") is None


def _tiled_noise(shape, size, overlap, scales, seed=0):
    """One smooth positive field scored per tile on a different scale, as training does."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(seed).gamma(2.0, 1.0, shape), 1.5) + 1.0
    tiles = tile_windows(shape, size, overlap)
    raw = {
        t.name: field[t.window.rows, t.window.cols] * scale
        for t, scale in zip(tiles, scales, strict=False)
    }
    return tiles, raw


def test_normalised_blend_has_no_seam_but_raw_scores_do():
    shape = (128, 128)
    scales = [1.0, 3.0, 0.5, 2.0, 1.5, 4.0, 0.7, 1.2, 2.5]
    window = Window(0, 0, *shape)
    naive_tiles, naive_raw = _tiled_noise(shape, 64, 0, scales)
    naive = blend(window, naive_tiles, lambda t: naive_raw[t.name])
    assert seam_figure(naive, naive_tiles) > 1.3  # the seam shows

    tiles, raw = _tiled_noise(shape, 64, 16, scales)

    def load(t):
        s = raw[t.name]
        return normalise(s, *background_statistics(s))

    mosaic = blend(window, tiles, load)
    assert seam_figure(mosaic, tiles) < 1.1
    assert np.isfinite(mosaic).all()


def test_blend_skips_missing_tiles_and_keeps_nan():
    tiles = tile_windows((40, 40), 24, 8)
    scores = {t.name: np.ones((24, 24), np.float32) for t in tiles[1:]}
    out = blend(Window(0, 0, 40, 40), tiles, lambda t: scores.get(t.name))
    assert np.isnan(out[:16, :16]).all()  # only the skipped first tile covers it
    np.testing.assert_allclose(out[np.isfinite(out)], 1.0, rtol=1e-6)
    assert np.isfinite(out[20:, 20:]).all()

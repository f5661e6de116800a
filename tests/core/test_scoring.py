"""superad_geo.model.scoring: local contrast, smoothing and the RX blend of the error map."""

import numpy as np
import pytest

from superad_geo import score_cube
from superad_geo.evaluation.metrics import roc_auc
from superad_geo.model.presets import resolve_params
from superad_geo.model.rx import rx_scores
from superad_geo.model.scoring import (
    SCORING_KEYS,
    anomaly_scores,
    blend_rx,
    local_contrast,
    local_standardise,
    smooth_scores,
    tile_rx,
)


def _two_grounds(seed=0):
    """Dark smooth ground (left) with a faint 2×2 target; bright textured ground (right)."""
    rng = np.random.default_rng(seed)
    scores = np.empty((60, 80), dtype=np.float32)
    scores[:, :40] = rng.gamma(4.0, 0.25e-4, (60, 40))  # water: errors ~1e-4
    scores[:, 40:] = rng.gamma(4.0, 0.25e-2, (60, 40))  # shoreline: errors ~1e-2
    scores[30:32, 15:17] = 5e-3  # 50× its ground, still below most of the bright ground
    return scores


def test_faint_target_in_dark_ground_rises_above_bright_ground():
    scores = _two_grounds()
    valid = np.ones(scores.shape, dtype=bool)
    before = (scores[:, 40:] > scores[30:32, 15:17].min()).mean()
    contrast = local_contrast(scores, valid, window=21, power=0.5)
    after = (contrast[:, 40:] > contrast[30:32, 15:17].min()).mean()
    assert before > 0.5 and after < 0.01


def test_power_zero_is_the_identity_and_small_targets_survive_the_median():
    scores = _two_grounds(1)
    valid = np.ones(scores.shape, dtype=bool)
    np.testing.assert_allclose(local_contrast(scores, valid, 21, power=0.0), scores)
    full = local_contrast(scores, valid, 21, power=1.0)
    # the median of a 21×21 window ignores a 4-pixel target: it stays ~50× its level
    assert full[30:32, 15:17].min() > 20


def test_invalid_pixels_neither_change_nor_leak():
    scores = _two_grounds(2)
    valid = np.ones(scores.shape, dtype=bool)
    valid[:, :5] = False
    polluted = scores.copy()
    polluted[:, :5] = 1e6
    a = local_contrast(scores, valid, 15)
    b = local_contrast(polluted, valid, 15)
    np.testing.assert_array_equal(a[valid], b[valid])
    np.testing.assert_array_equal(b[~valid], polluted[~valid])
    assert local_contrast(scores, np.zeros_like(valid), 15).tolist() == scores.tolist()


def test_smoothing_lifts_a_target_rim_above_isolated_spikes():
    rng = np.random.default_rng(3)
    scores = rng.gamma(4.0, 0.25, (40, 40)).astype(np.float32)
    scores[18:23, 18:23] = 6.0  # a target's rim (mixed pixels) ...
    scores[19:22, 19:22] = 30.0  # ... around its core
    spikes = (5, 10, 30, 35)
    for row in spikes:
        scores[row, 5] = 6.5  # single-pixel noise, above the rim
    valid = np.ones(scores.shape, dtype=bool)
    smoothed = smooth_scores(scores, valid, sigma=0.5)
    rim = smoothed[18:23, 18:23].copy()
    rim[1:4, 1:4] = np.inf
    assert rim.min() > max(smoothed[row, 5] for row in spikes)
    assert scores[18, 18] < min(scores[row, 5] for row in spikes)


def test_smoothing_ignores_invalid_pixels():
    scores = np.random.default_rng(4).gamma(4.0, 0.25, (20, 20)).astype(np.float32)
    valid = np.ones(scores.shape, dtype=bool)
    valid[5:8, 5:8] = False
    polluted = scores.copy()
    polluted[~valid] = 1e9
    a, b = smooth_scores(scores, valid, 0.5), smooth_scores(polluted, valid, 0.5)
    np.testing.assert_allclose(a[valid], b[valid], rtol=1e-6)
    np.testing.assert_array_equal(b[~valid], polluted[~valid])


def test_rx_blend_lifts_what_rx_sees_and_keeps_the_rest_in_order():
    rng = np.random.default_rng(5)
    scores = rng.gamma(4.0, 0.25, (30, 30)).astype(np.float32)
    rx = rng.chisquare(50, (30, 30)).astype(np.float32)
    rx[10:20, 10:20] *= 20  # a large target the network reconstructed (ordinary scores)
    valid = np.ones(scores.shape, dtype=bool)
    np.testing.assert_array_equal(blend_rx(scores, rx, valid, 0.0), scores)
    blended = blend_rx(scores, rx, valid, 0.25)
    outside = np.ones(scores.shape, dtype=bool)
    outside[10:20, 10:20] = False
    assert np.median(blended[~outside]) > np.quantile(blended[outside], 0.9)
    assert np.median(scores[~outside]) < np.quantile(scores[outside], 0.9)
    # a weight of 0.25 moves the ranks of ordinary pixels only a little
    order = np.corrcoef(
        np.argsort(np.argsort(blended[outside])), np.argsort(np.argsort(scores[outside]))
    )
    assert order[0, 1] > 0.9


def test_rx_blend_ignores_invalid_pixels_and_needs_rx():
    rng = np.random.default_rng(6)
    scores = rng.gamma(4.0, 0.25, (20, 20)).astype(np.float32)
    rx = rng.chisquare(20, (20, 20)).astype(np.float32)
    valid = np.ones(scores.shape, dtype=bool)
    valid[:, :4] = False
    polluted = rx.copy()
    polluted[~valid] = np.nan
    a, b = blend_rx(scores, rx, valid, 0.5), blend_rx(scores, polluted, valid, 0.5)
    np.testing.assert_array_equal(a[valid], b[valid])
    np.testing.assert_array_equal(b[~valid], scores[~valid])
    # RX flat on most pixels (a tile with fewer pixels than bands): no scale, no blend
    np.testing.assert_array_equal(blend_rx(scores, np.ones_like(rx), valid, 0.5), scores)
    with pytest.raises(ValueError, match="rx_weight"):
        anomaly_scores(
            scores, valid, contrast_window=0, contrast_power=0.5, smoothing_sigma=0, rx_weight=0.1
        )


def test_tile_rx_in_bands_of_rows_is_global_rx():
    rng = np.random.default_rng(7)
    cube = rng.random((6, 23, 17)) * np.linspace(0.5, 1.0, 6)[:, None, None]
    valid = rng.random((23, 17)) > 0.1
    expected = rx_scores(cube, valid)
    np.testing.assert_allclose(tile_rx(cube, valid, rows=5), expected, rtol=1e-4)
    np.testing.assert_allclose(tile_rx(cube, valid), expected, rtol=1e-4)


def test_default_preset_scores_are_the_finished_errors():
    rng = np.random.default_rng(0)
    cube = (rng.normal(1000, 20, (8, 1, 1)) + rng.normal(0, 5, (8, 30, 30))).astype(np.float32)
    options = {"steps": 3, "seed": 0, "device": "cpu"}
    unfinished = {"contrast_window": 0, "smoothing_sigma": 0, "rx_weight": 0}
    errors = score_cube(cube, **unfinished, standardise_window=0, **options)
    scores = score_cube(cube, **options)
    default = resolve_params("default")
    expected = anomaly_scores(
        errors,
        np.ones(cube.shape[1:], dtype=bool),
        **{key: default[key] for key in SCORING_KEYS},
        rx=rx_scores(cube),  # RX is the same on the scaled cube the engine sees
    )
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-5)  # z-scores cross 0
    assert not np.allclose(scores, errors, rtol=0.01)


def _two_backgrounds(seed=0):
    """A scene of two backgrounds on different scales, a 2×2 target in each.

    The left background's target sits below most of the right one's pixels.
    """
    rng = np.random.default_rng(seed)
    scores = np.empty((90, 120), dtype=np.float32)
    scores[:, :60] = rng.normal(1.0, 0.1, (90, 60))
    scores[:, 60:] = rng.normal(4.0, 0.5, (90, 60))
    truth = np.zeros(scores.shape, dtype=bool)
    truth[40:42, 20:22] = truth[40:42, 90:92] = True
    scores[40:42, 20:22] = 2.0  # ten spreads above its ground, below the right one's median
    scores[40:42, 90:92] = 9.0
    return scores, truth


def test_standardised_scores_rank_both_targets_above_both_backgrounds():
    scores, truth = _two_backgrounds()
    valid = np.ones(scores.shape, dtype=bool)
    assert roc_auc(scores, truth) < 0.8  # one ROC over both backgrounds ranks them apart
    standardised = local_standardise(scores, valid, window=21)
    assert standardised[truth].min() > standardised[~truth].max()
    # each background on one scale: medians near 0, spreads near 1
    for ground in (np.s_[:, 5:55], np.s_[:, 65:115]):
        values = standardised[ground][~truth[ground]]
        assert abs(np.median(values)) < 0.2
        assert 0.8 < 1.4826 * np.median(np.abs(values - np.median(values))) < 1.2


def test_standardisation_ignores_invalid_pixels_and_fills_empty_windows():
    scores, truth = _two_backgrounds()
    valid = np.ones(scores.shape, dtype=bool)
    valid[:, :30] = False  # windows over the left third hold no valid pixel
    polluted = np.where(valid, scores, 1e6).astype(np.float32)
    standardised = local_standardise(polluted, valid, window=21)
    np.testing.assert_array_equal(standardised[~valid], polluted[~valid])
    # the values under invalid pixels never enter the statistics
    clean = local_standardise(scores, valid, window=21)
    np.testing.assert_array_equal(standardised[valid], clean[valid])
    assert np.isfinite(standardised[valid]).all()
    assert standardised[truth & valid].min() > standardised[~truth & valid].max()


def test_standardisation_of_a_flat_patch_stays_finite():
    scores, _ = _two_backgrounds()
    scores[:, :60] = 1.0  # a flat background: no spread to divide by
    valid = np.ones(scores.shape, dtype=bool)
    standardised = local_standardise(scores, valid, window=21)
    assert np.isfinite(standardised).all()
    np.testing.assert_allclose(standardised[:, :50], 0.0, atol=1e-6)
    # too few valid pixels for one window: the scores come back as they are
    few = np.zeros(scores.shape, dtype=bool)
    few[0, :10] = True
    np.testing.assert_array_equal(local_standardise(scores, few, window=21), scores)

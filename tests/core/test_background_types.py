"""Background types: pixels typed by their smoothed spectra, one scene network per type."""

import numpy as np
import pytest
import torch

from superad_geo.model.background_types import BackgroundTypes, sample_spectra
from superad_geo.model.network import SuperADNet
from superad_geo.model.preparation import segment_cube
from superad_geo.model.scene_training import (
    SceneModel,
    _CropInputs,
    _squared_errors,
    score_tile,
    train_scene,
)

BANDS = 12


@pytest.fixture(scope="module")
def two_grounds():
    """A 128 × 160 cube: two grounds of unlike spectra (left, right), a 2 × 2 target in the
    left and a 6 × 6 block of a third spectrum in the right; a nodata corner."""
    rng = np.random.default_rng(4)
    wave = np.linspace(0, 1, BANDS)[:, None, None]
    cube = np.where(np.arange(160) < 80, 0.3 + 0.2 * wave, 0.7 - 0.3 * wave)
    cube = np.broadcast_to(cube, (BANDS, 128, 160)) + rng.normal(0, 0.01, (BANDS, 128, 160))
    cube[:, 20:22, 10:12] = 0.9
    cube[:, 60:66, 130:136] = 0.1 + 0.8 * wave
    valid = np.ones((128, 160), bool)
    valid[:5, :7] = False
    cube[:, ~valid] = np.nan
    return cube.astype(np.float32), valid


def test_types_follow_the_grounds_and_leave_targets_to_their_surroundings(two_grounds):
    cube, valid = two_grounds
    scaled = np.where(valid, cube, 0)
    types = BackgroundTypes.fit(sample_spectra(scaled, valid), 2, seed=0)
    labels = types.assign(scaled, valid)
    assert (labels[~valid] == -1).all()
    left, right = labels[10:120, 3:77], labels[10:56, 83:157]
    assert len(np.unique(left)) == 1 and len(np.unique(right)) == 1 and left[0, 0] != right[0, 0]
    assert (labels[20:22, 10:12] == left[0, 0]).all()  # the small target takes its ground's type
    again = BackgroundTypes.fit(sample_spectra(scaled, valid), 2, seed=0)
    np.testing.assert_array_equal(again.assign(scaled, valid), labels)


def test_a_cluster_under_the_minimum_share_is_no_type():
    rng = np.random.default_rng(0)
    grounds = [np.full(BANDS, level) for level in (0.2, 0.5, 0.9)]
    sample = np.concatenate(
        [np.repeat(g[None], n, axis=0) for g, n in zip(grounds, (600, 590, 10), strict=True)]
    )
    sample += rng.normal(0, 0.01, sample.shape)
    assert BackgroundTypes.fit(sample, 3, seed=0).count == 2  # 10 of 1200: under MIN_SHARE
    assert BackgroundTypes.fit(sample[:-10], 3, seed=0).count == 3  # two grounds split in three
    assert BackgroundTypes.fit(sample[:999], 3, seed=0) is None  # under MIN_SAMPLE: one type


def _train(cube, valid, seed=0, steps=6, **params):
    def read(window):
        return cube[:, window.rows, window.cols], valid[window.rows, window.cols]

    scaling = (float(np.nanmin(cube)), float(np.nanmax(cube)))
    return train_scene(read, valid.shape, scaling=scaling, steps=steps, seed=seed, device="cpu",
                       crop_size=24, scene_slic_iterations=10, scene_training_pixels=0,
                       **params)  # fmt: skip


def test_each_type_has_its_network_trained_on_its_own_pixels(two_grounds):
    cube, valid = two_grounds
    model = _train(cube, valid, background_types=2)
    assert model.types is not None and len(model.networks) == 2 == len(model.errors)
    assert abs(len(model.losses) - 6) <= 1  # the 6 steps shared (rounded), not multiplied
    scaled = np.where(valid, (cube - np.nanmin(cube)) / np.ptp(cube[:, valid]), 0)
    labels = model.types.assign(scaled, valid)
    for kind, errors in enumerate(model.errors):
        seen = np.isfinite(errors.values)  # each crop types its pixels: its edges may differ
        assert seen.any() and (labels[seen] == kind).mean() > 0.98


def test_typed_scores_are_deterministic_and_survive_the_state(two_grounds):
    cube, valid = two_grounds
    model = _train(cube, valid, background_types=2)
    scores = score_tile(model, cube, mask=valid)
    assert np.isnan(scores[~valid]).all() and np.isfinite(scores[valid]).all()
    again = score_tile(_train(cube, valid, background_types=2), cube, mask=valid)
    np.testing.assert_array_equal(scores, again)
    restored = SceneModel.from_state(model.state(), "cpu")
    np.testing.assert_array_equal(score_tile(restored, cube, mask=valid), scores)
    one = score_tile(_train(cube, valid, background_types=0), cube, mask=valid)
    assert not np.array_equal(one, scores)


def test_types_trained_side_by_side_in_threads_equal_one_thread(two_grounds):
    cube, valid = two_grounds
    models, scores, steps = {}, {}, {1: [], 2: []}
    before = torch.get_num_threads()
    try:
        for threads, reported in steps.items():
            torch.set_num_threads(threads)
            record = reported.append
            models[threads] = _train(
                cube, valid, background_types=2, progress=lambda *step, to=record: to(step)
            )
            assert torch.get_num_threads() == threads  # the networks' threads handed back
            scores[threads] = score_tile(models[threads], cube, mask=valid)
    finally:
        torch.set_num_threads(before)
    assert models[1].losses == models[2].losses
    np.testing.assert_array_equal(scores[1], scores[2])
    total = len(models[2].losses)
    assert steps[1] == steps[2] == [(done, total) for done in range(1, total + 1)]


def test_a_failure_in_one_network_stops_those_trained_beside_it(two_grounds):
    cube, valid = two_grounds
    reported = []

    def progress(done, total):
        reported.append(done)
        if done == 3:
            raise RuntimeError("interrupted at step 3")

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="step 3"):
            _train(cube, valid, steps=60, background_types=2, progress=progress)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert max(reported) < 6  # the other network stopped at its next step, not after its ~30


def test_a_type_scored_on_the_shared_tile_equals_its_masked_cube_scored_alone(two_grounds):
    cube, valid = two_grounds
    model = _train(cube, valid, background_types=2)
    scaled = np.where(valid, (cube - np.nanmin(cube)) / np.ptp(cube[:, valid]), 0)
    scaled = scaled.astype(np.float32)
    region = model.types.assign(scaled, valid) == 1
    prepared = segment_cube(scaled, region, {**model.options, "slic_iterations": 10})
    shared = SuperADNet.pad_input(torch.from_numpy(scaled)[None])
    options = model.options
    errors = _squared_errors(model.networks[1], prepared, shared, 1, options, (None, None))
    alone = _CropInputs.build(prepared, torch.device("cpu"))  # the region's own masked copy
    with torch.no_grad():
        residual = alone.residual(model.networks[1], None)
    expected = residual.square().mean(dim=1).view(region.shape).numpy()
    np.testing.assert_allclose(errors[0][region], expected[region], rtol=1e-4, atol=1e-7)

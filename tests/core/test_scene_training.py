"""Scene training: one network trained on crops across the scene, tiles scored with it."""

import json

import numpy as np
import pytest

from superad_geo.model.crops import CropWindow, crop_schedule, crop_windows
from superad_geo.model.scene_training import (
    SceneErrorMap,
    WeightAverage,
    needs_scene_training,
    scene_schedule,
    score_tile,
    train_scene,
)
from superad_geo.scene.synthetic import make_scene


@pytest.fixture(scope="module")
def scene():
    """A 40 × 56 × 16 synthetic scene with a nodata corner, read through a crop reader."""
    data, _ = make_scene((40, 56), 16, seed=2, anomalies=3)
    cube = data.values.astype(np.float32)
    valid = np.ones(cube.shape[1:], bool)
    valid[:6, :9] = False
    return cube, valid


def _reader(cube, valid, reads=None):
    def read(window):
        if reads is not None:
            reads.append(window)
        return cube[:, window.rows, window.cols], valid[window.rows, window.cols]

    return read


def _train(cube, valid, steps=4, seed=0, reads=None, **params):
    """Scene training of ``steps`` crop steps (not scaled to the scene's area unless asked)."""
    params.setdefault("scene_training_pixels", 0)
    params.setdefault("background_types", 0)  # one network: test_background_types has types
    scaling = (float(cube.min()), float(cube.max()))
    return train_scene(
        _reader(cube, valid, reads),
        valid.shape,
        scaling=scaling,
        steps=steps,
        seed=seed,
        device="cpu",
        crop_size=24,
        scene_slic_iterations=10,
        **params,
    )


@pytest.mark.parametrize(
    ("shape", "crop"), [((1000, 1000), 128), ((200, 300), 128), ((90, 131), 64), ((50, 20), 64)]
)
def test_crops_cover_the_scene_one_per_grid_cell(shape, crop):
    windows = crop_windows(shape, crop, seed=5)
    covered = np.zeros(shape, int)
    for window in windows:
        assert window.row >= 0 and window.col >= 0
        assert window.row + window.height <= shape[0] and window.col + window.width <= shape[1]
        assert (window.height, window.width) == (min(crop, shape[0]), min(crop, shape[1]))
        covered[window.rows, window.cols] += 1
    assert covered.min() >= 1
    assert len(windows) == -(-shape[0] // crop) * -(-shape[1] // crop)
    assert windows == crop_windows(shape, crop, seed=5)
    assert windows != crop_windows(shape, crop, seed=6) or len(windows) == 1


def test_every_crop_is_visited_once_per_round():
    visits = list(crop_schedule(7, 7 * 3 + 2, seed=1))
    assert len(visits) == 23
    for start in (0, 7, 14):
        assert sorted(visits[start : start + 7]) == list(range(7))
    assert visits[:7] != visits[7:14]
    assert list(crop_schedule(0, 0)) == []
    with pytest.raises(ValueError, match="no crops"):  # not an endless loop
        next(crop_schedule(0, 5))


def test_error_map_is_written_where_the_crop_was():
    errors = SceneErrorMap((30, 40))
    window = CropWindow(5, 10, 12, 16)
    error = np.arange(12 * 16, dtype=np.float32).reshape(12, 16)
    valid = np.ones((12, 16), bool)
    valid[0, 0] = False
    errors.update(window, error, valid)
    inside = errors.values[window.rows, window.cols]
    assert np.isinf(inside[0, 0]) and np.array_equal(inside.ravel()[1:], error.ravel()[1:])
    outside = np.ones((30, 40), bool)
    outside[window.rows, window.cols] = False
    assert np.isnan(errors.values[outside]).all()
    assert errors.taps(CropWindow(20, 30, 8, 8), 3, 5, "cpu") is None  # nothing seen there
    assert errors.taps(CropWindow(10, 20, 10, 10), 3, 5, "cpu").shape == (1, 9, 100)


def test_training_updates_the_scene_error_map_at_each_visited_crop(scene):
    cube, valid = scene
    reads = []
    model = _train(cube, valid, steps=1, reads=reads, crop_cache_mb=0)
    windows = crop_windows(valid.shape, 24, seed=0)
    first = windows[next(crop_schedule(len(windows), 1, seed=0))]
    assert reads == windows + [first]  # every crop segmented once; uncached, read again
    seen = ~np.isnan(model.errors[0].values)
    expected = np.zeros(valid.shape, bool)
    expected[first.rows, first.cols] = True
    assert np.array_equal(seen, expected)
    assert np.isfinite(
        model.errors[0].values[first.rows, first.cols][valid[first.rows, first.cols]]
    ).all()

    reads = []
    model = _train(cube, valid, steps=len(windows), reads=reads)
    assert not np.isnan(model.errors[0].values).any()  # one round visits every crop
    assert reads == windows  # cached crops are read once


def test_cached_and_reread_crops_train_alike(scene):
    cube, valid = scene
    cached = score_tile(_train(cube, valid), cube, mask=valid)
    reread = score_tile(_train(cube, valid, crop_cache_mb=0), cube, mask=valid)
    np.testing.assert_array_equal(cached, reread)


def test_same_seed_gives_the_same_pixels(scene):
    cube, valid = scene
    first = score_tile(_train(cube, valid), cube, mask=valid)
    second = score_tile(_train(cube, valid), cube, mask=valid)
    assert first.dtype == np.float32 and first.shape == valid.shape
    np.testing.assert_array_equal(first, second)
    assert np.isnan(first[~valid]).all() and np.isfinite(first[valid]).all()
    assert not np.array_equal(first, score_tile(_train(cube, valid, seed=1), cube, mask=valid))


def test_a_scene_that_fits_in_one_crop_is_trained_as_one_tile():
    scene = {"crop_size": 128, "training": "scene", "tile_training_pixels": 0}
    assert not needs_scene_training((100, 100), scene)
    assert not needs_scene_training((128, 128), scene)
    assert needs_scene_training((129, 100), scene)


def test_auto_trains_per_tile_up_to_its_pixel_count():
    auto = {"crop_size": 128, "training": "auto", "tile_training_pixels": 256 * 256}
    assert not needs_scene_training((256, 256), auto)
    assert needs_scene_training((257, 256), auto)
    assert not needs_scene_training((2000, 2000), {**auto, "training": "tile"})


def test_scene_steps_give_per_tile_visits_up_to_the_budget_and_fixed_time_beyond():
    options = {
        "steps": 1000,
        "lr_step": 100,
        "crop_size": 128,
        "crops_per_step": 1,
        "scene_training_pixels": 150 * 150,
    }

    def visits(side):
        schedule = scene_schedule((side, side), options)
        return schedule["steps"] * 128 * 128 / side**2, schedule

    assert visits(129)[0] == pytest.approx(1000, rel=0.001)  # 2 × 2 crops of 128² cover 129²
    assert visits(150)[0] == pytest.approx(1000, rel=0.001)
    for side in (151, 257, 1000):
        per_pixel, schedule = visits(side)
        assert schedule["steps"] == 1373  # 1000 × 150² pixel-steps in 128² crops
        assert schedule["lr_step"] == 137  # the learning-rate schedule stretched alike
        assert per_pixel == pytest.approx(1000 * 150**2 / side**2, rel=0.001)
    assert scene_schedule((1000, 1000), {**options, "scene_training_pixels": 0})["steps"] == 1000


def test_scene_training_takes_the_scaled_steps(scene):
    cube, valid = scene
    model = _train(cube, valid, steps=2, scene_training_pixels=10**6)
    expected = round(2 * valid.size / (24 * 24))  # 2 visits per pixel, in 24² crops
    assert len(model.losses) == model.options["steps"] == expected


SMALL = {
    "steps": 3,
    "slic_iterations": 10,
    "scene_slic_iterations": 10,
    "device": "cpu",
    "threads": 1,
}


def test_tiles_in_scene_mode_are_scored_by_one_network(monkeypatch):
    from superad_geo import detect
    from superad_geo.model import scene_training, training

    trainings, weights = [], []
    train, score = scene_training.train_scene, scene_training.score_tile

    def counting_train(*args, **kwargs):
        trainings.append(args[1])
        return train(*args, **kwargs)

    def recording_score(model, cube, **kwargs):
        weights.append(model.networks[0].embed_in.weight.detach().clone())
        return score(model, cube, **kwargs)

    def no_tile_training(*args, **kwargs):
        raise AssertionError("scene mode trained a tile")

    monkeypatch.setattr(scene_training, "train_scene", counting_train)
    monkeypatch.setattr(scene_training, "score_tile", recording_score)
    monkeypatch.setattr(training, "train_and_score", no_tile_training)
    scene, _ = make_scene((60, 72), 12, seed=1)
    scores = detect(scene, training="scene", tile_size=32, overlap=8, halo=8, crop_size=24, **SMALL)
    assert trainings == [(60, 72)]
    assert len(weights) == 9  # a 3 × 3 tile grid, one scoring each
    assert all(w.equal(weights[0]) for w in weights)
    assert np.isfinite(scores.values).all()
    assert '"training": "scene"' in scores.attrs["parameters"]


def test_a_scene_within_one_crop_is_scored_as_by_tile_training():
    from superad_geo import detect

    scene, _ = make_scene((30, 36), 12, seed=3)
    by_scene = detect(scene, training="scene", crop_size=64, **SMALL)
    by_tile = detect(scene, training="tile", crop_size=64, **SMALL)
    np.testing.assert_array_equal(by_scene.values, by_tile.values)


def test_weight_average_is_the_mean_of_the_weights_it_was_given():
    import torch

    from superad_geo.model.presets import resolve_params
    from superad_geo.model.training import new_network

    network = new_network([0], 4, resolve_params("default"), torch.device("cpu"))
    first = {name: value.clone() for name, value in network.state_dict().items()}
    average = WeightAverage(network)
    average.add(network)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(1.0)
    average.add(network)
    average.load_into(network)
    for name, value in network.state_dict().items():
        torch.testing.assert_close(value, first[name] + 0.5)


def test_averaged_training_differs_from_the_last_step(scene):
    cube, valid = scene
    last = _train(cube, valid, steps=6, average_weights=0.0).networks[0].state_dict()
    averaged = _train(cube, valid, steps=6, average_weights=0.5).networks[0].state_dict()
    assert any(not last[name].equal(averaged[name]) for name in last)


def test_auto_trains_per_tile_up_to_its_pixel_count_and_per_scene_beyond():
    from superad_geo import detect

    scene, _ = make_scene((60, 72), 12, seed=1)
    grid = {"tile_size": 32, "overlap": 8, "halo": 8, "crop_size": 24, **SMALL}
    by_tile = detect(scene, training="tile", **grid)
    by_scene = detect(scene, training="scene", **grid)
    small = detect(scene, training="auto", tile_training_pixels=60 * 72, **grid)
    large = detect(scene, training="auto", tile_training_pixels=60 * 72 - 1, **grid)
    np.testing.assert_array_equal(small.values, by_tile.values)
    np.testing.assert_array_equal(large.values, by_scene.values)
    assert not np.array_equal(by_tile.values, by_scene.values)
    assert json.loads(small.attrs["parameters"])["training_used"] == "tile"
    assert json.loads(large.attrs["parameters"])["training_used"] == "scene"
    assert json.loads(small.attrs["parameters"])["steps_used"] == 3
    # 3 steps of the scene's 60 × 72 pixels, in crops of 24²
    assert json.loads(large.attrs["parameters"])["steps_used"] == round(3 * 60 * 72 / 24**2)


def test_an_unknown_training_is_refused():
    from superad_geo import detect
    from superad_geo.errors import OptionError

    scene, _ = make_scene((30, 36), 12, seed=3)
    with pytest.raises(OptionError, match="unknown training 'crops'"):
        detect(scene, training="crops", **SMALL)

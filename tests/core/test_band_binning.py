"""Band binning: each run of neighbouring bands averaged into one before training."""

import json
from dataclasses import fields

import numpy as np
import pytest

from superad_geo import detect, score_cube
from superad_geo.errors import OptionError
from superad_geo.model.band_binning import (
    MIN_BINNED_BANDS,
    bin_bands,
    bin_wavelengths,
    binned_band_count,
)
from superad_geo.model.preparation import prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.scene_training import score_tile, train_scene
from superad_geo.options import DetectOptions
from superad_geo.scene.synthetic import make_scene

SHORT = {"steps": 3, "device": "cpu"}


def test_each_bin_is_the_mean_of_its_bands_and_the_last_holds_the_rest():
    bands = 4 * MIN_BINNED_BANDS + 2
    cube = np.arange(bands, dtype=np.float32)[:, None, None] * np.ones((bands, 2, 3), np.float32)
    binned = bin_bands(cube, 4)
    assert binned.shape == (MIN_BINNED_BANDS, 2, 3) and binned.dtype == np.float32
    np.testing.assert_array_equal(binned[:3, 0, 0], [1.5, 5.5, 9.5])
    assert binned[-1, 0, 0] == bands - 3.5  # the last 6 bands
    wavelengths = bin_wavelengths([400.0 + 10 * b for b in range(bands)], 4)
    assert wavelengths[:2] == [415.0, 455.0] and wavelengths[-1] == 400 + 10 * (bands - 3.5)
    assert bin_bands(cube, 1) is cube


def test_binning_never_leaves_fewer_than_the_minimum_of_bands():
    help_text = next(f for f in fields(DetectOptions) if f.name == "band_binning").metadata
    assert f"fewer than {MIN_BINNED_BANDS} bands" in help_text["option"].help
    assert binned_band_count(4 * MIN_BINNED_BANDS, 4) == MIN_BINNED_BANDS
    assert binned_band_count(3 * MIN_BINNED_BANDS, 4) == MIN_BINNED_BANDS  # by 3
    assert binned_band_count(2 * MIN_BINNED_BANDS + 11, 4) == MIN_BINNED_BANDS + 5  # by 2
    narrow = np.ones((2 * MIN_BINNED_BANDS - 1, 3, 3), np.float32)
    assert bin_bands(narrow, 4) is narrow


def test_a_pixel_invalid_in_one_band_stays_invalid():
    cube = np.ones((4 * MIN_BINNED_BANDS, 4, 4), np.float32)
    cube[5, 1, 2] = np.nan
    binned = bin_bands(cube, 4)
    assert np.isnan(binned[1, 1, 2]) and np.isnan(binned).sum() == 1


def test_prepare_cube_trains_on_the_binned_bands_and_picks_the_composite_from_their_wavelengths():
    scene, _ = make_scene((40, 40), 110, seed=1)
    wavelengths = list(np.linspace(420, 2400, 110))
    options = resolve_params("default", band_binning=4, wavelengths=wavelengths)
    prepared = prepare_cube(scene.values, options)
    assert prepared.scaled.shape == (27, 40, 40)
    binned = bin_bands(scene.values.astype(np.float32), 4)
    lo, hi = binned.min(), binned.max()
    np.testing.assert_allclose(prepared.scaled, (binned - lo) / (hi - lo), atol=1e-6)
    unbinned = prepare_cube(scene.values, {**options, "band_binning": 1})
    assert unbinned.scaled.shape == (110, 40, 40)


@pytest.mark.parametrize("factor", [0, -2, 1.5, True])
def test_a_factor_that_is_not_a_positive_integer_is_refused_before_any_work(factor):
    scene, _ = make_scene((16, 16), 12, seed=0)
    with pytest.raises(OptionError, match="band_binning must be a positive integer"):
        detect(scene, band_binning=factor, steps=1)
    with pytest.raises(ValueError, match="band_binning must be a positive integer"):
        score_cube(scene.values, band_binning=factor, **SHORT)


def test_binned_scores_are_deterministic_and_differ_from_unbinned():
    scene, _ = make_scene((48, 48), 60, seed=2)
    first = score_cube(scene.values, seed=5, band_binning=4, **SHORT)
    again = score_cube(scene.values, seed=5, band_binning=4, **SHORT)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, score_cube(scene.values, seed=5, band_binning=1, **SHORT))


@pytest.mark.parametrize("training", ["tile", "scene"])
def test_the_run_record_says_how_many_bands_were_trained_on(training):
    scene, _ = make_scene((72, 72), 110, seed=3)
    run = {"steps": 2, "tile_size": 72, "threads": 1, "training": training}
    binned = json.loads(detect(scene, band_binning=4, **run).attrs["parameters"])
    whole = json.loads(detect(scene, band_binning=1, **run).attrs["parameters"])
    assert binned["training_used"] == training
    assert binned["bands_used"] == 27 and whole["bands_used"] == 110


def test_scene_training_binned_equals_scene_training_on_the_binned_cube():
    scene, _ = make_scene((48, 64), 110, seed=4, anomalies=3)
    cube = scene.values.astype(np.float32)
    binned_cube = bin_bands(cube, 4)
    run = {"scaling": (float(cube.min()), float(cube.max())), "steps": 3, "device": "cpu",
           "crop_size": 24, "scene_slic_iterations": 10, "scene_training_pixels": 0}  # fmt: skip

    def trained(values, factor):
        def read(window):
            return values[:, window.rows, window.cols], None

        return train_scene(read, values.shape[1:], band_binning=factor, **run)

    model = trained(cube, 4)
    assert {network.bands for network in model.networks} == {27}
    np.testing.assert_array_equal(
        score_tile(model, cube), score_tile(trained(binned_cube, 1), binned_cube)
    )

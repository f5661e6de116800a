"""Dimension order is taken by name, never guessed: wrong orders are refused naming the dims."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import superad_geo
from superad_geo.errors import AmbiguousInputError
from superad_geo.model.training import score_cube
from superad_geo.scene.io import prepare_scene

RNG = np.random.default_rng(0)


def _array(dims, shape=(30, 40, 5)):
    return xr.DataArray(RNG.random(shape, dtype=np.float32), dims=dims)


@pytest.mark.parametrize(
    "dims", [("downtrack", "crosstrack", "bands"), ("lat", "lon", "wavelength")]
)
def test_scene_without_a_band_dimension_is_refused(dims):
    with pytest.raises(AmbiguousInputError) as info:
        prepare_scene(_array(dims))
    assert str(dims) in str(info.value)
    with pytest.raises(AmbiguousInputError, match=dims[0]):
        superad_geo.detect(_array(dims), method="rx")


def test_band_dim_names_the_bands_and_keeps_rows_then_columns():
    cube = _array(("lat", "lon", "wavelength")).assign_coords(
        wavelength=np.array([0.45, 0.55, 0.65, 0.85, 1.6])
    )
    scene = prepare_scene(cube, band_dim="wavelength")
    assert scene.dims == ("band", "y", "x") and scene.shape == (5, 30, 40)
    np.testing.assert_allclose(scene["wavelength"].values, [450, 550, 650, 850, 1600])
    np.testing.assert_array_equal(scene.values, np.moveaxis(cube.values, -1, 0))


def test_named_y_x_band_is_transposed_by_name():
    cube = _array(("y", "x", "band"))
    scene = prepare_scene(cube)
    assert scene.shape == (5, 30, 40)
    np.testing.assert_array_equal(scene.values, np.moveaxis(cube.values, -1, 0))


def test_score_cube_refuses_band_last_where_it_can_tell():
    cube = _array(("y", "x", "band"))
    with pytest.raises(AmbiguousInputError, match=r"\('y', 'x', 'band'\)"):
        score_cube(cube, steps=1)
    wavelengths = [450.0, 550.0, 650.0, 850.0, 1600.0]
    with pytest.raises(AmbiguousInputError, match=r"shape \(30, 40, 5\) but 5 wavelengths"):
        score_cube(cube.values, steps=1, wavelengths=wavelengths)


def test_detect_takes_band_dim():
    cube = _array(("lat", "lon", "wavelength"), shape=(30, 40, 6))
    scores = superad_geo.detect(cube, method="rx", band_dim="wavelength")
    assert scores.dims == ("y", "x") and scores.shape == (30, 40)
    reference = superad_geo.detect(
        cube.transpose("wavelength", "lat", "lon").rename(wavelength="band", lat="y", lon="x"),
        method="rx",
    )
    np.testing.assert_array_equal(scores.values, reference.values)

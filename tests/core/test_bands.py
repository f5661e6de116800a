"""Band selection by number, by wavelength, bad bands and water-vapour bands."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from superad_geo.errors import BandSelectionError
from superad_geo.scene.bands import parse_band_spec, select_band_indices, select_bands


def _scene(wavelengths=None, bbl=None):
    n = 10 if wavelengths is None else len(wavelengths)
    coords = {"band": np.arange(1, n + 1)}
    if wavelengths is not None:
        coords["wavelength"] = ("band", np.asarray(wavelengths, float))
    if bbl is not None:
        coords["bbl"] = ("band", np.asarray(bbl, bool))
    return xr.DataArray(np.zeros((n, 2, 2)), dims=("band", "y", "x"), coords=coords)


def test_index_and_wavelength_ranges():
    assert parse_band_spec("1-3,7") == [(1.0, 3.0, "index"), (7.0, 7.0, "index")]
    assert parse_band_spec("0.4-1.3um") == [(400.0, 1300.0, "nm")]
    assert parse_band_spec("400-500 nm") == [(400.0, 500.0, "nm")]
    idx = select_band_indices("2-3,5", [1, 2, 3, 4, 5])
    assert idx.tolist() == [1, 2, 4]
    wl = np.array([450.0, 900.0, 1400.0, 1600.0, 2100.0])
    assert select_band_indices("400-1000nm,1.5-1.7um", [1, 2, 3, 4, 5], wl).tolist() == [0, 1, 3]


def test_band_numbers_keep_their_meaning_after_subsetting():
    scene = _scene(np.linspace(400, 2500, 10)).isel(band=[2, 3, 4, 5])
    assert select_bands(scene, "4-5").band.values.tolist() == [4, 5]


def test_bad_and_water_bands_are_dropped():
    wl = [500.0, 1350.0, 1400.0, 1600.0, 1900.0, 2200.0]
    scene = _scene(wl, bbl=[1, 1, 1, 0, 1, 1])
    assert select_bands(scene).band.values.tolist() == [1, 2, 3, 5, 6]
    assert select_bands(scene, drop_water_bands=True).band.values.tolist() == [1, 6]
    assert select_bands(scene, drop_bad_bands=False).sizes["band"] == 6


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a-b", "cannot parse"),
        ("5-3", "reversed"),
        ("200-300", "selects no band"),
        ("0.5", "whole"),
    ],
)
def test_bad_specifications_say_what_to_do(spec, message):
    with pytest.raises(BandSelectionError, match=message):
        select_bands(_scene(), spec)


def test_wavelengths_needed_for_wavelength_selection():
    with pytest.raises(BandSelectionError, match="no band wavelengths|has none"):
        select_bands(_scene(), "400-900nm")
    with pytest.raises(BandSelectionError, match="water-vapour"):
        select_bands(_scene(), drop_water_bands=True)

"""Product readers against values read independently with h5py, and refused containers."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from superad_geo.errors import AmbiguousInputError, SuperadGeoError
from superad_geo.scene.io import open_scene


@pytest.fixture(scope="module")
def neon(products_dir) -> str:
    return str(products_dir / "neon-aop" / "NEON_D17_SJER_DP3_crop_reflectance.h5")


def test_neon_aop_cube_wavelengths_scale_nodata_and_grid(neon):
    with h5py.File(neon, "r") as f:
        cube = f["SJER/Reflectance/Reflectance_Data"]
        raw = cube[()]  # (y, x, band)
        scale = float(cube.attrs["Scale_Factor"][0])
        ignore = float(cube.attrs["Data_Ignore_Value"][0])
        wavelength = f["SJER/Reflectance/Metadata/Spectral_Data/Wavelength"][()]
        epsg = int(f["SJER/Reflectance/Metadata/Coordinate_System/EPSG Code"][0])
        map_info = f["SJER/Reflectance/Metadata/Coordinate_System/Map_Info"][0].decode()
    scene = open_scene(neon)
    assert scene.dims == ("band", "y", "x") and scene.shape == (426, 30, 30)
    assert scene.chunks is not None  # lazy
    np.testing.assert_array_equal(scene["wavelength"].values, wavelength)
    expected = np.moveaxis(raw, -1, 0).astype(np.float32) * np.float32(1 / scale)
    np.testing.assert_allclose(scene.values, expected, rtol=1e-6)
    assert scene.rio.encoded_nodata == ignore == -9999.0
    assert str(scene.rio.crs) == f"EPSG:{epsg}" == "EPSG:32611"
    items = [v.strip() for v in map_info.split(",")]
    east, north, size = float(items[3]), float(items[4]), float(items[5])
    assert tuple(scene.rio.transform())[:6] == (size, 0.0, east, 0.0, -size, north)
    assert scene["x"].values[0] == east + size / 2 and scene["y"].values[0] == north - size / 2


def test_neon_nodata_pixels_become_nan(tmp_path, neon):
    copy = tmp_path / "neon.h5"
    copy.write_bytes(Path(neon).read_bytes())
    with h5py.File(copy, "r+") as f:
        f["SJER/Reflectance/Reflectance_Data"][3, 4, :] = -9999
    scene = open_scene(copy)
    assert np.isnan(scene.isel(y=3, x=4).values).all()
    assert np.isfinite(scene.isel(y=3, x=5).values).all()


def test_neon_fwhm_and_water_vapour_windows(tmp_path, neon):
    """Full NEON products add FWHM and the Band_Window_*_Nanometers attributes."""
    copy = tmp_path / "neon.h5"
    copy.write_bytes(Path(neon).read_bytes())
    with h5py.File(copy, "r+") as f:
        spectral = f["SJER/Reflectance/Metadata/Spectral_Data"]
        spectral["FWHM"] = np.full(426, 5.8)
        cube = f["SJER/Reflectance/Reflectance_Data"]
        cube.attrs["Band_Window_1_Nanometers"] = np.array([1340, 1445], dtype="i4")
        cube.attrs["Band_Window_2_Nanometers"] = np.array([1790, 1955], dtype="i4")
        wavelength = spectral["Wavelength"][()]
    scene = open_scene(copy)
    np.testing.assert_array_equal(scene["fwhm"].values, 5.8)
    inside = ((wavelength >= 1340) & (wavelength <= 1445)) | (
        (wavelength >= 1790) & (wavelength <= 1955)
    )
    assert inside.sum() > 40
    np.testing.assert_array_equal(scene["bbl"].values, ~inside)


def test_several_datasets_are_refused_by_name(tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["radiance"] = np.zeros((3, 4, 5), dtype="f4")
        f["group/reflectance"] = np.zeros((3, 4, 5), dtype="f4")
    with pytest.raises(AmbiguousInputError) as info:
        open_scene(path)
    message = str(info.value)
    assert "2 datasets" in message and "\n" not in message
    assert f'HDF5:"{path}"://radiance' in message
    assert f'HDF5:"{path}"://group/reflectance' in message


def test_one_dataset_of_unknown_layout_is_refused_then_read_by_name(tmp_path):
    path = tmp_path / "one.h5"
    cube = np.arange(60, dtype="f4").reshape(3, 4, 5)
    with h5py.File(path, "w") as f:
        f["cube"] = cube
    with pytest.raises(SuperadGeoError, match="axis order cannot be told"):
        open_scene(path)
    scene = open_scene(f'HDF5:"{path}"://cube')  # the user says it is (band, y, x)
    np.testing.assert_array_equal(scene.values, cube)

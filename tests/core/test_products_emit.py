"""EMIT L2A reflectance: read on the GLT map grid, checked pixel by pixel against h5py."""

from __future__ import annotations

import h5py
import numpy as np
import rasterio
from product_fixtures import EMIT_GEOTRANSFORM, info_and_rx, make_emit

from superad_geo.scene.io import open_scene


def test_emit_map_grid_wavelengths_and_fill(tmp_path):
    path = make_emit(tmp_path / "EMIT_L2A_RFL_001_20230101T000000_2300100_001.nc")
    with h5py.File(path, "r") as f:
        swath = f["reflectance"][()]
        glt_x, glt_y = f["location/glt_x"][()], f["location/glt_y"][()]
        wavelengths = f["sensor_band_parameters/wavelengths"][()]
        good = f["sensor_band_parameters/good_wavelengths"][()]
    scene = open_scene(path)
    values = scene.values
    assert scene.shape == (swath.shape[2], *glt_x.shape)
    np.testing.assert_allclose(scene["wavelength"].values, wavelengths)
    np.testing.assert_array_equal(scene["bbl"].values, good == 1)
    assert scene.rio.crs.to_epsg() == 4326
    assert scene.rio.transform().to_gdal() == EMIT_GEOTRANSFORM
    for y in range(glt_x.shape[0]):
        for x in range(glt_x.shape[1]):
            if glt_x[y, x] == 0:
                assert np.isnan(values[:, y, x]).all()
                continue
            spectrum = swath[glt_y[y, x] - 1, glt_x[y, x] - 1]
            expected = np.where(spectrum == -9999, np.nan, spectrum)
            np.testing.assert_array_equal(values[:, y, x], expected)
    assert np.isnan(values).any() and (glt_x == 0).any()  # outside the swath, fill at its edge


def test_emit_fixture_is_what_gdal_reads_as_netcdf(tmp_path):
    path = make_emit(tmp_path / "emit.nc")
    with h5py.File(path, "r") as f:
        swath = f["reflectance"][()]
    with rasterio.open(f'NETCDF:"{path}":reflectance') as ds:
        assert ds.driver == "netCDF" and ds.count == swath.shape[2]
        assert ds.tags()["NETCDF_DIM_EXTRA"] == "{bands}"
        # GDAL's netCDF driver shows a grid without coordinates bottom-up (last row first)
        np.testing.assert_array_equal(ds.read(), np.moveaxis(swath, -1, 0)[:, ::-1])


def test_info_and_rx_write_scores_on_the_map_grid(tmp_path):
    path, out = make_emit(tmp_path / "emit.nc"), tmp_path / "scores.tif"
    info = info_and_rx(path, out)
    assert "EPSG:4326" in info and "381.0–2493.0 nm" in info
    with h5py.File(path, "r") as f:
        glt_x = f["location/glt_x"][()]
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4326 and ds.transform.to_gdal() == EMIT_GEOTRANSFORM
        scores = ds.read(1, masked=True)
    assert scores.shape == glt_x.shape
    assert not scores.mask[glt_x > 0].all() and scores.mask[glt_x == 0].all()

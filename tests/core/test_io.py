"""Reading real rasters: EnMAP GeoTIFF/VRT, ENVI headers, .mat cubes; validity and scaling."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.pipeline.prepare import scene_blocks as _blocks
from superad_geo.scene.bands import select_bands
from superad_geo.scene.io import open_scene, output_nodata, read_mat
from superad_geo.scene.statistics import scene_statistics
from superad_geo.scene.validity import fill_block, valid_pixels


def test_enmap_tile_metadata_scale_and_nodata(enmap_vrt):
    path = enmap_vrt.parent / "enmap_potsdam_tile_128_0.tif"
    scene = open_scene(path)
    assert scene.dims == ("band", "y", "x") and scene.shape == (224, 32, 32)
    assert scene.chunks is not None  # lazy
    assert scene["wavelength"].values[0] == pytest.approx(418.24)
    assert scene["fwhm"].values[0] == pytest.approx(6.99561)
    assert np.flatnonzero(~scene["bbl"].values).tolist() == list(range(129, 135))  # 130-135
    assert str(scene.rio.crs) == "EPSG:32633"
    assert scene.rio.encoded_nodata == -32768.0 and output_nodata(scene) == -32768.0
    with rasterio.open(path) as ds:
        raw = ds.read(1).astype(np.float32)
    np.testing.assert_allclose(scene.isel(band=0).values, raw * np.float32(1e-4), rtol=1e-6)
    assert np.isnan(scene.isel(band=130).values).all()  # band 131: nodata everywhere


def test_enmap_mosaic_gaps_bad_bands_and_statistics(enmap_vrt):
    scene = open_scene(enmap_vrt, chunks={"band": -1, "y": 64, "x": 64})
    assert scene.shape == (224, 192, 160)
    assert scene.rio.transform().c == 364095.0
    # keeping flagged bands, the statistics find bands 130-135 empty and drop them
    stats = scene_statistics(_blocks(scene, None), 224)
    assert np.flatnonzero(~stats.keep).tolist() == list(range(129, 135))
    # the 12 missing tiles are gaps; 3 pixels of the tiles have an all-zero spectrum
    assert stats.n_valid == 18 * 32 * 32 - 3
    assert -0.1 < stats.lo < 0.0 < 1.0 < stats.hi < 1.5  # reflectance after the 1e-4 scale
    # bad-band flags drop the same bands up front
    assert select_bands(scene).sizes["band"] == 218
    # rows 64-96: no tile at columns 0-96 (a gap), tiles 160_64 and 192_64 beyond
    cube = scene.isel(y=slice(64, 96), x=slice(64, 128)).values
    valid = valid_pixels(cube)
    assert valid[:, :32].sum() == 0 and valid[:, 32:].mean() > 0.99
    filled = fill_block(cube, stats.fill)
    assert np.isfinite(filled).all()


def test_percentile_scaling_is_inside_the_range(enmap_vrt):
    scene = select_bands(open_scene(enmap_vrt))
    mm = scene_statistics(_blocks(scene, None), scene.sizes["band"])
    pc = scene_statistics(_blocks(scene, None), scene.sizes["band"], scaling="percentile")
    assert mm.lo <= pc.lo < pc.hi <= mm.hi
    assert pc.hi - pc.lo < mm.hi - mm.lo


def test_envi_header_wavelengths_in_micrometres(tmp_path):
    path = tmp_path / "cube.img"
    profile = {"driver": "ENVI", "width": 5, "height": 4, "count": 3, "dtype": "uint16"}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.arange(60, dtype=np.uint16).reshape(3, 4, 5) + 1)
    header = tmp_path / "cube.hdr"
    header.write_text(
        header.read_text()
        + "wavelength units = Micrometers\nwavelength = {0.45, 0.55, 1.4}\nbbl = {1, 1, 0}\n"
        + "data ignore value = 1\n"
    )
    scene = open_scene(path)
    np.testing.assert_allclose(scene["wavelength"].values, [450.0, 550.0, 1400.0])
    assert scene["bbl"].values.tolist() == [True, True, False]
    assert scene.dtype == np.float32
    assert np.isnan(scene.values[0, 0, 0])  # 'data ignore value' is GDAL nodata


def test_mat_benchmark_cube(had_dir):
    scene, truth = read_mat(had_dir / "hydice-urban.mat")
    assert scene.shape == (162, 80, 100) and truth.shape == (80, 100)
    assert truth.dtype == np.uint8 and 0 < truth.sum() < truth.size
    opened = open_scene(had_dir / "hydice-urban.mat")
    assert opened.dtype == np.float32 and opened.rio.crs is None
    np.testing.assert_array_equal(opened.values, scene.values.astype(np.float32))


def test_missing_and_unreadable_inputs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_scene(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(InputError, match="cannot read"):
        open_scene(bad)


def test_all_nodata_scene_raises(enmap_vrt):
    scene = open_scene(enmap_vrt).isel(y=slice(0, 32), x=slice(96, 160))  # a gap
    with pytest.raises(NoValidPixelsError, match="nodata"):
        scene_statistics(_blocks(scene, None), scene.sizes["band"])

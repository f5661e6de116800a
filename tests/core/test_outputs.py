"""Outputs a user can keep: valid COGs (scores and masks) carrying their run record."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from geotiff_support import write_geotiff
from rio_cogeo.cogeo import cog_validate

from superad_geo import detect_file
from superad_geo.scene.io import open_scene
from superad_geo.scene.synthetic import make_scene


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory):
    scene, _ = make_scene((96, 80), 16, seed=3)
    return write_geotiff(tmp_path_factory.mktemp("outputs") / "scene.tif", scene, nodata=-9999)


def _valid_cog(path):
    valid, errors, warnings = cog_validate(str(path), strict=True)
    assert valid and not errors and not warnings, (errors, warnings)


def test_rx_scores_and_mask_are_cogs_with_the_record(scene_file, tmp_path):
    scores, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    result = detect_file(scene_file, scores, method="rx", mask_out=mask, far=0.01, bands="3-14")
    for path in (scores, mask):
        _valid_cog(path)
    scene = open_scene(scene_file)
    with rasterio.open(scores) as ds:
        tags = ds.tags()
    assert json.loads(tags["SUPERAD_BANDS"]) == list(range(3, 15))
    expected_nm = scene["wavelength"].values[2:14]
    np.testing.assert_allclose(json.loads(tags["SUPERAD_WAVELENGTHS"]), expected_nm, atol=1e-4)
    assert (
        "Mahalanobis" in tags["SUPERAD_SCORE"]
        and "higher is more anomalous" in tags["SUPERAD_SCORE"]
    )
    assert tags["SUPERAD_GDAL_VERSION"] == rasterio.__gdal_version__
    assert tags["SUPERAD_RASTERIO_VERSION"] == rasterio.__version__
    assert tags["SUPERAD_NUMPY_VERSION"] == np.__version__
    with rasterio.open(mask) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255 and ds.overviews(1)
        assert ds.colormap(1)[1] == (255, 0, 0, 255) and ds.colormap(1)[0] == (0, 0, 0, 255)
        mask_tags = ds.tags()
        values = ds.read(1)
        overview = ds.read(1, out_shape=(ds.height // 2, ds.width // 2))
    assert set(np.unique(overview)) <= {0, 1, 255}  # nearest, not averaged
    assert mask_tags["SUPERAD_BANDS"] == tags["SUPERAD_BANDS"]  # the run record travels
    assert mask_tags["SUPERAD_PARAMETERS"] == tags["SUPERAD_PARAMETERS"]
    assert mask_tags["rule"] == "far=0.01" and float(mask_tags["threshold"]) == result.threshold
    assert "far=0.01" in mask_tags["SUPERAD_MASK"]
    assert int((values == 1).sum()) <= 0.01 * (values != 255).sum()


def test_superad_record_names_the_device_and_batch_used(scene_file, tmp_path):
    scores = tmp_path / "scores.tif"
    detect_file(scene_file, scores, preset="fast", steps=2, tile_size=64, overlap=16)
    _valid_cog(scores)
    with rasterio.open(scores) as ds:
        tags = ds.tags()
    parameters = json.loads(tags["SUPERAD_PARAMETERS"])
    assert parameters["device"] == "auto" and parameters["device_used"] == "cpu"
    assert parameters["batch_size"] == "auto" and parameters["batch_size_used"] == 1
    assert "z-score" in tags["SUPERAD_SCORE"]
    assert tags["SUPERAD_TORCH_VERSION"] == __import__("torch").__version__

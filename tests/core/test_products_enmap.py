"""EnMAP L2A product folder and zip, built from a real Potsdam tile as DLR delivers it."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from product_fixtures import info_and_rx, make_enmap_product

from superad_geo.scene.bands import select_bands
from superad_geo.scene.io import open_scene
from superad_geo_cli.main import cli

NAME = "ENMAP01-____L2A-DT0000001867_20220724T104526Z_008_V010302_20230628T165614Z"


@pytest.fixture(scope="module")
def tile(enmap_vrt):
    return enmap_vrt.parent / "enmap_potsdam_tile_128_0.tif"


@pytest.fixture(scope="module")
def product(tile, tmp_path_factory):
    """``<NAME>/`` with an int16 SPECTRAL_IMAGE (no band tags, no scale) and METADATA.XML."""
    return make_enmap_product(tmp_path_factory.mktemp("enmap"), tile, NAME)


def test_enmap_folder_matches_the_tile(product, tile):
    reference = open_scene(tile)  # wavelengths, fwhm and scale from the tile's band tags
    for src in (product, product / f"{NAME}-METADATA.XML"):
        scene = open_scene(src)
        assert scene.attrs["product"] == "EnMAP L2A" and scene.shape == (224, 32, 32)
        np.testing.assert_allclose(scene["wavelength"].values, reference["wavelength"].values)
        np.testing.assert_allclose(scene["fwhm"].values, reference["fwhm"].values)
        np.testing.assert_allclose(scene.values, reference.values, rtol=1e-6)
        assert scene.rio.crs == reference.rio.crs and scene.rio.encoded_nodata == -32768
        assert scene.rio.transform() == reference.rio.transform()


def test_enmap_zip_and_overlapping_vnir_swir(product, tmp_path):
    archive = tmp_path / f"{NAME}.ZIP"
    with zipfile.ZipFile(archive, "w") as z:
        for item in product.iterdir():
            z.write(item, f"{NAME}/{item.name}")
    scene = open_scene(archive)
    wavelength = scene["wavelength"].values
    with zipfile.ZipFile(archive) as z:
        xml = ElementTree.fromstring(z.read(f"{NAME}/{NAME}-METADATA.XML"))
    expected = [float(b.findtext("wavelengthCenterOfBand")) for b in xml.iter("bandID")]
    np.testing.assert_array_equal(wavelength, expected)
    assert (np.diff(wavelength) < 0).sum() == 1  # SWIR starts below the last VNIR band
    both = select_bands(scene, "930-960nm")  # bands of both detectors, in product order
    assert both["band"].values.tolist() == [84, 85, 86, 95, 96, 97]  # VNIR 84-86, SWIR 95-97


def test_cli_takes_the_product_folder_as_one_scene(product, tmp_path):
    info = info_and_rx(product, tmp_path / "scores.tif")
    assert "32 rows × 32 columns" in info and "418.2–2445.5 nm" in info
    with rasterio.open(tmp_path / "scores.tif") as ds:
        assert (ds.height, ds.width, ds.crs.to_epsg()) == (32, 32, 32633)
    result = CliRunner().invoke(
        cli, ["batch", str(product), "--out-dir", str(tmp_path / "out"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == [str(product)]

"""Band metadata: GDAL IMAGERY domain, ENVI header lists and scale factor, on real ENVI files."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import rasterio

from superad_geo.scene.io import open_scene


def _header_list(path, key):
    text = path.read_text()
    match = re.search(rf"^{key}\s*=\s*\{{([^}}]*)\}}", text, re.M | re.S)
    return np.array([float(v) for v in match.group(1).split(",")])


def test_aviris3_micrometres_are_read_in_nm(products_dir):
    header = products_dir / "aviris3-envi" / "AV320250308t200738_rdn.hdr"
    scene = open_scene(header.with_suffix(".img"))
    assert scene.shape == (284, 1, 1)
    np.testing.assert_allclose(scene["wavelength"].values, _header_list(header, "wavelength") * 1e3)
    assert np.isnan(scene["fwhm"].values).all()  # the header has none


def test_prism_wavelengths_and_fwhm_from_the_header(products_dir):
    header = products_dir / "prism-envi" / "prm20231110t071521_rdn_two_px.hdr"
    scene = open_scene(header.with_suffix(""))
    assert scene.shape == (246, 2, 1)
    np.testing.assert_allclose(scene["wavelength"].values, _header_list(header, "wavelength"))
    np.testing.assert_allclose(scene["fwhm"].values, _header_list(header, "fwhm"))


def _tif(path, *, band_tags=True, imagery=True, scale=None):
    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=2, dtype="int16") as ds:
        ds.write(np.full((2, 3, 4), 5000, dtype="int16"))
        for i, (tag_nm, imagery_um) in enumerate(((440, 0.45), (540, 0.55)), start=1):
            if band_tags:
                ds.update_tags(i, wavelength=str(tag_nm), wavelength_units="nm", fwhm="20")
            if imagery:
                ds.update_tags(
                    i, ns="IMAGERY", CENTRAL_WAVELENGTH_UM=str(imagery_um), FWHM_UM="0.01"
                )
        if scale is not None:
            ds.scales = (scale, scale)
    return path


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_imagery_domain_comes_before_band_tags(tmp_path):
    both = open_scene(_tif(tmp_path / "both.tif"))
    np.testing.assert_allclose(both["wavelength"].values, [450, 550])
    np.testing.assert_allclose(both["fwhm"].values, [10, 10])
    tags_only = open_scene(_tif(tmp_path / "tags.tif", imagery=False))
    np.testing.assert_allclose(tags_only["wavelength"].values, [440, 540])
    np.testing.assert_allclose(tags_only["fwhm"].values, [20, 20])


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_envi_reflectance_scale_factor(tmp_path, products_dir):
    src = products_dir / "prism-envi" / "prm20231110t071521_rdn_two_px"
    for suffix in ("", ".hdr"):
        shutil.copy(src.with_name(src.name + suffix), tmp_path / (src.name + suffix))
    raw = open_scene(tmp_path / src.name).values
    header = tmp_path / (src.name + ".hdr")
    header.write_text(header.read_text().rstrip() + "\nreflectance scale factor = 10000\n")
    scaled = open_scene(tmp_path / src.name)
    np.testing.assert_allclose(scaled.values, raw / np.float32(10000), rtol=1e-6)
    with rasterio.open(tmp_path / src.name) as ds:
        np.testing.assert_allclose(ds.read().astype(np.float32) / 10000, scaled.values, rtol=1e-6)

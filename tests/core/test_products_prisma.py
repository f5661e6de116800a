"""PRISMA L2D HE5: VNIR and SWIR bands, scaling, fill and UTM grid, against h5py reads."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import rasterio
from product_fixtures import PRISMA_SWATH, PRISMA_UL, info_and_rx, make_prisma

from superad_geo.errors import AmbiguousInputError
from superad_geo.scene.io import open_scene


def test_prisma_bands_scaling_fill_and_grid(tmp_path):
    path = make_prisma(tmp_path / "PRS_L2D_STD_20230407100729_20230407100733_0001.he5")
    with h5py.File(path, "r") as f:
        expected, wavelengths, flags = [], [], []
        for key in ("Vnir", "Swir"):
            cube = f[f"{PRISMA_SWATH}/Data Fields/{key.upper()}_Cube"][()]  # (line, band, sample)
            dn = np.moveaxis(cube, 1, 0).astype(np.float32)
            lo, hi = float(f.attrs[f"L2Scale{key}Min"]), float(f.attrs[f"L2Scale{key}Max"])
            reflectance = np.float32(lo) + dn * np.float32((hi - lo) / 65535)
            expected.append(np.where(dn == 0, np.nan, reflectance))
            wavelengths.append(f.attrs[f"List_Cw_{key}"])
            flags.append(f.attrs[f"List_Cw_{key}_Flags"])
    scene = open_scene(path)
    assert scene.attrs["product"] == "PRISMA L2D reflectance" and scene.shape == (13, 20, 24)
    np.testing.assert_allclose(scene.values, np.concatenate(expected), rtol=1e-6)
    cw = np.concatenate(wavelengths)
    np.testing.assert_array_equal(scene["wavelength"].values, np.where(cw > 0, cw, np.nan))
    np.testing.assert_array_equal(scene["bbl"].values, np.concatenate(flags) == 1)
    assert np.isnan(scene.isel(y=0, x=slice(0, 2)).values).all()  # DN 0: outside the footprint
    assert scene.rio.crs.to_epsg() == 32633
    assert tuple(scene.rio.transform())[:6] == (
        30.0, 0.0, PRISMA_UL[0] - 15, 0.0, -30.0, PRISMA_UL[1] + 15
    )  # fmt: skip


def test_prisma_lines_not_running_south_are_refused(tmp_path):
    path = make_prisma(tmp_path / "flipped.he5", north_up=False)
    with pytest.raises(AmbiguousInputError, match="lines must run north to south"):
        open_scene(path)


def test_info_and_rx_on_prisma(tmp_path):
    path, out = make_prisma(tmp_path / "prisma.he5"), tmp_path / "scores.tif"
    info = info_and_rx(path, out)
    assert "20 rows × 24 columns" in info and "EPSG:32633" in info
    with rasterio.open(out) as ds:
        assert (ds.height, ds.width, ds.crs.to_epsg()) == (20, 24, 32633)
        assert ds.transform.c == PRISMA_UL[0] - 15

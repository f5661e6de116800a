"""``info`` and ``detect`` on real product files; ambiguous containers exit 2."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import rasterio


@pytest.fixture(scope="module")
def neon(products_dir):
    return products_dir / "neon-aop/NEON_D17_SJER_DP3_crop_reflectance.h5"


def test_info_and_rx_on_the_neon_crop(run, neon, tmp_path):
    info = run("info", neon)
    assert info.exit_code == 0, info.output
    assert "30 rows × 30 columns" in info.output and "426 used of 426" in info.output
    assert "383.5–2511.9 nm" in info.output and "EPSG:32611" in info.output
    out = tmp_path / "scores.tif"
    result = run("detect", neon, "-o", out, "--method", "rx")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert (ds.height, ds.width, ds.crs.to_epsg()) == (30, 30, 32611)
        assert tuple(ds.transform)[:6] == (1.0, 0.0, 257000.0, 0.0, -1.0, 4112000.0)
        assert np.isfinite(ds.read(1)).all()


def test_container_with_several_datasets_exits_2(run, tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["a"] = np.zeros((3, 4, 5), dtype="f4")
        f["b"] = np.zeros((3, 4, 5), dtype="f4")
    for command in (("info", path), ("detect", path, "-o", tmp_path / "s.tif", "--method", "rx")):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert f'HDF5:"{path}"://a' in result.stderr and f'HDF5:"{path}"://b' in result.stderr
    assert not (tmp_path / "s.tif").exists()

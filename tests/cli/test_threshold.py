"""``superad-geo threshold``: masks by quantile or false-alarm rate, and polygons."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.features import rasterize

CRS = "EPSG:32633"
TRANSFORM = Affine(30.0, 0.0, 364095.0, 0.0, -30.0, 5809965.0)


@pytest.fixture
def scores_tif(tmp_path):
    rng = np.random.default_rng(7)
    s = rng.gamma(2.0, size=(60, 70)).astype(np.float32)
    s[10:13, 10:12] += 40  # a 3x2 blob
    s[30, 30] += 50
    s[31, 31] += 45  # touches (30, 30) at a corner: same region
    s[50:52, 60:64] += 35
    s[0:5, :] = -9999  # nodata
    s[20, 5] = np.nan
    path = tmp_path / "scores.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=70, height=60, count=1, dtype="float32",
        crs=CRS, transform=TRANSFORM, nodata=-9999,
    ) as ds:  # fmt: skip
        ds.write(s, 1)
    valid = (s != -9999) & np.isfinite(s)
    return path, s, valid


def test_far_mask_and_vector_line_up(run, tmp_path, scores_tif):
    path, s, valid = scores_tif
    out, vec = tmp_path / "mask.tif", tmp_path / "regions.gpkg"
    result = run("threshold", path, "-o", out, "--far", "0.004", "--vector", vec)
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        mask = ds.read(1)
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
        assert ds.crs.to_epsg() == 32633 and ds.transform == TRANSFORM
    n_valid = int(valid.sum())
    k = int(np.floor(0.004 * n_valid))
    assert (mask == 1).sum() == k
    assert np.array_equal(mask == 255, ~valid)
    top = np.sort(s[valid])[-k:]
    assert s[mask == 1].min() == top.min()

    info = pyogrio.read_info(vec)
    assert info["crs"] == "EPSG:32633" and info["geometry_type"] == "MultiPolygon"
    _, _, geoms, fields = pyogrio.raw.read(vec)
    polys = shapely.from_wkb(geoms)
    assert all(shapely.is_valid(polys))
    burned = rasterize([(p, 1) for p in polys], out_shape=mask.shape, transform=TRANSFORM)
    assert np.array_equal(burned == 1, mask == 1)  # polygons cover exactly the mask
    names = list(info["fields"])
    n_pixels = fields[names.index("n_pixels")]
    area = fields[names.index("area")]
    peak = fields[names.index("peak_score")]
    assert n_pixels.sum() == k
    assert np.allclose(area, n_pixels * 900.0)
    assert np.allclose([p.area for p in polys], area)
    assert peak[0] == pytest.approx(float(np.nanmax(np.where(valid, s, np.nan))))
    # the two corner-touching pixels form one region
    corner = shapely.Point(*(TRANSFORM * (30.5, 30.5)))
    assert sum(p.contains(corner) for p in polys) == 1
    hit = next(i for i, p in enumerate(polys) if p.contains(corner))
    assert n_pixels[hit] == 2


#: Debian 12's ogrinfo (GDAL 3.6, which its QGIS 3.22 uses), installed by ``make qgis``.
SYSTEM_OGRINFO = Path("/usr/bin/ogrinfo")


def test_geopackage_is_version_1_2_and_opens_without_warning(run, tmp_path, scores_tif):
    path, _, _ = scores_tif
    vec = tmp_path / "regions.gpkg"
    result = run("threshold", path, "-o", tmp_path / "mask.tif", "--far", "0.004",
                 "--vector", vec, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(vec) as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
    assert application_id.to_bytes(4, "big") == b"GPKG" and user_version == 10200
    if not SYSTEM_OGRINFO.exists():
        pytest.skip(f"no system GDAL ({SYSTEM_OGRINFO} is missing; `make qgis` installs it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "PROJ_"))}
    done = subprocess.run([str(SYSTEM_OGRINFO), "-ro", "-so", "-al", str(vec)],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "partially supported" not in done.stdout + done.stderr
    assert "Feature Count: 3" in done.stdout and "Multi Polygon" in done.stdout


def test_quantile_and_geojson(run, tmp_path, scores_tif):
    path, s, valid = scores_tif
    out = tmp_path / "mask.tif"
    result = run("threshold", path, "-o", out, "--quantile", "0.99", "--vector",
                 tmp_path / "r.geojson", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    t = np.quantile(s[valid].astype(np.float64), 0.99, method="inverted_cdf")
    with rasterio.open(out) as ds:
        mask = ds.read(1)
    assert np.array_equal(mask == 1, valid & (s > t))
    assert pyogrio.read_info(tmp_path / "r.geojson")["features"] >= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --quantile and --far"),
        (["--far", "0.1", "--quantile", "0.9"], "exactly one of --quantile and --far"),
        (["--far", "1.5"], "--far"),
        (["--far", "0.1", "--vector", "r.shp"], "vector format"),
    ],
)
def test_bad_usage(run, tmp_path, scores_tif, args, message):
    path, _, _ = scores_tif
    out = tmp_path / "mask.tif"
    args = [str(tmp_path / a) if a.endswith(".shp") else a for a in args]
    result = run("threshold", path, "-o", out, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_not_a_raster_and_existing_output(run, tmp_path, scores_tif):
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    out = tmp_path / "mask.tif"
    result = run("threshold", bad, "-o", out, "--far", "0.01")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "bad.tif" in result.stderr
    assert not out.exists()
    path, _, _ = scores_tif
    out.write_bytes(b"precious")
    result = run("threshold", path, "-o", out, "--far", "0.01")
    assert result.exit_code == 2
    assert "exists; give --overwrite to replace it" in result.stderr
    assert out.read_bytes() == b"precious"
    assert run("threshold", path, "-o", out, "--far", "0.01", "--overwrite").exit_code == 0

"""``superad-geo batch`` over a folder with a corrupt scene, and over the EnMAP tiles."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio


def _manifest(folder):
    with open(folder / "manifest.csv", newline="") as f:
        return {row["scene"]: row for row in csv.DictReader(f)}


@pytest.fixture
def archive(tmp_path, helpers):
    """Four scenes: a GeoTIFF, an ENVI image, a .mat cube and a corrupt file."""
    import scipy.io

    folder = tmp_path / "archive"
    folder.mkdir()
    for i, name in enumerate(["a.tif", "b.tif"]):
        cube, _ = helpers.make_cube(24, 28, 6, seed=i)
        helpers.write_tif(folder / name, cube, nodata=-9999)
    cube, truth = helpers.make_cube(20, 20, 6, seed=5)
    scipy.io.savemat(folder / "c.mat", {"data": np.moveaxis(cube, 0, -1), "map": truth})
    (folder / "corrupt.tif").write_bytes(b"II*\x00" + b"\x00garbage" * 20)
    return folder


def test_batch_with_a_corrupt_scene_then_rerun(run, archive, tmp_path):
    out = tmp_path / "out"  # created by batch
    result = run("batch", archive, "--out-dir", out, "--method", "rx", "--progress", "json")
    assert result.exit_code == 2, result.output
    produced = sorted(p.name for p in out.iterdir())
    assert produced == ["a.tif", "b.tif", "c.tif", "manifest.csv"]
    rows = _manifest(out)
    assert len(rows) == 4
    status = {k.rsplit("/", 1)[-1]: r["status"] for k, r in rows.items()}
    assert status == {"a.tif": "ok", "b.tif": "ok", "c.mat": "ok", "corrupt.tif": "failed"}
    failed = next(r for r in rows.values() if r["status"] == "failed")
    assert "corrupt.tif" in failed["error"] and failed["output"] == ""
    ok = next(r for r in rows.values() if r["status"] == "ok")
    assert json.loads(ok["parameters"])["method"] == "rx" and float(ok["seconds"]) >= 0
    assert "failed: " in result.stderr and "corrupt.tif" in result.stderr
    records = [json.loads(s) for s in result.stderr.splitlines() if s.startswith("{")]
    scenes = [r for r in records if r["stage"] == "scenes"]
    assert scenes[-1] == {"done": 4, "total": 4, "stage": "scenes"}
    with rasterio.open(out / "a.tif") as ds, rasterio.open(archive / "a.tif") as src:
        assert ds.crs == src.crs and ds.shape == src.shape
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.tif")}

    again = run("batch", archive, "--out-dir", out, "--method", "rx")
    assert again.exit_code == 2
    rows = _manifest(out)
    assert sorted(r["status"] for r in rows.values()) == ["failed", "skipped", "skipped", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.tif")} == mtimes
    assert "3 skipped, 1 failed" in again.stderr


def test_batch_inputs_glob_and_list(run, archive, tmp_path):
    listing = tmp_path / "scenes.txt"
    listing.write_text("# two scenes\narchive/a.tif\n\narchive/c.mat\n")
    out = tmp_path / "out"
    result = run("batch", listing, str(archive / "b*.tif"), "--out-dir", out, "--method", "rx",
                 "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.tif", "b.tif", "c.tif", "manifest.csv"]
    assert result.stderr == ""


def test_batch_bad_invocations(run, archive, tmp_path):
    result = run("batch", tmp_path / "nothing-here", "--out-dir", tmp_path / "o")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "o").exists()
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.tif").write_bytes((archive / "a.tif").read_bytes())
    result = run("batch", archive / "a.tif", tmp_path / "x" / "a.tif", "--out-dir", tmp_path / "o")
    assert result.exit_code == 2 and "would both write a.tif" in result.stderr


def test_batch_on_a_dask_cluster(run, archive, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        out = tmp_path / "out"
        result = run("batch", archive / "a.tif", archive / "c.mat", "--out-dir", out,
                     "--method", "rx", "--scheduler", cluster.scheduler_address)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(r["status"] for r in _manifest(out).values()) == ["ok", "ok"]


def test_batch_enmap_tiles(run, helpers, tmp_path):
    tiles = sorted(helpers.ENMAP.glob("enmap_potsdam_tile_*.tif"))
    if len(tiles) != 18:
        pytest.skip("EnMAP tiles missing")
    out = tmp_path / "enmap"
    result = run("batch", helpers.ENMAP, "--out-dir", out, "--method", "rx",
                 "--drop-water-bands", "--quiet")  # fmt: skip
    # mosaic.vrt is in the folder too: 19 scenes
    assert result.exit_code == 0, result.output
    rows = _manifest(out)
    assert len(rows) == 19 and all(r["status"] == "ok" for r in rows.values())
    assert sorted(p.name for p in out.glob("*.tif")) == sorted(
        [t.name for t in tiles] + ["mosaic.tif"]
    )
    assert [p.name for p in out.iterdir() if p.is_dir()] == []
    for tile in tiles[:3]:
        with rasterio.open(out / tile.name) as ds, rasterio.open(tile) as src:
            assert ds.crs == src.crs and ds.transform == src.transform and ds.shape == src.shape
            assert np.isfinite(ds.read(1, masked=True).compressed()).all()


def test_detect_enmap_mosaic(run, helpers, tmp_path):
    vrt = helpers.ENMAP / "mosaic.vrt"
    if not vrt.exists():
        pytest.skip("EnMAP data missing")
    out = tmp_path / "mosaic.tif"
    result = run("detect", vrt, "-o", out, "--method", "rx", "--tile-size", "96",
                 "--overlap", "16", "--bands", "400-1300nm,1500-1800nm")  # fmt: skip
    assert result.exit_code == 0, result.output
    with rasterio.open(vrt) as src, rasterio.open(out) as ds:
        assert ds.crs == src.crs and ds.transform == src.transform and ds.shape == src.shape
        cube = src.read(masked=True)
        scores = ds.read(1, masked=True)
    gaps = cube.mask.all(axis=0)
    assert gaps.sum() > 10_000  # the 12 missing tiles
    real = (cube.filled(0) != 0).any(axis=0)  # all-zero spectra are invalid too
    assert scores.mask[gaps].all()  # gaps stay nodata
    assert not scores.mask[real].any()  # every real pixel is scored
    assert np.isfinite(scores.compressed()).all()

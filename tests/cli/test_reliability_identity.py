"""Regression tests of issue 20, item 1 and the resume left over from issue 14: an input is
identified by the content of all its files, and an interrupted scene training is not redone.

docs/reliability.md maps each case to its test.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import textwrap

import numpy as np
import pytest
import rasterio
from child_processes import run_python

NAME = "ENMAP01-____L2A-DT0000001867_20220724T104526Z_008_V010302_20230628T165614Z"


def _statuses(folder):
    with open(folder / "manifest.csv", newline="") as f:
        return [(os.path.basename(r["scene"]), r["status"]) for r in csv.DictReader(f)]


def _add_a_patch(path, value: float = 5.0) -> None:
    """Add ``value`` to an 8 × 8 patch of the middle band of a GeoTIFF, in place.

    The file keeps its size, its first and last 64 KiB (what the identity of
    issue 14 looked at).
    """
    size = path.stat().st_size

    def ends() -> tuple[bytes, bytes]:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
            f.seek(size - (1 << 16))
            return head, f.read()

    before = ends()
    with rasterio.open(path, "r+") as ds:
        band = ds.count // 2 + 1
        rows = (ds.height // 2 - 4, ds.height // 2 + 4)
        cols = (ds.width // 2 - 4, ds.width // 2 + 4)
        patch = ds.read(band, window=(rows, cols))
        ds.write(patch + np.asarray(value, dtype=patch.dtype), band, window=(rows, cols))
    assert path.stat().st_size == size and ends() == before


def _batch(run, inputs, out, *extra):
    return run("batch", inputs, "--out-dir", out, "--method", "rx", "-q", *extra)


@pytest.fixture
def big(tmp_path, helpers):
    """A 120 × 120 × 20 float32 GeoTIFF: 1.1 MB, its middle far from its first and last 64 KiB."""
    folder = tmp_path / "archive"
    folder.mkdir()
    cube, _ = helpers.make_cube(120, 120, 20, seed=3)
    helpers.write_tif(folder / "big.tif", cube)
    return folder / "big.tif"


def test_a_change_in_the_middle_of_a_geotiff_makes_its_output_stale(run, tmp_path, big):
    out = tmp_path / "out"
    assert _batch(run, big, out).exit_code == 0
    assert _batch(run, big, out).exit_code == 0 and _statuses(out) == [("big.tif", "skipped")]
    _add_a_patch(big)
    result = _batch(run, big, out)
    assert result.exit_code == 2
    assert _statuses(out) == [("big.tif", "stale")]
    assert _batch(run, big, out, "--overwrite").exit_code == 0
    assert _statuses(out) == [("big.tif", "rerun")]


@pytest.mark.parametrize("side", ["aux.xml", "envi header"])
def test_a_changed_side_file_makes_the_output_stale(run, tmp_path, helpers, side):
    cube, _ = helpers.make_cube(24, 28, 6, seed=4)
    if side == "aux.xml":
        scene = helpers.write_tif(tmp_path / "scene.tif", cube)
    else:
        scene = tmp_path / "scene.img"
        with rasterio.open(scene, "w", driver="ENVI", width=28, height=24, count=6,
                           dtype="float32") as ds:  # fmt: skip
            ds.write(cube)
    out = tmp_path / "out"
    assert _batch(run, scene, out).exit_code == 0
    if side == "aux.xml":  # GDAL's side file: a scale for every band
        bands = "".join(f'<PAMRasterBand band="{b}"><Scale>0.5</Scale></PAMRasterBand>'
                        for b in range(1, 7))  # fmt: skip
        (tmp_path / "scene.tif.aux.xml").write_text(f"<PAMDataset>{bands}</PAMDataset>")
    else:
        header = tmp_path / "scene.hdr"
        header.write_text(header.read_text() + "reflectance scale factor = 2\n")
    with rasterio.open(scene) as ds:
        assert ds.scales[0] == 0.5 or "reflectance_scale_factor" in ds.tags(ns="ENVI")
    assert _batch(run, scene, out).exit_code == 2
    assert _statuses(out) == [(scene.name, "stale")]


def test_a_changed_vrt_source_makes_the_vrt_output_stale(run, tmp_path, helpers):
    if not (helpers.ENMAP / "mosaic.vrt").exists():
        pytest.skip("shared EnMAP mosaic not available")
    mosaic = tmp_path / "enmap"
    shutil.copytree(helpers.ENMAP, mosaic)
    for path in mosaic.iterdir():
        path.chmod(0o644)
    out = tmp_path / "out"
    assert _batch(run, mosaic / "mosaic.vrt", out).exit_code == 0
    _add_a_patch(mosaic / "enmap_potsdam_tile_128_0.tif", value=50.0)
    assert _batch(run, mosaic / "mosaic.vrt", out).exit_code == 2
    assert _statuses(out) == [("mosaic.vrt", "stale")]


@pytest.mark.parametrize("part", ["SPECTRAL_IMAGE.TIF", "METADATA.XML"])
def test_a_changed_file_of_a_product_folder_makes_its_output_stale(run, tmp_path, helpers, part):
    tile = helpers.ENMAP / "enmap_potsdam_tile_128_0.tif"
    if not tile.exists():
        pytest.skip("shared EnMAP tiles not available")
    product = helpers.products.make_enmap_product(tmp_path, tile, NAME)
    out = tmp_path / "out"
    assert _batch(run, product, out).exit_code == 0
    changed = product / f"{NAME}-{part}"
    if part == "METADATA.XML":
        changed.write_text(changed.read_text().replace(">0.0001<", ">0.0002<", 1))
    else:
        _add_a_patch(changed, value=500.0)
    assert _batch(run, product, out).exit_code == 2
    assert _statuses(out) == [(NAME, "stale")]


# --- left from issue 14: a resumed scene training is not trained again ---------------


def test_an_interrupted_scene_training_resumes_without_training_again(tmp_path, helpers):
    from superad_geo import detect_file
    from superad_geo.scene.synthetic import make_scene

    data, _ = make_scene((132, 40), 10, seed=6)
    scene = helpers.write_tif(tmp_path / "scene.tif", data.values.astype(np.float32))
    options = {"preset": "fast", "steps": 3, "training": "scene", "tile_size": 32,
               "overlap": 8, "threads": 1, "seed": 0}  # fmt: skip
    reference = detect_file(scene, tmp_path / "reference.tif", **options).path

    dst = tmp_path / "resumed.tif"
    code = textwrap.dedent(
        f"""
        import os, signal
        from superad_geo import detect_file

        def progress(done, total, stage):
            if stage == "tiles" and done >= 3:
                os.kill(os.getpid(), signal.SIGKILL)  # killed after the training, mid-tiles

        detect_file({str(scene)!r}, {str(dst)!r}, progress=progress, **{options!r})
        """
    )
    killed = run_python(["-c", code], env={**os.environ, "OMP_NUM_THREADS": "1"}, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    work = tmp_path / "resumed.tif.superad-work"
    assert (work / "fit.npz").is_file() and not dst.exists()

    stages = []
    result = detect_file(scene, dst, progress=lambda d, t, stage: stages.append(stage), **options)
    assert result.resumed >= 3
    assert "training" not in stages and "scaling" not in stages  # nothing fitted again
    with rasterio.open(reference) as a, rasterio.open(dst) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))

"""A new detector is one class and one registry line: a toy one, defined here alone, run everywhere.

The toy scores each pixel by the norm of its spectrum. It implements only
``score`` (and says what its score means); the base class's defaults give
it no halo or overlap, one scale for every tile and nothing learnt before
the tiles. Registered in ``DETECTORS``, it runs through ``detect_file``,
``batch`` (which skips its results on a rerun, by their fingerprint) and the
command line's ``--method``.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio

import superad_geo


class SpectralNorm(superad_geo.Detector):
    """Each pixel's spectral norm: a toy detector."""

    name = "norm"
    summary = "each pixel's spectral norm, a toy"
    score_meaning = "Euclidean norm of the pixel's spectrum; higher is brighter"

    def score(self, cubes, masks, state, progress):
        return [
            np.where(mask, np.linalg.norm(cube, axis=0), np.nan).astype(np.float32)
            for cube, mask in zip(cubes, masks, strict=True)
        ]


@pytest.fixture
def norm(monkeypatch):
    """The toy registered for the test only (one line in ``DETECTORS``, as its module would be)."""
    monkeypatch.setitem(superad_geo.DETECTORS, "norm", SpectralNorm())


def _norm_of(path) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.linalg.norm(src.read().astype(np.float32), axis=0)


def test_detect_file_runs_a_new_detector(norm, data_dir, tmp_path):
    out = tmp_path / "norm.tif"
    result = superad_geo.detect_file(data_dir / "scene.tif", out, method="norm", tile_size=16)
    assert result.tiles == 9  # 40 × 44 pixels in 16-pixel tiles, without overlap
    with rasterio.open(out) as ds:
        scores, tags = ds.read(1), ds.tags()
    np.testing.assert_array_equal(scores, _norm_of(data_dir / "scene.tif"))
    assert tags["SUPERAD_METHOD"] == "norm"
    assert tags["SUPERAD_SCORE"] == SpectralNorm.score_meaning
    parameters = json.loads(tags["SUPERAD_PARAMETERS"])
    assert (parameters["overlap"], parameters["halo"], parameters["normalisation"]) == (
        0,
        0,
        "none",
    )


def test_the_command_line_offers_a_new_detector(norm, run, data_dir, tmp_path):
    assert "--method [superad|rx|norm]" in run("detect", "--help").stdout
    out = tmp_path / "norm.tif"
    result = run("detect", data_dir / "scene.tif", "-o", out, "--method", "norm", "-q")
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(rasterio.open(out).read(1), _norm_of(data_dir / "scene.tif"))
    info = json.loads(run("info", data_dir / "scene.tif", "--method", "norm", "--json").stdout)
    assert (info["method"], info["overlap"], info["halo"]) == ("norm", 0, 0)


def test_batch_runs_a_new_detector_and_skips_its_results(norm, run, data_dir, tmp_path):
    out = tmp_path / "out"
    scenes = [data_dir / "scene.tif", data_dir / "scene_envi.img"]
    first = run("batch", *scenes, "--out-dir", out, "--method", "norm", "-q")
    assert first.exit_code == 0, first.stderr
    again = run("batch", *scenes, "--out-dir", out, "--method", "norm", "-q")
    assert again.exit_code == 0, again.stderr
    with (out / "manifest.csv").open() as f:
        assert [row["status"] for row in csv.DictReader(f)] == ["skipped", "skipped"]
    np.testing.assert_array_equal(
        rasterio.open(out / "scene.tif").read(1), _norm_of(data_dir / "scene.tif")
    )
    rx = run("batch", data_dir / "scene.tif", "--out-dir", out, "--method", "rx", "-q")
    assert rx.exit_code == 2  # another detector's result is stale for this one's output

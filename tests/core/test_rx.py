"""Global RX: reproduces the benchmark AUCs; tiled RX equals whole-scene RX."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from superad_geo.model.rx import rx_scores
from superad_geo.pipeline import detect
from superad_geo.scene.io import read_mat
from superad_geo.scene.synthetic import make_scene

# RX AUCs of ../shared/docs/benchmarks.md. Exact float64 RX reproduces four of
# them to 1e-4; abu-airport-1 and sandiego have covariances with condition
# numbers of 1e7-1e8 and come out 0.0015 lower (0.8221, 0.8885): the figure
# moves with numerical details there (a ridge of 1e-8 lifts airport to 0.83).
BENCHMARK_RX = {
    "abu-airport-1": 0.8236,
    "abu-beach-2": 0.9109,
    "abu-urban-1": 0.9907,
    "hydice-urban": 0.9932,
    "pavia-centre": 0.9887,
    "sandiego": 0.8900,
}


@pytest.mark.parametrize("name", sorted(BENCHMARK_RX))
def test_rx_reproduces_benchmark_auc(had_dir, name):
    scene, truth = read_mat(had_dir / f"{name}.mat")
    auc = roc_auc_score(truth.ravel(), rx_scores(scene.values).ravel())
    assert auc == pytest.approx(BENCHMARK_RX[name], abs=0.002)


def test_tiled_rx_equals_whole_scene_rx():
    scene, truth = make_scene((96, 80), 16, seed=3)
    whole = rx_scores(scene.values)
    tiled = detect(scene, method="rx", tile_size=32)
    np.testing.assert_allclose(tiled.values, whole, rtol=2e-4, atol=1e-3)
    assert roc_auc_score(truth.values.ravel(), tiled.values.ravel()) > 0.95


def test_mat_file_through_the_file_pipeline(had_dir, tmp_path):
    import rasterio

    from superad_geo.pipeline import detect_file

    scene, truth = read_mat(had_dir / "abu-urban-1.mat")
    dst = tmp_path / "rx.tif"
    detect_file(had_dir / "abu-urban-1.mat", dst, method="rx", tile_size=64)
    with rasterio.open(dst) as ds:
        assert ds.crs is None and (ds.height, ds.width) == truth.shape
        scores = ds.read(1)
    auc = roc_auc_score(truth.ravel(), scores.ravel())
    assert auc == pytest.approx(BENCHMARK_RX["abu-urban-1"], abs=0.002)

"""``superad-geo evaluate`` against scikit-learn and on every truth format."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import scipy.io
from sklearn.metrics import roc_auc_score


def _rx(cube):  # (y, x, band) -> global RX scores, the test's own baseline
    x = cube.reshape(-1, cube.shape[-1]).astype(np.float64)
    d = x - x.mean(0)
    inv = np.linalg.pinv(np.cov(x.T))
    return np.einsum("ij,jk,ik->i", d, inv, d).reshape(cube.shape[:2])


def _write_scores(path, scores, nodata=None):
    with rasterio.open(
        path, "w", driver="GTiff", width=scores.shape[1], height=scores.shape[0], count=1,
        dtype="float32", nodata=nodata,
    ) as ds:  # fmt: skip
        ds.write(scores.astype(np.float32), 1)
    return path


def test_evaluate_mat_map_matches_sklearn(run, tmp_path, helpers):
    HAD = helpers.HAD
    if not (HAD / "abu-beach-2.mat").exists():
        pytest.skip("benchmark data missing")
    content = scipy.io.loadmat(HAD / "abu-beach-2.mat")
    # detect on the .mat, then evaluate against its own 'map'
    out = tmp_path / "scores.tif"
    result = run("detect", HAD / "abu-beach-2.mat", "-o", out, "--method", "rx", "--quiet")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        scores = ds.read(1)
    assert roc_auc_score(content["map"].ravel(), scores.ravel()) > 0.85  # RX: 0.91
    result = run("evaluate", tmp_path / "scores.tif", "--truth", HAD / "abu-beach-2.mat", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {"auc_roc", "auc_pf", "auc_pd"}
    expected = roc_auc_score(content["map"].ravel(), scores.ravel())
    assert abs(figures["auc_roc"] - expected) < 1e-6
    # and on the test's own RX map, written without CRS
    mine = _rx(content["data"]).astype(np.float32)
    _write_scores(tmp_path / "mine.tif", mine)
    result = run("evaluate", tmp_path / "mine.tif", "--truth", HAD / "abu-beach-2.mat", "--json")
    expected = roc_auc_score(content["map"].ravel(), mine.ravel())
    assert abs(json.loads(result.stdout)["auc_roc"] - expected) < 1e-6
    assert 0.0 <= figures["auc_pf"] < figures["auc_pd"] <= 1.0


def test_table_plot_and_nodata(run, tmp_path, helpers):
    rng = np.random.default_rng(3)
    truth = (rng.random((30, 40)) < 0.05).astype(np.uint8)
    scores = rng.random((30, 40)) + truth * 0.5
    scores[:3] = -1.0  # nodata rows are left out
    _write_scores(tmp_path / "s.tif", scores, nodata=-1.0)
    helpers.write_truth_tif(tmp_path / "t.tif", truth)
    result = run("evaluate", tmp_path / "s.tif", "--truth", tmp_path / "t.tif",
                 "--plot", tmp_path / "roc.png")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "AUC(ROC)" in result.stdout and "AUC(Pf,τ)" in result.stdout
    keep = slice(3, None)
    expected = roc_auc_score(truth[keep].ravel(), scores[keep].astype(np.float32).ravel())
    line = next(s for s in result.stdout.splitlines() if s.startswith("AUC(ROC)"))
    assert abs(float(line.split()[1]) - expected) < 1e-4
    assert "120 without score or truth left out" in result.stderr
    assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"


def test_roc_is_drawn_on_a_log_false_alarm_axis(cube_truth):
    from sklearn.metrics import roc_curve as sk_roc_curve

    from superad_geo import evaluate_scores
    from superad_geo_cli.evaluate import roc_figure

    cube, truth = cube_truth
    scores = _rx(np.moveaxis(cube, 0, -1)).ravel()
    labels = truth.ravel() != 0
    fig = roc_figure(scores, labels, evaluate_scores(scores, labels), "rx vs truth")
    roc = fig.axes[0]
    n_background = int((~labels).sum())
    assert roc.get_xscale() == "log"
    assert roc.get_xlim() == pytest.approx((1 / n_background, 1.0))
    # the curve drawn is scikit-learn's ROC, points without false alarm at 1 / n
    fpr, tpr, _ = sk_roc_curve(labels, scores, drop_intermediate=False)
    x, y = roc.lines[0].get_data()
    drawn = set(zip(np.round(x, 12), np.round(y, 12), strict=True))
    expected = zip(np.round(np.maximum(fpr, 1 / n_background), 12), np.round(tpr, 12), strict=True)
    assert set(expected) <= drawn


def test_bad_truth(run, tmp_path, helpers):
    _write_scores(tmp_path / "s.tif", np.ones((10, 12)))
    helpers.write_truth_tif(tmp_path / "t.tif", np.zeros((11, 12), dtype=np.uint8))
    result = run("evaluate", tmp_path / "s.tif", "--truth", tmp_path / "t.tif")
    assert result.exit_code == 2
    assert "must be on the same grid" in result.stderr
    helpers.write_truth_tif(tmp_path / "t0.tif", np.zeros((10, 12), dtype=np.uint8))
    result = run("evaluate", tmp_path / "s.tif", "--truth", tmp_path / "t0.tif",
                 "--plot", tmp_path / "roc.png")  # fmt: skip
    assert result.exit_code == 2
    assert "no anomalous pixel" in result.stderr
    assert not (tmp_path / "roc.png").exists()
    scipy.io.savemat(tmp_path / "nomap.mat", {"data": np.zeros((10, 12, 3))})
    result = run("evaluate", tmp_path / "s.tif", "--truth", tmp_path / "nomap.mat")
    assert result.exit_code == 2
    assert "'map'" in result.stderr

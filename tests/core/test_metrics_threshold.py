"""Metrics against scikit-learn, and the exact out-of-core threshold selection."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from sklearn.metrics import roc_auc_score

from superad_geo.evaluation import threshold as thr
from superad_geo.evaluation.metrics import evaluate_scores, roc_auc, roc_curve, tau_aucs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_equals_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random(5000) < 0.03
    scores = np.round(rng.random(5000) + truth * 0.4, 2)  # many ties
    assert abs(roc_auc(scores, truth) - roc_auc_score(truth, scores)) < 1e-12


def test_nan_scores_are_left_out():
    scores = np.array([0.1, np.nan, 0.8, 0.3, np.inf])
    truth = np.array([0, 1, 1, 0, 1])
    assert roc_auc(scores, truth) == 1.0


def test_tau_aucs_closed_form():
    scores = np.array([0.0, 2.0, 4.0, 10.0])
    truth = np.array([0, 0, 1, 1])
    auc_pf, auc_pd = tau_aucs(scores, truth)
    assert auc_pf == pytest.approx((0.0 + 0.2) / 2)  # mean scaled background score
    assert auc_pd == pytest.approx((0.4 + 1.0) / 2)
    # the same areas by integrating the step functions over a fine tau grid
    tau = np.linspace(0, 1, 200001)
    scaled = scores / 10
    pd = [(scaled[truth == 1] >= x).mean() for x in tau[::1000]]
    assert np.trapezoid(pd, tau[::1000]) == pytest.approx(auc_pd, abs=5e-3)
    figures = evaluate_scores(scores, truth)
    assert set(figures) == {"auc_roc", "auc_pf", "auc_pd"} and figures["auc_roc"] == 1.0


def test_roc_curve_ends():
    c = roc_curve(np.array([1.0, 1.0, 0.5]), np.array([1, 0, 0]))
    assert (c.fpr[0], c.tpr[0], c.fpr[-1], c.tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.isinf(c.thresholds[0])


@pytest.mark.parametrize("rule", [{"quantile": 0.97}, {"far": 0.005}, {"quantile": 0.5}])
def test_out_of_core_threshold_is_exact(tmp_path, monkeypatch, rule):
    rng = np.random.default_rng(4)
    s = (rng.pareto(1.5, size=(90, 70)) * 3).astype(np.float32)  # heavy tail
    s[:4] = -1
    path = tmp_path / "s.tif"
    with rasterio.open(path, "w", driver="GTiff", width=70, height=90, count=1,
                       dtype="float32", nodata=-1) as ds:  # fmt: skip
        ds.write(s, 1)
    monkeypatch.setattr(thr, "_COLLECT_LIMIT", 8)  # force several histogram levels
    result = thr.threshold_raster(path, tmp_path / "m.tif", block_rows=7, **rule)
    valid = s != -1
    assert result.threshold == thr.threshold_value(np.where(valid, s, np.nan), **rule)
    assert result.n_flagged == int((s[valid] > result.threshold).sum())
    if "far" in rule:
        assert result.n_flagged == int(np.floor(rule["far"] * valid.sum()))
    else:
        expected = np.quantile(s[valid].astype(np.float64), rule["quantile"], method="inverted_cdf")
        assert result.threshold == expected

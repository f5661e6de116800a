"""Detection metrics: ROC AUC and Chang's 3-D ROC areas.

The conventions of the hyperspectral anomaly detection literature (see
``docs/superad-method.md`` §7): the ROC AUC of the score map against the
binary ground truth, and the two areas of the 3-D ROC of Chang (2021) — the
area under the detection probability :math:`P_d(\\tau)` and under the
false-alarm probability :math:`P_f(\\tau)` as the threshold :math:`\\tau`
sweeps [0, 1] over the min–max scaled scores.

Everything here is NumPy only: scikit-learn is used by the tests to check
:func:`roc_auc` but is not needed at run time.

References
----------
Chang, C.-I. (2021). An effective evaluation tool for hyperspectral target
detection: 3D receiver operating characteristic curve analysis. IEEE TGRS
59(6), 5131–5153.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["RocCurve", "evaluate_scores", "prepare", "roc_auc", "roc_curve", "tau_aucs"]


class RocCurve(NamedTuple):
    """Points of an ROC curve, from the strictest threshold to the loosest.

    Attributes
    ----------
    fpr, tpr : ndarray
        False- and true-positive rates; both start at 0 and end at 1.
    thresholds : ndarray
        Score at or above which a pixel is flagged for each point; the first
        is ``+inf`` (nothing flagged).
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def prepare(
    scores: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Flatten scores and truth and keep the pixels that can be evaluated.

    Parameters
    ----------
    scores : ndarray, shape (y, x) or (n,)
        Anomaly scores; NaN and ±inf mark pixels without a score.
    truth : ndarray, same shape as ``scores``
        Ground truth; non-zero (or True) is an anomaly.
    valid : ndarray of bool, optional
        Pixels to keep in addition to the finite-score rule.

    Returns
    -------
    scores : ndarray of float64, shape (n,)
    truth : ndarray of bool, shape (n,)

    Raises
    ------
    ValueError
        If the shapes differ, or the kept pixels do not contain both classes.
    """
    scores = np.asarray(scores)
    truth = np.asarray(truth)
    if scores.shape != truth.shape:
        raise ValueError(
            f"scores have shape {scores.shape} but the truth has shape {truth.shape}; "
            "they must be on the same grid"
        )
    keep = np.isfinite(scores)
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    s = scores[keep].astype(np.float64, copy=False).ravel()
    t = truth[keep].ravel() != 0
    n_pos = int(t.sum())
    if n_pos == 0 or n_pos == t.size:
        kind = "no anomalous" if n_pos == 0 else "no background"
        raise ValueError(
            f"the truth has {kind} pixel among the {t.size} evaluated pixels; "
            "ROC needs both classes"
        )
    return s, t


def roc_curve(scores: np.ndarray, truth: np.ndarray) -> RocCurve:
    """ROC curve of ``scores`` against the binary ``truth``.

    One point per distinct score (ties form one step), plus the origin.

    Parameters
    ----------
    scores : ndarray, shape (n,)
        Finite scores (see :func:`prepare`).
    truth : ndarray of bool, shape (n,)

    Returns
    -------
    RocCurve

    Examples
    --------
    >>> c = roc_curve(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    >>> c.tpr.tolist(), c.fpr.tolist()
    ([0.0, 0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5, 1.0])
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(truth).ravel() != 0
    order = np.argsort(-s, kind="mergesort")
    s, t = s[order], t[order]
    # last index of each run of equal scores
    ends = np.flatnonzero(np.diff(s) != 0)
    ends = np.append(ends, s.size - 1)
    tps = np.cumsum(t, dtype=np.int64)[ends]
    fps = (ends + 1) - tps
    n_pos, n_neg = tps[-1], fps[-1]
    tpr = np.concatenate([[0.0], tps / n_pos]) if n_pos else np.zeros(ends.size + 1)
    fpr = np.concatenate([[0.0], fps / n_neg]) if n_neg else np.zeros(ends.size + 1)
    thresholds = np.concatenate([[np.inf], s[ends]])
    return RocCurve(fpr=fpr, tpr=tpr, thresholds=thresholds)


def roc_auc(scores: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Area under the ROC curve (ties count half, as in scikit-learn).

    Equal to ``sklearn.metrics.roc_auc_score(truth, scores)`` to rounding.

    Parameters
    ----------
    scores : ndarray
        Anomaly scores, any shape; non-finite scores are left out.
    truth : ndarray, same shape
        Ground truth, non-zero for anomalies.
    valid : ndarray of bool, optional
        Pixels to evaluate (default: all with a finite score).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ or one class is missing.

    Examples
    --------
    >>> roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    s, t = prepare(scores, truth, valid)
    c = roc_curve(s, t)
    return float(np.trapezoid(c.tpr, c.fpr))


def block_aucs(scores: np.ndarray, truth: np.ndarray, block: int) -> list[float]:
    """ROC AUC of each ``block × block`` square of a mosaic that holds an anomaly.

    A mosaic of scenes (one background per block) is judged per block as
    each scene alone would be; one ROC over the whole mosaic also ranks
    one background's scores against another's.

    Examples
    --------
    >>> truth = np.zeros((2, 4)); truth[0, 0] = truth[0, 2] = 1
    >>> block_aucs(np.array([[3, 1, 5, 6], [2, 0, 7, 8]]), truth, 2)
    [1.0, 0.0]
    """
    rows, cols = np.shape(truth)
    return [
        roc_auc(scores[r : r + block, c : c + block], truth[r : r + block, c : c + block])
        for r in range(0, rows, block)
        for c in range(0, cols, block)
        if np.any(truth[r : r + block, c : c + block])
    ]


def tau_aucs(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Chang's AUC(Pf, τ) and AUC(Pd, τ) of finite, flattened scores.

    The scores are min–max scaled to [0, 1]; then
    :math:`P_d(\\tau)` is the fraction of anomalous pixels scoring at least
    :math:`\\tau` and :math:`P_f(\\tau)` the same fraction of background
    pixels. Their integrals over :math:`\\tau \\in [0, 1]` are computed
    exactly (not by a trapezoid over sampled thresholds): for a step
    function :math:`\\int_0^1 1[s \\ge \\tau]\\,d\\tau = s`, so each area is the
    mean scaled score of its class.

    Returns
    -------
    auc_pf, auc_pd : float
        Lower ``auc_pf`` (fewer false alarms) and higher ``auc_pd`` are better.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(truth).ravel() != 0
    lo, hi = s.min(), s.max()
    scaled = (s - lo) / (hi - lo) if hi > lo else np.zeros_like(s)
    return float(scaled[~t].mean()), float(scaled[t].mean())


def evaluate_scores(
    scores: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None
) -> dict[str, float]:
    """All the field's standard figures for one score map.

    Parameters
    ----------
    scores : ndarray, shape (y, x)
        Anomaly scores; NaN/inf pixels (nodata) are left out.
    truth : ndarray, shape (y, x)
        Ground truth, non-zero for anomalies.
    valid : ndarray of bool, optional
        Further pixels to leave out where False.

    Returns
    -------
    dict
        ``{"auc_roc": ..., "auc_pf": ..., "auc_pd": ...}``.

    Raises
    ------
    ValueError
        If the shapes differ or one class is missing.
    """
    s, t = prepare(scores, truth, valid)
    c = roc_curve(s, t)
    auc_pf, auc_pd = tau_aucs(s, t)
    return {"auc_roc": float(np.trapezoid(c.tpr, c.fpr)), "auc_pf": auc_pf, "auc_pd": auc_pd}

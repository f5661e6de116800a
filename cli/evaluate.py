"""``superad-geo evaluate``: ROC AUC and Chang's 3-D ROC areas against a ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from superad_geo_cli.common import check_output, echo_err, no_partial_outputs, show_warnings
from superad_geo_cli.options import (
    check_input_path,
    overwrite_opt,
    progress_opt,
    quiet_opt,
)
from superad_geo_cli.progress import make_progress

__all__ = ["check_same_grid", "evaluate", "read_scores", "read_truth", "roc_figure"]


def read_scores(path: str) -> tuple[np.ndarray, object, object]:
    """Band 1 of a score raster as float64 with NaN where there is no score.

    Returns
    -------
    scores, crs, transform
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    from superad_geo import InputError

    try:
        with rasterio.open(path) as ds:
            data = ds.read(1, masked=True)
            crs, transform = ds.crs, ds.transform
    except RasterioIOError as exc:
        raise InputError(f"cannot read scores {path!r} as a raster: {exc}") from None
    scores = np.ma.filled(data.astype(np.float64), np.nan)
    return scores, crs, transform


def read_truth(path: str) -> tuple[np.ndarray, np.ndarray, object, object]:
    """A ground truth: a raster (band 1, non-zero = anomaly) or a .mat with a ``map`` key.

    Returns
    -------
    truth : ndarray of bool
    valid : ndarray of bool
        False where the truth raster is nodata.
    crs, transform
        None for a .mat file.
    """
    from superad_geo import InputError, read_mat_truth

    if path.lower().endswith(".mat"):
        truth = read_mat_truth(path)
        return truth, np.ones(truth.shape, dtype=bool), None, None
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(path) as ds:
            data = ds.read(1, masked=True)
            crs, transform = ds.crs, ds.transform
    except RasterioIOError as exc:
        raise InputError(f"cannot read truth {path!r} as a raster: {exc}") from None
    valid = ~np.ma.getmaskarray(data)
    values = np.ma.filled(data.astype(np.float64), 0.0)
    valid &= np.isfinite(values)
    return np.where(valid, values, 0.0) != 0, valid, crs, transform


def _georeferenced(crs: object, transform: object) -> bool:
    return crs is not None or (transform is not None and not transform.is_identity)


def check_same_grid(
    scores: str,
    truth: str,
    s_shape: tuple[int, ...],
    t_shape: tuple[int, ...],
    s_grid: tuple[object, object],
    t_grid: tuple[object, object],
    what: str = "scores",
) -> None:
    """Refuse scores (or a scene: ``what``) and truth not on one grid (``(crs, transform)``).

    Same size is needed, and the same transform (and CRS, where both have one).
    A truth without georeferencing (a ``.mat`` map, a raster with neither CRS
    nor transform) is taken only for scores without georeferencing either: it
    cannot show that it lies where georeferenced scores do. Scores without
    georeferencing are a plain pixel grid, matched by size.

    Raises
    ------
    InputError
    """
    from superad_geo import InputError

    if s_shape != t_shape:
        raise InputError(
            f"{what} {scores!r} is {s_shape[0]}×{s_shape[1]} pixels but the truth is "
            f"{t_shape[0]}×{t_shape[1]}; they must be on the same grid"
        )
    (s_crs, s_transform), (t_crs, t_transform) = s_grid, t_grid
    if not _georeferenced(*t_grid):
        if _georeferenced(*s_grid):
            raise InputError(
                f"truth {truth!r} has no georeferencing but {what} {scores!r} has; "
                f"give the truth as a raster on the grid of the {what}"
            )
        return
    if not _georeferenced(*s_grid):
        return  # plain pixel scores (an array written without a grid): pixels match by size
    if not s_transform.almost_equals(t_transform) or (
        s_crs is not None and t_crs is not None and s_crs != t_crs
    ):
        raise InputError(
            f"{what} {scores!r} and truth {truth!r} have the same size but not the same "
            f"CRS/transform; resample the truth onto the grid of the {what}"
        )


def roc_figure(scores: np.ndarray, truth: np.ndarray, figures: dict, title: str):
    """The ROC curve on a log false-alarm axis, beside Chang's 3-D ROC projections.

    The false-alarm axis runs from one background pixel (``1 / n``) to 1, so
    the detection rate at the first false alarms, where detectors differ, is
    readable; points with no false alarm are drawn at ``1 / n``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from superad_geo import roc_curve

    curve = roc_curve(scores, truth)
    floor = 1.0 / max(int((~truth).sum()), 1)
    lo, hi = float(scores.min()), float(scores.max())
    tau = (curve.thresholds[1:] - lo) / (hi - lo) if hi > lo else np.zeros(curve.fpr.size - 1)
    fig = Figure(figsize=(10, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.step(np.maximum(curve.fpr, floor), curve.tpr, where="post", color="C0", lw=1.5,
             label=f"AUC = {figures['auc_roc']:.4f}")  # fmt: skip
    chance = np.logspace(np.log10(floor), 0, 200)
    ax1.plot(chance, chance, color="0.6", lw=0.8, ls="--", label="chance")
    ax1.set_xscale("log")
    ax1.set_xlabel("false-alarm rate $P_f$ (log)")
    ax1.set_ylabel("detection rate $P_d$")
    ax1.set_xlim(floor, 1)
    ax1.set_ylim(0, 1.01)
    ax1.set_title("ROC")
    ax1.legend(loc="lower right")
    ax2.step(tau, curve.tpr[1:], where="post", color="C2",
             label=f"$P_d(\\tau)$, area {figures['auc_pd']:.4f}")  # fmt: skip
    ax2.step(tau, curve.fpr[1:], where="post", color="C3",
             label=f"$P_f(\\tau)$, area {figures['auc_pf']:.4f}")  # fmt: skip
    ax2.set_xlabel("threshold $\\tau$ (scores min–max scaled)")
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1.01)
    ax2.set_title("3-D ROC projections (Chang)")
    ax2.legend(loc="upper right")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


@click.command(short_help="Score a detection against ground truth (ROC AUC, 3-D ROC).")
@click.argument("scores", metavar="SCORES", callback=check_input_path)
@click.option(
    "--truth",
    required=True,
    callback=check_input_path,
    help="Ground truth: a raster (non-zero = anomaly) or a .mat file with a 'map' key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Draw the ROC curve (log false-alarm axis) and the 3-D ROC projections to this PNG.",
)
@overwrite_opt
@quiet_opt
@progress_opt
def evaluate(scores, truth, as_json, plot, overwrite, quiet, progress) -> None:
    """Compare the score raster SCORES with the ground truth TRUTH.

    Prints the ROC AUC, and the areas under Chang's 3-D ROC projections
    AUC(Pd,τ) (higher is better) and AUC(Pf,τ) (lower is better), with the
    scores min–max scaled to [0, 1] and τ swept over [0, 1]. Pixels without
    a score (nodata, NaN) or without truth (nodata) are left out. With
    --json, one object with the keys auc_roc, auc_pf and auc_pd.

    \b
    Example:
      superad-geo evaluate scores.tif --truth truth.tif
      superad-geo evaluate scores.tif --truth scene.mat --json --plot roc.png
    """
    show_warnings(quiet)
    check_output(plot, overwrite, what="plot")
    from superad_geo import InputError, evaluate_scores
    from superad_geo._cli import prepare_scores as prepare

    report = make_progress(progress, quiet)
    with report, no_partial_outputs(plot):
        report(0, 2, "evaluate")
        s, s_crs, s_transform = read_scores(scores)
        t, valid, t_crs, t_transform = read_truth(truth)
        check_same_grid(scores, truth, s.shape, t.shape, (s_crs, s_transform), (t_crs, t_transform))
        if not np.isfinite(s).any():
            raise InputError(f"scores {scores!r} have no valid pixel (all nodata or NaN)")
        if not valid.any():
            raise InputError(f"truth {truth!r} has no valid pixel (all nodata)")
        n_all = s.size
        try:
            figures = evaluate_scores(s, t, valid)
            flat_s, flat_t = prepare(s, t, valid)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        report(1, 2, "evaluate")
        if plot is not None:
            from superad_geo._cli import save_png

            title = f"{Path(scores).name} vs {Path(truth).name}"
            save_png(roc_figure(flat_s, flat_t, figures, title), plot)
        report(2, 2, "evaluate")
    if as_json:
        click.echo(json.dumps({k: figures[k] for k in ("auc_roc", "auc_pf", "auc_pd")}))
        return
    n_eval, n_pos = flat_s.size, int(flat_t.sum())
    click.echo(f"{'metric':<11} {'value':>8}")
    click.echo(f"{'AUC(ROC)':<11} {figures['auc_roc']:>8.4f}   higher is better")
    click.echo(f"{'AUC(Pd,τ)':<11} {figures['auc_pd']:>8.4f}   higher is better")
    click.echo(f"{'AUC(Pf,τ)':<11} {figures['auc_pf']:>8.4f}   lower is better")
    if not quiet:
        left_out = f", {n_all - n_eval} without score or truth left out" if n_all > n_eval else ""
        echo_err(f"{n_eval} pixels evaluated, {n_pos} anomalous{left_out}")
        if plot:
            echo_err(f"wrote {plot}")

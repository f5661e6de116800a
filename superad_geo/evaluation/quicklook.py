"""Quick-look pictures: a colour composite on map axes, the scores over it, truth outlines.

Drawn with matplotlib's Agg backend (no display needed). Large scenes are
decimated before anything is read, so a quick look of a scene of any size
reads only about ``max_size²`` pixels of three bands (the scores are
decimated by block maximum, the truth is read whole). The axes are in the
scene's CRS (easting/northing or longitude/latitude, the CRS named), the
title names the composite's wavelengths, and the scores are drawn with the
rank stretch of :mod:`superad_geo.evaluation.overlay`.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.errors import BandSelectionError, InputError
from superad_geo.evaluation.map_axes import draw_outlines, label_axes, map_frame
from superad_geo.evaluation.overlay import ScoreOverlay, score_overlay
from superad_geo.files import atomic_write, check_output
from superad_geo.scene.bands import scene_wavelengths

__all__ = ["COMPOSITES", "composite_bands", "render_quicklook", "save_png", "scene_wavelengths"]

COMPOSITES: dict[str, tuple[float, float, float]] = {
    # red, green, blue targets in nm
    "true": (640.0, 550.0, 460.0),
    "false": (860.0, 650.0, 550.0),  # colour infrared: NIR, red, green
}
"""Target wavelengths (nm) of the red, green and blue channels."""

# Without wavelengths: the reference's fixed positions p * C / 204 (p = 54, 34, 14),
# a colour-infrared composite on AVIRIS-like sensors (docs/superad-method.md §2).
_POSITIONS = (54 / 204, 34 / 204, 14 / 204)


def composite_bands(
    n_bands: int, wavelengths: np.ndarray | None = None, kind: str = "auto"
) -> tuple[int, int, int]:
    """0-based band indices of the red, green and blue channels.

    Parameters
    ----------
    n_bands : int
        Bands in the scene.
    wavelengths : ndarray, optional
        Band centres in nm.
    kind : {"auto", "true", "false"}
        True colour, colour infrared ("false"), or "auto": true colour when
        the wavelengths cover the visible, colour infrared when they cover the
        near infrared, else fixed band positions.

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> composite_bands(4, np.array([460.0, 550.0, 650.0, 860.0]), "false")
    (3, 2, 1)
    """
    return _composite(n_bands, wavelengths, kind)[0]


def _composite(
    n_bands: int, wavelengths: np.ndarray | None, kind: str
) -> tuple[tuple[int, int, int], str]:
    if kind not in ("auto", "true", "false"):
        raise ValueError(f"unknown composite {kind!r}; use auto, true or false")
    if n_bands < 3:
        return (0, min(1, n_bands - 1), min(2, n_bands - 1)), "bands"
    if wavelengths is not None and len(wavelengths) == n_bands:
        w = np.asarray(wavelengths, dtype=np.float64)
        for name in ["true", "false"] if kind == "auto" else [kind]:
            targets = COMPOSITES[name]
            # auto accepts a composite when each target lies in the sensor's range (±50 nm)
            if kind != "auto" or all(w.min() - 50 <= t <= w.max() + 50 for t in targets):
                idx = tuple(int(np.argmin(np.abs(w - t))) for t in targets)
                return idx, _NAMES[name]  # type: ignore[return-value]
    idx = tuple(min(n_bands - 1, round(p * n_bands)) for p in _POSITIONS)
    return idx, "fixed band positions"  # type: ignore[return-value]


_NAMES = {"true": "true colour", "false": "colour infrared"}


def _display_stretch(channel: np.ndarray, low: float = 2.0, high: float = 98.0) -> np.ndarray:
    valid = np.isfinite(channel)
    if not valid.any():
        return np.zeros_like(channel)
    lo, hi = np.percentile(channel[valid], [low, high])
    if hi <= lo:
        hi = lo + 1.0
    return np.clip((channel - lo) / (hi - lo), 0.0, 1.0)


def _as_float(a, nodata) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if nodata is not None and np.isfinite(nodata):
        arr = np.where(arr == nodata, np.nan, arr)
    return np.where(np.isfinite(arr), arr, np.nan)


def _nodata_of(obj):
    rio = getattr(obj, "rio", None)
    if rio is not None:
        try:
            nd = rio.nodata
        except Exception:  # noqa: BLE001 - no georeferencing accessor state
            nd = None
        if nd is not None:
            return nd
    attrs = getattr(obj, "attrs", {})
    return attrs.get("_FillValue", attrs.get("nodata"))


def _block_max(scores: Any, step: int) -> np.ndarray:
    """Decimate a ``(y, x)`` score map by ``step`` keeping each block's maximum (NaN ignored).

    Small anomalies survive the decimation, which taking every ``step``-th pixel would drop.
    """
    if hasattr(scores, "coarsen"):
        return np.asarray(
            scores.coarsen(y=step, x=step, boundary="pad").max().values, dtype=np.float64
        )
    s = np.asarray(scores, dtype=np.float64)
    rows, cols = -(-s.shape[0] // step) * step, -(-s.shape[1] // step) * step
    padded = np.full((rows, cols), np.nan)
    padded[: s.shape[0], : s.shape[1]] = s
    blocks = padded.reshape(rows // step, step, cols // step, step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks stay NaN
        return np.nanmax(blocks, axis=(1, 3))


def _scores_on_grid(scores: Any, height: int, width: int, step: int) -> np.ndarray:
    """The decimated score map, checked to lie on the scene's grid.

    Raises
    ------
    InputError
        If the scores are not on the scene's grid.
    """
    if tuple(int(v) for v in scores.shape[-2:]) != (height, width):
        raise InputError(
            f"the scores have {scores.shape[-2]}×{scores.shape[-1]} pixels but the scene "
            f"has {height}×{width}; they must be on the same grid"
        )
    if hasattr(scores, "isel"):
        sc = scores.squeeze(drop=True) if scores.ndim == 3 else scores
        nodata = _nodata_of(scores)
        if nodata is not None and np.isfinite(nodata):
            sc = sc.where(sc != nodata)
        return _block_max(sc, step)
    return _block_max(np.asarray(scores, dtype=np.float64).reshape(height, width), step)


def render_quicklook(
    scene,
    dst: str | os.PathLike,
    *,
    scores=None,
    truth=None,
    kind: str = "auto",
    rgb: tuple[int, int, int] | None = None,
    max_size: int = 1024,
    title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Draw a colour composite on map axes, with optional scores and truth outlines.

    Parameters
    ----------
    scene : xarray.DataArray, shape (band, y, x)
        The scene (lazy is fine: only the three bands, decimated, are read).
        Wavelengths come from a ``wavelength`` coordinate or attribute; the
        axes are in the scene's CRS (:func:`superad_geo.evaluation.map_axes.map_frame`).
    dst : path
        PNG to write (atomically).
    scores : xarray.DataArray or ndarray, shape (y, x), optional
        Score map on the scene's grid, drawn over the composite (then shown
        in grey) with the rank stretch of :mod:`superad_geo.evaluation.overlay`
        (every pixel above the background level shows), with a colour bar.
        Decimated by block maximum, so that small anomalies stay visible.
    truth : ndarray of bool, shape (y, x), optional
        Ground truth on the scene's grid, drawn as outlines (read whole).
    kind : {"auto", "true", "false"}
        Composite (see :func:`composite_bands`).
    rgb : tuple of int, optional
        0-based band indices of red, green and blue; overrides ``kind``.
    max_size : int
        Longest side of the picture in pixels of the scene (decimated above).
    title : str, optional
    overwrite : bool
        Replace an existing ``dst``.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Raises
    ------
    InputError
        If the scores or the truth are not on the scene's grid.
    BandSelectionError
        If ``rgb`` names a band the scene lacks.
    OutputError
        If ``dst`` exists (without ``overwrite``) or its folder is missing.

    Examples
    --------
    >>> render_quicklook(scene, "look.png", scores=scores, truth=truth)  # doctest: +SKIP
    """
    from superad_geo.extras import require

    require("matplotlib", "a quicklook").use("Agg", force=False)
    from matplotlib.figure import Figure

    dst = check_output(dst, overwrite=overwrite)
    n_bands, height, width = (int(v) for v in scene.shape)
    if truth is not None and np.shape(truth) != (height, width):
        raise InputError(
            f"the truth has {np.shape(truth)[0]}×{np.shape(truth)[1]} pixels but the scene "
            f"has {height}×{width}; they must be on the same grid"
        )
    step = max(1, math.ceil(max(height, width) / max_size))
    overlay = None
    if scores is not None:
        overlay = score_overlay(_scores_on_grid(scores, height, width, step))
    rgba, bands_txt = _composite_image(scene, kind, rgb, step)
    if overlay is not None:  # grey under the scores, so that no colour of the scene hides one
        rgba[..., :3] = rgba[..., :3].mean(axis=-1, keepdims=True)
        bands_txt += ", in grey under the scores"
    h, w = rgba.shape[:2]
    fig_w, fig_h = 6.0 * w / max(h, w), 6.0 * h / max(h, w)
    fig = Figure(figsize=(max(fig_w, 3.0) + (1.6 if overlay else 0.6), max(fig_h, 3.0) + 0.8))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor("black")
    frame = map_frame(scene, height, width)
    # a decimated pixel covers step × step scene pixels, the last ones past the scene's edge
    drawn = map_frame(scene, h * step, w * step).extent
    ax.imshow(rgba, interpolation="nearest", extent=drawn)
    if overlay is not None:
        ax.imshow(overlay.rgba, interpolation="nearest", extent=drawn)
        cbar = fig.colorbar(_mappable(overlay), ax=ax, fraction=0.046, pad=0.04)
        labels = {f"{v:.3g}": v for v in overlay.ticks}  # ties give one tick
        cbar.set_ticks(list(labels.values()), labels=list(labels))
        cbar.set_label(f"anomaly score above {overlay.level:.3g}, coloured by rank", fontsize=8)
    if truth is not None:
        draw_outlines(ax, truth, frame.transform)
    ax.set_xlim(frame.extent[:2])
    ax.set_ylim(frame.extent[2:])
    label_axes(ax, frame)
    ax.set_title(f"{title}\n{bands_txt}" if title else bands_txt, fontsize=9)
    fig.tight_layout()
    return save_png(fig, dst)


def _composite_image(
    scene: Any, kind: str, rgb: tuple[int, int, int] | None, step: int
) -> tuple[np.ndarray, str]:
    """The decimated, stretched RGBA composite and its description (bands and wavelengths)."""
    n_bands = int(scene.shape[0])
    wavelengths = scene_wavelengths(scene)
    if rgb is None:
        rgb, name = _composite(n_bands, wavelengths, kind)
    else:
        name = "bands"
    if any(not 0 <= b < n_bands for b in rgb):
        raise BandSelectionError(f"composite bands {[b + 1 for b in rgb]} outside 1..{n_bands}")
    if hasattr(scene, "isel"):
        sub = scene.isel(band=list(rgb), y=slice(None, None, step), x=slice(None, None, step))
        cube = _as_float(sub.values, _nodata_of(scene))
        numbers = [int(v) for v in sub["band"].values] if "band" in sub.coords else None
    else:
        cube = _as_float(np.asarray(scene)[list(rgb), ::step, ::step], None)
        numbers = None
    numbers = numbers or [b + 1 for b in rgb]
    image = np.stack([_display_stretch(c) for c in cube], axis=-1)
    valid = np.all(np.isfinite(cube), axis=0)
    rgba = np.concatenate([np.nan_to_num(image), valid[..., None].astype(np.float64)], axis=-1)
    text = f"{name}: bands {'/'.join(str(n) for n in numbers)}"
    if wavelengths is not None and all(np.isfinite(wavelengths[list(rgb)])):
        nm = "/".join(f"{wavelengths[b]:.0f}" for b in rgb)
        text = f"{name}: {nm} nm (bands {'/'.join(str(n) for n in numbers)})"
    return rgba, text


def _mappable(overlay: ScoreOverlay) -> Any:
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=overlay.norm, cmap=overlay.cmap)


def save_png(fig: Any, path: str | os.PathLike) -> Path:
    """Write a matplotlib figure to ``path`` as PNG atomically (temporary file, then rename)."""
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return Path(path)

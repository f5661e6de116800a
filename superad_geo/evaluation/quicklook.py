"""Quick-look pictures: a colour composite with the anomaly scores as a heat overlay.

Drawn with matplotlib's Agg backend (no display needed). Large scenes are
decimated before anything is read, so a quick look of a scene of any size
reads only about ``max_size²`` pixels of three bands.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from superad_geo.errors import BandSelectionError, InputError
from superad_geo.files import atomic_write, check_output
from superad_geo.scene.bands import scene_wavelengths

__all__ = ["COMPOSITES", "composite_bands", "render_quicklook", "scene_wavelengths"]

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


def render_quicklook(
    scene,
    dst: str | os.PathLike,
    *,
    scores=None,
    kind: str = "auto",
    rgb: tuple[int, int, int] | None = None,
    max_size: int = 1024,
    title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Draw a colour composite with an optional score heat overlay and colour bar.

    Parameters
    ----------
    scene : xarray.DataArray, shape (band, y, x)
        The scene (lazy is fine: only the three bands, decimated, are read).
        Wavelengths come from a ``wavelength`` coordinate or attribute.
    dst : path
        PNG to write (atomically).
    scores : xarray.DataArray or ndarray, shape (y, x), optional
        Score map on the scene's grid; drawn as a heat overlay whose opacity
        grows with the score, with a colour bar.
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
        If the scores are not on the scene's grid.
    BandSelectionError
        If ``rgb`` names a band the scene lacks.
    OutputError
        If ``dst`` exists (without ``overwrite``) or its folder is missing.

    Examples
    --------
    >>> render_quicklook(scene, "look.png", scores=scores)  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    dst = check_output(dst, overwrite=overwrite)

    n_bands, height, width = (int(v) for v in scene.shape)
    if rgb is None:
        rgb, name = _composite(n_bands, scene_wavelengths(scene), kind)
    else:
        name = "bands"
    if any(not 0 <= b < n_bands for b in rgb):
        raise BandSelectionError(f"composite bands {[b + 1 for b in rgb]} outside 1..{n_bands}")
    step = max(1, math.ceil(max(height, width) / max_size))
    if hasattr(scene, "isel"):
        sub = scene.isel(band=list(rgb), y=slice(None, None, step), x=slice(None, None, step))
        cube = _as_float(sub.values, _nodata_of(scene))
    else:
        cube = _as_float(np.asarray(scene)[list(rgb), ::step, ::step], None)
    image = np.stack([_display_stretch(c) for c in cube], axis=-1)
    valid = np.all(np.isfinite(cube), axis=0)
    rgba = np.concatenate([np.nan_to_num(image), valid[..., None].astype(np.float64)], axis=-1)

    heat = None
    if scores is not None:
        if tuple(int(v) for v in scores.shape[-2:]) != (height, width):
            raise InputError(
                f"the scores have {scores.shape[-2]}×{scores.shape[-1]} pixels but the scene "
                f"has {height}×{width}; they must be on the same grid"
            )
        if hasattr(scores, "isel"):
            sc = scores.squeeze(drop=True) if scores.ndim == 3 else scores
            s = _as_float(sc[..., ::step, ::step].values, _nodata_of(scores))
        else:
            s = _as_float(np.asarray(scores).reshape(height, width)[::step, ::step], None)
        finite = s[np.isfinite(s)]
        if finite.size:
            lo, hi = np.percentile(finite, [50.0, 99.9])
            if hi <= lo:
                hi = lo + 1e-12
            norm = Normalize(vmin=float(lo), vmax=float(hi), clip=True)
            cmap = colormaps["inferno"]
            level = np.nan_to_num(np.clip((s - lo) / (hi - lo), 0.0, 1.0))
            heat = cmap(level)
            heat[..., 3] = np.where(np.isfinite(s), 0.85 * level**0.8, 0.0)

    h, w = image.shape[:2]
    base = 6.0
    fig_w, fig_h = (base * w / max(h, w), base * h / max(h, w))
    fig = Figure(figsize=(max(fig_w, 2.5) + (1.2 if heat is not None else 0.2), max(fig_h, 2.5)))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor("black")
    ax.imshow(rgba, interpolation="nearest")
    if heat is not None:
        ax.imshow(heat, interpolation="nearest")
        cbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.046, pad=0.04)
        cbar.set_label("anomaly score")
    ax.set_xticks([])
    ax.set_yticks([])
    label = title if title is not None else ""
    bands_txt = f"{name}: bands {rgb[0] + 1}/{rgb[1] + 1}/{rgb[2] + 1}"
    ax.set_title(f"{label}\n{bands_txt}" if label else bands_txt, fontsize=9)
    fig.tight_layout()
    return save_png(fig, dst)


def save_png(fig: Any, path: str | os.PathLike) -> Path:
    """Write a matplotlib figure to ``path`` as PNG atomically (temporary file, then rename)."""
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return Path(path)

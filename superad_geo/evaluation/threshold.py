"""From a score raster to an anomaly mask and anomaly polygons.

Two ways to choose the threshold, both over the *valid* pixels only (pixels
with a finite score that is not the raster's nodata):

- ``quantile=Q``: the threshold is the Q-quantile of the ``n`` valid
  scores, the order statistic ``v[ceil(Q * n) - 1]`` of the sorted scores
  (NumPy's ``method="inverted_cdf"``); pixels scoring strictly above it are
  flagged, so ``floor((1 - Q) * n)`` pixels when no scores tie.
- ``far=F``: a false-alarm rate, the fraction of valid pixels to flag. The
  ``floor(F * n)`` highest-scoring pixels are flagged (fewer if scores tie at
  the threshold: the fraction flagged never exceeds ``F``).

:func:`threshold_raster` reads the score raster block by block and finds the
threshold exactly with a few histogram passes, so its memory does not grow
with the scene; the vector output (:func:`anomaly_regions`) needs the mask
and the scores of the whole raster in memory (5 bytes per pixel).

The mask is a uint8 raster on the score raster's grid: 1 anomaly,
0 background, 255 (the nodata value) where there is no score.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.evaluation.regions import anomaly_regions, vector_driver, write_regions
from superad_geo.files import check_geotiff_output
from superad_geo.scene.write import write_cog

__all__ = [
    "MASK_NODATA",
    "ThresholdResult",
    "anomaly_regions",
    "threshold_array",
    "threshold_raster",
    "threshold_value",
    "write_regions",
]

MASK_NODATA = 255
"""Value of the mask where the score raster has no score."""

MASK_COLOURS = {0: (0, 0, 0, 255), 1: (255, 0, 0, 255), MASK_NODATA: (255, 255, 255, 255)}
"""Colour table of the mask: anomalies red, background black (TIFF colour tables hold no
transparency: nodata is 255, and the QGIS plugin's style shows 0 as transparent)."""

_BINS = 4096
_COLLECT_LIMIT = 1 << 21  # values gathered in memory for the final exact sort


@dataclass(frozen=True)
class ThresholdResult:
    """What :func:`threshold_raster` did.

    Attributes
    ----------
    threshold : float
        Pixels scoring strictly above it are flagged.
    n_valid : int
        Pixels with a score.
    n_flagged : int
        Pixels flagged as anomalous.
    n_regions : int or None
        Connected anomaly regions written to the vector file (None without one).
    """

    threshold: float
    n_valid: int
    n_flagged: int
    n_regions: int | None = None

    @property
    def fraction(self) -> float:
        """Fraction of the valid pixels flagged."""
        return self.n_flagged / self.n_valid if self.n_valid else 0.0


def _check_rule(quantile: float | None, far: float | None) -> None:
    if (quantile is None) == (far is None):
        raise ValueError("give exactly one of quantile and far")
    value, name = (quantile, "quantile") if quantile is not None else (far, "far")
    if not (0.0 < value < 1.0):
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")


def _rank(n: int, quantile: float | None, far: float | None) -> int:
    """0-based ascending rank of the threshold among ``n`` valid scores."""
    if quantile is not None:
        return min(max(math.ceil(quantile * n) - 1, 0), n - 1)
    k = math.floor(far * n)  # pixels to flag
    return n - k - 1  # k == 0: the maximum, nothing is strictly above it


def threshold_value(
    scores: np.ndarray,
    *,
    quantile: float | None = None,
    far: float | None = None,
    valid: np.ndarray | None = None,
) -> float:
    """The score threshold for a quantile or a false-alarm rate.

    Parameters
    ----------
    scores : ndarray
        Anomaly scores, any shape; NaN/inf are ignored.
    quantile : float, optional
        In (0, 1): threshold at this quantile of the valid scores.
    far : float, optional
        In (0, 1): flag this fraction of the valid pixels (at most).
    valid : ndarray of bool, optional
        Further pixels to ignore where False.

    Returns
    -------
    float
        Flag the pixels with ``scores > threshold``.

    Raises
    ------
    ValueError
        If not exactly one rule is given or it is out of range.
    NoValidPixelsError
        If no pixel has a score.

    Examples
    --------
    >>> threshold_value(np.arange(10.0), far=0.2)
    7.0
    >>> threshold_value(np.arange(11.0), quantile=0.9)
    9.0
    """
    _check_rule(quantile, far)
    s = np.asarray(scores, dtype=np.float64)
    keep = np.isfinite(s)
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    s = s[keep]
    if s.size == 0:
        raise NoValidPixelsError("the score map has no valid pixel")
    rank = _rank(s.size, quantile, far)
    return float(np.partition(s, rank)[rank])


def threshold_array(
    scores: np.ndarray,
    *,
    quantile: float | None = None,
    far: float | None = None,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Binary uint8 mask of an in-memory score map (see :func:`threshold_value`).

    Returns
    -------
    mask : ndarray of uint8
        1 anomaly, 0 background, :data:`MASK_NODATA` without a score.
    threshold : float
    """
    s = np.asarray(scores, dtype=np.float64)
    keep = np.isfinite(s)
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    t = threshold_value(s, quantile=quantile, far=far, valid=keep)
    mask = np.full(s.shape, MASK_NODATA, dtype=np.uint8)
    mask[keep] = (s[keep] > t).astype(np.uint8)
    return mask, t


# --- out-of-core selection -----------------------------------------------------------


def _block_reader(src, block_rows: int | None) -> Callable[[], Iterator[tuple]]:
    """A re-startable iterator over (window, float64 scores with NaN where invalid)."""
    from rasterio.windows import Window

    height, width = src.height, src.width
    rows = block_rows or max(1, (1 << 22) // max(width, 1))

    def blocks():
        for row in range(0, height, rows):
            win = Window(0, row, width, min(rows, height - row))
            data = src.read(1, window=win, masked=True)
            arr = np.ma.filled(data.astype(np.float64), np.nan)
            arr[~np.isfinite(arr)] = np.nan
            yield win, arr

    return blocks


def _select_exact(blocks: Callable[[], Iterator[tuple]], rank: int, lo: float, hi: float) -> float:
    """The ``rank``-th smallest valid value (0-based), by repeated histograms."""
    levels: list[tuple[float, float, int]] = []  # (lo, hi, bin) conditions

    def members(arr: np.ndarray) -> np.ndarray:
        v = arr[np.isfinite(arr)]
        for a, b, k in levels:
            idx = np.clip(((v - a) / (b - a) * _BINS).astype(np.int64), 0, _BINS - 1)
            v = v[idx == k]
        return v

    below = 0  # values smaller than the current set
    cur_lo, cur_hi = lo, hi
    while True:
        if cur_hi <= cur_lo:
            return float(cur_lo)
        counts = np.zeros(_BINS, dtype=np.int64)
        for _, arr in blocks():
            v = members(arr)
            idx = np.clip(((v - cur_lo) / (cur_hi - cur_lo) * _BINS).astype(np.int64), 0, _BINS - 1)
            counts += np.bincount(idx, minlength=_BINS)
        cum = np.cumsum(counts)
        k = int(np.searchsorted(cum, rank - below, side="right"))
        below += int(cum[k - 1]) if k > 0 else 0
        levels.append((cur_lo, cur_hi, k))
        if counts[k] <= _COLLECT_LIMIT:
            gathered = np.concatenate([members(arr) for _, arr in blocks()])
            return float(np.partition(gathered, rank - below)[rank - below])
        new_lo, new_hi = np.inf, -np.inf
        for _, arr in blocks():
            v = members(arr)
            if v.size:
                new_lo, new_hi = min(new_lo, v.min()), max(new_hi, v.max())
        cur_lo, cur_hi = float(new_lo), float(new_hi)


def threshold_raster(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    quantile: float | None = None,
    far: float | None = None,
    vector: str | os.PathLike | None = None,
    overwrite: bool = False,
    block_rows: int | None = None,
) -> ThresholdResult:
    """Write the binary anomaly mask of a score raster, and optionally its polygons.

    Parameters
    ----------
    src : path
        Single-band score raster; its nodata and NaN pixels have no score.
    dst : path
        Mask GeoTIFF to write (uint8, same grid, CRS and transform; nodata 255).
    quantile, far : float
        The threshold rule (exactly one; see the module docstring).
    vector : path, optional
        Also write the connected anomaly regions as polygons (``.gpkg``,
        ``.geojson`` or ``.fgb``) in the raster's CRS, with the fields
        ``region``, ``n_pixels``, ``area`` (square CRS units), ``peak_score``
        and ``mean_score``.
    overwrite : bool
        Replace existing outputs.
    block_rows : int, optional
        Rows read at a time (default: about 4 million pixels).

    Returns
    -------
    ThresholdResult

    Raises
    ------
    InputError
        If ``src`` cannot be read as a raster, has more than one band, or
        ``vector`` is asked of scores in sensor geometry (placed by
        geolocation arrays, without a map grid).
    NoValidPixelsError
        If no pixel has a score.
    OutputError
        If an output exists (without ``overwrite``), is the input, is not
        named ``.tif`` (the mask), or cannot be written.

    Examples
    --------
    >>> threshold_raster("scores.tif", "mask.tif", far=0.001)  # doctest: +SKIP
    ThresholdResult(threshold=..., n_valid=..., n_flagged=..., n_regions=None)
    """
    import rasterio

    _check_rule(quantile, far)
    dst = check_geotiff_output(dst, src, overwrite=overwrite, what="mask output")
    vector = Path(vector) if vector is not None else None
    if vector is not None:
        vector_driver(vector, overwrite=overwrite)
    with _open_scores(src, vector is not None) as ds:
        blocks = _block_reader(ds, block_rows)
        n, lo, hi = _valid_range(blocks)
        if n == 0:
            raise NoValidPixelsError(f"the score raster {str(src)!r} has no valid pixel")
        t = _select_exact(blocks, _rank(n, quantile, far), lo, hi)
        rule = f"quantile={quantile}" if quantile is not None else f"far={far}"
        n_flagged = _write_mask(ds, blocks, t, rule, Path(str(src)).name, dst, overwrite)
        n_regions = None
        if vector is not None:
            scores = np.ma.filled(ds.read(1, masked=True).astype(np.float32), np.nan)
            with rasterio.open(dst) as written:
                flagged = written.read(1) == 1
            regions = anomaly_regions(flagged, scores, transform=ds.transform)
            write_regions(regions, vector, crs=ds.crs, overwrite=overwrite)
            n_regions = len(regions)
    return ThresholdResult(threshold=t, n_valid=n, n_flagged=n_flagged, n_regions=n_regions)


def _open_scores(src: str | os.PathLike, polygons: bool):
    """The single-band score raster ``src``, open; checked for polygons when they are asked.

    Raises
    ------
    InputError
        If it cannot be read, has several bands, or has no map grid for ``polygons``.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        ds = rasterio.open(src)
    except RasterioIOError as exc:
        raise InputError(f"cannot read {str(src)!r} as a raster: {exc}") from None
    if ds.count != 1:
        ds.close()
        raise InputError(
            f"{str(src)!r} has {ds.count} bands; threshold takes a single-band score raster "
            "(as written by superad-geo detect)"
        )
    if polygons and ds.crs is None and ds.tags(ns="GEOLOCATION"):
        ds.close()
        raise InputError(
            f"{str(src)!r} is in sensor geometry, placed by geolocation arrays: polygons "
            "need a map grid; warp the scores first (gdalwarp -geoloc -t_srs ...)"
        )
    return ds


def _valid_range(blocks: Callable[[], Iterator[tuple]]) -> tuple[int, float, float]:
    """The number of valid scores and their range."""
    n, lo, hi = 0, np.inf, -np.inf
    for _, arr in blocks():
        v = arr[np.isfinite(arr)]
        if v.size:
            n += v.size
            lo, hi = min(lo, v.min()), max(hi, v.max())
    return n, float(lo), float(hi)


def _write_mask(
    ds, blocks, threshold: float, rule: str, source: str, dst: Path, overwrite: bool
) -> int:
    """Write the mask of the scores ``ds`` (file ``source``) above ``threshold`` to ``dst``;
    the number of pixels flagged."""
    record = {k: v for k, v in ds.tags().items() if k.startswith("SUPERAD_")}
    tags = {
        **record,
        "SUPERAD_MASK": f"1 where the score > {threshold!r} ({rule}), 0 elsewhere, "
        f"{MASK_NODATA} without a score",
        "threshold": repr(threshold),
        "rule": rule,
        "source": source,
    }
    flagged = [0]

    def mask_blocks() -> Iterator[tuple]:
        for win, arr in blocks():
            mask = np.full(arr.shape, MASK_NODATA, dtype=np.uint8)
            ok = np.isfinite(arr)
            mask[ok] = arr[ok] > threshold
            flagged[0] += int((mask == 1).sum())
            yield win, mask

    write_cog(
        dst,
        mask_blocks(),
        shape=(ds.height, ds.width),
        transform=ds.transform,
        crs=ds.crs,
        nodata=MASK_NODATA,
        dtype="uint8",
        tags=tags,
        description="anomaly mask",
        overwrite=overwrite,
        resampling="NEAREST",
        colormap=MASK_COLOURS,
        geolocation=ds.tags(ns="GEOLOCATION"),
    )
    return flagged[0]

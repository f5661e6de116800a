"""Scene-wide statistics: validity counts, band ranges, fill values, scaling.

Computed once per scene by a dask-style reduction over blocks (each block is
all bands of a window of pixels) and applied identically to every tile, so
that tiles share one input scale. Memory is one block per worker; the
percentiles come from histograms (approximate, within one
bin of 1/4096 of the range).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.scene.validity import (
    BlockSummary,
    histogram_block,
    histogram_quantile,
    summarise_block,
)

#: Bins of the histograms behind medians and percentiles.
HISTOGRAM_BINS = 4096

#: Default percentiles of ``scaling="percentile"``.
DEFAULT_PERCENTILES = (0.01, 99.99)

Mapper = Callable[[Callable[..., Any], Iterable[tuple]], Iterator[Any]]


def _serial_map(func: Callable[..., Any], items: Iterable[tuple]) -> Iterator[Any]:
    for args in items:
        yield func(*args)


@dataclass
class SceneStatistics:
    """What the pipeline needs to know about a scene before tiling.

    Attributes
    ----------
    n_valid : int
        Valid pixels in the scene.
    keep : numpy.ndarray of bool
        Bands with at least one finite value among the valid pixels.
    band_min, band_max : numpy.ndarray
        Per-band range over the valid pixels (all bands, before ``keep``).
    fill : numpy.ndarray
        Per-band fill value for nodata: the band's mean over the valid pixels
        (used for stray nodata inside valid pixels and, masked, for invalid ones).
    lo, hi : float
        Scaling of the kept bands, applied as ``(x - lo) / (hi - lo)``.
    method : str
        ``"minmax"``, ``"percentile"`` or ``"fixed"``.
    """

    n_valid: int
    keep: np.ndarray
    band_min: np.ndarray
    band_max: np.ndarray
    fill: np.ndarray
    lo: float
    hi: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the resume manifest)."""
        return {
            "n_valid": int(self.n_valid),
            "keep": [bool(v) for v in self.keep],
            "band_min": [float(v) for v in self.band_min],
            "band_max": [float(v) for v in self.band_max],
            "fill": [float(v) for v in self.fill],
            "lo": float(self.lo),
            "hi": float(self.hi),
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneStatistics:
        """Inverse of :meth:`to_dict`."""
        return cls(
            int(data["n_valid"]),
            np.array(data["keep"], dtype=bool),
            np.array(data["band_min"], dtype=float),
            np.array(data["band_max"], dtype=float),
            np.array(data["fill"], dtype=float),
            float(data["lo"]),
            float(data["hi"]),
            str(data["method"]),
        )


def refuse_one_spectrum(n_valid: int, band_min: np.ndarray, band_max: np.ndarray) -> None:
    """Refuse a scene whose valid pixels all hold one spectrum (a uniform scene, one pixel).

    Raises
    ------
    InputError
        If every band's minimum is its maximum: nothing can stand out.
    """
    if not np.array_equal(band_min, band_max):
        return
    found = (
        "a single valid pixel"
        if n_valid == 1
        else f"{n_valid} valid pixels that all hold the same spectrum"
    )
    raise InputError(
        f"the scene has {found}: there is no background to tell an anomaly from (a fill "
        "value not declared as nodata?); check the nodata value, the band selection and "
        "the region of interest",
        option="nodata",
    )


def scene_statistics(
    blocks: list[tuple[Any, Any]],
    bands: int,
    *,
    scaling: str | tuple[float, float] = "minmax",
    percentiles: tuple[float, float] = DEFAULT_PERCENTILES,
    mapper: Mapper | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    nodata_declared: bool = True,
) -> SceneStatistics:
    """Reduce a scene's blocks to :class:`SceneStatistics`.

    Parameters
    ----------
    blocks : list of (block, roi)
        ``block``: a ``(band, y, x)`` numpy or dask array (nodata as NaN);
        ``roi``: the matching ``(y, x)`` mask or None.
    bands : int
        Number of bands.
    scaling : {"minmax", "percentile"} or (float, float)
        ``"minmax"``: exact minimum and maximum over the valid pixels of all
        kept bands (the reference's rule); ``"percentile"``: ``percentiles``
        of all their values (robust to a few extreme pixels; approximate);
        a pair: fixed ``(lo, hi)``.
    mapper : callable, optional
        ``mapper(func, args_iterable)`` yielding results; serial by default.
    progress : callable, optional
        Called as ``progress(done, total, "scaling")``.
    nodata_declared : bool
        Whether the scene declares a nodata value (read as NaN); if not, every
        NaN is stray, and if so the NaN inside otherwise valid pixels still are.
        Stray NaN and any ±inf are treated as nodata with a ``UserWarning``.

    Raises
    ------
    NoValidPixelsError
        If no pixel is valid.
    InputError
        If every valid pixel holds one spectrum (a uniform scene, one valid pixel).
    """
    mapper = mapper or _serial_map
    total = len(blocks)
    summary = BlockSummary.empty(bands)
    for done, part in enumerate(mapper(summarise_block, blocks), start=1):
        summary = summary.merge(part)
        if progress is not None:
            progress(done, total, "scaling")
    stray = summary.n_infinite + (summary.n_nan_valid if nodata_declared else summary.n_nan)
    if stray:
        warnings.warn(
            f"the scene holds {stray} NaN or infinite values; they are treated as nodata",
            UserWarning,
            stacklevel=2,
        )
    if summary.n_valid == 0:
        raise NoValidPixelsError(
            "the scene has no valid pixel (every pixel is nodata, NaN or all zero); "
            "check the nodata value, the band selection and the region of interest",
            option="nodata",
        )
    keep = summary.count > 0
    band_min = np.where(keep, summary.minimum, np.nan)
    band_max = np.where(keep, summary.maximum, np.nan)
    refuse_one_spectrum(summary.n_valid, band_min[keep], band_max[keep])
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(keep, summary.total / np.maximum(summary.count, 1), 0.0)
    method = "fixed" if not isinstance(scaling, str) else scaling
    if method not in ("minmax", "percentile", "fixed"):
        raise ValueError(f"unknown scaling {scaling!r}; use 'minmax', 'percentile' or (lo, hi)")
    glo, ghi = float(np.nanmin(band_min)), float(np.nanmax(band_max))
    lo, hi = glo, ghi
    if method == "percentile":
        overall = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
        items = [(b, r, (glo, ghi), HISTOGRAM_BINS) for b, r in blocks]
        for done, hist in enumerate(mapper(histogram_block, items), start=1):
            overall += hist
            if progress is not None:
                progress(done, total, "scaling")
        lo = histogram_quantile(overall, glo, ghi, percentiles[0] / 100.0)
        hi = histogram_quantile(overall, glo, ghi, percentiles[1] / 100.0)
    if method == "fixed":
        lo, hi = (float(v) for v in scaling)  # type: ignore[union-attr]
    if not hi > lo:
        hi = lo + 1.0  # constant scene: any positive range gives the same zeros
    return SceneStatistics(
        int(summary.n_valid), keep, band_min, band_max, fill, float(lo), float(hi), method
    )

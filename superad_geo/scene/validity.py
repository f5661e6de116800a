"""Pixel validity, per-block summaries and nodata filling.

A pixel is *valid* when at least one of its (kept) bands holds a finite,
non-zero value: pixels whose bands are all nodata/NaN, or whose spectrum is
all zero, are invalid (GDAL's dataset-mask notion, not "any band"). A region
of interest, when given, further restricts validity. Stray nodata values
inside a valid pixel are filled with the band's scene mean before the
network sees them; invalid pixels are filled too (so the cube is finite) but
are excluded everywhere through the mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from superad_geo.errors import unreadable_block

#: Attribute of an opened scene: whether its NaN are the file's declared nodata
#: (a stray NaN in a file that declares none is warned about).
NODATA_DECLARED = "nodata_declared"


def materialise(block: object) -> np.ndarray:
    """Compute a dask array (synchronously, in the calling thread) or pass numpy through.

    Raises
    ------
    InputError
        If a block of the file cannot be read (truncated or corrupt).
    """
    compute = getattr(block, "compute", None)
    if compute is None:
        return np.asarray(block)
    try:
        return np.asarray(compute(scheduler="sync"))
    except Exception as exc:
        failure = unreadable_block(exc)
        if failure is None:
            raise
        raise failure from exc


def valid_pixels(cube: np.ndarray, roi: np.ndarray | None = None) -> np.ndarray:
    """Validity mask of a ``(band, y, x)`` block.

    Parameters
    ----------
    cube : numpy.ndarray
        ``(band, y, x)`` float block, nodata as NaN.
    roi : numpy.ndarray, optional
        ``(y, x)`` region of interest, True inside.

    Returns
    -------
    numpy.ndarray of bool, ``(y, x)``
        True where some band is finite and non-zero (and inside the ROI).

    Examples
    --------
    >>> c = np.array([[[np.nan, 0.0, 1.0]], [[np.nan, 0.0, np.nan]]])
    >>> valid_pixels(c).tolist()
    [[False, False, True]]
    """
    with np.errstate(invalid="ignore"):
        valid = (np.isfinite(cube) & (cube != 0)).any(axis=0)
    if roi is not None:
        valid &= np.asarray(roi, dtype=bool)
    return valid


@dataclass
class BlockSummary:
    """Mergeable per-band summary of the valid pixels of one or more blocks."""

    n_valid: int
    count: np.ndarray  # finite values per band among valid pixels
    minimum: np.ndarray
    maximum: np.ndarray
    total: np.ndarray  # sum of finite values per band among valid pixels (float64)
    n_infinite: int = 0  # ±inf values anywhere (nodata never reads as inf)
    n_nan: int = 0  # NaN values anywhere (declared nodata reads as NaN too)
    n_nan_valid: int = 0  # NaN values in valid pixels (never a whole-pixel nodata)

    @classmethod
    def empty(cls, bands: int) -> BlockSummary:
        """Summary of no pixel."""
        return cls(
            0,
            np.zeros(bands, dtype=np.int64),
            np.full(bands, np.inf),
            np.full(bands, -np.inf),
            np.zeros(bands, dtype=np.float64),
        )

    def merge(self, other: BlockSummary) -> BlockSummary:
        """Combine two summaries."""
        return BlockSummary(
            self.n_valid + other.n_valid,
            self.count + other.count,
            np.minimum(self.minimum, other.minimum),
            np.maximum(self.maximum, other.maximum),
            self.total + other.total,
            self.n_infinite + other.n_infinite,
            self.n_nan + other.n_nan,
            self.n_nan_valid + other.n_nan_valid,
        )


def declares_nodata(scene: Any, nodata: float | None = None) -> bool:
    """Whether NaN in ``scene`` are declared nodata (``nodata`` given, or the input's own).

    A scene from :func:`~superad_geo.scene.io.open_scene` says so in its
    :data:`NODATA_DECLARED` attribute (a ``.mat`` cube declares none; a
    product its fill value); another DataArray by its own nodata value.
    """
    if nodata is not None:
        return True
    declared = scene.attrs.get(NODATA_DECLARED)
    if declared is not None:
        return bool(declared)
    return scene.rio.encoded_nodata is not None or scene.rio.nodata is not None


def read_valid(block: object, roi: object | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A block (numpy or dask) read as a float32 ``(band, y, x)`` cube, and its validity."""
    cube = materialise(block).astype(np.float32, copy=False)
    return cube, valid_pixels(cube, None if roi is None else materialise(roi))


def summarise_block(block: object, roi: object | None = None) -> BlockSummary:
    """Count valid pixels; per band the finite count, minimum, maximum and sum over them."""
    cube, valid = read_valid(block, roi)
    summary = BlockSummary.empty(cube.shape[0])
    summary.n_infinite = int(np.isinf(cube).sum())
    summary.n_nan = int(np.isnan(cube).sum())
    n_valid = int(valid.sum())
    if n_valid == 0:
        return summary
    pixels = cube[:, valid]
    finite = np.isfinite(pixels)
    summary.n_valid = n_valid
    summary.count = finite.sum(axis=1).astype(np.int64)
    summary.n_nan_valid = int(np.isnan(pixels).sum())
    with np.errstate(invalid="ignore"):
        summary.minimum = np.where(finite, pixels, np.inf).min(axis=1).astype(float)
        summary.maximum = np.where(finite, pixels, -np.inf).max(axis=1).astype(float)
    summary.total = np.where(finite, pixels, 0.0).sum(axis=1, dtype=np.float64)
    return summary


def histogram_block(
    block: object, roi: object | None, edges: tuple[float, float], bins: int
) -> np.ndarray:
    """Histogram of all finite values of a block's valid pixels, all bands together.

    ``bins`` equal bins over ``edges = (low, high)``; values are clipped to the range.
    """
    cube, valid = read_valid(block, roi)
    overall = np.zeros(bins, dtype=np.int64)
    if not valid.any():
        return overall
    pixels = cube[:, valid].astype(np.float64)
    lo, hi = edges
    for b in range(cube.shape[0]):
        values = pixels[b][np.isfinite(pixels[b])]
        if values.size:
            overall += _hist(values, lo, hi, bins)
    return overall


def _hist(values: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    width = (hi - lo) / bins if hi > lo else 1.0
    idx = np.clip(((values - lo) / width).astype(np.int64), 0, bins - 1)
    return np.bincount(idx, minlength=bins)


def histogram_quantile(hist: np.ndarray, lo: float, hi: float, q: float) -> float:
    """Quantile ``q`` in [0, 1] of values binned in ``hist`` over ``[lo, hi]``.

    Linear interpolation inside the bin; the error is at most one bin width,
    ``(hi - lo) / len(hist)``.
    """
    total = hist.sum()
    if total == 0:
        return float("nan")
    if hi <= lo:
        return float(lo)
    cum = np.cumsum(hist)
    target = q * total
    k = int(np.searchsorted(cum, target, side="left"))
    k = min(k, len(hist) - 1)
    before = cum[k - 1] if k > 0 else 0
    inside = hist[k]
    frac = (target - before) / inside if inside > 0 else 0.5
    width = (hi - lo) / len(hist)
    return float(lo + (k + min(max(frac, 0.0), 1.0)) * width)


def fill_block(cube: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Return a finite float32 copy of ``cube``: every NaN/inf becomes the band's fill value.

    Invalid pixels are filled as well (with the same values) and must be
    masked by the caller.
    """
    out = np.array(cube, dtype=np.float32, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        band_index = np.nonzero(bad)[0]
        out[bad] = np.asarray(fill, dtype=np.float32)[band_index]
    return out


def read_filled(
    cube_source: Any, roi_source: Any, fill: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Read a window (numpy or dask): its float32 cube, nodata filled, and its validity mask."""
    cube, valid = read_valid(cube_source, roi_source)
    return fill_block(cube, np.asarray(fill)), valid

"""Global RX detector (Reed and Yu 1990): Mahalanobis distance to the scene mean.

``score(p) = (x_p - mu)^T C^-1 (x_p - mu)`` with ``mu`` and ``C`` the mean and
covariance of the valid pixels of the whole scene. :func:`rx_scores` does it
for an in-memory cube; for tiled scenes :func:`rx_block_moments` and
:func:`rx_statistics` reduce scene-wide moments block by block and
:func:`rx_apply` scores any block with them, so tiles need no common-scale
correction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.errors import NoValidPixelsError
from superad_geo.scene.validity import fill_block, materialise, valid_pixels

if TYPE_CHECKING:
    from superad_geo.options import DetectOptions, Execution


@dataclass
class RXStatistics:
    """Scene mean and inverse covariance of the RX detector."""

    mean: np.ndarray  # (bands,)
    inverse: np.ndarray  # (bands, bands)


def _inverse(cov: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of a covariance, dropping eigenvalues below 1e-10 of the largest."""
    values, vectors = np.linalg.eigh(cov)
    cutoff = max(values.max(), 0.0) * 1e-10
    inv = np.where(values > cutoff, 1.0 / np.where(values > cutoff, values, 1.0), 0.0)
    return (vectors * inv) @ vectors.T


def rx_scores(cube: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Global RX scores of a ``(band, y, x)`` cube.

    Parameters
    ----------
    cube : numpy.ndarray
        ``(band, y, x)`` finite values.
    mask : numpy.ndarray of bool, optional
        ``(y, x)``, True for valid pixels; statistics use only these, and
        invalid pixels score NaN.

    Returns
    -------
    numpy.ndarray
        float32 ``(y, x)``; higher is more anomalous.

    Raises
    ------
    NoValidPixelsError
        If no pixel is valid.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cube = rng.normal(size=(5, 20, 20)); cube[:, 3, 4] += 10
    >>> int(np.argmax(rx_scores(cube)))
    64
    """
    cube = np.asarray(cube, dtype=np.float64)
    bands, rows, cols = cube.shape
    valid = np.ones((rows, cols), bool) if mask is None else np.asarray(mask, bool)
    if not valid.any():
        raise NoValidPixelsError("no valid pixel to compute RX statistics on; check the nodata")
    pixels = cube[:, valid].T
    mean = pixels.mean(axis=0)
    centred = pixels - mean
    cov = centred.T @ centred / max(len(pixels) - 1, 1)
    stats = RXStatistics(mean, _inverse(cov))
    return rx_apply(cube, stats, valid)


def rx_block_moments(
    block: object, roi: object | None, fill: np.ndarray, shift: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """Count, sum and cross-product sum of ``x - shift`` over a block's valid pixels."""
    cube = materialise(block)
    valid = valid_pixels(cube, None if roi is None else materialise(roi))
    bands = cube.shape[0]
    if not valid.any():
        return 0, np.zeros(bands), np.zeros((bands, bands))
    filled = fill_block(cube, fill)
    x = filled[:, valid].T.astype(np.float64) - shift
    return int(len(x)), x.sum(axis=0), x.T @ x


def rx_statistics(
    moments: list[tuple[int, np.ndarray, np.ndarray]], shift: np.ndarray
) -> RXStatistics:
    """Scene mean and inverse covariance from per-block moments (shifted for precision)."""
    n = sum(m[0] for m in moments)
    if n == 0:
        raise NoValidPixelsError("no valid pixel to compute RX statistics on; check the nodata")
    total = sum(m[1] for m in moments)
    cross = sum(m[2] for m in moments)
    mean_shifted = total / n
    cov = (cross - n * np.outer(mean_shifted, mean_shifted)) / max(n - 1, 1)
    return RXStatistics(mean_shifted + shift, _inverse(cov))


def rx_apply(cube: np.ndarray, stats: RXStatistics, mask: np.ndarray | None = None) -> np.ndarray:
    """RX scores of a ``(band, y, x)`` block under scene statistics; NaN outside ``mask``."""
    bands, rows, cols = cube.shape
    x = np.asarray(cube, dtype=np.float64).reshape(bands, -1).T - stats.mean
    scores = np.einsum("ij,jk,ik->i", x, stats.inverse, x, optimize=True)
    scores = scores.reshape(rows, cols).astype(np.float32)
    if mask is not None:
        scores[~np.asarray(mask, bool)] = np.nan
    return scores


class RX:
    """Global RX as a :class:`~superad_geo.detectors.base.Detector`.

    Scene-wide mean and covariance from one pass over the scene's blocks; tiles
    need no halo, no overlap and no normalisation (the scores share one scale).
    """

    name = "rx"
    min_bands = 2
    normalisation = "none"

    def check(self, options: DetectOptions) -> None:
        return None

    def check_scene(self, options: DetectOptions, rows: int, cols: int) -> str | None:
        return None

    def tiling(self, options: DetectOptions) -> tuple[int, int]:
        return 0, 0

    def scaling(self, options: DetectOptions) -> str | tuple[float, float]:
        return "minmax" if options.scaling is None else options.scaling

    def default_threads(self, workers: int, distributed: bool) -> int:
        return 1

    def batch_size(self, execution: Execution, tile_pixels: int, bands: int) -> int:
        return 1

    def threads(self, threads: int | None) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def scene_pass(self, blocks, fill, mapper, progress) -> dict[str, Any]:
        shift = np.asarray(fill, dtype=np.float64)
        items = [(b, r, fill, shift) for b, r in blocks]
        moments = []
        for i, m in enumerate(mapper(rx_block_moments, items)):
            moments.append(m)
            if progress is not None:
                progress(i + 1, len(items), "rx")
        return {"rx": rx_statistics(moments, shift)}

    def config(
        self, options: DetectOptions, execution: Execution, wavelengths: list[float] | None
    ) -> dict[str, Any]:
        return {}

    def fit(self, read, shape, config, progress) -> dict[str, Any]:
        return {}

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        config: Mapping[str, Any],
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        return [rx_apply(cube, config["rx"], mask) for cube, mask in zip(cubes, masks, strict=True)]

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        return {}


DETECTOR = RX()

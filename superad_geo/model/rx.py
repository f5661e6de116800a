"""Global RX (Reed and Yu 1990) on arrays: Mahalanobis distance to the scene mean.

The arithmetic on arrays (NumPy only); the RX detector of the pipeline is
:mod:`superad_geo.detectors.rx`.

``score(p) = (x_p - mu)^T C^-1 (x_p - mu)`` with ``mu`` and ``C`` the mean and
covariance of the valid pixels of the whole scene. :func:`rx_scores` does it
for an in-memory cube; for tiled scenes :func:`rx_moments` and
:func:`rx_statistics` reduce scene-wide moments block by block and
:func:`rx_apply` scores any block with them, so tiles need no common-scale
correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from superad_geo.errors import NoValidPixelsError


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


def rx_moments(
    cube: np.ndarray, valid: np.ndarray, shift: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """Count, sum and cross-product sum of ``x - shift`` over the ``valid`` pixels of a cube."""
    bands = cube.shape[0]
    if not valid.any():
        return 0, np.zeros(bands), np.zeros((bands, bands))
    x = cube[:, valid].T.astype(np.float64) - shift
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

"""From reconstruction errors to anomaly scores: local contrast, light smoothing, RX blend.

A reconstruction error is large for anomalies, but also everywhere in bright
or textured ground (a shoreline, a roof) and small everywhere in dark, smooth
ground (water), so a faint target in water can score below ordinary
shoreline pixels. :func:`local_contrast` divides each error by a power of the
median error around it, comparing a pixel with its own surroundings; the
median ignores the targets themselves as long as they fill less than half of
the window. :func:`smooth_scores` then blends each score with a little of its
neighbours' (a Gaussian of σ ≈ 0.5 pixel), which lifts the edge pixels of
multi-pixel targets next to their cores and damps single-pixel noise.
:func:`blend_rx` finally multiplies in a little of global RX: the
reconstruction error misses materials the network has many pixels of, and
dark ones, and the contrast divides a target that fills its window by its
own level; RX sees both. :func:`local_standardise` last puts every part of
the tile on one scale: a network reconstructs some backgrounds worse than
others, which lifts all their pixels above the anomalies of the others;
measured in the robust spread of its surroundings, each score says how
unusual it is where it lies. Measured on the benchmark scenes, on mosaics of
them and on implanted targets of 1–200 pixels in ``docs/accuracy.md``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from superad_geo.model.rx import rx_apply, rx_moments, rx_statistics

#: The preset keys that :func:`anomaly_scores` takes.
SCORING_KEYS = (
    "contrast_window",
    "contrast_power",
    "smoothing_sigma",
    "rx_weight",
    "standardise_window",
    "standardise_clip",
)


def local_contrast(
    scores: np.ndarray, valid: np.ndarray, window: int, power: float = 0.5
) -> np.ndarray:
    """Divide ``scores`` by their moving median over ``window × window`` pixels, to ``power``.

    Parameters
    ----------
    scores : np.ndarray
        Non-negative ``(y, x)`` scores (higher is more anomalous).
    valid : np.ndarray
        Boolean ``(y, x)``; invalid pixels enter the medians as the median
        valid score and come back unchanged.
    window : int
        Side of the median window in pixels (edges reflect).
    power : float
        0 leaves the scores as they are; 1 is a full ratio to the local level.

    Returns
    -------
    np.ndarray
        float32 ``(y, x)``.

    Examples
    --------
    >>> scores = np.ones((5, 5)); scores[:, 3:] = 4.0
    >>> local_contrast(scores, np.ones((5, 5), bool), window=3, power=1.0)[0, :]
    array([1., 1., 1., 1., 1.], dtype=float32)
    """
    scores = np.asarray(scores, dtype=np.float32)
    if not valid.any():
        return scores.copy()
    filled = np.where(valid, scores, np.median(scores[valid]))
    level = ndimage.median_filter(filled, size=window, mode="reflect")
    floor = np.float32(max(float(level.max()), 1e-30) * 1e-6)
    contrast = filled / np.maximum(level, floor) ** np.float32(power)
    return np.where(valid, contrast, scores).astype(np.float32)


def smooth_scores(scores: np.ndarray, valid: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-weighted mean of the valid scores around each valid pixel.

    Invalid pixels neither contribute nor change (a normalised convolution).

    Examples
    --------
    >>> scores = np.zeros((3, 3)); scores[1, 1] = 1.0
    >>> smooth_scores(scores, np.ones((3, 3), bool), sigma=0.5).round(3)[1]
    array([0.084, 0.619, 0.084], dtype=float32)
    """
    scores = np.asarray(scores, dtype=np.float32)
    weight = valid.astype(np.float32)
    total = ndimage.gaussian_filter(np.where(valid, scores, 0).astype(np.float32), sigma)
    norm = ndimage.gaussian_filter(weight, sigma)
    smoothed = total / np.maximum(norm, np.float32(1e-12))
    return np.where(valid, smoothed, scores).astype(np.float32)


def blend_rx(scores: np.ndarray, rx: np.ndarray, valid: np.ndarray, weight: float) -> np.ndarray:
    """Multiply ``scores`` by a power of the RX score relative to its median.

    In logarithms, ``log s + weight · (spread(log s) / spread(log rx)) · (log rx - median)``:
    both detectors' log-scores measured in their own robust spread (1.4826 × the
    median absolute deviation over the valid pixels), the RX part weighted by
    ``weight``. The result keeps the units and the sign of ``scores``; invalid
    pixels come back unchanged, and so does everything when RX is flat on
    most valid pixels (its spread is then no scale).

    Examples
    --------
    >>> scores = np.array([[1.0, 2.0, 4.0, 8.0]]); rx = np.array([[8.0, 4.0, 2.0, 1.0]])
    >>> blend_rx(scores, rx, np.ones((1, 4), bool), weight=1.0).round(3)  # opposite rankings cancel
    array([[2.828, 2.828, 2.828, 2.828]], dtype=float32)
    """
    scores = np.asarray(scores, dtype=np.float32)
    if not valid.any():
        return scores.copy()
    tiny = np.float32(1e-30)
    log_scores = np.log(np.maximum(scores[valid], tiny))
    log_rx = np.log(np.maximum(np.asarray(rx, dtype=np.float32)[valid], tiny))
    if _spread(log_rx) < 1e-6:  # RX flat on most pixels (too few of them): nothing to add
        return scores.copy()
    exponent = weight * _spread(log_scores) / _spread(log_rx)
    factor = (np.maximum(rx, tiny) / np.exp(np.median(log_rx))) ** np.float32(exponent)
    return np.where(valid, scores * factor, scores).astype(np.float32)


def local_standardise(
    scores: np.ndarray, valid: np.ndarray, window: int, clip: float | None = None
) -> np.ndarray:
    """Robust z-scores against the median and spread of the valid scores around each pixel.

    ``(s - median) / (1.4826 × MAD)``, both taken over ``window × window``
    boxes centred on a mesh of step ``window // 4`` (clipped at the edges) and
    interpolated bilinearly between the mesh nodes. A node whose box holds
    fewer than a tenth of a box's pixels (valid ones) takes the statistics of
    the nearest node that holds enough. Spreads are floored at a twentieth of the
    valid scores' own, so a flat patch does not divide by zero or blow up. With ``clip``,
    the statistics are taken a second time without the pixels whose first
    z-score exceeds it: a large target would otherwise raise the median and
    spread of its own windows. Invalid pixels come back unchanged, and so does
    everything when no box holds a tenth of its pixels valid.

    Examples
    --------
    >>> scores = np.arange(400.0).reshape(20, 20) % 7; scores[:, 10:] *= 10
    >>> z = local_standardise(scores, np.ones((20, 20), bool), window=9)
    >>> bool(abs(np.median(z[:, :5]) - np.median(z[:, 15:])) < 0.5)  # the two halves on one scale
    True
    """
    scores = np.asarray(scores, dtype=np.float32)
    statistics = _local_statistics(scores, valid, window)
    if statistics is None:
        return scores.copy()
    centre, spread = statistics
    if clip is not None:
        background = valid & ((scores - centre) / spread <= clip)
        centre, spread = _local_statistics(scores, background, window) or statistics
    return np.where(valid, (scores - centre) / spread, scores).astype(np.float32)


#: A local spread is at least this share of the whole valid area's (:func:`_spread_floor`).
LOCAL_SPREAD_FLOOR = 0.05


def _spread_floor(values: np.ndarray) -> float:
    """The least local spread: a share of the larger of the values' MAD-based spread and the
    spread their 1-99 % quantile range implies (the latter holds where a constant patch has
    left no MAD)."""
    low, high = np.quantile(values, (0.01, 0.99))
    return max(LOCAL_SPREAD_FLOOR * max(_spread(values), float(high - low) / (2 * 2.326)), 1e-30)


def _enough(window: int) -> int:
    """The valid pixels a statistics box needs: a tenth of the box."""
    return max(1, window * window // 10)


def _local_statistics(
    scores: np.ndarray, valid: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-pixel median and floored robust spread of :func:`local_standardise`.

    None when no box holds enough valid pixels.
    """
    height, width = scores.shape
    step, half = max(1, window // 4), window // 2
    rows = np.unique(np.minimum(np.arange(0, height + step - 1, step), height - 1))
    cols = np.unique(np.minimum(np.arange(0, width + step - 1, step), width - 1))
    centre = np.full((rows.size, cols.size), np.nan)
    spread = np.full_like(centre, np.nan)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            box = np.s_[max(0, row - half) : row + half + 1, max(0, col - half) : col + half + 1]
            values = scores[box][valid[box]]
            if values.size >= _enough(window):
                centre[i, j] = np.median(values)
                spread[i, j] = _spread(values)
    # nodes without enough valid pixels take the nearest filled node's statistics
    empty = np.isnan(centre)
    if empty.all():
        return None
    if empty.any():
        nearest = ndimage.distance_transform_edt(empty, return_distances=False, return_indices=True)
        centre, spread = centre[tuple(nearest)], spread[tuple(nearest)]
    spread = np.maximum(spread, _spread_floor(scores[valid]))
    at = np.meshgrid(
        np.interp(np.arange(height), rows, np.arange(rows.size)),
        np.interp(np.arange(width), cols, np.arange(cols.size)),
        indexing="ij",
    )
    return (
        ndimage.map_coordinates(centre, at, order=1, mode="nearest"),
        ndimage.map_coordinates(spread, at, order=1, mode="nearest"),
    )


def tile_rx(cube: np.ndarray, valid: np.ndarray, rows: int = 64) -> np.ndarray:
    """Global RX scores of a ``(band, y, x)`` tile under its own valid pixels' mean and covariance.

    Computed ``rows`` rows at a time, so the float64 copies it needs are those
    of one band of rows, not of the tile. NaN at invalid pixels.
    """
    bands, height, _ = cube.shape
    shift = np.zeros(bands)
    blocks = [slice(start, start + rows) for start in range(0, height, rows)]
    moments = [rx_moments(cube[:, block], valid[block], shift) for block in blocks]
    statistics = rx_statistics(moments, shift)
    return np.concatenate([rx_apply(cube[:, block], statistics, valid[block]) for block in blocks])


def anomaly_scores(
    errors: np.ndarray,
    valid: np.ndarray,
    *,
    contrast_window: int,
    contrast_power: float,
    smoothing_sigma: float,
    rx_weight: float = 0.0,
    standardise_window: int = 0,
    standardise_clip: float | None = None,
    rx: np.ndarray | None = None,
) -> np.ndarray:
    """Scores from a ``(y, x)`` error map: local contrast, smoothing, a blend with RX,
    then local standardisation.

    ``contrast_window=0``, ``smoothing_sigma=0``, ``rx_weight=0`` and
    ``standardise_window=0`` each skip their step; ``rx`` (RX scores of the
    same pixels) is needed when ``rx_weight`` is not 0.
    """
    scores = np.asarray(errors, dtype=np.float32)
    if contrast_window:
        scores = local_contrast(scores, valid, contrast_window, contrast_power)
    if smoothing_sigma:
        scores = smooth_scores(scores, valid, smoothing_sigma)
    if rx_weight:
        if rx is None:
            raise ValueError("rx_weight needs the RX scores (rx=...)")
        scores = blend_rx(scores, rx, valid, rx_weight)
    if standardise_window:
        scores = local_standardise(scores, valid, standardise_window, standardise_clip)
    return scores


def _spread(values: np.ndarray) -> float:
    """1.4826 × the median absolute deviation (the standard deviation for normal data)."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))

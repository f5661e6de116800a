"""Bring tile scores to a common scale and blend them into a seamless mosaic.

Scores of separately trained tiles differ in scale, so each tile's scores are
first normalised by a robust statistic of its background:
``z = (s - median) / (1.4826 * MAD)`` over the tile's valid core pixels
(anomalies are a small minority, so median and MAD describe the
background). A tile largely covered by a constant patch (a saturated
area, an undeclared fill value: a fifth of its pixels or more holding one
identical spectrum) has a MAD that describes the patch, near zero; there the
scale is floored by the spread the tile's central 98 % implies
(``(q99 - q1) / (2 * 2.326)``, the standard deviation for normal scores), so
that its other pixels' scores cannot blow up, and the tile is reported with a
warning. Other tiles are normalised by median and MAD alone.
Tiles are then blended across their overlaps with weights
``sin^2(pi/2 * (d + 1/2) / o)`` of the distance ``d`` to the tile edge,
where ``o`` is the overlap with the neighbour on that side; they fall to
zero at the edge, and the two ramps of neighbouring tiles sum to exactly one
across the overlap. Scene edges get no ramp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from superad_geo.scene.tiling import Tile, Window

#: Consistency factor making the MAD estimate a normal standard deviation.
MAD_TO_SIGMA = 1.4826

#: Quantiles whose range floors the scale, and the normal z-score of the upper one.
FLOOR_QUANTILES = (0.01, 0.99)
Z_99 = 2.3263478740408408

#: Share of a tile's valid pixels in one constant patch (one identical spectrum) from
#: which it counts as largely constant: its scale is floored and it is reported.
CONSTANT_SHARE_WARNING = 0.2

#: Multiplier of the FNV-1 hash that tells spectra apart.
_FNV_PRIME = np.uint64(1099511628211)


def ramp(length: int, before: int, after: int) -> np.ndarray:
    """1-D blending weights of a tile of ``length`` pixels.

    Parameters
    ----------
    length : int
        Tile length along the axis.
    before, after : int
        Overlap with the previous and the next tile (0: scene edge, no ramp).

    Returns
    -------
    numpy.ndarray
        float64 weights in (0, 1]: ``sin^2(pi/2 * (d + 1/2) / o)`` within
        ``o`` pixels of a shared edge (``d`` the distance to it), else 1.

    Examples
    --------
    >>> np.round(ramp(6, 2, 0), 3).tolist()
    [0.146, 0.854, 1.0, 1.0, 1.0, 1.0]
    >>> a, b = ramp(6, 0, 2), ramp(6, 2, 0)
    >>> np.allclose(a[-2:] + b[:2], 1.0)
    True
    """
    w = np.ones(length)
    d = np.arange(length, dtype=float)
    if before > 0:
        head = d < before
        w[head] *= np.sin(0.5 * np.pi * (d[head] + 0.5) / before) ** 2
    if after > 0:
        dist = length - 1 - d
        tail = dist < after
        w[tail] *= np.sin(0.5 * np.pi * (dist[tail] + 0.5) / after) ** 2
    return w


def tile_weights(tile: Tile) -> np.ndarray:
    """2-D blending weights of a tile's core window, ``(height, width)`` float32."""
    above, below, left, right = tile.overlaps
    wy = ramp(tile.window.height, above, below)
    wx = ramp(tile.window.width, left, right)
    return np.outer(wy, wx).astype(np.float32)


def background_statistics(scores: np.ndarray, constant: float | None = None) -> tuple[float, float]:
    """Robust centre and spread of a tile's scores: median and 1.4826 * MAD.

    NaN (invalid) pixels are ignored. If the MAD is zero the standard
    deviation is used, and 1.0 if that is zero too. In a tile largely of one
    constant patch (:data:`CONSTANT_SHARE_WARNING`), where the MAD describes
    the patch rather than the background, the spread is at least the
    standard deviation implied by the 1-99 % quantile range,
    ``(q99 - q1) / (2 * 2.326)``. ``constant`` is the share of the tile's
    pixels in that patch (:func:`constant_spectrum_share` of the input);
    without it, the share of pixels with one identical score.
    """
    values = scores[np.isfinite(scores)].astype(np.float64)
    if values.size == 0:
        return 0.0, 1.0
    centre = float(np.median(values))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(values - centre)))
    share = constant_share(values) if constant is None else constant
    if share >= CONSTANT_SHARE_WARNING:
        low, high = np.quantile(values, FLOOR_QUANTILES)
        spread = max(spread, float(high - low) / (2 * Z_99))
    if not spread > 0:
        spread = float(values.std())
    if not spread > 0:
        spread = 1.0
    return centre, spread


def constant_share(scores: np.ndarray) -> float:
    """Share of the valid pixels of ``scores`` that have the most frequent value."""
    values = scores[np.isfinite(scores)]
    if values.size == 0:
        return 0.0
    _, counts = np.unique(values, return_counts=True)
    return float(counts.max() / values.size)


def constant_spectrum_share(cube: np.ndarray, valid: np.ndarray) -> float:
    """Share of the valid pixels of a float32 ``(band, y, x)`` cube with its commonest spectrum.

    Spectra are told apart by a 64-bit hash of their bits, a band at a time
    (no copy of the cube). Unlike identical scores, which a long training
    blurs by rounding, identical input spectra are a constant patch at any
    number of steps.
    """
    count = int(valid.sum())
    if count == 0:
        return 0.0
    whole = bool(valid.all())
    hashes = np.zeros(count, dtype=np.uint64)
    for band in cube:
        values = band.ravel() if whole else band[valid]
        hashes *= _FNV_PRIME
        hashes ^= np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    _, counts = np.unique(hashes, return_counts=True)
    return float(counts.max() / count)


def constant_patch_warning(share: float, where: str) -> str | None:
    """The warning for a tile ``where`` whose ``share`` of pixels is one constant patch, if any."""
    if share < CONSTANT_SHARE_WARNING:
        return None
    return (
        f"{share:.0%} of {where} holds one identical spectrum: a constant patch (saturated "
        "area or a fill value not declared as nodata?); give --nodata for a fill value"
    )


def normalise(scores: np.ndarray, centre: float, spread: float) -> np.ndarray:
    """Return ``(scores - centre) / spread`` as float32 (NaN stays NaN)."""
    return ((scores.astype(np.float64) - centre) / spread).astype(np.float32)


def blend(
    window: Window,
    tiles: Sequence[Tile],
    load: Callable[[Tile], np.ndarray | None],
) -> np.ndarray:
    """Blend the normalised scores of ``tiles`` over an output ``window``.

    Parameters
    ----------
    window : Window
        Output window (e.g. a strip of rows of the scene).
    tiles : sequence of Tile
        All tiles of the scene; those not intersecting ``window`` are skipped.
    load : callable
        ``load(tile)`` returns the tile's normalised core scores
        ``(height, width)`` with NaN for invalid pixels, or None for a tile
        that was skipped (no valid pixel).

    Returns
    -------
    numpy.ndarray
        float32 ``(window.height, window.width)``, NaN where no tile has a
        valid score.
    """
    acc = np.zeros((window.height, window.width), dtype=np.float64)
    wsum = np.zeros_like(acc)
    for tile in tiles:
        core = tile.window
        r0, r1 = (
            max(core.row_off, window.row_off),
            min(core.row_off + core.height, window.row_off + window.height),
        )
        c0, c1 = (
            max(core.col_off, window.col_off),
            min(core.col_off + core.width, window.col_off + window.width),
        )
        if r0 >= r1 or c0 >= c1:
            continue
        scores = load(tile)
        if scores is None:
            continue
        tr = slice(r0 - core.row_off, r1 - core.row_off)
        tc = slice(c0 - core.col_off, c1 - core.col_off)
        s = scores[tr, tc].astype(np.float64)
        w = tile_weights(tile)[tr, tc].astype(np.float64)
        ok = np.isfinite(s)
        w = np.where(ok, w, 0.0)
        orow = slice(r0 - window.row_off, r1 - window.row_off)
        ocol = slice(c0 - window.col_off, c1 - window.col_off)
        acc[orow, ocol] += w * np.where(ok, s, 0.0)
        wsum[orow, ocol] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(wsum > 0, acc / wsum, np.nan)
    return out.astype(np.float32)


def seam_figure(scores: np.ndarray, tiles: Sequence[Tile]) -> float:
    """Score jump across tile edges relative to the jump between any two neighbours.

    Mean absolute difference of vertically (horizontally) adjacent pixels
    that straddle a tile's top or bottom (left or right) core edge inside the
    scene, divided by the mean absolute difference over all adjacent pixel
    pairs. About 1 means no seam; a visible seam gives a figure well above 1.

    Returns
    -------
    float
        NaN when the scene has a single tile.
    """
    rows, cols = scores.shape
    edge_rows, edge_cols = set(), set()
    for t in tiles:
        for r in (t.window.row_off, t.window.row_off + t.window.height):
            if 0 < r < rows:
                edge_rows.add(r)
        for c in (t.window.col_off, t.window.col_off + t.window.width):
            if 0 < c < cols:
                edge_cols.add(c)
    dy = np.abs(np.diff(scores.astype(np.float64), axis=0))  # dy[r-1] = |s[r] - s[r-1]|
    dx = np.abs(np.diff(scores.astype(np.float64), axis=1))
    edges = [dy[r - 1].ravel() for r in sorted(edge_rows)] + [
        dx[:, c - 1].ravel() for c in sorted(edge_cols)
    ]
    if not edges:
        return float("nan")
    across = np.concatenate(edges)
    overall = np.concatenate([dy.ravel(), dx.ravel()])
    return float(np.nanmean(across) / np.nanmean(overall))

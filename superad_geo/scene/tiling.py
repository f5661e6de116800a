"""Tile arithmetic: windows with overlapping borders and a context halo.

Pure functions only; the dask orchestration lives in :mod:`superad_geo.pipeline`.

A scene of ``H`` rows is cut into tiles of ``size`` rows whose starts are
``stride = size - overlap`` apart; the last tile is moved back so that it ends
on the scene edge, so every tile is full size when the scene is at least one
tile. Each tile is *scored* on its padded window (the tile grown by ``halo``
pixels on every side, clipped to the scene) and only its core window (the tile
itself) enters the mosaic, where neighbouring cores are blended across their
overlaps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from affine import Affine

from superad_geo.errors import TilingError


@dataclass(frozen=True)
class Window:
    """A pixel window: rows ``row_off .. row_off + height``, same for columns."""

    row_off: int
    col_off: int
    height: int
    width: int

    @property
    def rows(self) -> slice:
        """Row slice of the window in scene pixels."""
        return slice(self.row_off, self.row_off + self.height)

    @property
    def cols(self) -> slice:
        """Column slice of the window in scene pixels."""
        return slice(self.col_off, self.col_off + self.width)

    def within(self, outer: Window) -> tuple[slice, slice]:
        """Return the (row, col) slices of this window inside ``outer``."""
        r0 = self.row_off - outer.row_off
        c0 = self.col_off - outer.col_off
        return slice(r0, r0 + self.height), slice(c0, c0 + self.width)


@dataclass(frozen=True)
class Tile:
    """One tile of a scene.

    Attributes
    ----------
    index : (int, int)
        Position in the tile grid, (row, column).
    window : Window
        Core window: the pixels this tile contributes to the mosaic.
    padded : Window
        Window actually scored: the core grown by the halo, clipped to the scene.
    overlaps : (int, int, int, int)
        Overlap of the core with its neighbour above, below, left and right
        (0 on a scene edge); the blending ramps span exactly these widths.
    transform : Affine or None
        Geotransform of the core window, when the scene transform was given.
    """

    index: tuple[int, int]
    window: Window
    padded: Window
    overlaps: tuple[int, int, int, int]
    transform: Affine | None = None

    @property
    def name(self) -> str:
        """Stable file-name stem of the tile, e.g. ``tile_000_003``."""
        return f"tile_{self.index[0]:03d}_{self.index[1]:03d}"


def _pair(value: int | Sequence[int], what: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise TilingError(f"{what} must be an int or a (rows, cols) pair, got {value!r}")
    return pair  # type: ignore[return-value]


def tile_count(length: int, size: int, overlap: int) -> int:
    """Number of tiles along one axis.

    ``n = 1`` if ``length <= size``, else ``n = ceil((length - overlap) / (size - overlap))``
    (the ceiling counts the last, shifted tile).

    >>> tile_count(1024, 256, 32)
    5
    >>> tile_count(100, 256, 32)
    1
    """
    _check(size, overlap)
    if length <= size:
        return 1
    return math.ceil((length - overlap) / (size - overlap))


def tile_starts(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets of the tiles along one axis.

    Starts are ``i * (size - overlap)`` for ``i < n - 1`` and ``length - size``
    for the last tile, which is moved back to end on the scene edge.

    >>> tile_starts(1000, 256, 32)
    [0, 224, 448, 672, 744]
    """
    n = tile_count(length, size, overlap)
    if n == 1:
        return [0]
    stride = size - overlap
    return [i * stride for i in range(n - 1)] + [length - size]


def tile_windows(
    shape: tuple[int, int],
    size: int | Sequence[int],
    overlap: int | Sequence[int] = 0,
    *,
    halo: int = 0,
    transform: Affine | None = None,
) -> list[Tile]:
    """Cut a ``(rows, cols)`` scene into overlapping tiles.

    The grid has ``tile_count(rows, size, overlap) * tile_count(cols, size, overlap)``
    tiles, with ``tile_count(L, s, o) = 1 if L <= s else ceil((L - o) / (s - o))``.
    Tiles are returned row by row.

    Parameters
    ----------
    shape : (int, int)
        Scene size in pixels, (rows, cols).
    size : int or (int, int)
        Tile size in pixels; clipped to the scene.
    overlap : int or (int, int)
        Minimum overlap between neighbouring cores, ``0 <= overlap < size``.
    halo : int
        Context added around each core for scoring (clipped to the scene).
    transform : Affine, optional
        Scene geotransform; each tile then carries its core's transform.

    Returns
    -------
    list of Tile

    Raises
    ------
    TilingError
        If ``size < 1``, ``overlap < 0``, ``overlap >= size`` or ``halo < 0``.

    Examples
    --------
    >>> tiles = tile_windows((300, 500), 256, 32, halo=40)
    >>> len(tiles), tiles[-1].window
    (6, Window(row_off=44, col_off=244, height=256, width=256))
    """
    rows, cols = (int(v) for v in shape)
    size_r, size_c = _pair(size, "size")
    ov_r, ov_c = _pair(overlap, "overlap")
    if halo < 0:
        raise TilingError(f"halo must be >= 0, got {halo}")
    size_r, size_c = min(size_r, rows), min(size_c, cols)
    # an axis no longer than a tile holds one tile, whatever the overlap
    ov_r, ov_c = (0 if size_r == rows else ov_r), (0 if size_c == cols else ov_c)
    starts_r = tile_starts(rows, size_r, ov_r)
    starts_c = tile_starts(cols, size_c, ov_c)
    tiles = []
    for i, r0 in enumerate(starts_r):
        above = starts_r[i - 1] + size_r - r0 if i > 0 else 0
        below = r0 + size_r - starts_r[i + 1] if i + 1 < len(starts_r) else 0
        for j, c0 in enumerate(starts_c):
            left = starts_c[j - 1] + size_c - c0 if j > 0 else 0
            right = c0 + size_c - starts_c[j + 1] if j + 1 < len(starts_c) else 0
            core = Window(r0, c0, size_r, size_c)
            pr0, pc0 = max(r0 - halo, 0), max(c0 - halo, 0)
            pr1, pc1 = min(r0 + size_r + halo, rows), min(c0 + size_c + halo, cols)
            padded = Window(pr0, pc0, pr1 - pr0, pc1 - pc0)
            tile_transform = None
            if transform is not None:
                tile_transform = transform @ Affine.translation(c0, r0)
            tiles.append(Tile((i, j), core, padded, (above, below, left, right), tile_transform))
    return tiles


def _padded_length(length: int, size: int, overlap: int, halo: int) -> int:
    """Pixels scored along one axis: the tiles' padded extents, summed."""
    size = min(size, length)
    overlap = 0 if size == length else overlap
    return sum(
        min(s + size + halo, length) - max(s - halo, 0) for s in tile_starts(length, size, overlap)
    )


def work_ratio(
    shape: tuple[int, int], size: int | Sequence[int], overlap: int | Sequence[int], halo: int
) -> float:
    """Pixels a tiling scores (each tile's padded window, summed) per pixel of the scene.

    ``(Σ padded rows) · (Σ padded columns) / (rows · cols)``: 1 for one tile,
    more as the halo and the overlap are scored again by every tile.

    >>> round(work_ratio((128, 128), 64, 16, 40), 1), work_ratio((128, 128), 128, 16, 40)
    (6.6, 1.0)
    """
    rows, cols = (int(v) for v in shape)
    (size_r, size_c), (ov_r, ov_c) = _pair(size, "size"), _pair(overlap, "overlap")
    scored = _padded_length(rows, size_r, ov_r, halo) * _padded_length(cols, size_c, ov_c, halo)
    return scored / (rows * cols)


def cheaper_tile_size(
    shape: tuple[int, int], size: int | Sequence[int], overlap: int, halo: int, target: float
) -> tuple[int, float]:
    """The smallest square tile size, a multiple of 64 above ``size``, scoring at most ``target``×.

    Where none does, the one scoring least. Returns the size and its :func:`work_ratio`.

    >>> cheaper_tile_size((128, 128), 64, 16, 40, 1.5)
    (128, 1.0)
    """
    longest = max(int(v) for v in shape)
    start = max(_pair(size, "size")) // 64 + 1
    candidates = [64 * k for k in range(start, max(start, -(-longest // 64)) + 1)]
    ratios = [(work_ratio(shape, c, min(overlap, c - 1), halo), c) for c in candidates]
    fitting = [c for r, c in ratios if r <= target]
    best = fitting[0] if fitting else min(ratios)[1]
    return best, dict((c, r) for r, c in ratios)[best]


def _check(size: int, overlap: int) -> None:
    if size < 1:
        raise TilingError(f"tile size must be >= 1 pixel, got {size}")
    if overlap < 0 or overlap >= size:
        raise TilingError(
            f"overlap must satisfy 0 <= overlap < tile size ({size}), got {overlap}; "
            "use a smaller overlap or a larger tile size"
        )

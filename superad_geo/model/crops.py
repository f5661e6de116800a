"""Where scene training's crops lie and in which order they are visited."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CropWindow:
    """A crop of the scene: rows ``row .. row + height``, columns likewise."""

    row: int
    col: int
    height: int
    width: int

    @property
    def rows(self) -> slice:
        return slice(self.row, self.row + self.height)

    @property
    def cols(self) -> slice:
        return slice(self.col, self.col + self.width)


CropReader = Callable[[CropWindow], tuple[np.ndarray, np.ndarray | None]]
"""``read(window)`` → raw ``(band, height, width)`` cube of the window and its
``(height, width)`` validity mask (or None: every finite pixel is valid)."""


def crop_windows(shape: tuple[int, int], crop_size: int, seed: int = 0) -> list[CropWindow]:
    """Place one crop over each cell of a grid on a ``(rows, cols)`` scene.

    The grid has ``ceil(rows / crop_size)`` × ``ceil(cols / crop_size)`` equal
    cells, so a cell is never larger than a crop; each crop covers its whole
    cell, at a position inside the scene drawn from ``seed``. The crops
    therefore cover the scene. A scene side shorter than ``crop_size`` gives
    crops of that side.
    """
    rng = np.random.default_rng(seed)
    starts = [_crop_starts(length, crop_size) for length in shape]
    windows = []
    for row_range in starts[0]:
        for col_range in starts[1]:
            row = int(rng.integers(row_range[0], row_range[1] + 1))
            col = int(rng.integers(col_range[0], col_range[1] + 1))
            windows.append(CropWindow(row, col, min(crop_size, shape[0]), min(crop_size, shape[1])))
    return windows


def _crop_starts(length: int, crop_size: int) -> list[tuple[int, int]]:
    """Per cell along one axis: the (lowest, highest) crop start that covers the cell."""
    size = min(crop_size, length)
    cells = math.ceil(length / size)
    edges = [round(i * length / cells) for i in range(cells + 1)]
    return [
        (max(0, end - size), min(start, length - size))
        for start, end in zip(edges[:-1], edges[1:], strict=True)
    ]


def crop_schedule(crops: int, visits: int, seed: int = 0) -> Iterator[int]:
    """Yield ``visits`` crop indices: every crop once per round, each round in a seeded order."""
    if crops < 1 and visits > 0:
        raise ValueError(f"{visits} crop visits asked of no crops")
    rng = np.random.default_rng(seed)
    given = 0
    while given < visits:
        for index in rng.permutation(crops)[: visits - given]:
            yield int(index)
        given = min(visits, given + crops)

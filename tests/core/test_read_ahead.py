"""The local tile loop reads the next tile while the current one trains."""

import threading

import numpy as np

from superad_geo.pipeline.execute import read_ahead as _read_ahead


class _LazyWindow:
    """Stands for a dask window: ``compute`` is the read."""

    def __init__(self, index: int, reads: dict[int, threading.Event]) -> None:
        self.index, self.reads = index, reads

    def compute(self, scheduler: str) -> np.ndarray:
        self.reads[self.index].set()
        return np.full(3, self.index)


def test_next_window_is_read_while_the_current_item_runs():
    reads = {index: threading.Event() for index in range(4)}
    items = [((f"tile{i}",), (_LazyWindow(i, reads),)) for i in range(4)]
    overlapped = []

    def train(names, cubes):
        index = int(cubes[0][0])
        if index + 1 in reads:  # the next read must start before this one finishes
            overlapped.append(reads[index + 1].wait(timeout=30))
        return names[0], cubes[0].tolist()

    results = list(_read_ahead(train, items))
    assert results == [(f"tile{i}", [i] * 3) for i in range(4)]
    assert overlapped == [True, True, True]
    assert list(_read_ahead(train, [])) == []

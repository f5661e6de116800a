"""The global RX detector (Reed and Yu 1990) as the pipeline runs it: scene-wide moments, any tile.

The arithmetic is :mod:`superad_geo.model.rx`; this module reduces the scene's
mean and covariance block by block (:func:`rx_block_moments`), so tiles need no
common-scale correction, and plugs RX into the pipeline (:class:`RX`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from superad_geo.detectors.base import Detector, SceneSummary
from superad_geo.scene.validity import read_filled

if TYPE_CHECKING:
    from superad_geo.model.rx import RXStatistics
    from superad_geo.options import DetectOptions, Execution


def rx_block_moments(
    block: object, roi: object | None, fill: np.ndarray, shift: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """Count, sum and cross-product sum of ``x - shift`` over a block's valid pixels."""
    from superad_geo.model.rx import rx_moments

    filled, valid = read_filled(block, roi, fill)
    return rx_moments(filled, valid, shift)


@dataclass(frozen=True)
class RXRun:
    """RX's per-run state: the scene's mean and covariance."""

    statistics: RXStatistics


class RX(Detector):
    """Global RX: scene-wide mean and covariance from one pass over the scene's blocks.

    Tiles need no halo, no overlap and no normalisation (the scores share one scale).
    """

    name = "rx"
    summary = "the global RX detector, a fast baseline"
    min_bands = 2
    score_meaning = (
        "RX score: squared Mahalanobis distance to the scene mean and covariance; "
        "unitless; higher is more anomalous"
    )

    def prepare(self, options: DetectOptions, execution: Execution, scene: SceneSummary) -> RXRun:
        from superad_geo.model.rx import rx_statistics

        shift = np.asarray(scene.fill, dtype=np.float64)
        items = [(b, r, scene.fill, shift) for b, r in scene.blocks]
        moments = []
        for i, m in enumerate(scene.mapper(rx_block_moments, items)):
            moments.append(m)
            if scene.progress is not None:
                scene.progress(i + 1, len(items), "rx")
        return RXRun(rx_statistics(moments, shift))

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        state: RXRun,
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        from superad_geo.model.rx import rx_apply

        return [rx_apply(c, state.statistics, m) for c, m in zip(cubes, masks, strict=True)]


DETECTOR = RX()

__all__ = ["DETECTOR", "RX", "RXRun", "rx_block_moments"]

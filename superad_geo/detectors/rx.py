"""The global RX detector (Reed and Yu 1990) as the pipeline runs it: scene-wide moments, any tile.

The arithmetic is :mod:`superad_geo.model.rx`; this module reduces the scene's
mean and covariance block by block (:func:`rx_block_moments`), so tiles need no
common-scale correction, and plugs RX into the pipeline (:class:`RX`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.scene.validity import fill_block, materialise, valid_pixels

if TYPE_CHECKING:
    from superad_geo.options import DetectOptions, Execution


def rx_block_moments(
    block: object, roi: object | None, fill: np.ndarray, shift: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """Count, sum and cross-product sum of ``x - shift`` over a block's valid pixels."""
    from superad_geo.model.rx import rx_moments

    cube = materialise(block)
    valid = valid_pixels(cube, None if roi is None else materialise(roi))
    return rx_moments(fill_block(cube, fill), valid, shift)


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
        from superad_geo.model.rx import rx_statistics

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
        from superad_geo.model.rx import rx_apply

        return [rx_apply(cube, config["rx"], mask) for cube, mask in zip(cubes, masks, strict=True)]

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        return {}

    def resources_used(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {}


DETECTOR = RX()

"""The seam between the pipeline and a scoring method: the :class:`Detector` protocol.

The pipeline knows nothing of any method. It asks the detector, in order:

1. :meth:`~Detector.check` — are these options valid? (before any pixel is read);
2. :meth:`~Detector.tiling` — the overlap and halo its tiles need;
3. :meth:`~Detector.scene_pass` — scene-wide state computed once (e.g. RX's
   mean and covariance) from the statistics pass's blocks;
4. :meth:`~Detector.fit` — a model learnt once from windows of the whole
   scene (Super-AD's scene training), before any tile is scored;
5. :meth:`~Detector.score` — score a batch of filled tiles, on a worker;
6. :meth:`~Detector.record` and :meth:`~Detector.resources_used` — what the
   output's tags record of its options and of the device and batch size used.

A new detector is one module in this package with an object satisfying the
protocol, added to :data:`superad_geo.detectors.DETECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from superad_geo.options import DetectOptions, Execution

#: ``mapper(func, items)`` yields ``func(*item)`` in order (the executor's ``ordered``).
Mapper = Callable[[Callable[..., Any], Iterable[tuple]], Iterator[Any]]
ProgressCallback = Callable[[int, int, str], None]
#: ``read(window)`` → the filled ``(band, h, w)`` cube of a window (anything with
#: ``rows`` and ``cols`` slices in scene pixels) and its ``(h, w)`` validity mask.
WindowReader = Callable[[Any], tuple[np.ndarray, np.ndarray]]


@runtime_checkable
class Detector(Protocol):
    """What the pipeline needs from a scoring method."""

    #: Name used by ``method=`` and recorded in the output.
    name: str
    #: Fewest bands the method works with.
    min_bands: int
    #: ``"median-mad"`` (each tile's core normalised by its background) or ``"none"``.
    normalisation: str

    def check(self, options: DetectOptions) -> None:
        """Raise a ``SuperadGeoError`` subclass if the options do not suit the method."""

    def check_scene(self, options: DetectOptions, rows: int, cols: int) -> str | None:
        """Why a scene of ``rows`` × ``cols`` pixels is too small, or None."""

    def tiling(self, options: DetectOptions) -> tuple[int | Sequence[int], int]:
        """``(overlap, halo)`` of the tiles: the options' or the method's own."""

    def scaling(self, options: DetectOptions) -> str | tuple[float, float]:
        """The scene-wide input scaling to compute."""

    def default_threads(self, workers: int, distributed: bool) -> int:
        """Compute threads per tile task when the caller gives none."""

    def batch_size(self, execution: Execution, tile_pixels: int, bands: int) -> int:
        """Tiles per task when the caller gives none."""

    def threads(self, threads: int | None) -> AbstractContextManager[None]:
        """Context that runs in-process tile tasks with ``threads`` compute threads."""

    def scene_pass(
        self,
        blocks: Sequence[tuple[Any, Any]],
        fill: np.ndarray,
        mapper: Mapper,
        progress: ProgressCallback | None,
    ) -> dict[str, Any]:
        """Scene-wide state for the tile tasks (merged into their configuration)."""

    def config(
        self, options: DetectOptions, execution: Execution, wavelengths: list[float] | None
    ) -> dict[str, Any]:
        """The method's settings that the tile tasks need (picklable)."""

    def fit(
        self,
        read: WindowReader,
        shape: tuple[int, int],
        config: Mapping[str, Any],
        progress: ProgressCallback | None,
    ) -> dict[str, Any]:
        """A model learnt from the ``(rows, cols)`` scene for the tile tasks (merged into
        their configuration, picklable); ``{}`` for a method that learns per tile."""

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        config: Mapping[str, Any],
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        """Scores ``(y, x)`` of filled ``(band, y, x)`` tiles (runs on a worker)."""

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        """The method's options as recorded in the output (JSON-ready)."""

    def resources_used(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """What the run resolved for the record (e.g. the device used for ``"auto"``)."""

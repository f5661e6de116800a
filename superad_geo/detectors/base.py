"""The seam between the pipeline and a scoring method: the :class:`Detector` base class.

A detector is one module in this package with a subclass of :class:`Detector`
that implements :meth:`~Detector.score`; every other method has a working
default (a per-pixel detector: no context around tiles, one scale for all
tiles, no scene-wide state, nothing learnt before the tiles). Its instance
goes into :data:`superad_geo.detectors.DETECTORS`. The pipeline asks it, in order:

1. :meth:`~Detector.check` and :meth:`~Detector.check_scene`: can it run with
   these options, on this scene? (before any pixel is read);
2. :meth:`~Detector.tiling` and :meth:`~Detector.scaling`: the overlap, halo
   and input scaling of its tiles;
3. :meth:`~Detector.prepare`: its typed per-run state, from the scene's
   statistics (and, if it needs one, its own pass over the scene's blocks:
   RX's mean and covariance);
4. :meth:`~Detector.fit`: a model learnt from windows of the whole scene
   before any tile is scored (Super-AD's scene training), kept in the work
   folder for a resumed run;
5. :meth:`~Detector.score`, on a worker: scores of a batch of filled tiles,
   then :meth:`~Detector.tile_scale`: how each tile's scores are put on the
   mosaic's scale;
6. :meth:`~Detector.record` and :meth:`~Detector.resources_used`: what the
   output's tags record.

What the detector's result depends on (its fingerprint) is the options that
belong to it (``Option.detector``) and the common ones; what its score means
is :attr:`~Detector.score_meaning`, written in the output's ``SUPERAD_SCORE`` tag.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from superad_geo.options import DetectOptions, Execution
from superad_geo.scene.tiling import Tile

#: ``mapper(func, items)`` yields ``func(*item)`` in order (the executor's ``ordered``).
Mapper = Callable[[Callable[..., Any], Iterable[tuple]], Iterator[Any]]
ProgressCallback = Callable[[int, int, str], None]
#: ``read(window)`` → the filled ``(band, h, w)`` cube of a window (anything with
#: ``rows`` and ``cols`` slices in scene pixels) and its ``(h, w)`` validity mask.
WindowReader = Callable[[Any], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SceneSummary:
    """What the pipeline knows of a scene when a detector prepares its run."""

    fill: np.ndarray
    """Per-band fill value of nodata (the band's mean over the valid pixels), kept bands."""
    scaling: tuple[float, float]
    """The input scaling ``(lo, hi)`` shared by every tile."""
    wavelengths: list[float] | None
    """Band centres in nm of the kept bands, if all are known."""
    blocks: Sequence[tuple[Any, Any]]
    """All-band blocks of the scene and their ROI blocks, for a pass over its pixels."""
    mapper: Mapper
    progress: ProgressCallback | None


@dataclass(frozen=True)
class TileScale:
    """How a tile's core scores are put on the mosaic's scale: ``(s - centre) / spread``."""

    centre: float = 0.0
    spread: float = 1.0
    warning: str | None = None
    """A warning about the tile, shown by the process the user watches."""


@dataclass(frozen=True)
class Estimate:
    """What a run will cost, as its detector foresees it before any pixel is read."""

    training: str
    """The training the run will use (e.g. ``"scene"``)."""
    seconds: float
    """Estimated wall time on this machine."""


class Detector:
    """A scoring method, as the pipeline runs it. Subclasses implement :meth:`score`."""

    #: Name used by ``method=`` and recorded in the output.
    name: ClassVar[str]
    #: What the command line's ``--method`` help says of it.
    summary: ClassVar[str] = ""
    #: Fewest bands the method works with.
    min_bands: ClassVar[int] = 1
    #: What a score means (the output's ``SUPERAD_SCORE`` tag).
    score_meaning: ClassVar[str] = ""
    #: How tile scores are put on one scale, as recorded (see :meth:`tile_scale`).
    normalisation: ClassVar[str] = "none"

    def check(self, options: DetectOptions, execution: Execution) -> None:
        """Raise a ``SuperadGeoError`` subclass if the options do not suit the method."""

    def check_scene(self, options: DetectOptions, rows: int, cols: int) -> str | None:
        """Why a scene of ``rows`` × ``cols`` pixels is too small, or None."""
        return None

    def tiling(
        self, options: DetectOptions, shape: tuple[int, int]
    ) -> tuple[int | Sequence[int], int]:
        """``(overlap, halo)`` of the tiles of a ``(rows, cols)`` scene; by default none
        (each pixel scored alone)."""
        return 0, 0

    def scaling(self, options: DetectOptions) -> str | tuple[float, float]:
        """The scene-wide input scaling to compute: the options', else ``"minmax"``."""
        return "minmax" if options.scaling is None else options.scaling

    def fingerprint(self, options: DetectOptions) -> dict[str, Any]:
        """The options its result depends on: the common ones and its own, by name (how a run
        is executed, :class:`~superad_geo.options.Execution`, changes no score)."""
        chosen = {}
        for f in fields(options):
            about = f.metadata["option"]
            if about.detector in (None, self.name):
                value = getattr(options, f.name)
                chosen[f.name] = dict(value) if isinstance(value, Mapping) else value
        return chosen

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        """Its own options as recorded in the output (JSON-ready), beside the common ones."""
        return {}

    def estimate(
        self,
        options: DetectOptions,
        execution: Execution,
        shape: tuple[int, int, int],
        tiles: Sequence[Tile],
    ) -> Estimate | None:
        """What a run on a ``(band, y, x)`` scene of ``shape`` cut into ``tiles`` will cost,
        before any pixel is read (``info`` and ``detect`` show it); None: no estimate."""
        return None

    def default_threads(self, workers: int, distributed: bool) -> int:
        """Compute threads per tile task when the caller gives none."""
        return 1

    def batch_size(self, execution: Execution, tile_pixels: int, bands: int) -> int:
        """Tiles per task when the caller gives none."""
        return 1

    def threads(self, threads: int | None) -> AbstractContextManager[None]:
        """Context that runs in-process work (fit, tile tasks) with ``threads`` compute threads."""
        return contextlib.nullcontext()

    def prepare(self, options: DetectOptions, execution: Execution, scene: SceneSummary) -> Any:
        """The typed per-run state its tile tasks get (picklable); by default None."""
        return None

    def fit(
        self,
        state: Any,
        read: WindowReader,
        shape: tuple[int, int],
        progress: ProgressCallback | None,
    ) -> Mapping[str, Any]:
        """A model learnt from the ``(rows, cols)`` scene before the tiles (arrays in nested
        dicts, kept in the work folder); empty for a method that learns nothing first."""
        return {}

    def with_model(self, state: Any, model: Mapping[str, Any]) -> Any:
        """The state the tile tasks get, holding the model :meth:`fit` learnt."""
        return state

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        state: Any,
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        """Scores ``(y, x)`` of filled ``(band, y, x)`` tiles and their validity (on a worker)."""
        raise NotImplementedError

    def tile_scale(
        self, cube: np.ndarray, valid: np.ndarray, scores: np.ndarray, tile: Tile
    ) -> TileScale:
        """How the core scores of ``tile`` (of its filled ``cube``) join the mosaic's scale."""
        return TileScale()

    def resources_used(self, state: Any, execution: Execution) -> dict[str, Any]:
        """What the run resolved, for the record (e.g. the device used for ``"auto"``)."""
        return {}


__all__ = [
    "Detector",
    "Estimate",
    "Mapper",
    "ProgressCallback",
    "SceneSummary",
    "TileScale",
    "WindowReader",
]

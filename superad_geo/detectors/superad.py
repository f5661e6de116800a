"""Super-AD as a :class:`~superad_geo.detectors.base.Detector`.

Two trainings (``training=``, default the preset's): ``"tile"`` trains a
fresh network on every tile; ``"scene"`` trains one network on crops drawn
across the scene before any tile is scored (:meth:`SuperAD.fit`,
:mod:`superad_geo.model.scene_training`) and scores every tile with it. A
scene that fits in one crop is trained as one tile in either case.

The engine (:mod:`superad_geo.model`, torch) is imported inside the methods
that run it, so planning a run, ``info`` and the CLI's ``--help`` stay
torch-free. Tiles are read with a halo of the network's receptive field
plus two superpixel diameters, and each core is normalised by its
background's median and MAD before blending.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.detectors.base import (
    Detector,
    Estimate,
    SceneSummary,
    TileScale,
    WindowReader,
)
from superad_geo.errors import OptionError
from superad_geo.scene.mosaic import (
    background_statistics,
    constant_patch_warning,
    constant_spectrum_share,
)

if TYPE_CHECKING:
    from superad_geo.options import DetectOptions, Execution
    from superad_geo.scene.tiling import Tile

#: Receptive field of the Super-AD network in pixels (two 7-layer 3x3 stacks
#: plus embedding and head, about 20 pixels).
RECEPTIVE_FIELD = 20

#: Overlap in pixels of tiles that each train their own network (their seams blended away).
TILE_OVERLAP = 64

#: Key of the scene network in the model :meth:`SuperAD.fit` learns.
SCENE_NETWORK = "scene_network"


def default_halo(superpixel_size: float | None = 100) -> int:
    """Context halo in pixels: the receptive field plus two superpixel diameters.

    ``halo = RECEPTIVE_FIELD + ceil(2 * sqrt(superpixel_size))`` (40 pixels for
    the default 100 pixels per superpixel), so that a superpixel touching the
    core edge is seen nearly whole and the network sees full context.

    >>> default_halo(100), default_halo(400)
    (40, 60)
    """
    if not superpixel_size:
        superpixel_size = 100
    return RECEPTIVE_FIELD + math.ceil(2 * math.sqrt(float(superpixel_size)))


def _chosen_params(options: DetectOptions) -> dict[str, Any]:
    """The engine parameters ``options`` set: the fields that are parameters, and ``params``."""
    chosen = {
        "steps": options.steps,
        "training": options.training,
        "background_types": options.background_types,
        "band_binning": options.band_binning,
    }
    return {**chosen, **options.params}


def _engine_params(options: DetectOptions) -> dict[str, Any]:
    from superad_geo.model.presets import resolve_params

    try:
        return resolve_params(options.preset, **_chosen_params(options))
    except (ValueError, TypeError) as exc:
        raise OptionError(str(exc)) from None


@dataclass(frozen=True)
class SuperADRun:
    """Super-AD's per-run state: what every tile task (and the scene training) needs."""

    preset: str
    steps: int | None
    seed: int
    device: str
    training: str
    """``"auto"``, ``"scene"`` or ``"tile"``: the options' or the preset's."""
    params: dict[str, Any]
    """Engine parameter overrides, with the kept bands' wavelengths."""
    scaling: tuple[float, float]
    threads: int
    bands: int
    """The scene's kept bands."""
    network: Mapping[str, Any] | None = None
    """The scene network's state, when the scene was trained as a scene."""

    def engine(self) -> dict[str, Any]:
        """The keywords of the engine's scoring and training functions."""
        return {"preset": self.preset, "steps": self.steps, "seed": self.seed,
                "device": self.device, "scaling": self.scaling, **self.params}  # fmt: skip

    def resolved(self) -> dict[str, Any]:
        """The engine's parameters: the preset with this run's steps, training and overrides."""
        from superad_geo.model.presets import resolve_params

        return resolve_params(self.preset, steps=self.steps, training=self.training, **self.params)

    def trained_bands(self) -> int:
        """The bands the networks train on: the scene's left after band binning
        (:mod:`superad_geo.model.band_binning`)."""
        from superad_geo.model.band_binning import binned_band_count

        return binned_band_count(self.bands, self.resolved()["band_binning"])


class SuperAD(Detector):
    """Super-AD (Cui et al. 2025), trained on each tile or once per scene."""

    name = "superad"
    summary = "Super-AD"
    min_bands = 3  # the superpixels' 3-band composite
    normalisation = "median-mad"
    score_meaning = (
        "robust z-score of the Super-AD reconstruction contrast, (s - median) / (1.4826 MAD) "
        "per tile; unitless; higher is more anomalous"
    )

    def check(self, options: DetectOptions, execution: Execution) -> None:
        engine = _engine_params(options)
        for name in ("steps", "band_binning"):  # the options' values, else the preset's
            value = engine[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise OptionError(f"{name} must be a positive integer, got {value!r}")
        if execution.device.startswith("cuda"):
            from superad_geo.model.devices import resolve_device

            resolve_device(execution.device)

    def check_scene(self, options: DetectOptions, rows: int, cols: int) -> str | None:
        window = int(_engine_params(options)["window"])
        if rows < window or cols < window:
            return f"is {rows}×{cols} pixels, smaller than the AdaConv window ({window}×{window})"
        return None

    def tiling(
        self, options: DetectOptions, shape: tuple[int, int]
    ) -> tuple[int | Sequence[int], int]:
        """The options' overlap and halo, else: tiles that each train a network overlap by
        :data:`TILE_OVERLAP` to blend away their seams, tiles scored by one scene network
        not at all (they see their neighbours through the halo); the halo from
        :func:`default_halo`."""
        from superad_geo.model.scene_training import needs_scene_training

        params = _engine_params(options)
        overlap = options.overlap
        if overlap is None:
            overlap = 0 if needs_scene_training(shape, params) else TILE_OVERLAP
        halo = options.halo
        if halo is None:
            halo = default_halo(params["superpixel_size"])
        return overlap, halo

    def scaling(self, options: DetectOptions) -> str | tuple[float, float]:
        if options.scaling is not None:
            return options.scaling
        from superad_geo.model.presets import PRESETS

        return PRESETS.get(options.preset, {}).get("input_scaling", "minmax")

    def fingerprint(self, options: DetectOptions) -> dict[str, Any]:
        """The options, and the pretrained weights where the preset starts from them."""
        chosen = super().fingerprint(options)
        if _engine_params(options)["warm_start"]:
            from superad_geo.model.pretrained import weights_identity

            chosen["pretrained"] = weights_identity()
        return chosen

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        engine = _engine_params(options)
        return {
            "preset": options.preset,
            "steps": options.steps,
            "seed": options.seed,
            "device": execution.device,
            "training": engine["training"],
            "background_types": engine["background_types"],
            "band_binning": engine["band_binning"],
            "params": dict(options.params),
            "threads": execution.threads,
            "batch_size": execution.batch_size or "auto",
        }

    def estimate(
        self,
        options: DetectOptions,
        execution: Execution,
        shape: tuple[int, int, int],
        tiles: Sequence[Tile],
    ) -> Estimate | None:
        """The training the run will use and its time, from a training step measured here.

        None on a cluster, whose machines are not this one.
        """
        if execution.scheduler is not None:
            return None
        from superad_geo.model import cost
        from superad_geo.model.band_binning import binned_band_count
        from superad_geo.model.scene_training import needs_scene_training

        params = _engine_params(options)
        bands, rows, cols = shape
        threads = execution.threads or self.default_threads(execution.workers, False)
        scoring = cost.scoring_options(params)
        tile_pixels = [tile.padded.height * tile.padded.width for tile in tiles]
        scene = needs_scene_training((rows, cols), params)
        # the types' networks train and score side by side, one torch thread each
        at_once = cost.side_by_side(params, threads, execution.device) if scene else 1
        probe_threads = 1 if at_once > 1 else threads
        trained = binned_band_count(bands, params["band_binning"])
        costs = cost.unit_costs(trained, execution.device, probe_threads, scoring)
        if scene:
            crop_costs = cost.unit_costs(trained, execution.device, probe_threads, scoring,
                                         side=int(params["crop_size"]))  # fmt: skip
            fit = cost.scene_training_seconds(crop_costs, params, (rows, cols), at_once)
            per_tile = cost.scene_scoring_seconds(costs, params, tile_pixels, at_once)
            return Estimate("scene", fit + per_tile / execution.workers)
        seconds = cost.tile_training_seconds(costs, params, tile_pixels) / execution.workers
        return Estimate("tile", seconds)

    def default_threads(self, workers: int, distributed: bool) -> int:
        if distributed:
            return 1
        import torch

        return max(1, torch.get_num_threads() // max(1, workers))

    def batch_size(self, execution: Execution, tile_pixels: int, bands: int) -> int:
        from superad_geo.model.devices import automatic_batch_size

        return automatic_batch_size(execution.device, tile_pixels, bands)

    @contextlib.contextmanager
    def threads(self, threads: int | None) -> Iterator[None]:
        if not threads:
            yield
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(int(threads))
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def prepare(
        self, options: DetectOptions, execution: Execution, scene: SceneSummary
    ) -> SuperADRun:
        wavelengths = {"wavelengths": scene.wavelengths} if scene.wavelengths else {}
        chosen = {
            name: value
            for name, value in _chosen_params(options).items()
            if value is not None and name not in ("steps", "training")  # fields of the run
        }
        return SuperADRun(
            preset=options.preset,
            steps=options.steps,
            seed=options.seed,
            device=execution.device,
            training=_engine_params(options)["training"],
            params={**chosen, **wavelengths},
            scaling=scene.scaling,
            threads=int(execution.threads or 0),
            bands=len(scene.fill),
        )

    def fit(self, state: SuperADRun, read: WindowReader, shape, progress) -> dict[str, Any]:
        """Scene training: the network trained on the scene's crops, as a picklable state.

        ``{}`` (train per tile) unless the options train this scene as a
        scene (:func:`~superad_geo.model.scene_training.needs_scene_training`).
        """
        if state.training == "tile":
            return {}
        from superad_geo.model.scene_training import needs_scene_training, train_scene

        if not needs_scene_training(shape, state.resolved()):
            return {}
        report = None if progress is None else lambda s, t: progress(s, t, "training")
        model = train_scene(read, shape, progress=report, **state.engine())
        return {SCENE_NETWORK: model.state()}

    def with_model(self, state: SuperADRun, model: Mapping[str, Any]) -> SuperADRun:
        return replace(state, network=model[SCENE_NETWORK]) if model else state

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        state: SuperADRun,
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        import torch

        from superad_geo.model import training

        if state.threads and torch.get_num_threads() != state.threads:
            torch.set_num_threads(state.threads)  # a worker process or a cluster's worker
        if state.network is not None:
            from superad_geo.model.scene_training import SceneModel, score_tile

            model = SceneModel.from_state(state.network, state.device)
            return [score_tile(model, c, mask=m) for c, m in zip(cubes, masks, strict=True)]
        if len(cubes) == 1:
            return [
                training.score_cube(cubes[0], mask=masks[0], progress=progress, **state.engine())
            ]
        return training.score_cubes(
            list(cubes), masks=list(masks), progress=progress, **state.engine()
        )

    def tile_scale(
        self, cube: np.ndarray, valid: np.ndarray, scores: np.ndarray, tile: Tile
    ) -> TileScale:
        """The tile's background median and MAD (a floor in a tile of one constant patch)."""
        share = constant_spectrum_share(cube, valid)
        centre, spread = background_statistics(scores, share)
        return TileScale(centre, spread, constant_patch_warning(share, tile.name))

    def resources_used(self, state: SuperADRun, execution: Execution) -> dict[str, Any]:
        from superad_geo.model.devices import resolve_device

        return {
            "device_used": str(resolve_device(state.device)),
            "batch_size_used": int(execution.batch_size),
            "training_used": "scene" if state.network is not None else "tile",
            "start_used": _start_used(state),
            "bands_used": state.trained_bands(),
            # scene training scales its optimiser steps to the scene's area (scene_schedule)
            "steps_used": int(
                state.network["options"]["steps"]
                if state.network is not None
                else state.resolved()["steps"]
            ),
        }


def _start_used(state: SuperADRun) -> str:
    """Where the run's networks started: the pretrained weights (named) or their seed (and why)."""
    from superad_geo.model.pretrained import unmappable, weights_identity

    if state.network is not None or not state.resolved()["warm_start"]:
        return "seed"
    reason = unmappable(state.trained_bands())
    return weights_identity() if reason is None else f"seed ({reason})"


DETECTOR = SuperAD()

__all__ = ["DETECTOR", "RECEPTIVE_FIELD", "SuperAD", "SuperADRun", "default_halo"]

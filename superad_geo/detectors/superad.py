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
from typing import TYPE_CHECKING, Any

import numpy as np

from superad_geo.errors import OptionError

if TYPE_CHECKING:
    from superad_geo.options import DetectOptions, Execution

#: Receptive field of the Super-AD network in pixels (two 7-layer 3x3 stacks
#: plus embedding and head, about 20 pixels).
RECEPTIVE_FIELD = 20


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


TRAININGS = ("auto", "scene", "tile")


def _settings(options: DetectOptions, execution: Execution) -> dict[str, Any]:
    """The engine settings both the tile tasks and the record carry."""
    return {
        "preset": options.preset,
        "steps": options.steps,
        "seed": options.seed,
        "device": execution.device,
        "training": _engine_params(options)["training"],
    }


def _engine_params(options: DetectOptions) -> dict[str, Any]:
    from superad_geo.model.presets import resolve_params

    try:
        return resolve_params(
            options.preset, steps=options.steps, training=options.training, **options.params
        )
    except (ValueError, TypeError) as exc:
        raise OptionError(str(exc)) from None


class SuperAD:
    """Super-AD (Cui et al. 2025), trained on each tile or once per scene."""

    name = "superad"
    min_bands = 3  # the superpixels' 3-band composite
    normalisation = "median-mad"

    def check(self, options: DetectOptions) -> None:
        steps = options.steps
        if steps is not None and (
            isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1
        ):
            raise OptionError(f"steps must be a positive integer, got {options.steps!r}")
        training = _engine_params(options)["training"]
        if training not in TRAININGS:
            raise OptionError(f"unknown training {training!r}; use one of {', '.join(TRAININGS)}")

    def check_scene(self, options: DetectOptions, rows: int, cols: int) -> str | None:
        window = int(_engine_params(options)["window"])
        if rows < window or cols < window:
            return f"is {rows}×{cols} pixels, smaller than the AdaConv window ({window}×{window})"
        return None

    def tiling(self, options: DetectOptions) -> tuple[int | Sequence[int], int]:
        if options.halo is not None:
            return options.overlap, options.halo
        from superad_geo.model.presets import PRESETS

        size = options.params.get("superpixel_size") or PRESETS.get(options.preset, {}).get(
            "superpixel_size"
        )
        return options.overlap, default_halo(float(size) if size else None)

    def scaling(self, options: DetectOptions) -> str | tuple[float, float]:
        if options.scaling is not None:
            return options.scaling
        from superad_geo.model.presets import PRESETS

        return PRESETS.get(options.preset, {}).get("input_scaling", "minmax")

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

    def scene_pass(self, blocks, fill, mapper, progress) -> dict[str, Any]:
        return {}

    def config(
        self, options: DetectOptions, execution: Execution, wavelengths: list[float] | None
    ) -> dict[str, Any]:
        return {
            **_settings(options, execution),
            "params": {
                **dict(options.params),
                **({"wavelengths": wavelengths} if wavelengths else {}),
            },
        }

    def fit(self, read, shape, config, progress) -> dict[str, Any]:
        """Scene training: the network trained on the scene's crops, as a picklable state.

        ``{}`` (train per tile) unless the options train this scene as a
        scene (:func:`~superad_geo.model.scene_training.needs_scene_training`).
        """
        if config["training"] == "tile":
            return {}
        from superad_geo.model.presets import resolve_params
        from superad_geo.model.scene_training import needs_scene_training, train_scene

        options = resolve_params(config["preset"], training=config["training"], **config["params"])
        if not needs_scene_training(shape, options):
            return {}
        with self.threads(config.get("threads")):
            model = train_scene(
                read,
                shape,
                scaling=(config["lo"], config["hi"]),
                preset=config["preset"],
                steps=config["steps"],
                seed=config["seed"],
                device=config["device"],
                progress=None if progress is None else lambda s, t: progress(s, t, "training"),
                **config["params"],
            )
        return {"scene_network": model.state()}

    def score(
        self,
        cubes: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        config: Mapping[str, Any],
        progress: Callable[[int, int], None] | None,
    ) -> list[np.ndarray]:
        import torch

        from superad_geo.model import training

        threads = config.get("threads")
        if threads and torch.get_num_threads() != threads:
            torch.set_num_threads(int(threads))
        common = {
            "preset": config["preset"],
            "steps": config["steps"],
            "seed": config["seed"],
            "device": config["device"],
            "scaling": (config["lo"], config["hi"]),
            "progress": progress,
            **config["params"],
        }
        if "scene_network" in config:
            from superad_geo.model.scene_training import SceneModel, score_tile

            model = SceneModel.from_state(config["scene_network"], config["device"])
            return [
                score_tile(model, cube, mask=mask) for cube, mask in zip(cubes, masks, strict=True)
            ]
        if len(cubes) == 1:
            return [training.score_cube(cubes[0], mask=masks[0], **common)]
        return training.score_cubes(list(cubes), masks=list(masks), **common)

    def record(self, options: DetectOptions, execution: Execution) -> dict[str, Any]:
        return {
            **_settings(options, execution),
            "params": dict(options.params),
            "threads": execution.threads,
            "batch_size": execution.batch_size or "auto",
        }

    def resources_used(self, config: Mapping[str, Any]) -> dict[str, Any]:
        from superad_geo.model.devices import resolve_device

        return {
            "device_used": str(resolve_device(config["device"])),
            "batch_size_used": int(config["batch_size"]),
            "training_used": "scene" if "scene_network" in config else "tile",
        }


DETECTOR = SuperAD()

__all__ = ["DETECTOR", "RECEPTIVE_FIELD", "SuperAD", "default_halo"]

"""One Super-AD network per scene, trained on crops drawn across it.

Training a fresh network on every tile costs about a thousand training steps
per pixel, a day for a 1000 × 1000 satellite scene on two CPU cores. Here the
training cost is fixed per scene instead:

1. the scene is cut into a grid of cells no larger than a crop, and one crop
   is placed over each cell (its position jittered by the seed, always
   covering the whole cell), so every region of the scene has a crop;
2. each training step trains the one network on ``crops_per_step`` crops,
   visiting the crops in a fresh seeded order every round, so every region is
   seen equally often; superpixels (segmented once per crop) and OBPM work
   per crop as they do per tile;
3. a scene-wide error map, written where each crop was, gives AdaConv its
   taps at the crop's next visit (the first visit of a region has none and
   skips stack A, as the reference's first step);
4. each tile is then scored by the trained network alone: a first forward
   pass without taps gives an error map, each further pass takes its taps
   from the previous pass's errors, and the last pass's squared error is
   finished into scores as per-tile training's are (:mod:`.scoring`).

The scene is never read whole: crops come from a reader callable, tiles are
scored one at a time, and memory is bounded by the tile, the crop cache
(``crop_cache_mb``: crops beyond it are read again at each visit) and the
one-band scene error map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from superad_geo.errors import NoValidPixelsError
from superad_geo.model.adaconv import select_taps
from superad_geo.model.crops import CropReader, CropWindow, crop_schedule, crop_windows
from superad_geo.model.devices import resolve_device
from superad_geo.model.mining import background_mask, pixel_loss
from superad_geo.model.network import SuperADNet
from superad_geo.model.preparation import PreparedCube, prepare_cube, scale_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import finish_scores, new_network, new_optimiser

ProgressCallback = Callable[[int, int], None]


class SceneErrorMap:
    """The scene's per-pixel reconstruction error, as last seen by a crop covering it.

    NaN where no crop has been reconstructed yet; ``inf`` at invalid pixels
    (AdaConv never picks them).
    """

    def __init__(self, shape: tuple[int, int]):
        self.values = np.full(shape, np.nan, dtype=np.float32)

    def update(self, window: CropWindow, error: np.ndarray, valid: np.ndarray) -> None:
        """Write a crop's ``(height, width)`` error map where the crop was."""
        self.values[window.rows, window.cols] = np.where(valid, error, np.inf)

    def taps(self, window: CropWindow, kernel: int, size: int, device: torch.device):
        """AdaConv taps of the crop from the map; None when no pixel of it was seen yet.

        Pixels not seen yet (another crop overlapped part of this one) take
        the median of the seen ones.
        """
        error = self.values[window.rows, window.cols]
        seen = np.isfinite(error)
        if np.isnan(error).all():
            return None
        if np.isnan(error).any():
            fill = np.median(error[seen]) if seen.any() else 0.0
            error = np.where(np.isnan(error), np.float32(fill), error)
        return select_taps(torch.from_numpy(error).to(device), kernel, size)[None]


@dataclass
class SceneModel:
    """A network trained on a scene's crops, with what scoring its tiles needs."""

    network: SuperADNet
    options: dict[str, Any]
    scaling: tuple[float, float]
    device: torch.device
    losses: list[float]
    """The training loss of every step."""
    errors: SceneErrorMap | None
    """The scene error map at the end of training (covers the scene: the crops do)."""

    def state(self) -> dict[str, Any]:
        """A picklable state without torch objects (for tile tasks on other workers).

        The scene error map is left out; :meth:`from_state` restores the rest.
        """
        weights = self.network.state_dict()
        return {
            "weights": {name: value.detach().cpu().numpy() for name, value in weights.items()},
            "bands": self.network.bands,
            "options": dict(self.options),
            "scaling": tuple(self.scaling),
            "losses": list(self.losses),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], device: str = "auto") -> SceneModel:
        """The model of a :meth:`state`, on ``device``."""
        torch_device = resolve_device(device)
        network = new_network([0], state["bands"], state["options"], torch_device)
        weights = {name: torch.from_numpy(value) for name, value in state["weights"].items()}
        network.load_state_dict(weights)
        return cls(network, state["options"], state["scaling"], torch_device, state["losses"], None)


@dataclass
class _CropInputs:
    """One crop's tensors for the network, built from a :class:`PreparedCube`."""

    padded: torch.Tensor
    target: torch.Tensor
    slots: torch.Tensor
    token_mask: torch.Tensor
    valid_index: torch.Tensor

    @classmethod
    def build(cls, prepared: PreparedCube, device: torch.device) -> _CropInputs:
        cube = torch.from_numpy(np.ascontiguousarray(prepared.scaled)).to(device)[None]
        padded = SuperADNet.pad_input(cube)
        valid = torch.from_numpy(prepared.valid.reshape(-1)).to(device)
        return cls(
            padded=padded,
            target=padded[..., 1:-1, 1:-1],
            slots=torch.from_numpy(prepared.labels.reshape(-1)).to(device),
            token_mask=torch.arange(prepared.count + 1, device=device)[None] < prepared.count,
            valid_index=valid.nonzero().squeeze(1),
        )

    def residual(self, network: SuperADNet, taps: torch.Tensor | None) -> torch.Tensor:
        """``(pixels, band)`` reconstruction minus input."""
        out = network(self.padded, self.slots, self.token_mask, taps).sub_(self.target)
        return out.permute(0, 2, 3, 1).reshape(-1, out.shape[1])


class WeightAverage:
    """The running mean of a network's weights over the training steps it is given.

    Scene training visits one region per step, so its last weights favour
    the regions visited last; their mean over the last steps (Polyak
    averaging) serves every region alike.
    """

    def __init__(self, network: SuperADNet):
        self.mean = {name: value.detach().clone() for name, value in network.state_dict().items()}
        self.count = 0

    def add(self, network: SuperADNet) -> None:
        """Take the network's current weights into the mean."""
        self.count += 1
        with torch.no_grad():
            for name, value in network.state_dict().items():
                self.mean[name].add_(value - self.mean[name], alpha=1 / self.count)

    def load_into(self, network: SuperADNet) -> None:
        """Give ``network`` the mean weights (leave it as it is when none was added)."""
        if self.count:
            network.load_state_dict(self.mean)


def needs_scene_training(shape: tuple[int, int], options: dict[str, Any]) -> bool:
    """Whether ``options`` train a ``(rows, cols)`` scene as a scene rather than per tile.

    ``training="tile"`` never does; ``"auto"`` does above ``tile_training_pixels``
    pixels (below, per-tile training is affordable and the more accurate);
    neither does for a scene that fits in one crop (its one crop is the whole
    scene, and per-tile training is then exactly the scene mode).
    """
    crop_size = int(options["crop_size"])
    if options["training"] == "tile" or (shape[0] <= crop_size and shape[1] <= crop_size):
        return False
    return options["training"] == "scene" or shape[0] * shape[1] > options["tile_training_pixels"]


def pixels_per_step(shape: tuple[int, int], options: dict[str, Any]) -> float:
    """Pixels one optimiser step of scene training trains on a ``(rows, cols)`` scene."""
    crops = [w.height * w.width for w in crop_windows(shape, int(options["crop_size"]))]
    return max(1, int(options["crops_per_step"])) * float(np.mean(crops))


def scene_schedule(shape: tuple[int, int], options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the optimiser steps and ``lr_step`` of training a ``(rows, cols)`` scene.

    With ``scene_training_pixels`` set, the network trains
    ``steps × min(rows × cols, scene_training_pixels)`` pixel-steps: as many
    visits per pixel as per-tile training gives a scene up to that size, and
    a fixed training time above it. The learning-rate schedule is stretched
    alike, so it keeps its shape. ``0`` leaves ``steps`` crop steps.
    """
    budget = int(options["scene_training_pixels"])
    if not budget:
        return options
    pixel_steps = int(options["steps"]) * min(shape[0] * shape[1], budget)
    steps = max(1, round(pixel_steps / pixels_per_step(shape, options)))
    lr_step = max(1, round(int(options["lr_step"]) * steps / int(options["steps"])))
    return {**options, "steps": steps, "lr_step": lr_step}


def train_scene(
    read_crop: CropReader,
    shape: tuple[int, int],
    *,
    scaling: tuple[float, float],
    preset: str = "default",
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    progress: ProgressCallback | None = None,
    **params: Any,
) -> SceneModel:
    """Train one Super-AD network on crops of a ``(rows, cols)`` scene.

    Parameters
    ----------
    read_crop : callable
        ``read_crop(window)`` → ``(cube, valid)`` of a :class:`CropWindow`:
        the raw ``(band, height, width)`` values and a ``(height, width)``
        validity mask or None.
    shape : (int, int)
        Rows and columns of the scene.
    scaling : (float, float)
        Scene-wide ``(lo, hi)`` mapped to 0 and 1 (one scaling for all crops).
    preset, steps, seed, device, **params
        As for :func:`superad_geo.model.training.score_cube`; ``crop_size``
        and ``crops_per_step`` set the crops. The optimiser steps are
        ``steps``, scaled to the scene's area by :func:`scene_schedule`.

    Returns
    -------
    SceneModel
        The trained network; score tiles with :func:`score_tile`.

    Raises
    ------
    InputError
        If a crop is smaller than the AdaConv window.
    NoValidPixelsError
        If a crop has no valid pixel.
    """
    options = scene_schedule(shape, resolve_params(preset, steps=steps, **params))
    torch_device = resolve_device(device)
    segmented = _segment_crops(read_crop, shape, options, scaling, seed)
    if not segmented:
        raise NoValidPixelsError("the scene has no valid pixel (all masked, NaN or nodata)")
    bands = segmented[0][1].scaled.shape[0]
    network = new_network([seed], bands, options, torch_device)
    optimiser, schedule = new_optimiser(network, options)
    errors = SceneErrorMap(shape)
    per_step = max(1, int(options["crops_per_step"]))
    total = int(options["steps"])
    visits = crop_schedule(len(segmented), total * per_step, seed)
    losses = []
    averaging_from = total - round(float(options["average_weights"]) * total)
    averaged = WeightAverage(network)
    for step in range(total):
        step_loss = 0.0
        for _ in range(per_step):
            window, prepared = segmented[next(visits)]
            if not prepared.scaled.size:  # beyond the cache: read again
                cube, _ = read_crop(window)
                prepared = replace(prepared, scaled=scale_cube(cube, prepared.valid, scaling))
            crop = _CropInputs.build(prepared, torch_device)
            taps = errors.taps(window, options["kernel"], options["window"], torch_device)
            error = crop.residual(network, taps).abs().mean(dim=1)
            loss = _mined_loss(error, crop, options) / per_step
            loss.backward()
            step_loss += float(loss.detach())
            error_map = error.detach().view(window.height, window.width).cpu().numpy()
            errors.update(window, error_map, prepared.valid)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        schedule.step()
        losses.append(step_loss)
        if step >= averaging_from:
            averaged.add(network)
        if progress is not None:
            progress(step + 1, total)
    averaged.load_into(network)
    return SceneModel(network, options, scaling, torch_device, losses, errors)


def score_tile(
    model: SceneModel,
    cube: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    window: CropWindow | None = None,
    passes: int | None = None,
) -> np.ndarray:
    """Score a tile ``(band, y, x)`` with a scene's trained network.

    With the tile's ``window`` in the scene (and the model's scene error
    map), the first forward pass takes its AdaConv taps from that map; else it
    runs without taps (stack A skipped). Each of the ``passes`` (default the
    ``inference_passes`` option) after the first takes its taps from the
    previous pass's errors.

    Returns float32 ``(y, x)`` scores, finished as per-tile training's
    (:func:`superad_geo.model.training.finish_scores`); NaN at invalid pixels.
    """
    options = model.options
    kernel, size = options["kernel"], options["window"]
    prepared = _prepare(cube, options, mask, model.scaling)
    tile = _CropInputs.build(prepared, model.device)
    height, width = prepared.valid.shape
    invalid = torch.from_numpy(~prepared.valid).to(model.device)
    from_map = window is not None and model.errors is not None
    taps = model.errors.taps(window, kernel, size, model.device) if from_map else None
    with torch.no_grad():
        for _ in range(max(1, int(options["inference_passes"] if passes is None else passes))):
            residual = tile.residual(model.network, taps)
            bands = residual.shape[1]
            # norms rather than abs()/pow(): no tile-sized temporary (a 592² tile is 280 MB)
            error = torch.linalg.vector_norm(residual, 1, dim=1).div_(bands)
            error = error.view(height, width).masked_fill(invalid, torch.inf)
            taps = select_taps(error, kernel, size)[None]
        errors = torch.linalg.vector_norm(residual, 2, dim=1).square_().div_(bands)
        errors = errors.view(1, height, width).cpu().numpy()
    scores = finish_scores(errors.astype(np.float32), [prepared], options)[0]
    scores[~prepared.valid] = np.nan
    return scores


def _segment_crops(
    read_crop: CropReader,
    shape: tuple[int, int],
    options: dict[str, Any],
    scaling: tuple[float, float],
    seed: int,
) -> list[tuple[CropWindow, PreparedCube]]:
    """Read every crop once and cut its superpixels; crops without a valid pixel are left out.

    The scaled cubes are kept while they fit ``crop_cache_mb`` megabytes in
    all; the others are dropped (an empty array) and read again at each
    visit. Labels and masks are kept for every crop. The kept cubes share one
    array, which goes back to the system whole when training ends (hundreds of
    separate crops would stay in the allocator's heap).
    """
    windows = crop_windows(shape, int(options["crop_size"]), seed)
    segmented = []
    cache = None
    for window in windows:
        cube, valid = read_crop(window)
        try:
            prepared = _prepare(cube, options, valid, scaling)
        except NoValidPixelsError:
            continue
        if cache is None:
            fit = int(float(options["crop_cache_mb"]) * 2**20 // prepared.scaled.nbytes)
            cache = np.empty((min(fit, len(windows)), *prepared.scaled.shape), np.float32)
        if len(segmented) < len(cache):
            cache[len(segmented)] = prepared.scaled
            prepared = replace(prepared, scaled=cache[len(segmented)])
        else:
            bands = prepared.scaled.shape[0]
            prepared = replace(prepared, scaled=np.empty((bands, 0, 0), np.float32))
        segmented.append((window, prepared))
    return segmented


def _prepare(
    cube: np.ndarray,
    options: dict[str, Any],
    mask: np.ndarray | None,
    scaling: tuple[float, float],
) -> PreparedCube:
    """:func:`prepare_cube` with the scene training's SLIC iterations."""
    segmenting = {**options, "slic_iterations": options["scene_slic_iterations"]}
    return prepare_cube(cube, segmenting, mask=mask, scaling=scaling)


def _mined_loss(error: torch.Tensor, crop: _CropInputs, options: dict[str, Any]) -> torch.Tensor:
    """Mean transformed loss of the crop's valid pixels that OBPM keeps."""
    losses = pixel_loss(
        error.index_select(0, crop.valid_index), options["loss"], options["alpha"], options["beta"]
    )
    if options["mining"]:
        slots = crop.slots.index_select(0, crop.valid_index)
        losses = losses * background_mask(
            losses.detach(), slots, options["th"], crop.token_mask.numel()
        )
    return losses.sum() / crop.valid_index.numel()

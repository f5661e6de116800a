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
4. with ``background_types`` K, the scene's pixels are first cut into K
   spectral types (:mod:`.background_types`), and one network per type
   trains on the crops that hold it, its loss and superpixels on the type's
   pixels only; the steps are shared among the networks, which train side
   by side on the CPU, one torch thread each (:func:`per_network`);
5. each tile is then scored by the trained network alone (each type's
   pixels by their type's network, among the tile's pixels of the type; the
   types side by side, on one padded copy of the tile): a first forward
   pass without taps gives an error map, each further pass takes its taps
   from the previous pass's errors, and the last pass's squared error is
   finished into scores as per-tile training's are (:mod:`.scoring`).

Crops and tiles have their bands binned as the options' ``band_binning``
says before they are scaled (:func:`.preparation.scaled_bins`), as per-tile
training's cubes do.

The scene is never read whole: crops come from a reader callable, tiles are
scored one at a time, and memory is bounded by the tile, the crop cache
(``crop_cache_mb``: crops beyond it are read again at each visit) and the
one-band scene error map of each network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import torch

from superad_geo.errors import NoValidPixelsError
from superad_geo.model.adaconv import select_taps
from superad_geo.model.background_types import BackgroundTypes, sample_spectra
from superad_geo.model.crops import CropReader, CropWindow, crop_schedule, crop_windows
from superad_geo.model.devices import resolve_device
from superad_geo.model.mining import background_mask, pixel_loss
from superad_geo.model.network import SuperADNet
from superad_geo.model.preparation import (
    PreparedCube,
    binned_options,
    scaled_bins,
    segment_cube,
    valid_pixels,
)
from superad_geo.model.presets import resolve_params
from superad_geo.model.training import finish_scores, new_network, new_optimiser

ProgressCallback = Callable[[int, int], None]
T = TypeVar("T")
#: A crop trains a type's network where it holds at least this many of the type's pixels.
MIN_REGION_PIXELS = 64
#: Rows of a tile reconstructed at a time when it is scored (:func:`_residual_means`).
RESIDUAL_ROWS = 32


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
    """The networks trained on a scene's crops, with what scoring its tiles needs.

    One network, or one per background type (``types``) when the options ask
    for ``background_types``.
    """

    networks: list[SuperADNet]
    types: BackgroundTypes | None
    """The scene's background types; None: one network for every pixel."""
    options: dict[str, Any]
    scaling: tuple[float, float]
    device: torch.device
    losses: list[float]
    """The training loss of every step (of each network in turn)."""
    errors: list[SceneErrorMap] | None
    """Each network's scene error map at the end of training (None once restored)."""

    def state(self) -> dict[str, Any]:
        """A picklable state without torch objects (for tile tasks on other workers).

        The scene error maps are left out; :meth:`from_state` restores the rest.
        """
        return {
            "weights": [
                {name: value.detach().cpu().numpy() for name, value in net.state_dict().items()}
                for net in self.networks
            ],
            "types": None if self.types is None else self.types.state(),
            "bands": self.networks[0].bands,
            "options": dict(self.options),
            "scaling": tuple(self.scaling),
            "losses": list(self.losses),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], device: str = "auto") -> SceneModel:
        """The model of a :meth:`state`, on ``device``."""
        torch_device = resolve_device(device)
        networks = [
            new_network(
                [0],
                state["bands"],
                state["options"],
                torch_device,
                start={name: torch.from_numpy(v) for name, v in weights.items()},
            )
            for weights in state["weights"]
        ]
        types = None if state["types"] is None else BackgroundTypes.from_state(state["types"])
        options, scaling, losses = state["options"], state["scaling"], state["losses"]
        return cls(networks, types, options, scaling, torch_device, losses, None)


@dataclass
class _CropInputs:
    """One crop's (or a tile region's) tensors for the network, built from a
    :class:`PreparedCube`."""

    padded: torch.Tensor
    target: torch.Tensor
    slots: torch.Tensor
    token_mask: torch.Tensor
    valid_index: torch.Tensor
    kept: torch.Tensor | None
    """The padded validity the network masks ``padded`` with (None: ``padded`` is masked)."""

    @classmethod
    def build(cls, prepared: PreparedCube, device: torch.device) -> _CropInputs:
        """The inputs of ``prepared``, 0 outside its valid pixels (a region's cube is shared)."""
        cube = torch.from_numpy(np.ascontiguousarray(prepared.scaled)).to(device)[None]
        if not prepared.valid.all():
            cube = cube.where(torch.from_numpy(prepared.valid).to(device), 0.0)
        return cls._around(prepared, SuperADNet.pad_input(cube), kept=None)

    @classmethod
    def on_tile(cls, prepared: PreparedCube, padded: torch.Tensor) -> _CropInputs:
        """The inputs of a region of a tile padded once for all its regions (by
        :meth:`SuperADNet.pad_input`): the network masks the shared cube, no copy is made."""
        kept = None
        if not prepared.valid.all():
            kept = torch.from_numpy(np.pad(prepared.valid, 1, mode="reflect")).to(padded.device)
        return cls._around(prepared, padded, kept)

    @classmethod
    def _around(
        cls, prepared: PreparedCube, padded: torch.Tensor, kept: torch.Tensor | None
    ) -> _CropInputs:
        device = padded.device
        valid = torch.from_numpy(prepared.valid.reshape(-1)).to(device)
        return cls(
            padded=padded,
            target=padded[..., 1:-1, 1:-1],
            slots=torch.from_numpy(prepared.labels.reshape(-1)).to(device),
            token_mask=torch.arange(prepared.count + 1, device=device)[None] < prepared.count,
            valid_index=valid.nonzero().squeeze(1),
            kept=kept,
        )

    def hidden(self, network: SuperADNet, taps: torch.Tensor | None) -> torch.Tensor:
        """The network's features of these inputs (:meth:`SuperADNet.hidden`)."""
        return network.hidden(self.padded, self.slots, self.token_mask, taps, self.kept)

    def residual(self, network: SuperADNet, taps: torch.Tensor | None) -> torch.Tensor:
        """``(pixels, band)`` reconstruction minus input."""
        out = network.reconstruct(self.hidden(network, taps)).sub_(self.target)
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
    return {**options, **_stretched(options, steps)}


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
    """Train a Super-AD network on crops of a ``(rows, cols)`` scene (one per background type).

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
        ``steps``, scaled to the scene's area by :func:`scene_schedule`;
        with ``background_types``, shared among the types' networks in
        proportion to the crops that hold each type.

    Returns
    -------
    SceneModel
        The trained network; score tiles with :func:`score_tile`.

    Raises
    ------
    InputError
        If a crop is smaller than the AdaConv window.
    NoValidPixelsError
        If no crop has a valid pixel.
    """
    options = binned_options(scene_schedule(shape, resolve_params(preset, steps=steps, **params)))
    torch_device = resolve_device(device)
    windows = crop_windows(shape, int(options["crop_size"]), seed)
    types = _fit_types(read_crop, windows, options, scaling, seed)
    regions = _segment_crops(read_crop, windows, options, scaling, types)
    if types is not None:  # a type no crop holds enough of joins its nearest
        types = types.subset([bool(region_crops) for region_crops in regions])
        regions = [region_crops for region_crops in regions if region_crops]
    if not any(regions):
        raise NoValidPixelsError("the scene has no valid pixel (all masked, NaN or nodata)")
    bands = regions[0][0][1].scaled.shape[0]
    shares = _shared_steps(int(options["steps"]), [len(region_crops) for region_crops in regions])
    networks = [new_network([seed], bands, options, torch_device) for _ in regions]
    error_maps = [SceneErrorMap(shape) for _ in regions]
    steps = _StepCounter(progress, sum(shares))
    read_locked = _locked(read_crop)

    def train(index: int) -> list[float]:
        region_options = {**options, **_stretched(options, shares[index])}
        return _train_network(networks[index], regions[index], error_maps[index], read_locked,
                              scaling, region_options, seed, steps)  # fmt: skip

    trained = per_network(train, len(regions), torch_device, sizes=shares, on_stop=steps.stop)
    losses = [loss for network_losses in trained for loss in network_losses]
    return SceneModel(networks, types, options, scaling, torch_device, losses, error_maps)


def _train_network(
    network: SuperADNet,
    crops: list[tuple[CropWindow, PreparedCube]],
    errors: SceneErrorMap,
    read_crop: CropReader,
    scaling: tuple[float, float],
    options: dict[str, Any],
    seed: int,
    progress: ProgressCallback | None,
) -> list[float]:
    """Train ``network`` on ``crops`` for the options' steps; the loss of every step."""
    device = next(network.parameters()).device
    optimiser, schedule = new_optimiser(network, options)
    per_step = max(1, int(options["crops_per_step"]))
    total = int(options["steps"])
    visits = crop_schedule(len(crops), total * per_step, seed)
    losses = []
    averaging_from = total - round(float(options["average_weights"]) * total)
    averaged = WeightAverage(network)
    for step in range(total):
        step_loss = 0.0
        for _ in range(per_step):
            window, prepared = crops[next(visits)]
            if not prepared.scaled.size:  # beyond the cache: read again
                cube, _ = read_crop(window)
                scaled = scaled_bins(cube, prepared.valid, scaling, options)
                prepared = replace(prepared, scaled=scaled)
            crop = _CropInputs.build(prepared, device)
            taps = errors.taps(window, options["kernel"], options["window"], device)
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
    return losses


def score_tile(
    model: SceneModel,
    cube: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    window: CropWindow | None = None,
    passes: int | None = None,
) -> np.ndarray:
    """Score a tile ``(band, y, x)`` with a scene's trained network(s).

    With background types, each type's pixels are scored by that type's
    network among the tile's pixels of the type, as a tile of their own (its
    own superpixels). The types are scored side by side as they train
    (:func:`per_network`), on one padded copy of the tile.

    With the tile's ``window`` in the scene (and the model's scene error
    maps), the first forward pass takes its AdaConv taps from those maps;
    else it runs without taps (stack A skipped). Each of the ``passes``
    (default the ``inference_passes`` option) after the first takes its taps
    from the previous pass's errors.

    Returns float32 ``(y, x)`` scores, finished as per-tile training's
    (:func:`superad_geo.model.training.finish_scores`); NaN at invalid pixels.
    """
    options = model.options
    cube = np.asarray(cube)
    valid = valid_pixels(cube, mask, options["window"])
    scaled = scaled_bins(cube, valid, model.scaling, options)
    segmenting = _segmenting(options)
    labels = _network_of(model.types, scaled, valid)
    passes = int(options["inference_passes"] if passes is None else passes)
    from_map = window is not None and model.errors is not None
    padded = SuperADNet.pad_input(torch.from_numpy(scaled).to(model.device)[None])
    kinds = np.unique(labels[valid])
    regions = [labels == kind for kind in kinds]

    def score(index: int) -> np.ndarray:
        kind = kinds[index]
        prepared = segment_cube(scaled, regions[index], segmenting)
        error_map = model.errors[kind] if from_map else None
        errors = _squared_errors(model.networks[kind], prepared, padded, passes, options,
                                 taps_from=(error_map, window))  # fmt: skip
        return finish_scores(errors, [prepared], options)[0]

    sizes = [np.count_nonzero(region) for region in regions]
    by_kind = per_network(score, len(kinds), model.device, sizes)
    scores = np.full(valid.shape, np.nan, dtype=np.float32)
    for region, kind_scores in zip(regions, by_kind, strict=True):
        scores[region] = kind_scores[region]
    return scores


def per_network(
    work: Callable[[int], T],
    count: int,
    device: torch.device,
    sizes: Sequence[float] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> list[T]:
    """``[work(0), …, work(count - 1)]``: on the CPU in parallel threads, one torch thread each.

    The networks of background types train and score independently; on
    small crops two single-threaded networks side by side do ~1.3 times the
    work of one network on two threads (docs/benchmarks.md). With two or more networks,
    each runs on one torch thread whatever the thread count, so the result
    does not depend on it. ``sizes`` (each job's relative cost) starts the
    larger jobs first, so that the threads finish together. When a job fails
    or the run is interrupted, the jobs not started are dropped and
    ``on_stop`` is called to stop the running ones.
    """
    before = torch.get_num_threads()
    threads = parallel_networks(count, before, device)
    if threads < 2:
        return [work(index) for index in range(count)]
    order = sorted(range(count), key=lambda index: -sizes[index]) if sizes else range(count)
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(threads) as pool:
            jobs = {index: pool.submit(work, index) for index in order}
            _stop_all_at_failure(pool, list(jobs.values()), on_stop)
    finally:
        torch.set_num_threads(before)
    return [jobs[index].result() for index in range(count)]


def _stop_all_at_failure(
    pool: ThreadPoolExecutor, jobs: list[Future], on_stop: Callable[[], None] | None
) -> None:
    """Wait for ``jobs``; at the first failure or an interrupt, drop the jobs not started,
    call ``on_stop`` to end the running ones, and raise."""
    try:
        wait(jobs, return_when=FIRST_EXCEPTION)
        failures = [job.exception() for job in jobs if job.done() and job.exception()]
        if failures:
            raise failures[0]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        if on_stop is not None:
            on_stop()
        raise


def parallel_networks(count: int, threads: int, device: torch.device | str) -> int:
    """How many of ``count`` networks :func:`per_network` runs at once with ``threads``
    torch threads (1: one after the other, on all the threads)."""
    on_cpu = torch.device(device).type == "cpu"
    return min(count, threads) if on_cpu and count > 1 else 1


class _Stopped(Exception):
    """Raised in a network's training thread to end it early (the run was interrupted, or
    another network's training failed)."""


class _StepCounter:
    """The training steps of networks trained at once, counted together and reported to
    ``progress`` (if any); after :meth:`stop`, the next step of each raises :class:`_Stopped`."""

    def __init__(self, progress: ProgressCallback | None, total: int):
        self.progress, self.total, self.done = progress, total, 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def __call__(self, step: int, steps: int) -> None:
        if self.stopped.is_set():
            raise _Stopped
        with self.lock:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)

    def stop(self) -> None:
        """End the trainings at their next step."""
        self.stopped.set()


def _locked(read_crop: CropReader) -> CropReader:
    """``read_crop`` called by one thread at a time (a raster's handle is not thread-safe)."""
    lock = threading.Lock()

    def read(window: CropWindow):
        with lock:
            return read_crop(window)

    return read


def _squared_errors(
    network: SuperADNet,
    prepared: PreparedCube,
    padded: torch.Tensor,
    passes: int,
    options: dict[str, Any],
    taps_from: tuple[SceneErrorMap | None, CropWindow | None],
) -> np.ndarray:
    """float32 ``(1, y, x)`` mean squared reconstruction error of ``passes`` forward passes.

    ``padded`` is the whole tile padded by :meth:`SuperADNet.pad_input`; the
    network sees it as 0 outside ``prepared.valid``.
    """
    kernel, size = options["kernel"], options["window"]
    region = _CropInputs.on_tile(prepared, padded)
    device = padded.device
    height, width = prepared.valid.shape
    invalid = torch.from_numpy(~prepared.valid).to(device)
    error_map, window = taps_from
    taps = None if error_map is None else error_map.taps(window, kernel, size, device)
    with torch.no_grad():
        for _ in range(max(1, passes)):
            hidden = region.hidden(network, taps)
            mean_absolute, mean_squared = _residual_means(network, hidden, region.target)
            error = mean_absolute.view(height, width).masked_fill(invalid, torch.inf)
            taps = select_taps(error, kernel, size)[None]
        return mean_squared.view(1, height, width).cpu().numpy().astype(np.float32)


def _residual_means(
    network: SuperADNet, hidden: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel's mean absolute and mean squared error of the reconstruction of ``target``.

    The reconstruction is made ``RESIDUAL_ROWS`` rows at a time, so that no
    tile-sized cube is held (a 552² tile of 200 bands is 240 MB).
    """
    bands, height = network.bands, hidden.shape[2]
    absolute, squared = [], []
    for start in range(0, height, RESIDUAL_ROWS):
        rows = slice(start, start + RESIDUAL_ROWS)
        residual = network.reconstruct(hidden[..., rows, :]).sub_(target[..., rows, :])
        residual = residual.permute(0, 2, 3, 1).reshape(-1, bands)
        absolute.append(torch.linalg.vector_norm(residual, 1, dim=1).div_(bands))
        squared.append(torch.linalg.vector_norm(residual, 2, dim=1).square_().div_(bands))
    return torch.cat(absolute), torch.cat(squared)


def _scaled_crops(
    read_crop: CropReader,
    windows: list[CropWindow],
    options: dict[str, Any],
    scaling: tuple[float, float],
) -> Iterator[tuple[CropWindow, np.ndarray, np.ndarray]]:
    """Read each crop: its window, scaled cube and validity (crops without a valid pixel
    left out)."""
    for window in windows:
        cube, mask = read_crop(window)
        try:
            valid = valid_pixels(np.asarray(cube), mask, options["window"])
        except NoValidPixelsError:
            continue
        yield window, scaled_bins(cube, valid, scaling, options), valid


def _fit_types(
    read_crop: CropReader,
    windows: list[CropWindow],
    options: dict[str, Any],
    scaling: tuple[float, float],
    seed: int,
) -> BackgroundTypes | None:
    """The scene's background types from a sample of every crop; None for one network.

    Reads every crop (a pass over the scene before the one that segments them).
    """
    if int(options["background_types"]) < 2:
        return None
    sample = [
        sample_spectra(scaled, valid)
        for _, scaled, valid in _scaled_crops(read_crop, windows, options, scaling)
    ]
    spectra = np.concatenate(sample) if sample else np.empty((0, 0))
    return BackgroundTypes.fit(spectra, int(options["background_types"]), seed)


def _segment_crops(
    read_crop: CropReader,
    windows: list[CropWindow],
    options: dict[str, Any],
    scaling: tuple[float, float],
    types: BackgroundTypes | None,
) -> list[list[tuple[CropWindow, PreparedCube]]]:
    """Each network's crops, read once and cut into superpixels.

    Without types, every crop with a valid pixel, for the one network. With
    types, a type's network gets the crops that hold at least
    ``MIN_REGION_PIXELS`` of its pixels, each restricted to them.

    The scaled cubes are kept while they fit ``crop_cache_mb`` megabytes in
    all; the others are dropped (an empty array) and read again at each
    visit. The kept cubes share one array, which goes back to the system whole
    when training ends (hundreds of separate crops would stay in the
    allocator's heap); a crop's regions share its cube.
    """
    segmenting = _segmenting(options)
    kinds = 1 if types is None else types.count
    least = 1 if types is None else MIN_REGION_PIXELS
    regions: list[list[tuple[CropWindow, PreparedCube]]] = [[] for _ in range(kinds)]
    cache, cached = None, 0
    for window, scaled, valid in _scaled_crops(read_crop, windows, options, scaling):
        labels = _network_of(types, scaled, valid)
        counts = np.bincount(labels[valid], minlength=kinds)
        segmented = [
            (kind, segment_cube(scaled, labels == kind, segmenting))
            for kind in np.flatnonzero(counts >= least)
        ]
        if cache is None:
            fit = int(float(options["crop_cache_mb"]) * 2**20 // scaled.nbytes)
            cache = np.empty((min(fit, len(windows)), *scaled.shape), np.float32)
        if cached < len(cache):
            cache[cached] = scaled
            kept, cached = cache[cached], cached + 1
        else:
            kept = np.empty((scaled.shape[0], 0, 0), np.float32)
        for kind, region in segmented:
            regions[kind].append((window, replace(region, scaled=kept)))
    return regions


def _network_of(types: BackgroundTypes | None, scaled: np.ndarray, valid: np.ndarray):
    """int ``(y, x)``: the network of each pixel (its type, or 0 for one network); -1 if invalid."""
    return np.where(valid, 0, -1) if types is None else types.assign(scaled, valid)


def _shared_steps(total: int, crops: list[int]) -> list[int]:
    """The ``total`` steps shared among networks in proportion to their crops (≥ 1 each)."""
    return [max(1, round(total * count / sum(crops))) for count in crops]


def _stretched(options: dict[str, Any], steps: int) -> dict[str, int]:
    """``steps`` and the ``lr_step`` that keeps the options' learning-rate schedule's shape."""
    ratio = steps / int(options["steps"])
    return {"steps": steps, "lr_step": max(1, round(int(options["lr_step"]) * ratio))}


def _segmenting(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the scene training's SLIC iterations."""
    return {**options, "slic_iterations": options["scene_slic_iterations"]}


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

"""Training Super-AD on cubes and scoring their pixels (§1, §6 of the method)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from superad_geo.errors import InputError
from superad_geo.model.adaconv import select_taps
from superad_geo.model.axes import band_first
from superad_geo.model.devices import resolve_device
from superad_geo.model.mining import background_mask, pixel_loss
from superad_geo.model.network import SuperADNet
from superad_geo.model.preparation import PreparedCube, prepare_cube
from superad_geo.model.presets import resolve_params
from superad_geo.model.pretrained import pretrained_start, unmappable
from superad_geo.model.scoring import SCORING_KEYS, anomaly_scores, tile_rx

ProgressCallback = Callable[[int, int], None]
_INITIALISATION = threading.Lock()


@dataclass(frozen=True)
class TrainingStep:
    """What one training step saw, for benchmarks and diagnostics (``observer``)."""

    step: int
    errors: np.ndarray
    """float32 ``(B, y, x)``: each pixel's mean squared error over bands (its raw score)."""
    losses: np.ndarray
    """float64 ``(B,)``: each model's training loss."""
    kept: np.ndarray
    """bool ``(B, y, x)``: the pixels whose loss counted (OBPM's; every valid one without it)."""
    taps: np.ndarray | None
    """int64 ``(B, k², y·x)``: the AdaConv taps of this step's forward pass; None at the first."""


def score_cube(
    cube: np.ndarray,
    *,
    preset: str = "default",
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    mask: np.ndarray | None = None,
    scaling: tuple[float, float] | None = None,
    progress: ProgressCallback | None = None,
    **params: Any,
) -> np.ndarray:
    """Train Super-AD on ``cube`` and return its per-pixel anomaly scores.

    Parameters
    ----------
    cube : np.ndarray
        Hyperspectral cube of shape ``(band, y, x)`` in its raw units. The
        band axis is checked to be first where that can be told: a
        DataArray's first dimension must be named ``band``, and the first
        axis must match ``wavelengths`` when given
        (:func:`superad_geo.model.axes.band_first`); a bare array is not
        guessed about.
    preset : str
        Parameter set: ``"default"``, ``"reference"`` or ``"fast"``.
    steps : int, optional
        Training steps; the preset's count when None.
    seed : int
        Seed of the network's initialisation; unused where the preset's ``warm_start``
        starts it from the pretrained network (:mod:`superad_geo.model.pretrained`).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    mask : np.ndarray, optional
        Boolean ``(y, x)``, True where the pixel is valid. Pixels with a
        non-finite value are invalid in any case.
    scaling : (float, float), optional
        ``(lo, hi)`` mapped to 0 and 1 instead of the cube's own min–max (the
        scene pipeline passes scene-wide statistics here).
    progress : callable, optional
        Called as ``progress(step, total)`` after each training step.
    **params
        Overrides of the preset (``lr``, ``kernel``, ``window``, ``th``,
        ``alpha``, ``beta``, ``superpixel_size``, ``band_binning``,
        ``wavelengths`` …).

    Returns
    -------
    np.ndarray
        float32 ``(y, x)``, higher is more anomalous; NaN at invalid pixels.
        The mean squared reconstruction error over bands, then, as the preset
        sets, its local contrast and a light smoothing
        (:mod:`superad_geo.model.scoring`).

    Raises
    ------
    InputError
        If the cube is not 3-D or is smaller than the AdaConv window.
    AmbiguousInputError
        If the band axis is seen not to be first.
    NoValidPixelsError
        If no pixel is valid.

    References
    ----------
    Cui et al., "Overcoming the Identity Mapping Problem in Self-Supervised
    Hyperspectral Anomaly Detection", IEEE TGRS, 2025.

    Examples
    --------
    >>> from superad_geo.scene.synthetic import make_scene  # doctest: +SKIP
    >>> scores = score_cube(cube, steps=200)  # doctest: +SKIP
    """
    return score_cubes(
        [cube],
        preset=preset,
        steps=steps,
        seed=seed,
        device=device,
        masks=None if mask is None else [mask],
        scaling=scaling,
        progress=progress,
        **params,
    )[0]


def score_cubes(
    cubes: Sequence[np.ndarray],
    *,
    preset: str = "default",
    steps: int | None = None,
    seed: int | Sequence[int] = 0,
    device: str = "auto",
    masks: Sequence[np.ndarray | None] | None = None,
    scaling: tuple[float, float] | None = None,
    progress: ProgressCallback | None = None,
    **params: Any,
) -> list[np.ndarray]:
    """Score several cubes of one shape at once, one independent network each.

    The networks train side by side in the same steps (grouped convolutions,
    batched token layers), which keeps a GPU or several CPU cores busy; each
    result equals :func:`score_cube` on that cube alone with the same seed, to
    floating-point tolerance.

    Parameters
    ----------
    cubes : sequence of np.ndarray
        Cubes of one shape ``(band, y, x)``.
    seed : int or sequence of int
        One seed for all cubes, or one per cube.
    masks : sequence of np.ndarray or None, optional
        A validity mask per cube (see :func:`score_cube`).

    Other parameters are those of :func:`score_cube`.

    Returns
    -------
    list of np.ndarray
        float32 ``(y, x)`` score maps, NaN at invalid pixels.
    """
    if not cubes:
        return []
    cubes = [band_first(cube, wavelengths=params.get("wavelengths")) for cube in cubes]
    shapes = {np.shape(cube) for cube in cubes}
    if len(shapes) != 1:
        raise InputError(f"cubes scored together must share one shape, got {sorted(shapes)}")
    seeds = [seed] * len(cubes) if isinstance(seed, int) else list(seed)
    masks = [None] * len(cubes) if masks is None else list(masks)
    if len(seeds) != len(cubes) or len(masks) != len(cubes):
        raise ValueError("give one seed and one mask (or None) per cube")
    options = resolve_params(preset, steps=steps, **params)
    prepared = [
        prepare_cube(cube, options, mask=mask, scaling=scaling)
        for cube, mask in zip(cubes, masks, strict=True)
    ]
    scores = train_and_score(
        prepared,
        options,
        seeds=seeds,
        device=resolve_device(device),
        progress=progress,
        start=warm_start(len(prepared[0].scaled), options),
    )
    for tile_scores, tile in zip(scores, prepared, strict=True):
        tile_scores[~tile.valid] = np.nan
    return list(scores)


def warm_start(bands: int, options: dict[str, Any]) -> dict[str, torch.Tensor] | None:
    """The weights a cube of ``bands`` bands starts from: the pretrained network's where
    ``options`` ask for them and the bands can be mapped to it; else None (the seeds')."""
    if not options["warm_start"] or unmappable(bands) is not None:
        return None
    return pretrained_start(bands)


def train_and_score(
    prepared: Sequence[PreparedCube], options: dict[str, Any], **training: Any
) -> np.ndarray:
    """Train one network per prepared cube, side by side; return their scores.

    :func:`train_networks` trains them (``training`` are its keyword
    arguments); :func:`finish_scores` turns their errors into scores.

    Returns
    -------
    np.ndarray
        float32 ``(B, y, x)``.
    """
    _, errors = train_networks(prepared, options, **training)
    return finish_scores(errors, prepared, options)


def train_networks(
    prepared: Sequence[PreparedCube],
    options: dict[str, Any],
    *,
    seeds: Sequence[int],
    device: torch.device,
    progress: ProgressCallback | None = None,
    observer: Callable[[TrainingStep], None] | None = None,
    start: Mapping[str, torch.Tensor] | None = None,
) -> tuple[SuperADNet, np.ndarray]:
    """Train one network per prepared cube, side by side; return them and their errors.

    The cubes must share one shape. Network ``b`` is initialised from
    ``seeds[b]``, or every network from the weights ``start`` of one network
    trained elsewhere (a warm start). A pixel's error is its mean squared
    error over bands in the forward pass of the last ``score_average`` steps
    (each map divided by its mean before averaging when more than one), as
    the reference scores the forward pass of its last step.
    ``observer(record)``, if given, sees every step's :class:`TrainingStep`
    (its error maps, losses, OBPM's kept pixels and the AdaConv taps; for
    benchmarks of accuracy against steps and of divergence).

    Returns
    -------
    (SuperADNet, np.ndarray)
        The trained networks, stacked, and float32 ``(B, y, x)`` errors.
    """
    models = len(prepared)
    bands, height, width = prepared[0].scaled.shape
    # (y, x, model·band) memory: channels-last order, so the network copies nothing
    cube = np.concatenate([np.moveaxis(tile.scaled, 0, -1) for tile in prepared], axis=-1)
    padded = SuperADNet.pad_input(torch.from_numpy(cube).to(device).permute(2, 0, 1)[None])
    x = padded[..., 1:-1, 1:-1]
    # pixel-major (pixel, model) addressing, as the network's channels-last memory
    slots_per_model = max(tile.count for tile in prepared) + 1
    labels = np.stack([tile.labels.reshape(-1) for tile in prepared], axis=1)
    slots = torch.from_numpy(labels + np.arange(models) * slots_per_model).reshape(-1).to(device)
    counts = torch.tensor([tile.count for tile in prepared], device=device)
    token_mask = torch.arange(slots_per_model, device=device)[None, :] < counts[:, None]
    valid = np.stack([tile.valid.reshape(-1) for tile in prepared], axis=1)
    valid = torch.from_numpy(valid).reshape(-1).to(device)
    # index lists rather than boolean masks in the loop: no host synchronisation
    valid_index = valid.nonzero().squeeze(1)
    valid_slots = slots[valid_index]
    model_of_pixel = valid_index % models
    valid_per_model = torch.bincount(model_of_pixel, minlength=models)

    model = new_network(seeds, bands, options, device, start)
    optimiser, schedule = new_optimiser(model, options)

    total = int(options["steps"])
    averaged = max(1, min(int(options["score_average"]), total))
    score_sum = torch.zeros(valid.numel(), device=device)
    taps = None
    for step in range(total):
        residual = (model(padded, slots, token_mask, taps) - x).permute(0, 2, 3, 1)
        residual = residual.reshape(-1, bands)
        error = residual.abs().mean(dim=1)
        losses = error.index_select(0, valid_index)
        losses = pixel_loss(losses, options["loss"], options["alpha"], options["beta"])
        keep = None
        if options["mining"]:
            keep = background_mask(losses.detach(), valid_slots, options["th"], token_mask.numel())
            losses = losses * keep
        per_model = losses.new_zeros(models).index_add_(0, model_of_pixel, losses)
        per_model = per_model / valid_per_model
        loss = per_model.sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()

        if step >= total - averaged or observer is not None:
            scores = residual.detach().pow(2).mean(dim=1)
            if observer is not None:
                counted = valid.clone()
                if keep is not None:
                    counted[valid_index] = keep
                observer(
                    TrainingStep(
                        step=step,
                        errors=_by_model(scores, models, height, width),
                        losses=per_model.detach().double().cpu().numpy(),
                        kept=_by_model(counted, models, height, width).astype(bool),
                        taps=None if taps is None else taps.cpu().numpy(),
                    )
                )
            if step >= total - averaged:
                score_sum += _relative(scores, valid, models) if averaged > 1 else scores
        error_map = error.detach().masked_fill(~valid, torch.inf).view(height, width, models)
        taps = torch.stack(
            [
                select_taps(error_map[..., index], options["kernel"], options["window"])
                for index in range(models)
            ]
        )
        if progress is not None:
            progress(step + 1, total)
    return model, _by_model(score_sum / averaged, models, height, width)


def new_network(
    seeds: Sequence[int],
    bands: int,
    options: dict[str, Any],
    device: torch.device,
    start: Mapping[str, torch.Tensor] | None = None,
) -> SuperADNet:
    """``len(seeds)`` networks side by side, as ``options`` say, on ``device``.

    Each starts from the weights ``start`` of one network when given.

    Raises
    ------
    InputError
        If ``start`` is the weights of a network for another band count.
    """
    # torch's global generator seeds the networks: one initialisation at a time,
    # so that tiles scored in threads of one process stay reproducible
    with _INITIALISATION, torch.random.fork_rng(devices=[]):
        return SuperADNet.from_seeds(
            seeds,
            bands,
            start=start,
            features=options["features"],
            kernel=options["kernel"],
            window=options["window"],
            adaptive_layers=options["adaptive_layers"],
        ).to(device)


def new_optimiser(model: SuperADNet, options: dict[str, Any]):
    """AdamW and its step-decay schedule, as ``options`` say (§6 of the method)."""
    optimiser = torch.optim.AdamW(
        model.parameters(),
        lr=options["lr"],
        betas=tuple(options["betas"]),
        weight_decay=options["weight_decay"],
    )
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, options["lr_step"], options["lr_gamma"])
    return optimiser, schedule


def finish_scores(
    errors: np.ndarray, prepared: Sequence[PreparedCube], options: dict[str, Any]
) -> np.ndarray:
    """``(B, y, x)`` reconstruction errors → scores, as ``options`` say (:mod:`.scoring`).

    The RX scores a blend needs are those of the prepared cube itself (the tile
    with its halo): its own mean and covariance.
    """
    scoring = {key: options[key] for key in SCORING_KEYS}
    return np.stack(
        [
            anomaly_scores(
                tile_errors,
                tile.valid,
                **scoring,
                rx=tile_rx(tile.scaled, tile.valid) if scoring["rx_weight"] else None,
            )
            for tile_errors, tile in zip(errors, prepared, strict=True)
        ]
    )


def _by_model(scores: torch.Tensor, models: int, height: int, width: int) -> np.ndarray:
    """Pixel-major ``(H·W·B,)`` scores → float32 ``(B, H, W)``."""
    return scores.view(height, width, models).permute(2, 0, 1).cpu().numpy().astype(np.float32)


def _relative(scores: torch.Tensor, valid: torch.Tensor, models: int) -> torch.Tensor:
    """Divide each model's pixel-major scores by its valid pixels' mean (they stay positive)."""
    by_model = scores.view(-1, models)
    mask = valid.view(-1, models)
    mean = (by_model * mask).sum(dim=0) / mask.sum(dim=0).clamp_min(1)
    return (by_model / mean.clamp_min(1e-30)).reshape(-1)

"""Training Super-AD on one cube and scoring its pixels (§1, §6 of the method)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from superad_geo.adaconv import select_taps
from superad_geo.devices import resolve_device
from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.mining import background_mask, pixel_loss
from superad_geo.network import SuperADNet
from superad_geo.presets import resolve_params
from superad_geo.superpixels import composite, segment

ProgressCallback = Callable[[int, int], None]


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
        Hyperspectral cube of shape ``(band, y, x)`` in its raw units.
    preset : str
        Parameter set: ``"default"``, ``"reference"`` or ``"fast"``.
    steps : int, optional
        Training steps; the preset's count when None.
    seed : int
        Seed of the network's initialisation.
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
        ``alpha``, ``beta``, ``superpixel_size``, ``wavelengths`` …).

    Returns
    -------
    np.ndarray
        float32 ``(y, x)``: the mean squared reconstruction error over bands
        (higher is more anomalous); NaN at invalid pixels.

    Raises
    ------
    InputError
        If the cube is not 3-D or is smaller than the AdaConv window.
    NoValidPixelsError
        If no pixel is valid.

    References
    ----------
    Cui et al., "Overcoming the Identity Mapping Problem in Self-Supervised
    Hyperspectral Anomaly Detection", IEEE TGRS, 2025.

    Examples
    --------
    >>> from superad_geo.synthetic import make_scene  # doctest: +SKIP
    >>> scores = score_cube(cube, steps=200)  # doctest: +SKIP
    """
    options = resolve_params(preset, steps=steps, **params)
    prepared = prepare_cube(cube, options, mask=mask, scaling=scaling)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        scores = train_and_score(prepared, options, device=resolve_device(device),
                                 progress=progress)
    scores[~prepared.valid] = np.nan
    return scores


@dataclass(frozen=True)
class PreparedCube:
    """A cube ready for training: scaled, masked and cut into superpixels."""

    scaled: np.ndarray
    """float32 ``(band, y, x)`` in [0, 1]; invalid pixels are 0."""
    valid: np.ndarray
    """Boolean ``(y, x)``."""
    labels: np.ndarray
    """int64 ``(y, x)``: superpixels ``0 .. count-1``, invalid pixels ``count``."""
    count: int


def prepare_cube(cube: np.ndarray, options: dict[str, Any], *, mask: np.ndarray | None = None,
                 scaling: tuple[float, float] | None = None) -> PreparedCube:
    """Validate, scale and segment ``cube`` (band, y, x) as ``options`` say."""
    cube = np.asarray(cube)
    valid = _validity(cube, mask, options["window"])
    scaled = _scale(cube, valid, scaling)
    image = composite(scaled, valid, options["composite"], options.get("wavelengths"))
    n_segments = options["n_segments"] or round(int(valid.sum()) / options["superpixel_size"])
    labels, count = segment(image, valid, n_segments=n_segments,
                            compactness=options["compactness"],
                            max_num_iter=options["slic_iterations"])
    return PreparedCube(scaled, valid, labels, count)


def train_and_score(prepared: PreparedCube, options: dict[str, Any], *, device: torch.device,
                    progress: ProgressCallback | None = None,
                    observer: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """Train a fresh network on a prepared cube and return the final scores.

    The score of a pixel is its mean squared error over bands in the forward
    pass of the last ``score_average`` steps (each map standardised before
    averaging when more than one), as the reference scores the forward pass
    of its last step. ``observer(step, scores)``, if given, sees every step's
    score map (for benchmarks of accuracy against steps).
    """
    bands, height, width = prepared.scaled.shape
    count = prepared.count
    x = torch.from_numpy(prepared.scaled)[None].to(device, memory_format=torch.channels_last)
    flat_labels = torch.from_numpy(prepared.labels.reshape(-1)).to(device)
    flat_valid = torch.from_numpy(prepared.valid.reshape(-1)).to(device)
    valid_labels = flat_labels[flat_valid]
    n_valid = int(flat_valid.sum())

    model = SuperADNet(bands, options["features"], options["kernel"], options["window"],
                       options["adaptive_layers"]).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=options["lr"],
                                  betas=tuple(options["betas"]),
                                  weight_decay=options["weight_decay"])
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, options["lr_step"], options["lr_gamma"])

    total = int(options["steps"])
    averaged = max(1, min(int(options["score_average"]), total))
    score_sum = torch.zeros(height * width, device=device)
    taps = None
    for step in range(total):
        residual = model(x, flat_labels, count, taps) - x
        error = residual.abs().mean(dim=1).reshape(-1)
        losses = pixel_loss(error[flat_valid], options["loss"], options["alpha"],
                            options["beta"])
        if options["mining"]:
            losses = losses * background_mask(losses.detach(), valid_labels, options["th"])
        loss = losses.sum() / n_valid
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()

        if step >= total - averaged or observer is not None:
            scores = residual.detach().pow(2).mean(dim=1).reshape(-1)
            if observer is not None:
                observer(step, scores.reshape(height, width).cpu().numpy())
            if step >= total - averaged:
                score_sum += _standardise(scores, flat_valid, averaged > 1)
        error_map = error.detach().masked_fill(~flat_valid, torch.inf).reshape(height, width)
        taps = select_taps(error_map, options["kernel"], options["window"])
        if progress is not None:
            progress(step + 1, total)
    return (score_sum / averaged).reshape(height, width).cpu().numpy().astype(np.float32)


def _standardise(scores: torch.Tensor, valid: torch.Tensor, enabled: bool) -> torch.Tensor:
    if not enabled:
        return scores
    background = scores[valid]
    return (scores - background.mean()) / background.std().clamp_min(1e-12)


def _validity(cube: np.ndarray, mask: np.ndarray | None, window: int) -> np.ndarray:
    if cube.ndim != 3:
        raise InputError(f"expected a (band, y, x) cube, got an array of shape {cube.shape}")
    _, height, width = cube.shape
    if min(height, width) < window:
        raise InputError(
            f"the scene is {height}×{width} pixels, smaller than the {window}×{window} "
            "AdaConv window; use a larger scene or a smaller window"
        )
    valid = np.isfinite(cube).all(axis=0)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != valid.shape:
            raise InputError(f"mask shape {mask.shape} does not match the cube's {valid.shape}")
        valid &= mask
    if not valid.any():
        raise NoValidPixelsError("the cube has no valid pixel (all masked, NaN or nodata)")
    return valid


def _scale(cube: np.ndarray, valid: np.ndarray,
           scaling: tuple[float, float] | None) -> np.ndarray:
    if scaling is None:
        pixels = cube[:, valid]
        scaling = (float(pixels.min()), float(pixels.max()))
    lo, hi = scaling
    span = hi - lo if hi > lo else 1.0
    scaled = ((cube.astype(np.float32) - np.float32(lo)) / np.float32(span)).astype(np.float32)
    scaled[:, ~valid] = 0.0
    return scaled

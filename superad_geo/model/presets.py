"""Named parameter sets of the Super-AD engine.

``reference`` reproduces the authors' published settings (Cui et al. 2025);
``default`` is what superad-geo ships. Any value can be overridden per call
through :func:`superad_geo.score_cube`'s keyword arguments.
"""

from __future__ import annotations

from typing import Any

REFERENCE: dict[str, Any] = {
    # input scaling: one global min-max over valid pixels, all bands together
    "input_scaling": "minmax",
    # superpixels
    "composite": "reference",  # bands round(p*C/204), p = 54, 34, 14, of cube / max
    "n_segments": 100,  # per image (the reference's rule); None -> use superpixel_size
    "superpixel_size": None,  # pixels per superpixel (density per unit area)
    "compactness": 0.01,
    "slic_iterations": 1000,
    # network
    "features": 32,
    "kernel": 3,
    "window": 5,
    "adaptive_layers": 1,  # AdaConv layers per 7-layer stack that use the error map
    # loss and mining
    "loss": "transformed",  # "transformed", "l1" or "l2"
    "alpha": 1.0,
    "beta": 1.0,
    "th": 0.25,
    "mining": True,
    # optimisation
    "steps": 1000,
    "lr": 1e-3,
    "betas": (0.5, 0.8),
    "weight_decay": 1e-4,
    "lr_step": 100,
    "lr_gamma": 0.8,
    # "tile": a fresh network trained on each tile (the reference's per-image training);
    # "scene": one network per scene trained on crops (superad_geo.model.scene_training);
    # "auto": "tile" for a scene of at most tile_training_pixels pixels, else "scene"
    "training": "tile",
    # per-tile training starts from the network pretrained on synthetic scenes, mapped to the
    # cube's bands (superad_geo.model.pretrained), where they can be mapped; else from the seed
    "warm_start": False,
    # each run of this many neighbouring bands averaged into one before training, superpixels
    # and RX (superad_geo.model.band_binning), per tile and per scene; 1: every band as it is
    "band_binning": 1,
    "tile_training_pixels": 65_536,  # 256²: per-tile training's ~1300 CPU s, 10 min on two cores
    # scene training (ours): crops of this side, this many
    # per optimiser step; tiles scored by this many forward passes (each pass's AdaConv taps
    # from the previous pass's errors, none in the first)
    "crop_size": 128,
    "crops_per_step": 1,
    # the scene network trains steps × min(scene pixels, scene_training_pixels) pixel-steps
    # (its optimiser steps and lr_step scaled to match: scene_training.scene_schedule), so a
    # scene gets the visits per pixel of per-tile training up to that size and a fixed training
    # time above it; 0: `steps` crop steps whatever the scene's size
    "scene_training_pixels": 0,
    "crop_cache_mb": 1024,  # crops kept in memory (the rest are read again at each visit)
    "inference_passes": 2,
    # the scene network's weights are the mean of those after each of the last
    # average_weights × steps steps (0: the last step's)
    "average_weights": 0.0,
    # SLIC iterations of the crops and tiles of scene training (a 592² tile takes ~40 s of one
    # core at 1000; scene training scores megapixels, per-tile training ~0.01 of them per minute)
    "scene_slic_iterations": 100,
    # scene training (ours): one network per background type, this many k-means types of the
    # scene's smoothed spectra, each trained on the crops holding it and scoring its own pixels
    # (superad_geo.model.background_types); 0 or 1: one network for the scene
    "background_types": 0,
    # scoring: average the error maps (each over its mean) of the last N steps (1 = last)
    "score_average": 1,
    # then (superad_geo.model.scoring) divide by the moving median score over a window of this
    # side, to the power, and smooth with a Gaussian of this sigma; 0 skips a step
    "contrast_window": 0,
    "contrast_power": 0.5,
    "smoothing_sigma": 0.0,
    # and multiply by a power of the tile's own RX score (0 = not at all; see blend_rx)
    "rx_weight": 0.0,
    # and standardise by the median and spread of the scores in windows of this side (0: not)
    "standardise_window": 0,
    # ... a second time without the pixels whose first z-score is above this (None: once)
    "standardise_clip": None,
}

DEFAULT: dict[str, Any] = {
    **REFERENCE,
    "composite": "auto",  # colour-infrared bands from wavelengths, else PCA
    "n_segments": None,
    "superpixel_size": 100,
    "contrast_window": 21,
    "smoothing_sigma": 0.5,
    "rx_weight": 0.25,
    "standardise_window": 41,
    "standardise_clip": 3.0,
    "training": "auto",
    # ≈173²: 7323 steps of 64² crops (on bands binned by 4) shared by 6 types' networks,
    # 1 Mpx in 7:49–8:07 (EPYC); binning made room for 1.67 times the 18 000 of every band;
    # 64² rather than 128² crops give each type's network 4 times the optimiser steps
    "crop_size": 64,
    "scene_training_pixels": 30_000,
    "average_weights": 0.25,
    "background_types": 6,
    # six-scene mean 0.9875-0.9881 over seeds 0-2 against 0.9841-0.9863 unbinned (4 runs, EPYC,
    # 1000 steps); 8 tied with 4, 2 did not gain (docs/accuracy.md, "Band binning")
    "band_binning": 4,
    # per-tile training scores the mean of its last 10 steps' relative errors: six-scene mean
    # 0.9881 against 0.9876 of the last step, every one of seeds 0-2 gaining, no time
    # (docs/accuracy.md, "Averaging the last steps, and what does not reach goal 3")
    "score_average": 10,
}

FAST: dict[str, Any] = {
    **DEFAULT,
    "steps": 200,
    "lr_step": 20,
    "slic_iterations": 100,
    # +0.013 of six-scene mean AUC at 200 steps (3 seeds against 4 pretrainings, EPYC); by
    # 500-1000 steps scratch training has caught up (docs/accuracy.md, "The `fast` preset")
    "warm_start": True,
    # measured with the pretrained start on every band; binned once, not shipped (0.9801
    # against 0.9760, seed 0): docs/accuracy.md, "Band binning"
    "band_binning": 1,
    # the default's budget before binning made room for more (every band trains at this)
    "scene_training_pixels": 18_000,
}

PRESETS: dict[str, dict[str, Any]] = {"reference": REFERENCE, "default": DEFAULT, "fast": FAST}


def resolve_params(preset: str, **overrides: Any) -> dict[str, Any]:
    """Return the parameters of ``preset`` with ``overrides`` applied.

    Raises
    ------
    ValueError
        If the preset or an override name is unknown.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    params = dict(PRESETS[preset])
    unknown = sorted(set(overrides) - set(params) - {"wavelengths"})
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; known: {sorted(params)}")
    params.update({k: v for k, v in overrides.items() if v is not None})
    return params

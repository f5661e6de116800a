"""A network pretrained on synthetic scenes, mapped to a cube's bands: a warm start.

The weights (``weights/synthetic-200.pt``, made by ``scripts/make_weights.py``)
are one Super-AD network after per-tile training on five synthetic scenes
(:mod:`superad_geo.scene.synthetic`) of :data:`GRID_BANDS` bands: no real
data, so no scene is ever scored by weights that saw it. Only the first and
the last layer are tied to the band count. A cube of ``C`` bands is put on
the network's grid by band index, ``grid = M · cube`` with ``M`` the
``GRID_BANDS × C`` linear interpolation (:func:`band_grid_matrix`): the first
layer's weights become ``W · M`` and the last layer's weights and bias
``pinv(M) · W``. By index, not by wavelength: the synthetic spectra are
smooth shapes over a nominal range, not a sensor's. Training then goes on
from there on the cube itself (``training.train_networks(start=)``).
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from superad_geo.errors import InputError

#: Bands of the grid the pretrained network was trained on.
GRID_BANDS = 200

#: Fewest bands mapped onto the grid: the fewest measured (every 30th band of abu-airport-1
#: and every 28th of abu-beach-2 gained at 200 steps, as did 13, 25 and 52); fewer, unmeasured.
MIN_BANDS = 7

#: The pretrained network's ``state_dict`` (``scripts/make_weights.py``).
WEIGHTS = Path(__file__).with_name("weights") / "synthetic-200.pt"


def band_grid_matrix(bands: int, grid: int = GRID_BANDS) -> np.ndarray:
    """``(grid, bands)`` linear interpolation by band index: ``M @ spectrum`` is on the grid.

    The first and last bands map to the grid's ends; each grid band is a
    mix of the two bands around its position.

    >>> band_grid_matrix(3, 5)
    array([[1. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0. , 1. , 0. ],
           [0. , 0.5, 0.5],
           [0. , 0. , 1. ]])
    """
    position = np.linspace(0.0, bands - 1, grid)
    low = np.minimum(np.floor(position).astype(int), bands - 1)
    high = np.minimum(low + 1, bands - 1)
    weight = position - low
    matrix = np.zeros((grid, bands))
    np.add.at(matrix, (np.arange(grid), low), 1 - weight)
    np.add.at(matrix, (np.arange(grid), high), weight)
    return matrix


def unmappable(bands: int) -> str | None:
    """Why a cube of ``bands`` bands cannot start from the pretrained network; None if it can."""
    if bands < MIN_BANDS:
        return (
            f"the pretrained network needs at least {MIN_BANDS} bands to map onto its "
            f"{GRID_BANDS}-band grid, the cube has {bands}"
        )
    return None


@cache
def weights_identity() -> str:
    """The pretrained weights' name and the start of their SHA-256 (for records and
    fingerprints)."""
    digest = hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()[:16]
    return f"{WEIGHTS.stem} sha256:{digest}"


def pretrained_start(bands: int) -> dict:
    """The pretrained network's ``state_dict`` mapped to a cube of ``bands`` bands.

    Read from the package, never from the network; once per band count in a
    process (every tile of a scene has the same bands).

    Raises
    ------
    InputError
        If ``bands`` cannot be mapped onto the grid (:func:`unmappable`).
    """
    reason = unmappable(bands)
    if reason is not None:
        raise InputError(reason)
    return dict(_mapped_state(bands))


@lru_cache(maxsize=8)
def _mapped_state(bands: int) -> dict:
    import torch

    state = dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    to_grid = band_grid_matrix(bands)
    from_grid = torch.from_numpy(np.linalg.pinv(to_grid)).float()
    to_grid = torch.from_numpy(to_grid).float()
    state["embed_in.weight"] = torch.einsum("fgij,gc->fcij", state["embed_in.weight"], to_grid)
    state["head_out.weight"] = torch.einsum("cg,gfij->cfij", from_grid, state["head_out.weight"])
    state["head_out.bias"] = from_grid @ state["head_out.bias"]
    return {name: tensor.contiguous() for name, tensor in state.items()}

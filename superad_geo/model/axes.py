"""Checking that a cube given to the engine has its band axis first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from superad_geo.errors import AmbiguousInputError


def band_first(cube: Any, *, wavelengths: Sequence[float] | None = None) -> np.ndarray:
    """``cube`` as a NumPy ``(band, y, x)`` array, after the checks that can tell the band axis.

    What is checked (a bare array carries no axis names, and more bands than
    rows and columns is no proof of anything, so nothing else is):

    - an array with named dimensions (an ``xarray.DataArray``) must have
      ``band`` as its first dimension;
    - with ``wavelengths``, the first axis must have one entry per wavelength.

    Raises
    ------
    AmbiguousInputError
        Naming the dimensions (or shape) it got.
    """
    dims = getattr(cube, "dims", None)
    if dims is not None and (len(dims) != 3 or dims[0] != "band"):
        raise AmbiguousInputError(
            f"the cube's dimensions are {tuple(dims)}; the engine needs (band, y, x): "
            "transpose it, naming the band dimension 'band'"
        )
    array = np.asarray(cube)
    if wavelengths is not None and array.ndim == 3 and len(wavelengths) != array.shape[0]:
        raise AmbiguousInputError(
            f"the cube has shape {array.shape} but {len(wavelengths)} wavelengths; "
            "the engine needs (band, y, x) with one wavelength per band"
        )
    return array

"""A cube made ready for training: validated, binned, scaled to [0, 1] and cut into superpixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from superad_geo.errors import InputError, NoValidPixelsError
from superad_geo.model.band_binning import bin_bands, bin_wavelengths
from superad_geo.model.superpixels import composite, segment


@dataclass(frozen=True)
class PreparedCube:
    """A cube ready for training: scaled, masked and cut into superpixels."""

    scaled: np.ndarray
    """float32 ``(band, y, x)`` in [0, 1], its bands binned as the options say
    (:mod:`~superad_geo.model.band_binning`); 0 at invalid pixels (except a region's, see
    :func:`segment_cube`)."""
    valid: np.ndarray
    """Boolean ``(y, x)``."""
    labels: np.ndarray
    """int64 ``(y, x)``: superpixels ``0 .. count-1``, invalid pixels ``count``."""
    count: int


def prepare_cube(
    cube: np.ndarray,
    options: dict[str, Any],
    *,
    mask: np.ndarray | None = None,
    scaling: tuple[float, float] | None = None,
) -> PreparedCube:
    """Validate, bin, scale and segment ``cube`` (band, y, x) as ``options`` say."""
    cube = np.asarray(cube)
    valid = valid_pixels(cube, mask, options["window"])
    return segment_cube(scaled_bins(cube, valid, scaling, options), valid, binned_options(options))


def scaled_bins(
    cube: np.ndarray,
    valid: np.ndarray,
    scaling: tuple[float, float] | None,
    options: dict[str, Any],
) -> np.ndarray:
    """float32 ``(bin, y, x)``: ``cube``'s bands binned by the options' ``band_binning``
    (:func:`~superad_geo.model.band_binning.bin_bands`), then scaled (:func:`scale_cube`)."""
    return scale_cube(bin_bands(cube, options["band_binning"]), valid, scaling)


def binned_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the mean wavelength of each of their ``band_binning`` bins."""
    wavelengths = bin_wavelengths(options.get("wavelengths"), options["band_binning"])
    return {**options, "wavelengths": wavelengths}


def segment_cube(scaled: np.ndarray, valid: np.ndarray, options: dict[str, Any]) -> PreparedCube:
    """Cut the ``valid`` pixels of a scaled cube into superpixels as ``options`` say.

    ``scaled`` is kept as it is: pixels outside ``valid`` need not be 0 (a
    region of a cube shares the cube's array).
    """
    image = composite(scaled, valid, options["composite"], options.get("wavelengths"))
    n_segments = options["n_segments"] or round(int(valid.sum()) / options["superpixel_size"])
    labels, count = segment(
        image,
        valid,
        n_segments=n_segments,
        compactness=options["compactness"],
        max_num_iter=options["slic_iterations"],
    )
    return PreparedCube(scaled, valid, labels, count)


def valid_pixels(cube: np.ndarray, mask: np.ndarray | None, window: int) -> np.ndarray:
    """Boolean ``(y, x)``: finite in every band and inside ``mask``.

    Raises
    ------
    InputError
        If ``cube`` is not ``(band, y, x)`` or is smaller than the AdaConv ``window``.
    NoValidPixelsError
        If no pixel is valid.
    """
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


def scale_cube(
    cube: np.ndarray, valid: np.ndarray, scaling: tuple[float, float] | None
) -> np.ndarray:
    """float32 ``(cube - lo) / (hi - lo)``, 0 at invalid pixels.

    ``scaling`` is ``(lo, hi)``; None takes the valid pixels' min and max.
    """
    if scaling is None:
        pixels = cube[:, valid]
        scaling = (float(pixels.min()), float(pixels.max()))
    lo, hi = scaling
    span = hi - lo if hi > lo else 1.0
    scaled = cube.astype(np.float32)  # one copy, then in place: a tile can be 300 MB
    scaled -= np.float32(lo)
    scaled /= np.float32(span)
    scaled[:, ~valid] = 0.0
    return scaled

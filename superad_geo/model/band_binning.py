"""Neighbouring bands averaged into one before training: less noise per band, fewer to learn.

A preset's ``band_binning = k`` replaces each run of ``k`` neighbouring
bands by their mean, and their wavelengths by the mean wavelength: ``C // k``
bins of a cube of ``C`` bands, the last also holding the ``C mod k`` bands
left over.
Binning never leaves fewer than :data:`MIN_BINNED_BANDS` bands: a cube of
fewer than ``k`` times that is binned by the largest factor that keeps them
(by 1, not at all, below twice that). A pixel that is not finite in a band
is not finite in its bin, so it stays invalid.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

#: The fewest bands binning leaves: pavia-centre's 102 bands binned by 4, the fewest measured
#: with the ``default`` preset over three seeds (docs/accuracy.md, "Band binning").
MIN_BINNED_BANDS = 25


def check_factor(factor: object) -> None:
    """Raise ``ValueError`` unless ``factor`` is a positive integer."""
    if isinstance(factor, bool) or not isinstance(factor, numbers.Integral) or factor < 1:
        raise ValueError(f"band_binning must be a positive integer, got {factor!r}")


def binning_factor(bands: int, factor: int) -> int:
    """The factor a cube of ``bands`` bands is binned by when ``factor`` is asked for.

    >>> binning_factor(205, 4), binning_factor(60, 4), binning_factor(40, 4)
    (4, 2, 1)
    """
    check_factor(factor)
    return max(1, min(int(factor), bands // MIN_BINNED_BANDS))


def bin_starts(bands: int, factor: int) -> np.ndarray:
    """The first band of each bin among ``bands`` when binning by ``factor``.

    >>> bin_starts(110, 4)[-3:].tolist()
    [96, 100, 104]
    """
    factor = binning_factor(bands, factor)
    return np.arange(0, bands // factor * factor, factor)


def binned_band_count(bands: int, factor: int) -> int:
    """How many bands a cube of ``bands`` bands has after binning by ``factor``."""
    return len(bin_starts(bands, factor))


def bin_bands(cube: np.ndarray, factor: int) -> np.ndarray:
    """float32 ``(bins, y, x)``: each bin's mean of ``cube`` ``(band, y, x)``; ``cube``
    itself where it is not binned."""
    starts = bin_starts(len(cube), factor)
    if len(starts) == len(cube):
        return cube
    return np.add.reduceat(cube, starts, axis=0, dtype=np.float32) / _bin_sizes(starts, len(cube))


def bin_wavelengths(wavelengths: Sequence[float] | None, factor: int) -> list[float] | None:
    """The mean wavelength of each bin (None stays None)."""
    if wavelengths is None:
        return None
    values = np.asarray(wavelengths, dtype=float)
    starts = bin_starts(len(values), factor)
    return list(np.add.reduceat(values, starts) / _bin_sizes(starts, len(values)).ravel())


def _bin_sizes(starts: np.ndarray, bands: int) -> np.ndarray:
    """float32 ``(bins, 1, 1)``: the bands in each bin."""
    return np.diff(np.append(starts, bands)).astype(np.float32)[:, None, None]

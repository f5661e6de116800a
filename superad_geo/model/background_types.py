"""Background types: a scene's pixels cut into a few kinds of ground by their spectra.

One network over a scene of several backgrounds (city, fields, water)
reconstructs some of them worse than others, and an anomaly of one is scored
among the ordinary pixels of all. Scene training with ``background_types`` K
trains one network per type, on the crops that hold it and with its loss on
the type's pixels only, and scores each pixel with its type's network among
the pixels of its type (:mod:`.scene_training`; measured in docs/accuracy.md).

A pixel's type is the nearest of K k-means centres to its spectrum averaged
over 5 × 5 pixels (so a target of a few pixels takes its surroundings' type),
projected on the first 10 principal components of a sample of the scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage
from scipy.cluster.vq import ClusterError, kmeans2

#: Side of the window a pixel's spectrum is averaged over before it is typed.
SMOOTHING = 5
#: Principal components the types are told apart on.
COMPONENTS = 10
#: A k-means centre holding less than this share of the sample is no type (its
#: pixels go to the nearest other one): a large target is not a background.
MIN_SHARE = 0.02
#: Every how many rows and columns a crop gives a pixel to the sample.
SAMPLE_STRIDE = 4
#: A scene with fewer sampled pixels than this (~16 000 valid pixels) is one type.
MIN_SAMPLE = 1000


@dataclass(frozen=True)
class BackgroundTypes:
    """K spectral types: a mean spectrum, principal axes and the types' centres on them."""

    mean: np.ndarray
    """float64 ``(band,)``."""
    axes: np.ndarray
    """float64 ``(COMPONENTS, band)``."""
    centres: np.ndarray
    """float64 ``(K, COMPONENTS)``."""

    @classmethod
    def fit(cls, spectra: np.ndarray, types: int, seed: int) -> BackgroundTypes | None:
        """Types of a ``(pixels, band)`` sample of smoothed spectra (:func:`sample_spectra`);
        None where fewer than two come out, or the sample is under ``MIN_SAMPLE``."""
        spectra = np.asarray(spectra, dtype=np.float64)
        if len(spectra) < MIN_SAMPLE:
            return None
        mean = spectra.mean(axis=0)
        centred = spectra - mean
        _, _, vectors = np.linalg.svd(centred, full_matrices=False)
        axes = vectors[:COMPONENTS]
        axes = axes * np.sign(axes.sum(axis=1, keepdims=True) + 1e-30)  # solver-free signs
        projected = centred @ axes.T
        centres, labels = _kmeans(projected, min(types, len(projected)), seed)
        shares = np.bincount(labels, minlength=len(centres)) / len(labels)
        kept = centres[shares >= MIN_SHARE]
        return cls(mean, axes, kept) if len(kept) > 1 else None

    @property
    def count(self) -> int:
        """The number of types K."""
        return len(self.centres)

    def subset(self, kept: list[bool]) -> BackgroundTypes:
        """The types marked in ``kept`` (the others' pixels go to the nearest kept one)."""
        return BackgroundTypes(self.mean, self.axes, self.centres[np.asarray(kept)])

    def assign(self, scaled: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """int ``(y, x)`` type of each pixel of a scaled ``(band, y, x)`` cube; -1 where invalid."""
        projected = np.zeros((len(self.axes), *valid.shape))
        for band, values in enumerate(_smoothed_bands(scaled, valid)):
            projected += self.axes[:, band, None, None] * (values - self.mean[band])
        pixels = projected[:, valid].T
        distances = ((pixels[:, None, :] - self.centres[None]) ** 2).sum(axis=2)
        labels = np.full(valid.shape, -1, dtype=np.int64)
        labels[valid] = distances.argmin(axis=1)
        return labels

    def state(self) -> dict[str, Any]:
        """A picklable state (:meth:`from_state` restores it)."""
        return {"mean": self.mean, "axes": self.axes, "centres": self.centres}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BackgroundTypes:
        """The types of a :meth:`state`."""
        return cls(state["mean"], state["axes"], state["centres"])


def _kmeans(points: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means centres and labels of ``points``: ``count`` clusters, or fewer where one of
    them comes out empty (the data hold fewer)."""
    for clusters in range(count, 1, -1):
        try:
            return kmeans2(points, clusters, seed=seed, minit="++", missing="raise")
        except ClusterError:
            continue
    return points.mean(axis=0, keepdims=True), np.zeros(len(points), dtype=np.int64)


def sample_spectra(scaled: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """float32 ``(pixels, band)`` smoothed spectra of every ``SAMPLE_STRIDE``-th valid pixel."""
    taken = np.zeros_like(valid)
    taken[::SAMPLE_STRIDE, ::SAMPLE_STRIDE] = True
    taken &= valid
    return np.stack([values[taken] for values in _smoothed_bands(scaled, valid)], axis=1)


def _smoothed_bands(scaled: np.ndarray, valid: np.ndarray):
    """Yield each band averaged over the valid pixels of a ``SMOOTHING``² window."""
    weight = ndimage.uniform_filter(valid.astype(np.float32), SMOOTHING)
    weight = np.maximum(weight, 1e-6)
    for band in scaled:
        masked = np.where(valid, band, 0).astype(np.float32)
        yield ndimage.uniform_filter(masked, SMOOTHING) / weight

"""Implanted targets of known size and abundance, for stress tests of a detector.

A real scene gets compact blobs (and clusters of small blobs) of a foreign
spectrum mixed linearly into its pixels, ``x' = (1 - a)·x + a·t``, where
``a`` is the target's abundance and ``t`` the foreign spectrum (resampled to
the scene's band count) plus noise of the scene's level. The
implant labels every target, so a detector's ROC AUC can be taken per target
size. Everything is a function of the seed: the same call gives the same
cube and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: Default layout: (kind, pixels, copies). ``blob``: one compact blob of that many
#: pixels; ``cluster``: that many pixels split into blobs of about 25 pixels, close together.
STRESS_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("blob", 1, 4),
    ("blob", 4, 3),
    ("blob", 16, 3),
    ("blob", 64, 1),
    ("blob", 200, 1),
    ("cluster", 200, 1),
)

#: Gap in pixels kept between targets and around pixels to avoid.
GAP = 2


@dataclass(frozen=True)
class Target:
    """One implanted target: its kind, its size in pixels and its abundance."""

    kind: str
    pixels: int
    abundance: float

    @property
    def size_class(self) -> str:
        """``blob-200``, ``cluster-200`` …: targets pooled in a size table."""
        return f"{self.kind}-{self.pixels}"


@dataclass(frozen=True)
class Implant:
    """A cube with implanted targets."""

    cube: np.ndarray
    """float32 ``(band, y, x)``."""
    labels: np.ndarray
    """int32 ``(y, x)``: 0 outside targets, ``i + 1`` inside ``targets[i]``."""
    targets: tuple[Target, ...]

    def size_mask(self, size_class: str) -> np.ndarray:
        """Boolean ``(y, x)``: the pixels of every target of ``size_class``."""
        ids = [i + 1 for i, t in enumerate(self.targets) if t.size_class == size_class]
        return np.isin(self.labels, ids)


def resample_spectrum(spectrum: np.ndarray, bands: int) -> np.ndarray:
    """Interpolate ``spectrum`` linearly to ``bands`` samples over the same band range."""
    spectrum = np.asarray(spectrum, dtype=np.float64)
    source = np.linspace(0.0, 1.0, spectrum.size)
    return np.interp(np.linspace(0.0, 1.0, bands), source, spectrum)


def foreign_spectrum(
    host: np.ndarray, donor: np.ndarray, donor_truth: np.ndarray | None = None
) -> np.ndarray:
    """A material of another scene carried into the units of ``host`` (both ``(band, y, x)``).

    The donor pixel (not marked in ``donor_truth``) whose spectral angle to the
    donor scene's mean spectrum is the 90th percentile (a common material,
    unlike the average ground), divided by that mean, resampled to the host's
    bands and multiplied by the host's mean spectrum: the donor's contrast to
    its own ground, brightness included, on the host's ground.
    """
    pixels = donor.reshape(donor.shape[0], -1).astype(np.float64)
    if donor_truth is not None:
        pixels = pixels[:, np.asarray(donor_truth).ravel() == 0]
    mean = pixels.mean(axis=1)
    cosine = (mean @ pixels) / (np.linalg.norm(pixels, axis=0) * np.linalg.norm(mean) + 1e-30)
    order = np.argsort(np.arccos(np.clip(cosine, -1.0, 1.0)), kind="stable")
    chosen = pixels[:, order[int(0.9 * (len(order) - 1))]]
    ratio = resample_spectrum(chosen / np.maximum(mean, 1e-30), host.shape[0])
    return ratio * host.reshape(host.shape[0], -1).astype(np.float64).mean(axis=1)


def blob_offsets(pixels: int, rng: np.random.Generator) -> np.ndarray:
    """``(pixels, 2)`` row/column offsets of a compact, irregular blob around (0, 0).

    The pixels nearest the centre after a random jitter of up to 1.5 pixels
    of distance: a rough disc with a ragged edge.
    """
    radius = int(np.ceil(np.sqrt(pixels / np.pi))) + 2
    rows, cols = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    distance = np.hypot(rows, cols) + rng.uniform(0.0, 1.5, rows.shape)
    distance[radius, radius] = -1.0  # the centre always belongs
    order = np.argsort(distance, axis=None, kind="stable")[:pixels]
    return np.stack([rows.ravel()[order], cols.ravel()[order]], axis=1)


def cluster_offsets(pixels: int, rng: np.random.Generator, part: int = 25) -> np.ndarray:
    """Offsets of ``pixels`` pixels in blobs of about ``part`` pixels, spread over a square.

    The square's side is about 2.5 × the side of one blob of all the pixels,
    so the blobs cover roughly a sixth of it and stay apart.
    """
    count = max(1, round(pixels / part))
    sizes = np.full(count, pixels // count)
    sizes[: pixels % count] += 1
    side = int(np.ceil(2.5 * np.sqrt(pixels)))
    taken: set[tuple[int, int]] = set()
    blocked: set[tuple[int, int]] = set()
    for size in sizes:
        blob = blob_offsets(int(size), rng)
        for _ in range(1000):
            centre = rng.integers(0, side, 2)
            cells = {(int(r), int(c)) for r, c in blob + centre}
            if not cells & blocked:
                break
        else:
            raise ValueError(f"cannot fit a cluster of {pixels} pixels in {side}×{side}")
        taken |= cells
        blocked |= {(r + dr, c + dc) for r, c in cells for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
    offsets = np.array(sorted(taken))
    return offsets - np.round(offsets.mean(axis=0)).astype(int)


def implant_targets(
    cube: np.ndarray,
    spectrum: np.ndarray,
    *,
    abundance: float | Sequence[float],
    seed: int,
    layout: Sequence[tuple[str, int, int]] = STRESS_LAYOUT,
    avoid: np.ndarray | None = None,
) -> Implant:
    """Mix ``spectrum`` into ``cube`` at targets placed at random, as ``layout`` lists them.

    Parameters
    ----------
    cube : np.ndarray
        ``(band, y, x)`` scene in its own units.
    spectrum : np.ndarray
        The foreign spectrum in the cube's units, any number of samples
        (resampled to the cube's band count); Gaussian noise of the scene's
        level (:func:`noise_level`) is added to it per pixel.
    abundance : float or sequence of float
        The fraction of the foreign spectrum in a target's pixels (0–1); a
        sequence is cycled over the targets in layout order.
    seed : int
        Seeds the shapes and the positions.
    layout : sequence of (kind, pixels, copies)
        ``kind`` is ``"blob"`` or ``"cluster"``; see :data:`STRESS_LAYOUT`.
    avoid : np.ndarray, optional
        Boolean ``(y, x)``: pixels no target may touch (within :data:`GAP`),
        e.g. the scene's own anomalies.

    Raises
    ------
    ValueError
        If the targets do not fit in the scene.
    """
    cube = np.asarray(cube, dtype=np.float32)
    bands, height, width = cube.shape
    abundances = [abundance] if np.isscalar(abundance) else list(abundance)
    rng = np.random.default_rng(seed)
    blocked = np.zeros((height, width), dtype=bool) if avoid is None else _grow(avoid, GAP)
    labels = np.zeros((height, width), dtype=np.int32)
    targets: list[Target] = []
    for kind, pixels, copies in layout:
        for _ in range(copies):
            shape = blob_offsets(pixels, rng) if kind == "blob" else cluster_offsets(pixels, rng)
            rows, cols = _place(shape, blocked, rng)
            target = Target(kind, pixels, float(abundances[len(targets) % len(abundances)]))
            targets.append(target)
            labels[rows, cols] = len(targets)
            footprint = np.zeros_like(blocked)
            footprint[rows, cols] = True
            blocked |= _grow(footprint, GAP)
    foreign = resample_spectrum(spectrum, bands)
    fraction = np.zeros((height, width), dtype=np.float32)
    for index, target in enumerate(targets, start=1):
        fraction[labels == index] = target.abundance
    # the target's own pixels carry sensor noise, as the scene's do
    noise = rng.standard_normal(cube.shape, dtype=np.float32) * noise_level(cube)[:, None, None]
    material = foreign.astype(np.float32)[:, None, None] + noise
    implanted = (1.0 - fraction) * cube + fraction * material
    return Implant(implanted.astype(np.float32), labels, tuple(targets))


def noise_level(cube: np.ndarray) -> np.ndarray:
    """Per-band noise standard deviation: a robust spread of horizontal neighbour differences.

    ``1.4826 · MAD(x[y, c+1] - x[y, c]) / √2``: texture shows in few differences,
    so the median absolute deviation mostly sees the noise.
    """
    differences = np.diff(np.asarray(cube, dtype=np.float64), axis=2).reshape(cube.shape[0], -1)
    centred = differences - np.median(differences, axis=1, keepdims=True)
    return 1.4826 * np.median(np.abs(centred), axis=1) / np.sqrt(2.0)


def _place(
    offsets: np.ndarray, blocked: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of ``offsets`` moved to a random free position inside the scene."""
    height, width = blocked.shape
    lo = -offsets.min(axis=0)
    hi = np.array([height, width]) - offsets.max(axis=0)
    if np.any(hi <= lo):
        raise ValueError(f"a target of {len(offsets)} pixels does not fit in {height}×{width}")
    for _ in range(5000):
        centre = rng.integers(lo, hi)
        rows, cols = (offsets + centre).T
        if not blocked[rows, cols].any():
            return rows, cols
    raise ValueError(
        f"a target of {len(offsets)} pixels does not fit in {height}×{width} beside the others"
    )


def _grow(mask: np.ndarray, by: int) -> np.ndarray:
    """``mask`` dilated by a ``(2·by + 1)`` square."""
    return ndimage.binary_dilation(mask, np.ones((2 * by + 1, 2 * by + 1), dtype=bool))

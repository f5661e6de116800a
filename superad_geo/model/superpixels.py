"""Superpixels: SLIC on a three-channel composite of the cube (§2 of the method)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from skimage.segmentation import slic

REFERENCE_BANDS = (54, 34, 14)
"""0-based bands of the authors' 204-band AVIRIS cube used for the reference composite."""

COLOUR_INFRARED_NM = (900.0, 730.0, 530.0)
"""Near-infrared, red-edge and green: the reference composite's wavelengths."""

_PIXELS_PER_BLOCK = 65_536
"""Pixels converted to float64 at a time by the PCA composite (100 MB at 200 bands)."""


def composite(
    cube: np.ndarray,
    valid: np.ndarray,
    method: str = "auto",
    wavelengths: Sequence[float] | None = None,
) -> np.ndarray:
    """Build the (rows, cols, 3) image that SLIC segments.

    Parameters
    ----------
    cube : np.ndarray
        Scaled cube, shape ``(band, y, x)``.
    valid : np.ndarray
        Boolean ``(y, x)`` validity mask.
    method : {"auto", "reference", "cir", "pca"}
        ``reference``: bands ``round(p·C/204)``, p = 54, 34, 14, of the cube
        divided by its maximum (the authors' rule). ``cir``: the bands nearest
        900, 730 and 530 nm (needs ``wavelengths``). ``pca``: the first three
        principal components. ``auto``: ``cir`` when wavelengths are known and
        span 530–900 nm, else ``pca``.
    wavelengths : sequence of float, optional
        Band centres in nanometres.
    """
    bands = cube.shape[0]
    if method == "auto":
        spans = wavelengths is not None and min(wavelengths) <= 560 and max(wavelengths) >= 860
        method = "cir" if spans else "pca"
    if method == "reference":
        picks = [min(round(p * bands / 204), bands - 1) for p in REFERENCE_BANDS]
        image = cube[picks] / cube[:, valid].max()
        return np.moveaxis(image, 0, -1).astype(np.float64)
    if method == "cir":
        if wavelengths is None:
            raise ValueError("the 'cir' composite needs band wavelengths")
        centres = np.asarray(wavelengths, dtype=float)
        picks = [int(np.argmin(np.abs(centres - nm))) for nm in COLOUR_INFRARED_NM]
        image = np.moveaxis(cube[picks], 0, -1).astype(np.float64)
    elif method == "pca":
        image = _principal_components(cube, valid, 3)
    else:
        raise ValueError(f"unknown composite {method!r}; choose auto, reference, cir or pca")
    return _unit_range(image, valid)


def segment(
    image: np.ndarray, valid: np.ndarray, *, n_segments: int, compactness: float, max_num_iter: int
) -> tuple[np.ndarray, int]:
    """Run SLIC on ``image`` (rows, cols, 3) over the valid pixels.

    Returns
    -------
    labels : np.ndarray
        int64 ``(rows, cols)``: superpixels numbered ``0 .. S-1``, invalid
        pixels labelled ``S``.
    count : int
        The number of superpixels ``S``.
    """
    with warnings.catch_warnings():
        # under a mask, SLIC seeds by k-means, which warns of a seed left without pixels
        warnings.filterwarnings("ignore", "One of the clusters is empty")
        raw = slic(
            image,
            n_segments=max(1, int(n_segments)),
            compactness=compactness,
            max_num_iter=max_num_iter,
            channel_axis=-1,
            start_label=1,
            mask=None if valid.all() else valid,
        )
    # under a mask, SLIC asked for one segment labels none (a thin strip, one pixel):
    # valid pixels it left out make one superpixel of their own
    raw = np.where(valid & (raw == 0), raw.max() + 1, raw)
    ids, inverse = np.unique(np.where(valid, raw, 0), return_inverse=True)
    inverse = inverse.reshape(raw.shape)
    if ids[0] == 0:  # label 0 only marks masked pixels
        inverse = inverse - 1
    count = int(len(ids) - (ids[0] == 0))
    labels = np.where(valid, inverse, count).astype(np.int64)
    return labels, count


def _principal_components(cube: np.ndarray, valid: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` principal components, ``(y, x, count)`` float64.

    Computed in float64 over blocks of pixels, so that memory stays at a block
    rather than float64 copies of the whole cube (a 592² tile of 200 bands
    would need three of 1.7 GB).
    """
    bands = cube.shape[0]
    flat = cube.reshape(bands, -1)
    chunks = [
        slice(start, start + _PIXELS_PER_BLOCK)
        for start in range(0, flat.shape[1], _PIXELS_PER_BLOCK)
    ]
    valid_flat = valid.reshape(-1)
    total = np.zeros(bands)
    for chunk in chunks:
        total += flat[:, chunk][:, valid_flat[chunk]].sum(axis=1, dtype=np.float64)
    mean = total / valid_flat.sum()
    scatter = np.zeros((bands, bands))
    for chunk in chunks:
        centred = flat[:, chunk][:, valid_flat[chunk]].astype(np.float64) - mean[:, None]
        scatter += centred @ centred.T
    _, vectors = np.linalg.eigh(scatter)
    basis = vectors[:, ::-1][:, :count]
    # fix each component's sign so the result does not depend on the solver
    basis = basis * np.sign(basis.sum(axis=0) + 1e-30)
    components = np.empty((count, flat.shape[1]))
    for chunk in chunks:
        components[:, chunk] = basis.T @ flat[:, chunk].astype(np.float64)
    return np.moveaxis(components.reshape(count, *cube.shape[1:]), 0, -1)


def _unit_range(image: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Min-max each channel over the valid pixels into [0, 1] (SLIC's Lab step expects it)."""
    lo = image[valid].min(axis=0)
    hi = image[valid].max(axis=0)
    return np.clip((image - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)

"""Deterministic synthetic georeferenced hyperspectral scenes with implanted anomalies.

A scene is a linear mixture of a few smooth material spectra whose
abundances are smooth random fields, plus Gaussian noise, with small
anomalies (whole-pixel and sub-pixel, 1-4 pixels wide) of distinct spectra
implanted, and a ground-truth raster marking them. Everything is a function
of the seed and of the pixel position only, so a scene of any size is built
lazily block by block (dask) and any window of it is the same whatever the
chunking.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

#: Default origin (upper-left corner) in WGS 84 / UTM zone 33N, metres.
DEFAULT_ORIGIN = (370_000.0, 5_810_000.0)


#: Side of the fixed blocks the noise is drawn in (independent of dask chunks).
NOISE_BLOCK = 64


def _noise(seed: int, bands: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Standard normal noise of a window; a function of (seed, pixel, band) only.

    Drawn per fixed ``NOISE_BLOCK`` square with a generator keyed by the
    block's position, then cropped, so any window gives the same values
    whatever the chunking.
    """
    out = np.empty((bands, r1 - r0, c1 - c0), dtype=np.float32)
    n = NOISE_BLOCK
    for br in range(r0 // n, (r1 - 1) // n + 1):
        for bc in range(c0 // n, (c1 - 1) // n + 1):
            rng = np.random.default_rng([seed, 7919, br, bc])
            block = rng.standard_normal((bands, n, n), dtype=np.float32)
            y0, y1 = max(br * n, r0), min((br + 1) * n, r1)
            x0, x1 = max(bc * n, c0), min((bc + 1) * n, c1)
            out[:, y0 - r0 : y1 - r0, x0 - c0 : x1 - c0] = block[
                :, y0 - br * n : y1 - br * n, x0 - bc * n : x1 - bc * n
            ]
    return out


def _spectra(rng: np.random.Generator, count: int, wavelengths: np.ndarray) -> np.ndarray:
    """Smooth reflectance-like spectra: a sloped base plus a few Gaussian bumps."""
    span = wavelengths.max() - wavelengths.min() if wavelengths.size > 1 else 1.0
    t = (wavelengths - wavelengths.min()) / span
    out = np.empty((count, wavelengths.size))
    for m in range(count):
        s = rng.uniform(0.08, 0.3) + rng.uniform(-0.1, 0.2) * t
        for _ in range(4):
            centre = rng.uniform(0.0, 1.0)
            width = rng.uniform(0.04, 0.2)
            s = s + rng.uniform(-0.12, 0.2) * np.exp(-0.5 * ((t - centre) / width) ** 2)
        out[m] = np.clip(s, 0.02, 0.9)
    return out


def _anomaly_spectra(
    rng: np.random.Generator, materials: np.ndarray, wavelengths: np.ndarray, count: int
) -> np.ndarray:
    """Spectra that stand out from the background: far from every material (RMS
    difference > 0.12) and from their mixtures (least-squares residual > 0.03),
    so that an anomaly is not just another background mixture."""
    out = []
    best, best_margin = None, -np.inf
    tries = 0
    while len(out) < count:
        cand = _spectra(rng, 1, wavelengths)[0] * rng.uniform(0.7, 1.4)
        distance = np.sqrt(((materials - cand) ** 2).mean(axis=1)).min()
        coef = np.linalg.lstsq(materials.T, cand, rcond=None)[0]
        residual = np.sqrt(((materials.T @ coef - cand) ** 2).mean())
        margin = min(distance / 0.12, residual / 0.03)
        tries += 1
        if margin > best_margin:
            best, best_margin = cand, margin
        if margin >= 1.0 or tries >= 200:
            out.append(cand if margin >= 1.0 else best)
            best, best_margin, tries = None, -np.inf, 0
    return np.stack(out)


class _SceneModel:
    """All random choices of a scene, drawn once from the seed."""

    def __init__(
        self,
        shape: tuple[int, int],
        bands: int,
        seed: int,
        materials: int,
        anomalies: int,
        feature_size: float,
        noise: float,
        wavelength_range: tuple[float, float],
    ) -> None:
        rng = np.random.default_rng(seed)
        self.shape = shape
        self.seed = seed
        self.noise = noise
        self.wavelengths = np.linspace(*wavelength_range, bands)
        self.materials = _spectra(rng, materials, self.wavelengths)
        self.anomaly_spectra = _anomaly_spectra(rng, self.materials, self.wavelengths, 3)
        waves = 6
        angle = rng.uniform(0, 2 * np.pi, (materials, waves))
        freq = rng.uniform(0.5, 1.5, (materials, waves)) * 2 * np.pi / feature_size
        self.ky, self.kx = freq * np.sin(angle), freq * np.cos(angle)
        self.phase = rng.uniform(0, 2 * np.pi, (materials, waves))
        self.amp = rng.uniform(0.5, 1.0, (materials, waves))
        rows, cols = shape
        items = []
        margin = 3
        taken = np.zeros(0, dtype=int)
        for k in range(anomalies):
            size = int(rng.integers(1, 5))
            for _ in range(50):  # rejection sampling keeps anomalies apart
                r = int(rng.integers(margin, max(rows - size - margin, margin + 1)))
                c = int(rng.integers(margin, max(cols - size - margin, margin + 1)))
                if taken.size == 0:
                    break
                dist = np.abs(taken[:, 0] - r).clip(0) + np.abs(taken[:, 1] - c)
                if dist.min() > 2 * 5 + margin:
                    break
            whole = k % 2 == 0
            fraction = 1.0 if whole else float(rng.uniform(0.25, 0.6))
            items.append((r, c, size, fraction, int(rng.integers(0, 3))))
            taken = np.vstack([taken.reshape(-1, 2), [r, c]]) if taken.size else np.array([[r, c]])
        self.anomalies = items

    def abundances(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        yy, xx = np.meshgrid(ys.astype(float), xs.astype(float), indexing="ij")
        fields = []
        for m in range(self.materials.shape[0]):
            f = np.zeros_like(yy)
            for w in range(self.ky.shape[1]):
                f += self.amp[m, w] * np.cos(
                    self.ky[m, w] * yy + self.kx[m, w] * xx + self.phase[m, w]
                )
            fields.append(f)
        stack = np.stack(fields) * 2.5
        stack = np.exp(stack - stack.max(axis=0))
        return stack / stack.sum(axis=0)

    def render(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        ys, xs = np.arange(r0, r1), np.arange(c0, c1)
        ab = self.abundances(ys, xs)
        cube = np.tensordot(self.materials.T, ab, axes=1)  # (band, y, x)
        for r, c, size, fraction, kind in self.anomalies:
            rr0, rr1 = max(r, r0), min(r + size, r1)
            cc0, cc1 = max(c, c0), min(c + size, c1)
            if rr0 >= rr1 or cc0 >= cc1:
                continue
            patch = cube[:, rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0]
            target = self.anomaly_spectra[kind][:, None, None]
            cube[:, rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0] = (
                1 - fraction
            ) * patch + fraction * target
        if self.noise > 0:
            cube += self.noise * _noise(self.seed, cube.shape[0], r0, r1, c0, c1)
        return cube.astype(np.float32)

    def truth(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        out = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
        for r, c, size, _fraction, _kind in self.anomalies:
            rr0, rr1 = max(r, r0), min(r + size, r1)
            cc0, cc1 = max(c, c0), min(c + size, c1)
            if rr0 < rr1 and cc0 < cc1:
                out[rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0] = 1
        return out


def make_scene(
    shape: tuple[int, int] = (256, 256),
    bands: int = 100,
    *,
    seed: int = 0,
    materials: int = 4,
    anomalies: int | None = None,
    feature_size: float = 64.0,
    noise: float = 0.005,
    wavelength_range: tuple[float, float] = (400.0, 2500.0),
    crs: str | None = "EPSG:32633",
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    resolution: float = 30.0,
    chunks: int = 256,
) -> tuple[xr.DataArray, xr.DataArray]:
    """Make a synthetic georeferenced scene and its ground truth, lazily.

    Parameters
    ----------
    shape : (int, int)
        Size in pixels, (rows, cols).
    bands : int
        Number of bands, evenly spaced over ``wavelength_range`` (nm).
    seed : int
        Everything (spectra, fields, anomalies, noise) is a function of it.
    materials : int
        Background materials; 1 gives a homogeneous scene (noise only).
    anomalies : int, optional
        Number of implanted anomalies, half whole-pixel and half sub-pixel
        (abundance 0.25-0.6), 1-4 pixels wide; default one per 2000 pixels.
    feature_size : float
        Typical size in pixels of the abundance patterns.
    noise : float
        Standard deviation of the Gaussian noise (reflectance units).
    crs, origin, resolution
        Georeference: upper-left corner ``origin`` (x, y) in ``crs``, square
        pixels of ``resolution`` metres (UTM zone 33N by default).
    chunks : int
        Dask chunk side in pixels (all bands per chunk).

    Returns
    -------
    (scene, truth) : (xarray.DataArray, xarray.DataArray)
        ``(band, y, x)`` float32 and ``(y, x)`` uint8, both dask-backed with
        the same CRS and transform; the scene has a ``wavelength`` coordinate
        and NaN as encoded nodata.

    Examples
    --------
    >>> scene, truth = make_scene((64, 64), 20, seed=1)
    >>> scene.shape, int(truth.sum()) > 0, str(scene.rio.crs)
    ((20, 64, 64), True, 'EPSG:32633')
    """
    rows, cols = (int(v) for v in shape)
    if anomalies is None:
        anomalies = max(1, rows * cols // 2000)
    if materials < 1:
        raise ValueError("materials must be >= 1")
    model = _SceneModel(
        (rows, cols), bands, seed, materials, anomalies, feature_size, noise, wavelength_range
    )
    row_edges = list(range(0, rows, chunks)) + [rows]
    col_edges = list(range(0, cols, chunks)) + [cols]
    cube_blocks, truth_blocks = [], []
    for r0, r1 in zip(row_edges[:-1], row_edges[1:], strict=True):
        cube_row, truth_row = [], []
        for c0, c1 in zip(col_edges[:-1], col_edges[1:], strict=True):
            cube_row.append(
                da.from_delayed(
                    dask.delayed(model.render, pure=True)(r0, r1, c0, c1),
                    (bands, r1 - r0, c1 - c0),
                    np.float32,
                )
            )
            truth_row.append(
                da.from_delayed(
                    dask.delayed(model.truth, pure=True)(r0, r1, c0, c1),
                    (r1 - r0, c1 - c0),
                    np.uint8,
                )
            )
        cube_blocks.append(cube_row)
        truth_blocks.append(truth_row)
    transform = Affine(resolution, 0.0, origin[0], 0.0, -resolution, origin[1])
    ys = origin[1] - (np.arange(rows) + 0.5) * resolution
    xs = origin[0] + (np.arange(cols) + 0.5) * resolution
    scene = xr.DataArray(
        da.block(cube_blocks),
        dims=("band", "y", "x"),
        coords={
            "band": np.arange(1, bands + 1),
            "wavelength": ("band", model.wavelengths),
            "y": ys,
            "x": xs,
        },
        name="synthetic",
        attrs={"source": f"synthetic-seed{seed}"},
    )
    truth = xr.DataArray(
        da.block(truth_blocks), dims=("y", "x"), coords={"y": ys, "x": xs}, name="truth"
    )
    for i, arr in enumerate((scene, truth)):
        if crs is not None:
            arr = arr.rio.write_crs(crs)
        arr = arr.rio.write_transform(transform)
        if i == 0:
            scene = arr.rio.write_nodata(np.nan, encoded=True)
        else:
            truth = arr
    return scene, truth

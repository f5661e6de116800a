"""EMIT L2A surface reflectance, NetCDF-4 (``reflectance`` on the swath, GLT to the map grid).

Layout (EMIT product user guide): ``reflectance`` (downtrack, crosstrack,
bands), float32, ``_FillValue`` −9999; group ``sensor_band_parameters``
with ``wavelengths`` and ``fwhm`` (nm) and ``good_wavelengths`` (0 flags a
bad band); group ``location`` with ``glt_x``/``glt_y`` (ortho_y, ortho_x):
the 1-based crosstrack and downtrack index of the swath pixel seen at each
map-grid pixel, 0 where none (negative values, backfilled pixels, count by
their magnitude); global attributes ``geotransform`` (GDAL order) and
``spatial_ref`` (WKT) of that map grid.

The scene is read on the map grid, as EMIT's own tools orthorectify it:
each map pixel takes its swath pixel's spectrum, so scores are computed and
written on the map grid with its CRS. Each dask block reads only the swath
window its GLT block points into. (GDAL 3.10's netCDF driver exposes the
swath with lat/lon geolocation arrays for warping, not this grid.)
"""

from __future__ import annotations

from collections.abc import Mapping

import dask.array as da
import numpy as np
from affine import Affine

from superad_geo.errors import InputError
from superad_geo.scene.band_metadata import BandMetadata
from superad_geo.scene.products.hdf5 import LazyDataset, h5py_module, is_hdf5, read_string
from superad_geo.scene.products.reader import RawScene, Reader, default_chunks, register

PRODUCT = "EMIT L2A reflectance"
_REQUIRED = (
    "reflectance",
    "sensor_band_parameters/wavelengths",
    "location/glt_x",
    "location/glt_y",
)


def orthorectify_block(
    glt_y: np.ndarray, glt_x: np.ndarray, swath: LazyDataset, fill: float
) -> np.ndarray:
    """The ``(band, y, x)`` map-grid block of a GLT block, read from the swath window it needs."""
    rows = np.abs(glt_y).astype(np.int64) - 1
    cols = np.abs(glt_x).astype(np.int64) - 1
    seen = (rows >= 0) & (cols >= 0)
    out = np.full((swath.shape[2], *glt_y.shape), fill, dtype=swath.dtype)
    if seen.any():
        r0, r1 = rows[seen].min(), rows[seen].max() + 1
        c0, c1 = cols[seen].min(), cols[seen].max() + 1
        window = swath[r0:r1, c0:c1, :]
        out[:, seen] = window[rows[seen] - r0, cols[seen] - c0, :].T
    return out


def check_glt(glt_y: np.ndarray, glt_x: np.ndarray, swath: tuple[int, int], path: str) -> None:
    """Refuse a GLT that points at a swath pixel the reflectance does not have.

    Raises
    ------
    InputError
        Naming the GLT, the farthest 1-based index it holds and the swath's size.
    """
    for glt, name, size in ((glt_y, "glt_y", swath[0]), (glt_x, "glt_x", swath[1])):
        farthest = int(np.abs(glt).max(initial=0))
        if farthest > size:
            raise InputError(
                f"{path!r}: location/{name} points at swath index {farthest}, beyond the "
                f"reflectance's {swath[0]} × {swath[1]} (downtrack × crosstrack) pixels"
            )


class EmitReader(Reader):
    """An EMIT L2A reflectance NetCDF-4 file."""

    def guess_can_open(self, path: str) -> bool:
        """True for a NetCDF-4/HDF5 file with EMIT's reflectance, band parameters and GLT."""
        if not is_hdf5(path):
            return False
        with h5py_module().File(path, "r") as f:
            return all(name in f for name in _REQUIRED) and f["reflectance"].ndim == 3

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        """Read an EMIT L2A reflectance file lazily on its GLT map grid."""
        with h5py_module().File(path, "r") as f:
            reflectance = f["reflectance"]
            swath_shape, bands = reflectance.shape[:2], reflectance.shape[2]
            fill = float(np.ravel(reflectance.attrs.get("_FillValue", [-9999.0]))[0])
            params = f["sensor_band_parameters"]
            wavelength = np.asarray(params["wavelengths"][()], dtype=float)
            known = {"wavelength": wavelength}
            if "fwhm" in params:
                known["fwhm"] = np.asarray(params["fwhm"][()], dtype=float)
            if "good_wavelengths" in params:
                known["bbl"] = np.asarray(params["good_wavelengths"][()]) != 0
            glt_x = np.asarray(f["location/glt_x"][()])
            glt_y = np.asarray(f["location/glt_y"][()])
            if "geotransform" not in f.attrs:
                raise InputError(f"{path!r}: EMIT file without a 'geotransform' attribute")
            transform = Affine.from_gdal(*(float(v) for v in np.ravel(f.attrs["geotransform"])[:6]))
            crs = read_string(f.attrs["spatial_ref"]) if "spatial_ref" in f.attrs else None
        if wavelength.shape != (bands,) or glt_x.shape != glt_y.shape:
            raise InputError(f"{path!r}: inconsistent EMIT band parameters or GLT")
        check_glt(glt_y, glt_x, swath_shape, path)
        size = dict(chunks) if chunks is not None else default_chunks(bands, 4)
        block = (size.get("y", glt_y.shape[0]), size.get("x", glt_y.shape[1]))
        gy = da.from_array(glt_y, chunks=block)
        gx = da.from_array(glt_x, chunks=block)
        swath = LazyDataset(path, "reflectance")
        data = da.map_blocks(
            orthorectify_block,
            gy,
            gx,
            swath=swath,
            fill=fill,
            dtype=swath.dtype,
            new_axis=0,
            chunks=((bands,), *gy.chunks),
        )
        return RawScene(
            data=data,
            bands=BandMetadata.of(bands, **known, nodata=fill),
            transform=transform,
            crs=crs,
            product=PRODUCT,
        )


EMIT = register(EmitReader())

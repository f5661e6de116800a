"""PRISMA L2D surface reflectance, HDF-EOS5 (``.he5``): VNIR and SWIR cubes on a UTM grid.

Layout (PRISMA product specification): under
``HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields`` the uint16 cubes ``VNIR_Cube``
and ``SWIR_Cube``, stored band-interleaved by line, ``(line, band,
sample)``; under ``Geolocation Fields`` the ``Latitude``/``Longitude`` of
each pixel, ``(line, sample)``. Root attributes: central wavelengths and
FWHM (nm) ``List_Cw_Vnir``, ``List_Fwhm_Vnir``, ``List_Cw_Vnir_Flags``
(0: band not delivered) and the SWIR ones; the scaling
``reflectance = L2ScaleVnirMin + DN · (L2ScaleVnirMax − L2ScaleVnirMin) / 65535``
(SWIR alike); ``Epsg_Code``; ``Product_ULcorner_easting/northing`` and
``Product_LRcorner_easting/northing``, taken as the centres of the corner
pixels.

The scene is the VNIR bands then the SWIR bands, in the product's order
(each list runs from long to short wavelengths). Which cube axis runs
north–south is read from the latitudes, not assumed: lines must run
north to south (latitude falling along the line axis, not along the
samples), else the file is refused. DN 0 is fill (outside the footprint).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask.array as da
import numpy as np
from affine import Affine

from superad_geo.errors import AmbiguousInputError, InputError
from superad_geo.scene.band_metadata import BandMetadata, check_scale
from superad_geo.scene.products.hdf5 import LazyDataset, h5py_module, is_hdf5
from superad_geo.scene.products.reader import RawScene, Reader, default_chunks, register

PRODUCT = "PRISMA L2D reflectance"
SWATH = "HDFEOS/SWATHS/PRS_L2D_HCO"
_DN_MAX = 65535.0


def _attr(attrs: Any, name: str) -> np.ndarray:
    if name not in attrs:
        raise InputError(f"PRISMA L2D file without the attribute {name!r}")
    return np.ravel(np.asarray(attrs[name], dtype=float))


def check_lines_run_south(latitude: np.ndarray, path: str) -> None:
    """Refuse a cube whose line axis is not the north–south axis running south."""
    down = float(np.nanmedian(np.diff(latitude, axis=0))) if latitude.shape[0] > 1 else 0.0
    across = float(np.nanmedian(np.diff(latitude, axis=1))) if latitude.shape[1] > 1 else 0.0
    if not (down < 0 and abs(down) > abs(across)):
        raise AmbiguousInputError(
            f"{path!r}: latitude changes by {down:.3g}° per line and {across:.3g}° per sample; "
            "PRISMA L2D lines must run north to south, so the axis order cannot be told"
        )


def _detector(f: Any, name: str) -> BandMetadata:
    attrs = f.attrs
    key = name.capitalize()
    wavelength = _attr(attrs, f"List_Cw_{key}")
    fwhm = _attr(attrs, f"List_Fwhm_{key}")
    flags = _attr(attrs, f"List_Cw_{key}_Flags")
    lo, hi = _attr(attrs, f"L2Scale{key}Min")[0], _attr(attrs, f"L2Scale{key}Max")[0]
    check_scale(hi - lo, f"L2Scale{key}Max - L2Scale{key}Min ({hi:g} - {lo:g})", f.filename)
    bands = wavelength.size
    return BandMetadata.of(
        bands,
        wavelength=np.where(wavelength > 0, wavelength, np.nan),
        fwhm=np.where(fwhm > 0, fwhm, np.nan),
        bbl=(flags != 0) & (wavelength > 0),
        scale=np.full(bands, (hi - lo) / _DN_MAX),
        offset=np.full(bands, lo),
        nodata=0.0,
    )


class PrismaReader(Reader):
    """A PRISMA L2D reflectance HE5 file."""

    def guess_can_open(self, path: str) -> bool:
        """True for an HE5 file with PRISMA L2D's VNIR and SWIR cubes."""
        if not is_hdf5(path):
            return False
        with h5py_module().File(path, "r") as f:
            return f"{SWATH}/Data Fields/VNIR_Cube" in f and f"{SWATH}/Data Fields/SWIR_Cube" in f

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        """Read a PRISMA L2D file lazily: VNIR then SWIR bands, UTM grid from the corner pixels."""
        with h5py_module().File(path, "r") as f:
            latitude = np.asarray(f[f"{SWATH}/Geolocation Fields/Latitude"][()], dtype=float)
            metas = [_detector(f, name) for name in ("vnir", "swir")]
            attrs = f.attrs
            epsg = int(_attr(attrs, "Epsg_Code")[0])
            ul = (
                _attr(attrs, "Product_ULcorner_easting")[0],
                _attr(attrs, "Product_ULcorner_northing")[0],
            )
            lr = (
                _attr(attrs, "Product_LRcorner_easting")[0],
                _attr(attrs, "Product_LRcorner_northing")[0],
            )
        check_lines_run_south(latitude, path)
        cubes = [LazyDataset(path, f"{SWATH}/Data Fields/{n}_Cube") for n in ("VNIR", "SWIR")]
        lines, samples = cubes[0].shape[0], cubes[0].shape[2]
        for cube, meta in zip(cubes, metas, strict=True):
            if cube.shape != (lines, meta.count, samples):
                raise InputError(
                    f"{path!r}: {cube.name} has shape {cube.shape}, expected (line, band, sample) "
                    f"with {meta.count} bands and {lines}×{samples} pixels"
                )
        if latitude.shape != (lines, samples) or min(lines, samples) < 2:
            raise InputError(
                f"{path!r}: Latitude has shape {latitude.shape}, the cubes {lines}×{samples}"
            )
        size = (
            dict(chunks)
            if chunks is not None
            else default_chunks(sum(c.shape[1] for c in cubes), 4)
        )
        block = (size.get("y", lines), -1, size.get("x", samples))
        data = da.concatenate(
            [da.from_array(cube, chunks=block).transpose(1, 0, 2) for cube in cubes], axis=0
        )
        x_size = (lr[0] - ul[0]) / (samples - 1)
        y_size = (ul[1] - lr[1]) / (lines - 1)
        transform = Affine(x_size, 0.0, ul[0] - x_size / 2, 0.0, -y_size, ul[1] + y_size / 2)
        return RawScene(
            data=data,
            bands=BandMetadata.concatenate(metas),
            transform=transform,
            crs=f"EPSG:{epsg}",
            product=PRODUCT,
        )


PRISMA = register(PrismaReader())

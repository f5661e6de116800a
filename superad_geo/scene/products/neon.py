"""NEON AOP surface reflectance, HDF5 (``<SITE>/Reflectance/Reflectance_Data``).

The cube is stored ``(y, x, band)`` as integers, with the attributes
``Scale_Factor`` (divide by it) and ``Data_Ignore_Value`` (nodata);
wavelengths (and FWHM, in full products) under
``Metadata/Spectral_Data``; the grid as an ENVI ``Map_Info`` string and an
``EPSG Code`` under ``Metadata/Coordinate_System``. Bands inside the
``Band_Window_*_Nanometers`` ranges (the water-vapour windows) are flagged bad.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask.array as da
import numpy as np
from affine import Affine

from superad_geo.errors import InputError
from superad_geo.scene.band_metadata import BandMetadata, check_scale, wavelength_factor
from superad_geo.scene.products.hdf5 import LazyDataset, h5py_module, is_hdf5, read_string
from superad_geo.scene.products.reader import RawScene, Reader, default_chunks, register

PRODUCT = "NEON AOP reflectance"
_DATA = "Reflectance/Reflectance_Data"


def _cube_name(f: Any) -> str | None:
    names = [f"{site}/{_DATA}" for site in f if f"{site}/{_DATA}" in f]
    return names[0] if len(names) == 1 else None


def map_info_transform(map_info: str) -> Affine:
    """The affine transform of an ENVI ``map info`` string.

    Its items 2-7 are the reference pixel (x, y; 1-based, (1, 1) being the
    upper-left corner of the first pixel), its easting and northing, and the
    pixel size in x and y. A rotation (``rotation=<degrees>``) is refused.
    """
    items = [item.strip() for item in map_info.strip().strip("{}").split(",")]
    if any(item.lower().startswith("rotation") for item in items):
        raise InputError(f"rotated map info is not supported: {map_info!r}")
    try:
        ref_x, ref_y, east, north, size_x, size_y = (float(v) for v in items[1:7])
    except (ValueError, IndexError) as exc:
        raise InputError(f"cannot read the map info {map_info!r}") from exc
    return Affine(
        size_x, 0.0, east - (ref_x - 1.0) * size_x, 0.0, -size_y, north + (ref_y - 1.0) * size_y
    )


class NeonReader(Reader):
    """A NEON AOP reflectance HDF5 file."""

    def guess_can_open(self, path: str) -> bool:
        """True for an HDF5 file with one ``<SITE>/Reflectance/Reflectance_Data`` cube."""
        if not is_hdf5(path):
            return False
        with h5py_module().File(path, "r") as f:
            return _cube_name(f) is not None

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        """Read the reflectance cube of a NEON AOP HDF5 file lazily."""
        with h5py_module().File(path, "r") as f:
            name = _cube_name(f)
            cube = f[name]
            rows, cols, bands = cube.shape
            reflectance = f[name.rsplit("/", 1)[0]]
            spectral = reflectance["Metadata/Spectral_Data"]
            wl_item = spectral["Wavelength"]
            wavelength = np.asarray(wl_item[()], dtype=float)
            units = read_string(wl_item.attrs["Units"]) if "Units" in wl_item.attrs else None
            factor = wavelength_factor(units, wavelength)
            wavelength = wavelength * factor
            known = {"wavelength": wavelength}
            if "FWHM" in spectral:
                known["fwhm"] = np.asarray(spectral["FWHM"][()], dtype=float) * factor
            bbl = np.ones(bands, dtype=bool)
            for key, value in cube.attrs.items():
                if key.startswith("Band_Window") and np.size(value) == 2:
                    lo, hi = sorted(float(v) for v in np.ravel(value))
                    bbl &= ~((wavelength >= lo) & (wavelength <= hi))
            scale = float(np.ravel(cube.attrs.get("Scale_Factor", [1.0]))[0])
            check_scale(scale, "Scale_Factor", path)
            nodata = cube.attrs.get("Data_Ignore_Value")
            coords = reflectance["Metadata/Coordinate_System"]
            transform = map_info_transform(read_string(coords["Map_Info"]))
            crs = f"EPSG:{int(read_string(coords['EPSG Code']))}" if "EPSG Code" in coords else None
        if wavelength.shape != (bands,):
            raise InputError(f"{path!r}: {wavelength.size} wavelengths for {bands} bands")
        size = dict(chunks) if chunks is not None else default_chunks(bands, 4)
        data = da.from_array(
            LazyDataset(path, name),
            chunks=(size.get("y", rows), size.get("x", cols), -1),
        ).transpose(2, 0, 1)
        return RawScene(
            data=data,
            bands=BandMetadata.of(
                bands,
                **known,
                bbl=bbl,
                scale=np.full(bands, 1.0 / scale),
                nodata=None if nodata is None else float(np.ravel(nodata)[0]),
            ),
            transform=transform,
            crs=crs,
            product=PRODUCT,
        )


NEON = register(NeonReader())

"""Any raster GDAL reads (GeoTIFF, ENVI, VRT, ``/vsi`` paths, dataset names): the fallback reader.

Band metadata comes from :func:`~superad_geo.scene.band_metadata.read_band_metadata`.
A sensor-geometry raster (no CRS, no geotransform, no GCPs) with a ``_loc``
companion is placed by it (:mod:`superad_geo.scene.geolocation`), and the
companion is one of the files the input is read from. HDF5 and NetCDF
containers whose datasets GDAL cannot tell apart are refused, naming them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import rasterio
import rioxarray
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from superad_geo.errors import AmbiguousInputError, InputError
from superad_geo.scene.band_metadata import read_band_metadata
from superad_geo.scene.geolocation import find_geolocation, loc_companion
from superad_geo.scene.products.hdf5 import array_datasets, subdataset_name
from superad_geo.scene.products.reader import (
    RawScene,
    Reader,
    default_chunks,
    gdal_files,
    register,
)


class GdalReader(Reader):
    """Any raster GDAL reads, as GDAL reads it."""

    def guess_can_open(self, path: str) -> bool:
        return True

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(path) as ds:
                    refuse_container(path, ds)
                    bands = read_band_metadata(ds)
                    count, driver = ds.count, ds.driver
                    geolocation = None
                    if ds.crs is None and ds.transform.is_identity and not ds.gcps[0]:
                        geolocation = find_geolocation(path, ds.height, ds.width)
                chunks = dict(chunks) if chunks is not None else default_chunks(count, 4)
                raw = rioxarray.open_rasterio(path, chunks=chunks, mask_and_scale=False, lock=False)
        except RasterioIOError as exc:
            raise InputError(
                f"cannot read {path!r} as a raster ({exc}); give a GDAL-readable file "
                "(GeoTIFF, ENVI .hdr/.img, VRT, ...) or a .mat benchmark cube"
            ) from exc
        return RawScene(
            data=raw.data,
            bands=bands,
            transform=raw.rio.transform(),
            crs=raw.rio.crs,
            product=driver,
            geolocation=geolocation,
        )

    def files(self, path: str) -> list[Path]:
        """What GDAL lists for ``path``, and the ``_loc`` file placing it, with its header."""
        loc = loc_companion(path)
        return gdal_files(path) + ([] if loc is None else gdal_files(loc))


def refuse_container(path: str, ds: rasterio.io.DatasetReader) -> None:
    """Refuse an HDF5/NetCDF container whose datasets GDAL cannot tell apart for us.

    Raises
    ------
    AmbiguousInputError
        If GDAL lists subdatasets (several cubes, no product layout we know),
        or opened the only dataset of an HDF5 file by itself (GDAL then takes
        the first axis as bands, which it cannot know).
    """
    hdf5 = ds.driver.startswith("HDF5") and not path.upper().startswith("HDF5:")
    if not ds.subdatasets and not hdf5:
        return
    if hdf5:
        found = [f"{subdataset_name(path, n)} {s}" for n, s in array_datasets(path).items()]
    else:
        found = list(ds.subdatasets)
    if not found:
        raise InputError(f"{path!r} holds no dataset of two or more dimensions: no cube to read")
    if len(found) > 1:
        raise AmbiguousInputError(
            f"{path!r} holds {len(found)} datasets and no product layout superad-geo knows; "
            f"give one of them as the input: {', '.join(found)}"
        )
    raise AmbiguousInputError(
        f"{path!r} holds one dataset, {''.join(found)}, in no product layout superad-geo "
        "knows, so its axis order cannot be told: give that dataset name as the input "
        "if its axes are (band, y, x)"
    )


GDAL = register(GdalReader(), fallback=True)

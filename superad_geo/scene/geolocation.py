"""Sensor-geometry scenes placed by geolocation arrays: airborne radiance and its ``_loc`` file.

AVIRIS-3, AVIRIS-NG and PRISM L1B radiance (``*_rdn*``, ENVI) comes in the
instrument's geometry, without a map grid; a ``_loc`` companion of the same
rows and columns holds each pixel centre's longitude and latitude (bands 1
and 2, degrees, WGS 84) and elevation (band 3). The scene is scored in that
geometry (each pixel beside its neighbours as the sensor saw them, none
duplicated or dropped by resampling) and the scores are written on the same
grid with GDAL's ``GEOLOCATION`` metadata domain pointing at the ``_loc``
bands, so that GDAL places them: ``gdalwarp -geoloc``, QGIS's *Warp
(reproject)* with ``-geoloc``, rasterio's ``WarpedVRT``. The domain names the
``_loc`` file by its absolute path (GDAL opens a relative one from the
working folder, not the raster's), so the ``_loc`` file must stay where it
was when the scene was scored. ``docs/scenes.md`` explains the choice.
"""

from __future__ import annotations

import os
import re

import numpy as np
import rasterio
from rasterio.crs import CRS

from superad_geo.errors import InputError

__all__ = ["LOC_BANDS", "find_geolocation", "geolocation_metadata", "loc_companion"]

#: Bands of a ``_loc`` file holding longitude and latitude (1-based).
LOC_BANDS = (1, 2)

_RDN = re.compile(r"_rdn(?!.*_rdn)")  # the last "_rdn" of a file name


def loc_companion(path: str | os.PathLike) -> str | None:
    """The ``_loc`` file beside a ``_rdn`` radiance file (``X_rdn.img`` → ``X_loc.img``), if any.

    >>> loc_companion("/nowhere/AV320250308t200738_rdn.img") is None
    True
    """
    folder, name = os.path.split(os.fspath(path))
    if not _RDN.search(name):
        return None
    candidate = os.path.join(folder, _RDN.sub("_loc", name))
    return os.path.abspath(candidate) if os.path.isfile(candidate) else None


def find_geolocation(path: str | os.PathLike, rows: int, cols: int) -> str | None:
    """The ``_loc`` file that places a ``rows`` × ``cols`` sensor-geometry raster, checked.

    Returns
    -------
    str or None
        The absolute path of the ``_loc`` companion, or None without one.

    Raises
    ------
    InputError
        If the companion does not match the raster's size or does not hold
        longitude and latitude in degrees in its bands 1 and 2.
    """
    loc = loc_companion(path)
    if loc is None:
        return None
    name = os.path.basename(loc)
    try:
        with rasterio.open(loc) as ds:
            if (ds.height, ds.width) != (rows, cols) or ds.count < 2:
                raise InputError(
                    f"the geolocation file {name!r} has {ds.count} band(s) of {ds.height}×"
                    f"{ds.width} pixels but the scene has {rows}×{cols}; it needs longitude "
                    "and latitude for every pixel"
                )
            step = max(1, max(rows, cols) // 64)  # a decimated look is enough for the ranges
            shape = (2, -(-rows // step), -(-cols // step))
            lon, lat = ds.read(list(LOC_BANDS), out_shape=shape).astype(np.float64)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read the geolocation file {name!r}: {exc}") from None
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any() or np.abs(lon[finite]).max() > 180 or np.abs(lat[finite]).max() > 90:
        raise InputError(
            f"the geolocation file {name!r} does not hold longitude and latitude in degrees "
            f"in bands {LOC_BANDS[0]} and {LOC_BANDS[1]}"
        )
    return loc


def geolocation_metadata(loc: str) -> dict[str, str]:
    """GDAL's ``GEOLOCATION`` metadata domain for a raster on the grid of the ``_loc`` file ``loc``.

    The ``_loc`` values are pixel centres (``GEOREFERENCING_CONVENTION=PIXEL_CENTER``).
    """
    return {
        "SRS": CRS.from_epsg(4326).to_wkt(),
        "X_DATASET": loc,
        "X_BAND": str(LOC_BANDS[0]),
        "Y_DATASET": loc,
        "Y_BAND": str(LOC_BANDS[1]),
        "PIXEL_OFFSET": "0",
        "LINE_OFFSET": "0",
        "PIXEL_STEP": "1",
        "LINE_STEP": "1",
        "GEOREFERENCING_CONVENTION": "PIXEL_CENTER",
    }

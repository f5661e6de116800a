"""Regions of interest on a scene's grid: a boolean array, a raster (non-zero inside), polygons."""

from __future__ import annotations

import os
import warnings
from typing import Any

import dask.array as da
import numpy as np
import rasterio
import xarray as xr
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from superad_geo.errors import InputError


def read_roi(roi: Any, scene: xr.DataArray) -> Any:
    """Region of interest on the scene's grid, True inside.

    Parameters
    ----------
    roi : array, DataArray or path
        A ``(y, x)`` boolean (or 0/1) array of the scene's shape; a raster
        (non-zero and not nodata inside; reprojected by nearest neighbour when
        its grid differs); or a vector file of polygons (any format GDAL/OGR
        reads), rasterised on the scene's grid (pixel centres inside).
    scene : xarray.DataArray
        The ``(band, y, x)`` scene.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``(y, x)`` bool.

    Raises
    ------
    InputError
        If the ROI cannot be read or does not match the scene.
    """
    rows, cols = scene.sizes["y"], scene.sizes["x"]
    if isinstance(roi, xr.DataArray):
        roi = roi.data
    if isinstance(roi, (np.ndarray, da.Array)):
        if roi.shape != (rows, cols):
            raise InputError(
                f"the ROI mask has shape {roi.shape}, the scene {(rows, cols)}; "
                "give a mask on the scene's grid"
            )
        return roi.astype(bool)
    path = os.fspath(roi)
    if not path.startswith("/vsi") and not os.path.exists(path):
        raise InputError(f"ROI {path!r} does not exist; check the path")
    transform, crs = scene.rio.transform(), scene.rio.crs
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            ds = rasterio.open(path)
    except RasterioIOError:
        ds = None
    if ds is not None:
        with ds:
            same = (ds.height, ds.width) == (rows, cols) and ds.transform.almost_equals(transform)
            if same:
                values = ds.read(1)
                inside = values != 0
                if ds.nodata is not None:
                    inside &= values != ds.nodata
                return inside
            from rasterio.warp import Resampling, reproject

            values = np.zeros((rows, cols), dtype=np.uint8)
            src = ds.read(1, masked=True).filled(0) != 0
            reproject(
                src.astype(np.uint8),
                values,
                src_transform=ds.transform,
                src_crs=ds.crs or crs,
                dst_transform=transform,
                dst_crs=crs or ds.crs,
                resampling=Resampling.nearest,
            )
            return values != 0
    try:
        import pyogrio.raw
        import shapely
        from rasterio.features import rasterize
        from rasterio.warp import transform_geom

        meta, _, wkb, _ = pyogrio.raw.read(path, read_geometry=True)
    except Exception as exc:
        raise InputError(
            f"cannot read ROI {path!r} as a raster or a vector file ({exc}); "
            "give a mask raster on the scene's grid or a polygon file"
        ) from exc
    geoms = [g for g in shapely.from_wkb(wkb) if g is not None and not g.is_empty]
    if not geoms:
        raise InputError(f"ROI {path!r} holds no geometry")
    shapes = [shapely.geometry.mapping(g) for g in geoms]
    if crs is not None and meta.get("crs"):
        shapes = [transform_geom(meta["crs"], crs, g) for g in shapes]
    burnt = rasterize(
        [(g, 1) for g in shapes], out_shape=(rows, cols), transform=transform, fill=0, dtype="uint8"
    )
    return burnt != 0

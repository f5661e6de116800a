"""Writing small synthetic scenes as GeoTIFF files for the core tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio


def write_geotiff(path: Path, scene, nodata: float | None = None) -> Path:
    """Write a (band, y, x) DataArray as a GeoTIFF (float32) with its georeference."""
    data = np.asarray(scene.values, dtype=np.float32)
    if nodata is not None:
        data = np.where(np.isnan(data), np.float32(nodata), data)
    profile = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": "float32",
        "crs": scene.rio.crs,
        "transform": scene.rio.transform(),
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 32,
        "blockysize": 32,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        if "wavelength" in scene.coords:
            for i, wl in enumerate(scene["wavelength"].values, start=1):
                ds.update_tags(i, wavelength=f"{wl:.3f}", wavelength_units="Nanometers")
    return path

"""Write score rasters and anomaly masks as Cloud-Optimized GeoTIFFs, atomically.

A raster is first written block by block to a plain tiled GeoTIFF in a work
folder, then copied by GDAL's COG driver (internal 256-pixel tiles, DEFLATE
with the floating-point predictor, average overviews) to a hidden temporary
file beside ``dst`` (:func:`superad_geo.files.atomic_write`), renamed to
``dst`` only at the very end: an interrupted run never leaves a file that
looks finished. Tags record the method, its parameters
and the software version, and nothing that changes between identical runs
(no timestamps, no absolute paths).
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.windows import Window as RioWindow

from superad_geo.errors import OutputError
from superad_geo.files import atomic_write, check_output
from superad_geo.scene.tiling import Window
from superad_geo.version import __version__

#: Internal tile size of the written COGs.
COG_BLOCKSIZE = 256


def _overview_count(rows: int, cols: int) -> int:
    size = max(rows, cols)
    if min(rows, cols) < 2:
        return 0
    return max(1, math.ceil(math.log2(size / COG_BLOCKSIZE))) if size > 1 else 0


def write_cog(
    dst: str | os.PathLike,
    blocks: Iterable[tuple[Window, np.ndarray]],
    *,
    shape: tuple[int, int],
    transform: Affine | None,
    crs: Any = None,
    nodata: float | None = float("nan"),
    dtype: str = "float32",
    tags: Mapping[str, str] | None = None,
    description: str = "anomaly score",
    overwrite: bool = False,
    work_dir: str | os.PathLike | None = None,
    resampling: str = "AVERAGE",
    colormap: Mapping[int, tuple[int, int, int, int]] | None = None,
    geolocation: Mapping[str, str] | None = None,
) -> Path:
    """Write a single-band COG from ``(window, array)`` blocks, atomically.

    Parameters
    ----------
    dst : str or path
        Output file.
    blocks : iterable of (Window, numpy.ndarray)
        Blocks covering the raster; arrays of the window's shape.
    shape : (int, int)
        Raster size (rows, cols).
    transform, crs
        Georeference; ``crs`` None writes no CRS, ``transform`` None (or the
        identity) no geotransform.
    nodata : float or None
        Nodata value written in the file.
    dtype : str
        Pixel type (``"float32"`` for scores, ``"uint8"`` for masks).
    tags : mapping, optional
        Dataset metadata items.
    overwrite : bool
        Replace an existing ``dst``.
    work_dir : path, optional
        Folder for the intermediate GeoTIFF (default: beside ``dst``).
    resampling : str
        Overview resampling (``"AVERAGE"`` for scores, ``"NEAREST"`` for masks).
    colormap : mapping, optional
        Colour table (value → RGBA) of a byte raster, e.g. a mask's.
    geolocation : mapping, optional
        GDAL's ``GEOLOCATION`` metadata domain of a raster in sensor geometry
        (:func:`superad_geo.scene.geolocation.geolocation_metadata`).

    Returns
    -------
    pathlib.Path
        ``dst``.

    Raises
    ------
    OutputError
        If ``dst`` exists without ``overwrite`` or cannot be written.
    """
    path = check_output(dst, overwrite=overwrite)
    rows, cols = shape
    folder = Path(work_dir) if work_dir is not None else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".superad-", suffix=".tif", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": dtype,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": COG_BLOCKSIZE,
        "blockysize": COG_BLOCKSIZE,
    }
    if transform is not None and not transform.is_identity:
        profile["transform"] = transform  # else no geotransform: pixel grid, or geolocation arrays
    if crs is not None:
        profile["crs"] = crs
    try:
        with rasterio.open(tmp, "w", **profile) as out:
            out.update_tags(**dict(tags or {}))
            out.set_band_description(1, description)
            if colormap is not None:
                out.write_colormap(1, dict(colormap))
            if geolocation:
                out.update_tags(ns="GEOLOCATION", **dict(geolocation))
            for window, array in blocks:
                out.write(
                    np.asarray(array, dtype=dtype),
                    1,
                    window=RioWindow(window.col_off, window.row_off, window.width, window.height),
                )
        options = {
            "BLOCKSIZE": COG_BLOCKSIZE,
            "COMPRESS": "DEFLATE",
            "PREDICTOR": "YES" if dtype.startswith("float") else "NO",
            "RESAMPLING": resampling,
            "NUM_THREADS": 1,
        }
        if geolocation:
            options["COPY_SRC_MDD"] = "YES"  # the COG driver drops other domains by default
        count = _overview_count(rows, cols)
        options["OVERVIEWS"] = "AUTO" if count else "NONE"
        if count:
            options["OVERVIEW_COUNT"] = count
        with atomic_write(path) as partial:
            rasterio.shutil.copy(tmp, partial, driver="COG", **options)
    except rasterio.errors.RasterioIOError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def software_tags(method: str, parameters: Mapping[str, Any], meaning: str = "") -> dict[str, str]:
    """Tags recording method, parameters (sorted JSON), what the score is, and software versions.

    ``meaning`` is what a score of the method means (``SUPERAD_SCORE``; none if empty).
    Versions: superad-geo, GDAL, rasterio, NumPy and torch (read from the installed
    metadata, so writing an RX result does not load torch).
    """
    tags = {
        "SUPERAD_METHOD": method,
        "SUPERAD_PARAMETERS": json.dumps(parameters, sort_keys=True, default=_jsonable),
        "SUPERAD_VERSION": __version__,
        "SUPERAD_GDAL_VERSION": rasterio.__gdal_version__,
        "SUPERAD_RASTERIO_VERSION": rasterio.__version__,
        "SUPERAD_NUMPY_VERSION": np.__version__,
        "TIFFTAG_SOFTWARE": f"superad-geo {__version__}",
        # read from the installed metadata: writing an RX result does not load torch
        "SUPERAD_TORCH_VERSION": importlib.metadata.version("torch"),
    }
    if meaning:
        tags["SUPERAD_SCORE"] = meaning
    return tags


def band_tags(scene: Any) -> dict[str, str]:
    """Tags naming the bands scored: 1-based band numbers of the input and their wavelengths (nm).

    ``SUPERAD_BANDS`` and ``SUPERAD_WAVELENGTHS`` are JSON lists; a wavelength
    the input does not give is null.
    """
    numbers = [int(v) for v in scene["band"].values]
    if "wavelength" in scene.coords:
        wavelengths = [
            round(float(v), 4) if np.isfinite(v) else None for v in scene["wavelength"].values
        ]
    else:
        wavelengths = [None] * len(numbers)
    return {"SUPERAD_BANDS": json.dumps(numbers), "SUPERAD_WAVELENGTHS": json.dumps(wavelengths)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.path.basename(os.fspath(value))
    return str(value)

"""Open hyperspectral scenes lazily as ``(band, y, x)`` dask-backed DataArrays.

A path is read by the first reader of :mod:`superad_geo.scene.products` that
recognises it (products, ``.mat`` benchmark cubes, and any raster GDAL reads:
GeoTIFF, ENVI, VRT, ``/vsicurl/`` and ``/vsis3/`` paths, ...); its raw cube is
decoded here, the same way for every reader (:func:`decode`), as a DataArray
given to :func:`prepare_scene` is.

The returned scene is float32 with nodata as NaN and the scale/offset
applied; the file's nodata value is kept as the encoded nodata
(``scene.rio.encoded_nodata``) so that outputs can reuse it. Band metadata
rides on coordinates of the ``band`` dimension: ``band`` (1-based GDAL band
number), ``wavelength`` and ``fwhm`` (nm, NaN where unknown) and ``bbl``
(True for a good band).

With a ``dask.distributed`` cluster every worker opens the input itself:
inputs and outputs must be on storage all workers can reach (a shared file
system, ``/vsis3/``, ``/vsicurl/``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from superad_geo.errors import AmbiguousInputError, InputError, SuperadGeoError
from superad_geo.files import one_line
from superad_geo.scene.band_metadata import wavelength_factor
from superad_geo.scene.mat import read_mat
from superad_geo.scene.paths import is_virtual
from superad_geo.scene.products import folder_problem, reader_for
from superad_geo.scene.products.reader import RawScene
from superad_geo.scene.validity import NODATA_DECLARED

__all__ = ["decode", "open_scene", "order_dims", "output_nodata", "prepare_scene", "read_mat"]


def open_scene(
    src: str | os.PathLike | xr.DataArray,
    *,
    chunks: Mapping[str, int] | None = None,
    nodata: float | None = None,
) -> xr.DataArray:
    """Open a hyperspectral scene lazily.

    Parameters
    ----------
    src : str, path or xarray.DataArray
        A GDAL path (file, VRT, ENVI header or image, ``/vsicurl/...``) or a
        ``.mat`` benchmark file. A DataArray is passed to :func:`prepare_scene`.
    chunks : mapping, optional
        Dask chunks; default all bands by blocks of about 64 MB.
    nodata : float, optional
        Nodata value of the raw data, overriding the file's.

    Returns
    -------
    xarray.DataArray
        ``(band, y, x)`` float32, dask-backed, nodata as NaN, scale/offset
        applied, with CRS and transform (if any), coordinates ``band``,
        ``wavelength``, ``fwhm``, ``bbl``, and the raw nodata value as
        ``rio.encoded_nodata``. A sensor-geometry scene with a ``_loc``
        companion (AVIRIS-3, PRISM radiance) has no CRS; ``attrs["geolocation"]``
        is then the path of that file (:mod:`superad_geo.scene.geolocation`).

    Raises
    ------
    InputError
        If the file is missing, unreadable (whatever the reason), not a raster or not 3-D.

    Examples
    --------
    >>> scene = open_scene("../shared/data/enmap-potsdam/mosaic.vrt")  # doctest: +SKIP
    >>> scene.dims, float(scene.wavelength[0])  # doctest: +SKIP
    (('band', 'y', 'x'), 418.24)
    """
    if isinstance(src, xr.DataArray):
        return prepare_scene(src, nodata=nodata)
    path = os.fspath(src)
    if not is_virtual(path) and not os.path.exists(path):
        raise InputError(f"input {path!r} does not exist; check the path")
    if os.path.isdir(path) and (problem := folder_problem(path)) is not None:
        raise InputError(f"{path!r} {problem}")
    try:
        return _scene_from_raw(reader_for(path).open(path, chunks), path, nodata)
    except SuperadGeoError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is bad input
        raise InputError(f"cannot read {path!r} as a raster: {one_line(exc)}") from exc


def decode(data: da.Array, nodata: Any, scale: Any = 1.0, offset: Any = 0.0) -> da.Array:
    """Raw values as float32 values: ``nodata`` as NaN, then ``raw * scale + offset``.

    ``scale`` and ``offset`` are one value or one per band; the nodata value is
    compared in the data's type, as GDAL does (one the type cannot hold marks nothing).
    """
    out = data.astype(np.float32)
    marker = _in_dtype(nodata, data.dtype)
    if marker is not None:
        out = da.where(data == marker, np.float32(np.nan), out)
    scale = np.asarray(scale, dtype=np.float32).reshape(-1, 1, 1)
    offset = np.asarray(offset, dtype=np.float32).reshape(-1, 1, 1)
    if np.any(scale != 1.0) or np.any(offset != 0.0):
        out = out * scale + offset
    return out


def _in_dtype(nodata: Any, dtype: np.dtype) -> np.ndarray | None:
    """``nodata`` as a value of ``dtype``; None for no value, NaN, or one ``dtype`` cannot hold."""
    if nodata is None or math.isnan(float(nodata)):
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        marker = np.array(nodata).astype(dtype)
    exact = np.issubdtype(dtype, np.floating) or float(marker) == float(nodata)
    return marker if exact else None


def _scene_from_raw(raw: RawScene, path: str, nodata: float | None) -> xr.DataArray:
    """Decode a reader's cube and attach band metadata and georeference."""
    meta = raw.bands
    raw_nodata = meta.nodata if nodata is None else nodata
    bands, rows, cols = raw.data.shape
    transform = raw.transform
    x = transform.c + transform.a * (np.arange(cols) + 0.5)
    y = transform.f + transform.e * (np.arange(rows) + 0.5)
    scene = xr.DataArray(
        decode(raw.data, raw_nodata, meta.scale, meta.offset),
        dims=("band", "y", "x"),
        coords={
            "band": np.arange(1, bands + 1),
            "y": y,
            "x": x,
            "wavelength": ("band", meta.wavelength),
            "fwhm": ("band", meta.fwhm),
            "bbl": ("band", meta.bbl),
        },
        name=Path(path).stem,
        attrs={
            "source": Path(path).name,
            "product": raw.product,
            "long_name": "radiance or reflectance",
            NODATA_DECLARED: raw_nodata is not None,
        },
    )
    if raw.geolocation is not None:
        scene.attrs["geolocation"] = raw.geolocation
    scene = scene.rio.write_crs(raw.crs) if raw.crs is not None else scene
    scene = scene.rio.write_transform(transform)
    return scene.rio.write_nodata(raw_nodata if raw_nodata is not None else np.nan, encoded=True)


def prepare_scene(
    scene: xr.DataArray, *, nodata: float | None = None, band_dim: str | None = None
) -> xr.DataArray:
    """Return ``scene`` as a float32 ``(band, y, x)`` dask DataArray with nodata as NaN.

    Idempotent: a scene from :func:`open_scene` comes back unchanged (unless
    ``nodata`` is given). Raw arrays are masked with ``nodata``, else their
    ``rio.nodata``; ``scale_factor``/``add_offset`` attributes are applied.

    Dimensions are taken by name, never by position: the bands are the
    ``band`` dimension (or ``band_dim``, renamed ``band``); the two others
    are ``y`` and ``x`` by name, or else, when ``band_dim`` is given, rows
    then columns in the array's order (e.g. ``("lat", "lon")``).

    Raises
    ------
    AmbiguousInputError
        If the array is not 3-D, has no band dimension of that name, or
        (without ``band_dim``) spatial dimensions other than ``y`` and ``x``;
        the message names the dimensions found.
    """
    scene = order_dims(scene, band_dim)
    already = scene.rio.encoded_nodata is not None and nodata is None
    if "band" not in scene.coords:
        scene = scene.assign_coords(band=np.arange(1, scene.sizes["band"] + 1))
    data = scene.data
    if not isinstance(data, da.Array):
        data = da.from_array(np.asarray(data), chunks=(-1, 1024, 1024))
    if already and data.dtype == np.float32:
        return scene.copy(data=data)
    raw_nodata = nodata if nodata is not None else scene.rio.encoded_nodata
    if raw_nodata is None:
        raw_nodata = scene.rio.nodata
    attrs = dict(scene.attrs)
    scale = attrs.pop("scale_factor", 1.0)
    offset = attrs.pop("add_offset", 0.0)
    attrs.pop("_FillValue", None)
    out = data.astype(np.float32) if already else decode(data, raw_nodata, scale, offset)
    result = xr.DataArray(out, dims=scene.dims, coords=scene.coords, name=scene.name, attrs=attrs)
    if scene.rio.crs is not None:
        result = result.rio.write_crs(scene.rio.crs)
    result = result.rio.write_transform(scene.rio.transform())
    return result.rio.write_nodata(
        np.nan if raw_nodata is None else float(raw_nodata), encoded=True
    )


def order_dims(scene: xr.DataArray, band_dim: str | None = None) -> xr.DataArray:
    """``scene`` with dims ``(band, y, x)``, taken by name (see :func:`prepare_scene`).

    Raises
    ------
    AmbiguousInputError
        Naming the dimensions found, when they cannot be told by name.
    """
    named = band_dim or "band"
    others = [d for d in scene.dims if d != named]
    if (
        scene.ndim != 3
        or named not in scene.dims
        or (band_dim is None and set(others) != {"y", "x"})
    ):
        raise AmbiguousInputError(
            f"a scene needs dims (band, y, x) by name; got dims {scene.dims} with shape "
            f"{scene.shape}: rename them (scene.rename(...)) or name the band dimension "
            "with band_dim="
        )
    if band_dim is not None and band_dim != "band":
        values = scene[band_dim].values if band_dim in scene.coords else None
        scene = scene.drop_vars(band_dim, errors="ignore").rename({band_dim: "band"})
        if values is not None and band_dim.startswith("wavelength"):
            factor = wavelength_factor(scene.attrs.get("wavelength_units"), values)
            scene = scene.assign_coords(wavelength=("band", values.astype(float) * factor))
    if set(others) != {"y", "x"}:
        scene = scene.rename(dict(zip(others, ("y", "x"), strict=True)))
    return scene.transpose("band", "y", "x")


def output_nodata(scene: xr.DataArray) -> float:
    """Nodata value for outputs derived from ``scene``: its raw nodata, else NaN."""
    value = scene.rio.encoded_nodata
    if value is None:
        value = scene.rio.nodata
    if value is None:
        return float("nan")
    value = float(value)
    if math.isfinite(value) and not np.isfinite(np.float32(value)):
        return float("nan")
    return value

"""Open hyperspectral scenes lazily as ``(band, y, x)`` dask-backed DataArrays.

Any raster GDAL reads (GeoTIFF, ENVI ``.hdr``/``.img``, VRT, ``/vsicurl/`` and
``/vsis3/`` paths, ...) is opened through :mod:`rioxarray`; MATLAB ``.mat``
benchmark cubes (key ``data``: rows x cols x bands, optional ``map``: ground
truth) are read with scipy (or h5py for v7.3 files).

The returned scene is float32 with nodata as NaN and the GDAL scale/offset
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
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import rasterio
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from superad_geo.errors import InputError
from superad_geo.scene.mat import read_mat

#: Target size of one dask chunk (all bands of a block of pixels), bytes.
CHUNK_BYTES = 64 * 2**20

_NM_PER_UNIT = {
    "nanometers": 1.0,
    "nanometer": 1.0,
    "nm": 1.0,
    "micrometers": 1000.0,
    "micrometer": 1000.0,
    "microns": 1000.0,
    "micron": 1000.0,
    "um": 1000.0,
    "µm": 1000.0,
    "μm": 1000.0,
    "millimeters": 1e6,
    "mm": 1e6,
}
_DESCRIPTION_WL = re.compile(
    r"\(?\s*([0-9]+(?:\.[0-9]*)?)\s*(nanometers|micrometers|nm|um|µm)\b", re.I
)


def default_chunks(bands: int, itemsize: int = 4) -> dict[str, int]:
    """Chunks holding all bands of a square block of about :data:`CHUNK_BYTES`."""
    side = int(math.sqrt(CHUNK_BYTES / max(bands * itemsize, 1)))
    side = max(128, min(2048, side // 64 * 64))
    return {"band": -1, "y": side, "x": side}


def wavelength_factor(units: str | None, values: Sequence[float] | None = None) -> float:
    """Factor turning wavelengths in ``units`` into nm.

    Without units, values below 30 are taken as µm (no imaging spectrometer
    has bands beyond 30 µm or below 30 nm).
    """
    if units:
        key = units.strip().lower()
        if key in _NM_PER_UNIT:
            return _NM_PER_UNIT[key]
    if values is not None:
        vals = np.asarray(values, dtype=float)
        if np.isfinite(vals).any() and np.nanmax(vals) < 30:
            return 1000.0
    return 1.0


def _envi_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.strip().strip("{}").split(",") if t.strip()]


def _floats(items: Sequence[str] | None, n: int) -> np.ndarray | None:
    if items is None or len(items) != n:
        return None
    try:
        return np.array([float(v) for v in items], dtype=float)
    except ValueError:
        return None


def read_band_metadata(ds: rasterio.io.DatasetReader) -> dict[str, Any]:
    """Read wavelengths, fwhm, bad-band flags, scales, offsets and nodata of a dataset.

    Looks at, in order: per-band GDAL metadata items ``wavelength``,
    ``wavelength_units``, ``fwhm``, ``bbl`` (EnMAP, GDAL's ENVI driver); the
    ENVI header lists in the ``ENVI`` domain; band descriptions such as
    ``"band 1 (418.24 Nanometers)"``.

    Returns
    -------
    dict
        ``wavelength`` and ``fwhm`` (float arrays in nm, NaN where unknown),
        ``bbl`` (bool array), ``scale`` and ``offset`` (float arrays),
        ``nodata`` (float or None).
    """
    n = ds.count
    band_tags = [ds.tags(i) for i in range(1, n + 1)]
    try:
        envi = ds.tags(ns="ENVI") if "ENVI" in (ds.tag_namespaces() or []) else {}
    except Exception:  # pragma: no cover - drivers without namespaces
        envi = {}
    dataset_tags = ds.tags()

    def per_band(key: str) -> list[str] | None:
        values = [t.get(key) for t in band_tags]
        if all(v is not None for v in values):
            return values  # type: ignore[return-value]
        return _envi_list(envi.get(key) or envi.get(key.replace("_", " ")))

    units = band_tags[0].get("wavelength_units") if n else None
    units = units or envi.get("wavelength_units") or dataset_tags.get("wavelength_units")
    wavelength = _floats(per_band("wavelength"), n)
    if wavelength is None:
        found = [_DESCRIPTION_WL.search(d or "") for d in ds.descriptions]
        if n and all(found):
            wavelength = np.array([float(m.group(1)) for m in found])  # type: ignore[union-attr]
            units = found[0].group(2)  # type: ignore[union-attr]
    fwhm = _floats(per_band("fwhm"), n)
    factor = wavelength_factor(units, wavelength)
    nan = np.full(n, np.nan)
    bbl_items = per_band("bbl")
    bbl = _floats(bbl_items, n)
    return {
        "wavelength": nan.copy() if wavelength is None else wavelength * factor,
        "fwhm": nan.copy() if fwhm is None else fwhm * factor,
        "bbl": np.ones(n, dtype=bool) if bbl is None else bbl != 0,
        "scale": np.array([1.0 if s is None else s for s in ds.scales], dtype=float),
        "offset": np.array([0.0 if o is None else o for o in ds.offsets], dtype=float),
        "nodata": ds.nodata,
    }


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
        ``rio.encoded_nodata``.

    Raises
    ------
    InputError
        If the file is missing, unreadable, not a raster or not 3-D.

    Examples
    --------
    >>> scene = open_scene("../shared/data/enmap-potsdam/mosaic.vrt")  # doctest: +SKIP
    >>> scene.dims, float(scene.wavelength[0])  # doctest: +SKIP
    (('band', 'y', 'x'), 418.24)
    """
    if isinstance(src, xr.DataArray):
        return prepare_scene(src, nodata=nodata)
    path = os.fspath(src)
    if path.lower().endswith(".mat"):
        cube, _ = read_mat(path)
        return prepare_scene(cube, nodata=nodata)
    if not path.startswith("/vsi") and "://" not in path and not os.path.exists(path):
        raise InputError(f"input {path!r} does not exist; check the path")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                meta = read_band_metadata(ds)
                dtype = np.dtype(ds.dtypes[0])
                count = ds.count
            chunks = dict(chunks) if chunks is not None else default_chunks(count, 4)
            raw = rioxarray.open_rasterio(path, chunks=chunks, mask_and_scale=False, lock=False)
    except RasterioIOError as exc:
        raise InputError(
            f"cannot read {path!r} as a raster ({exc}); give a GDAL-readable file "
            "(GeoTIFF, ENVI .hdr/.img, VRT, ...) or a .mat benchmark cube"
        ) from exc
    if isinstance(raw, list) or not isinstance(raw, xr.DataArray):
        raise InputError(f"{path!r} holds several subdatasets; open one of them explicitly")
    raw_nodata = meta["nodata"] if nodata is None else nodata
    data = raw.data
    masked = data.astype(np.float32)
    if raw_nodata is not None and not (isinstance(raw_nodata, float) and math.isnan(raw_nodata)):
        masked = da.where(data == np.array(raw_nodata, dtype=dtype), np.float32(np.nan), masked)
    scale, offset = meta["scale"], meta["offset"]
    if not (np.all(scale == 1.0) and np.all(offset == 0.0)):
        masked = (
            masked * scale.astype(np.float32)[:, None, None]
            + offset.astype(np.float32)[:, None, None]
        )
    scene = xr.DataArray(
        masked,
        dims=("band", "y", "x"),
        coords={
            "band": raw["band"].values,
            "y": raw["y"].values,
            "x": raw["x"].values,
            "wavelength": ("band", meta["wavelength"]),
            "fwhm": ("band", meta["fwhm"]),
            "bbl": ("band", meta["bbl"]),
        },
        name=Path(path).stem,
        attrs={"source": Path(path).name, "long_name": "radiance or reflectance"},
    )
    scene = scene.rio.write_crs(raw.rio.crs) if raw.rio.crs is not None else scene
    scene = scene.rio.write_transform(raw.rio.transform())
    return scene.rio.write_nodata(raw_nodata if raw_nodata is not None else np.nan, encoded=True)


def prepare_scene(scene: xr.DataArray, *, nodata: float | None = None) -> xr.DataArray:
    """Return ``scene`` as a float32 ``(band, y, x)`` dask DataArray with nodata as NaN.

    Idempotent: a scene from :func:`open_scene` comes back unchanged (unless
    ``nodata`` is given). Raw arrays are masked with ``nodata``, else their
    ``rio.nodata``; ``scale_factor``/``add_offset`` attributes are applied.

    Raises
    ------
    InputError
        If the array is not 3-D with dims ``(band, y, x)``.
    """
    if scene.ndim != 3:
        raise InputError(
            f"a scene must be 3-D (band, y, x); got dims {scene.dims} with shape {scene.shape}"
        )
    if set(scene.dims) != {"band", "y", "x"}:
        scene = scene.rename(dict(zip(scene.dims, ("band", "y", "x"), strict=True)))
    scene = scene.transpose("band", "y", "x")
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
    out = data.astype(np.float32)
    if not already and raw_nodata is not None and not np.isnan(raw_nodata):
        out = da.where(data == raw_nodata, np.float32(np.nan), out)
    attrs = dict(scene.attrs)
    scale = attrs.pop("scale_factor", 1.0)
    offset = attrs.pop("add_offset", 0.0)
    attrs.pop("_FillValue", None)
    if not already and (np.any(np.asarray(scale) != 1.0) or np.any(np.asarray(offset) != 0.0)):
        scale = np.asarray(scale, dtype=np.float32).reshape(-1, 1, 1)
        offset = np.asarray(offset, dtype=np.float32).reshape(-1, 1, 1)
        out = out * scale + offset
    result = xr.DataArray(out, dims=scene.dims, coords=scene.coords, name=scene.name, attrs=attrs)
    if scene.rio.crs is not None:
        result = result.rio.write_crs(scene.rio.crs)
    result = result.rio.write_transform(scene.rio.transform())
    return result.rio.write_nodata(
        np.nan if raw_nodata is None else float(raw_nodata), encoded=True
    )


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

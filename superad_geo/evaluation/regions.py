"""Anomaly regions: the connected parts of a mask as polygons, and their vector files."""

from __future__ import annotations

import math
import os

import numpy as np

from superad_geo.errors import OutputError
from superad_geo.files import atomic_write, check_output

__all__ = ["VECTOR_DRIVERS", "anomaly_regions", "vector_driver", "write_regions"]

#: Vector formats by file extension.
VECTOR_DRIVERS = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
}

#: Creation options per driver. GeoPackages are written as version 1.2, the
#: version GDAL up to 3.7.0 writes (Debian 12's GDAL 3.6 and its QGIS 3.22
#: warn on the 1.4 that newer GDAL writes by default); the layer needs nothing newer.
VECTOR_OPTIONS: dict[str, dict[str, str]] = {"GPKG": {"VERSION": "1.2"}}


def anomaly_regions(mask: np.ndarray, scores: np.ndarray, *, transform) -> list[dict]:
    """Connected anomaly regions of a mask as polygons with statistics.

    Regions are 8-connected (pixels touching at a corner belong together);
    each is one MultiPolygon made of its 4-connected parts, so every geometry
    is valid.

    Parameters
    ----------
    mask : ndarray of bool, shape (y, x)
    scores : ndarray, shape (y, x)
        Scores for the statistics (NaN is ignored).
    transform : affine.Affine
        The grid's transform: geometries are in its CRS.

    Returns
    -------
    list of dict
        One per region, ordered by decreasing peak score, with keys
        ``geometry`` (shapely), ``region`` (1-based id), ``n_pixels``,
        ``area`` (square CRS units), ``peak_score``, ``mean_score``.
    """
    from rasterio.features import shapes
    from scipy import ndimage
    from shapely.geometry import MultiPolygon, shape

    mask = np.asarray(mask, dtype=bool)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return []
    index = np.arange(1, n + 1)
    s = np.where(np.isfinite(scores), scores, np.nan).astype(np.float64)
    filled_lo = np.where(np.isnan(s), -np.inf, s)
    peaks = ndimage.maximum(filled_lo, labels, index)
    sums = ndimage.sum(np.nan_to_num(s, nan=0.0), labels, index)
    finite = ndimage.sum(np.isfinite(s), labels, index)
    counts = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    parts: dict[int, list] = {}
    for geom, value in shapes(
        labels.astype(np.int32), mask=mask, connectivity=4, transform=transform
    ):
        parts.setdefault(int(value), []).append(shape(geom))
    pixel_area = abs(transform.a * transform.e - transform.b * transform.d)
    regions = []
    for i in index:
        geom = MultiPolygon(parts[int(i)])
        regions.append(
            {
                "geometry": geom,
                "n_pixels": int(counts[i - 1]),
                "area": float(counts[i - 1] * pixel_area),
                "peak_score": float(peaks[i - 1]),
                "mean_score": float(sums[i - 1] / finite[i - 1]) if finite[i - 1] else math.nan,
            }
        )
    regions.sort(key=lambda r: -r["peak_score"])
    for k, r in enumerate(regions, start=1):
        r["region"] = k
    return regions


def vector_driver(path: str | os.PathLike, *, overwrite: bool = False) -> str:
    """The OGR driver of a vector output, told by its extension (:data:`VECTOR_DRIVERS`).

    Raises
    ------
    OutputError
        If the output cannot be written (see :func:`superad_geo.files.check_output`)
        or its extension names no known format.
    """
    path = check_output(path, overwrite=overwrite, what="vector output")
    driver = VECTOR_DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise OutputError(
            f"cannot tell the vector format of {str(path)!r}; "
            f"use one of {', '.join(sorted(VECTOR_DRIVERS))}"
        )
    return driver


def write_regions(
    regions: list[dict], path: str | os.PathLike, *, crs=None, overwrite: bool = False
) -> None:
    """Write :func:`anomaly_regions` to a vector file (atomically).

    The format follows the extension: ``.gpkg`` (GeoPackage 1.2, which every
    GDAL since 2.2 reads without warning), ``.geojson``/``.json`` (GeoJSON) or
    ``.fgb`` (FlatGeobuf). An empty region list gives a valid file with no feature.
    """
    import pyogrio.raw
    import shapely

    driver = vector_driver(path, overwrite=overwrite)
    geometry = np.array([shapely.to_wkb(r["geometry"]) for r in regions], dtype=object)
    fields = ["region", "n_pixels", "area", "peak_score", "mean_score"]
    field_data = [
        np.array([r["region"] for r in regions], dtype=np.int32),
        np.array([r["n_pixels"] for r in regions], dtype=np.int64),
        np.array([r["area"] for r in regions], dtype=np.float64),
        np.array([r["peak_score"] for r in regions], dtype=np.float64),
        np.array([r["mean_score"] for r in regions], dtype=np.float64),
    ]
    crs_text = crs.to_wkt() if crs is not None and hasattr(crs, "to_wkt") else crs
    with atomic_write(path) as tmp:
        pyogrio.raw.write(
            str(tmp),
            geometry,
            field_data,
            fields,
            layer="anomalies",
            driver=driver,
            geometry_type="MultiPolygon",
            crs=crs_text,
            dataset_options=VECTOR_OPTIONS.get(driver),
        )

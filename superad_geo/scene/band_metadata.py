"""Band metadata of a GDAL raster: wavelengths, FWHM and bad-band flags, in nanometres.

Read from, in this order of precedence (``docs/scenes.md``): the band-level
``IMAGERY`` domain (``CENTRAL_WAVELENGTH_UM``, ``FWHM_UM``) unless the band
tags repeat it with more digits, the band tags (``wavelength``,
``wavelength_units``, ``fwhm``, ``bbl``: EnMAP, GDAL's ENVI driver), the ENVI
header lists, and band descriptions like ``band 1 (418.24 Nanometers)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import rasterio

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


def _floats(items: Sequence[str | None] | None, n: int) -> np.ndarray | None:
    if items is None or len(items) != n or any(v is None for v in items):
        return None
    try:
        return np.array([float(v) for v in items], dtype=float)  # type: ignore[arg-type]
    except ValueError:
        return None


def _first(*arrays: np.ndarray | None) -> Any:
    return next((a for a in arrays if a is not None), None)


def _imagery_first(imagery: np.ndarray | None, tags: np.ndarray | None) -> np.ndarray | None:
    """IMAGERY-domain values, unless the band tags are the same values with more digits.

    GDAL's ENVI driver fills the IMAGERY domain from the header, rounded to
    1 nm: there the header's own values (within 0.5 nm) are the better copy.
    """
    if imagery is None or (tags is not None and np.allclose(imagery, tags, rtol=0, atol=0.5)):
        return tags
    return imagery


def _band_domain(ds: rasterio.io.DatasetReader, bidx: int, domain: str) -> dict[str, str]:
    try:
        return ds.tags(bidx, ns=domain) if domain in (ds.tag_namespaces(bidx) or []) else {}
    except Exception:  # pragma: no cover - drivers without namespaces
        return {}


def read_band_metadata(ds: rasterio.io.DatasetReader) -> dict[str, Any]:
    """Read wavelengths, fwhm, bad-band flags, scales, offsets and nodata of a dataset.

    Wavelengths and FWHM come from the first of: GDAL's band-level
    ``IMAGERY`` domain (``CENTRAL_WAVELENGTH_UM``, ``FWHM_UM``); per-band
    GDAL metadata items ``wavelength``, ``wavelength_units``, ``fwhm``,
    ``bbl`` (EnMAP, GDAL's ENVI driver); the ENVI header lists in the
    ``ENVI`` domain; band descriptions such as ``"band 1 (418.24 Nanometers)"``.
    (IMAGERY values that the band tags repeat with more digits, as GDAL's
    ENVI driver writes them, yield to those.) The scale is GDAL's band
    scale/offset when set, else the inverse of the
    ENVI header's ``reflectance scale factor``.

    Returns
    -------
    dict
        ``wavelength`` and ``fwhm`` (float arrays in nm, NaN where unknown),
        ``bbl`` (bool array), ``scale`` and ``offset`` (float arrays),
        ``nodata`` (float or None).
    """
    n = ds.count
    band_tags = [ds.tags(i) for i in range(1, n + 1)]
    imagery = [_band_domain(ds, i, "IMAGERY") for i in range(1, n + 1)]
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

    def imagery_um(key: str) -> np.ndarray | None:
        values = _floats([t.get(key) for t in imagery], n)
        return None if values is None else values * 1000.0

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
    wavelength = None if wavelength is None else wavelength * factor
    fwhm = None if fwhm is None else fwhm * factor
    wavelength = _imagery_first(imagery_um("CENTRAL_WAVELENGTH_UM"), wavelength)
    fwhm = _imagery_first(imagery_um("FWHM_UM"), fwhm)
    nan = np.full(n, np.nan)
    bbl = _floats(per_band("bbl"), n)
    scale = np.array([1.0 if s is None else s for s in ds.scales], dtype=float)
    offset = np.array([0.0 if o is None else o for o in ds.offsets], dtype=float)
    reflectance_scale = _floats([envi.get("reflectance_scale_factor")], 1)
    if reflectance_scale is not None and np.all(scale == 1.0) and reflectance_scale[0] > 0:
        scale = np.full(n, 1.0 / reflectance_scale[0])
    return {
        "wavelength": _first(wavelength, nan.copy()),
        "fwhm": _first(fwhm, nan.copy()),
        "bbl": np.ones(n, dtype=bool) if bbl is None else bbl != 0,
        "scale": scale,
        "offset": offset,
        "nodata": ds.nodata,
    }

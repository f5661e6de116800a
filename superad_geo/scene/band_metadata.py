"""Band metadata of a GDAL raster: wavelengths, FWHM and bad-band flags, in nanometres.

Read from, in this order of precedence (``docs/scenes.md``): the band-level
``IMAGERY`` domain (``CENTRAL_WAVELENGTH_UM``, ``FWHM_UM``) unless the band
tags repeat it with more digits, the band tags (``wavelength``,
``wavelength_units``, ``fwhm``, ``bbl``: EnMAP, GDAL's ENVI driver), the ENVI
header lists, and band descriptions like ``band 1 (418.24 Nanometers)``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio

from superad_geo.errors import InputError


@dataclass(frozen=True)
class BandMetadata:
    """What a reader knows of each band: every array holds one value per band, in band order.

    Values are decoded as ``value = raw * scale + offset``; raw values equal to
    ``nodata`` are no data.
    """

    wavelength: np.ndarray
    """Band centres in nm, NaN where unknown."""
    fwhm: np.ndarray
    """Full widths at half maximum in nm, NaN where unknown."""
    bbl: np.ndarray
    """True for a good band (False: flagged bad by the product)."""
    scale: np.ndarray
    offset: np.ndarray
    nodata: float | None = None
    """The raw nodata value, if the input declares one."""

    @classmethod
    def of(cls, count: int, **known: Any) -> BandMetadata:
        """Metadata of ``count`` bands: ``known`` fields as given, the others unknown.

        Unknown: NaN wavelengths and FWHM, every band good, scale 1, offset 0, no nodata.

        >>> BandMetadata.of(2, wavelength=[450.0, 550.0]).fwhm.tolist()
        [nan, nan]
        """
        plain = {
            "wavelength": np.full(count, np.nan),
            "fwhm": np.full(count, np.nan),
            "bbl": np.ones(count, dtype=bool),
            "scale": np.ones(count),
            "offset": np.zeros(count),
        }
        arrays = {k: np.asarray(known.get(k, v), dtype=v.dtype) for k, v in plain.items()}
        return cls(**arrays, nodata=known.get("nodata"))

    @classmethod
    def concatenate(cls, parts: Sequence[BandMetadata]) -> BandMetadata:
        """The bands of ``parts`` one after the other (the first part's nodata)."""
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in ("wavelength", "fwhm", "bbl", "scale", "offset")
        }
        return cls(**arrays, nodata=parts[0].nodata)

    @property
    def count(self) -> int:
        """Number of bands."""
        return int(self.wavelength.size)


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


def _imagery_first(imagery: np.ndarray | None, tags: np.ndarray | None) -> np.ndarray | None:
    """IMAGERY-domain values, unless the band tags are the same values with more digits.

    GDAL's ENVI driver fills the IMAGERY domain from the header, rounded to
    1 nm: there the header's own values (within 0.5 nm) are the better copy.
    """
    if imagery is None or (tags is not None and np.allclose(imagery, tags, rtol=0, atol=0.5)):
        return tags
    return imagery


#: ENVI header lists of one value per band, and the IMAGERY item GDAL fills from each.
_ENVI_LISTS = {"wavelength": "CENTRAL_WAVELENGTH_UM", "fwhm": "FWHM_UM", "bbl": None}


def _unfit_lists(envi: dict[str, str], bands: int, name: str) -> dict[str, int]:
    """ENVI header lists whose length is not the band count, warned about once.

    GDAL's ENVI driver copies the first items of such a list into the band
    tags and the IMAGERY domain (a PRISM ``_loc`` header lists 246
    wavelengths for its 3 bands: longitude, latitude, elevation); none of
    them can be trusted, so all are dropped.
    """
    unfit = {}
    for key in _ENVI_LISTS:
        listed = _envi_list(envi.get(key))
        if listed is not None and len(listed) != bands:
            unfit[key] = len(listed)
    if unfit:
        counts = ", ".join(f"{count} {key}" for key, count in unfit.items())
        warnings.warn(
            f"{os.path.basename(name)}: the ENVI header lists {counts} values for its {bands} "
            "band(s); they do not fit and are ignored",
            UserWarning,
            stacklevel=3,
        )
    return unfit


def check_scale(values: Any, item: str, path: str) -> None:
    """Refuse a scale (gain) that is not a positive number: every value it scales would be wrong.

    Raises
    ------
    InputError
        Naming ``path``, the metadata ``item`` and (for several) the first bad band.
    """
    values = np.atleast_1d(np.asarray(values, dtype=float))
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        where = f" of band {bad[0] + 1}" if values.size > 1 else ""
        raise InputError(
            f"{path!r}: {item}{where} is {values[bad[0]]:g}; a scale must be a positive "
            "number, so the file's metadata is wrong"
        )


def _band_domain(ds: rasterio.io.DatasetReader, bidx: int, domain: str) -> dict[str, str]:
    try:
        return ds.tags(bidx, ns=domain) if domain in (ds.tag_namespaces(bidx) or []) else {}
    except Exception:  # pragma: no cover - drivers without namespaces
        return {}


def read_band_metadata(ds: rasterio.io.DatasetReader) -> BandMetadata:
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
    BandMetadata
    """
    n = ds.count
    band_tags = [ds.tags(i) for i in range(1, n + 1)]
    imagery = [_band_domain(ds, i, "IMAGERY") for i in range(1, n + 1)]
    try:
        envi = ds.tags(ns="ENVI") if "ENVI" in (ds.tag_namespaces() or []) else {}
    except Exception:  # pragma: no cover - drivers without namespaces
        envi = {}
    dataset_tags = ds.tags()
    unfit = _unfit_lists(envi, n, ds.name)

    def per_band(key: str) -> list[str] | None:
        values = [t.get(key) for t in band_tags]
        if key in unfit:
            return None
        if all(v is not None for v in values):
            return values  # type: ignore[return-value]
        return _envi_list(envi.get(key) or envi.get(key.replace("_", " ")))

    def imagery_um(key: str) -> np.ndarray | None:
        values = _floats([t.get(key) for t in imagery], n)
        if values is None or any(_ENVI_LISTS[k] == key for k in unfit):
            return None
        return values * 1000.0

    units = band_tags[0].get("wavelength_units") if n else None
    units = units or envi.get("wavelength_units") or dataset_tags.get("wavelength_units")
    wavelength = _floats(per_band("wavelength"), n)
    if wavelength is None and "wavelength" not in unfit:
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
    bbl = _floats(per_band("bbl"), n)
    scale = np.array([1.0 if s is None else s for s in ds.scales], dtype=float)
    check_scale(scale, "the band scale", ds.name)
    offset = np.array([0.0 if o is None else o for o in ds.offsets], dtype=float)
    reflectance_scale = _floats([envi.get("reflectance_scale_factor")], 1)
    if reflectance_scale is not None:
        check_scale(reflectance_scale, "the ENVI header's reflectance scale factor", ds.name)
        if np.all(scale == 1.0):
            scale = np.full(n, 1.0 / reflectance_scale[0])
    known = {"wavelength": wavelength, "fwhm": fwhm, "bbl": None if bbl is None else bbl != 0}
    return BandMetadata.of(
        n,
        **{k: v for k, v in known.items() if v is not None},
        scale=scale,
        offset=offset,
        nodata=ds.nodata,
    )

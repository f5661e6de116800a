"""Words for a scene's georeference: the units of its grid and the name of its CRS."""

from __future__ import annotations

from typing import Any

__all__ = ["crs_label", "crs_units"]

_SHORT_UNITS = {"metre": "m", "meter": "m", "degree": "°", "foot": "ft", "US survey foot": "ftUS"}


def crs_units(crs: Any) -> str:
    """The unit of a CRS's coordinates, short (``"m"``, ``"°"``), or ``"px"`` without a CRS.

    >>> from rasterio.crs import CRS
    >>> crs_units(CRS.from_epsg(32633)), crs_units(CRS.from_epsg(4326)), crs_units(None)
    ('m', '°', 'px')
    """
    if crs is None:
        return "px"
    name = crs.units_factor[0]
    return _SHORT_UNITS.get(name, name)


def crs_label(crs: Any) -> str:
    """``EPSG:32633 (WGS 84 / UTM zone 33N)``: a CRS's code and name (``no CRS`` without one)."""
    if crs is None:
        return "no CRS"
    import pyproj

    name = pyproj.CRS.from_user_input(crs.to_wkt()).name
    code = crs.to_string()
    return f"{code} ({name})" if code.upper().startswith(("EPSG:", "ESRI:", "OGC:")) else name

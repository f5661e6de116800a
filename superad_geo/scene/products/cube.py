"""What a product reader returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dask.array as da
from affine import Affine


@dataclass(frozen=True)
class ProductCube:
    """A product's cube, raw, as ``(band, y, x)``, with its georeference and band metadata."""

    data: da.Array
    """Raw values (the file's dtype), ``(band, y, x)``."""
    metadata: dict[str, Any]
    """As :func:`superad_geo.scene.band_metadata.read_band_metadata` returns it."""
    transform: Affine
    crs: Any
    """A CRS rasterio/rioxarray accepts, or None."""
    product: str
    """Short product name, e.g. ``"NEON AOP reflectance"``."""
    geolocation: str | None = None
    """The ``_loc`` file placing a sensor-geometry cube (:mod:`superad_geo.scene.geolocation`)."""

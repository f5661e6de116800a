"""The axes of a picture: map coordinates in the scene's CRS, and outlines drawn on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine

from superad_geo.scene.georeference import crs_label, crs_units

__all__ = ["MapFrame", "draw_outlines", "label_axes", "map_frame"]


@dataclass(frozen=True)
class MapFrame:
    """Where a picture's pixels lie on its axes: map coordinates, or pixels without a map grid.

    Attributes
    ----------
    transform : affine.Affine
        Scene pixel (column, row) → axes coordinates.
    extent : (left, right, bottom, top)
        Of the whole scene, for ``imshow``.
    xlabel, ylabel : str
    """

    transform: Affine
    extent: tuple[float, float, float, float]
    xlabel: str
    ylabel: str


def map_frame(scene: Any, height: int, width: int) -> MapFrame:
    """The axes of a picture of ``scene``: its CRS's coordinates when it has a north-up grid.

    A scene without CRS, or on a rotated grid, is drawn in pixels (column,
    row); one placed by geolocation arrays says so.
    """
    rio = getattr(scene, "rio", None)
    crs = rio.crs if rio is not None else None
    transform = rio.transform() if rio is not None else Affine.identity()
    if crs is None or transform.b != 0 or transform.d != 0:
        placed = getattr(scene, "attrs", {}).get("geolocation")
        note = f" (sensor geometry, placed by {Path(placed).name})" if placed else ""
        return MapFrame(Affine.identity(), (0.0, width, height, 0.0), f"column{note}", "row")
    left, top = transform * (0, 0)
    right, bottom = transform * (width, height)
    units = crs_units(crs)
    names = ("longitude", "latitude") if crs.is_geographic else ("easting", "northing")
    return MapFrame(
        transform,
        (left, right, bottom, top),
        f"{names[0]} ({units}) — {crs_label(crs)}",
        f"{names[1]} ({units})",
    )


def draw_outlines(ax: Any, truth: np.ndarray, transform: Affine, colour: str = "cyan") -> int:
    """Outline the regions of a ``(y, x)`` truth mask on ``ax``, in the frame's coordinates.

    The outlines run half a pixel outside the regions' pixels, so that they
    hide none of the scores drawn on them. Returns the number of outlines drawn.
    """
    from rasterio.features import shapes
    from shapely.geometry import shape

    mask = np.asarray(truth, dtype=bool)
    margin = 0.5 * abs(transform.a)
    rings = 0
    for geometry, _ in shapes(mask.astype(np.uint8), mask=mask, transform=transform):
        grown = shape(geometry).buffer(margin, join_style="mitre")
        for ring in (grown.exterior, *grown.interiors):
            xy = np.asarray(ring.coords)
            ax.plot(xy[:, 0], xy[:, 1], color=colour, linewidth=0.6)
            rings += 1
    return rings


def label_axes(ax: Any, frame: MapFrame) -> None:
    """Map-coordinate ticks (plain numbers, four or so per axis) and the frame's axis labels."""
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(4))
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        axis.set_major_formatter(formatter)
    ax.tick_params(labelsize=7)
    ax.set_xlabel(frame.xlabel, fontsize=8)
    ax.set_ylabel(frame.ylabel, fontsize=8)

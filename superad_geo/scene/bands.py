"""Band selection: 1-based index ranges, wavelength ranges, water-vapour bands.

Band numbers count from 1 as GDAL does and refer to the bands of the file
(the ``band`` coordinate of a scene from :func:`superad_geo.open_scene`), so
they keep their meaning after other bands have been dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import xarray as xr

from superad_geo.errors import BandSelectionError

#: Water-vapour absorption windows in nm (1.4 and 1.9 um), dropped by
#: ``drop_water_bands``. Band centres inside ``[lo, hi]`` are removed.
WATER_VAPOUR_NM: tuple[tuple[float, float], ...] = ((1330.0, 1460.0), (1780.0, 1970.0))

_UNITS = {"nm": 1.0, "um": 1000.0, "µm": 1000.0, "μm": 1000.0, "micron": 1000.0}
_RANGE = re.compile(
    r"^\s*(?P<lo>\d+(?:\.\d*)?)\s*(?:-\s*(?P<hi>\d+(?:\.\d*)?))?\s*(?P<unit>nm|um|µm|μm|micron)?\s*$",
    re.IGNORECASE,
)


def parse_band_spec(spec: str) -> list[tuple[float, float, str]]:
    """Parse a band specification into ``(lo, hi, kind)`` ranges.

    ``kind`` is ``"index"`` (1-based band numbers, inclusive) or ``"nm"``
    (wavelengths in nm, inclusive; µm ranges are converted).

    Parameters
    ----------
    spec : str
        Comma-separated items such as ``"1-100,120-150"``, ``"7"``,
        ``"400-1300nm,1500-1800nm"`` or ``"0.4-1.3um"``. A unit after a range
        makes it a wavelength range.

    Raises
    ------
    BandSelectionError
        If an item cannot be parsed or a range is reversed.

    Examples
    --------
    >>> parse_band_spec("1-3, 400-500nm, 1.5-1.8um")
    [(1.0, 3.0, 'index'), (400.0, 500.0, 'nm'), (1500.0, 1800.0, 'nm')]
    """
    ranges = []
    for item in str(spec).split(","):
        if not item.strip():
            continue
        match = _RANGE.match(item)
        if match is None:
            raise BandSelectionError(
                f"cannot parse band item {item.strip()!r}; write 1-based band numbers "
                "like '1-100,120-150' or wavelength ranges like '400-1300nm' or '0.4-1.3um'"
            )
        lo = float(match["lo"])
        hi = float(match["hi"]) if match["hi"] is not None else lo
        if hi < lo:
            raise BandSelectionError(f"band range {item.strip()!r} is reversed; write low-high")
        unit = match["unit"]
        if unit is None:
            if lo != int(lo) or hi != int(hi) or lo < 1:
                raise BandSelectionError(
                    f"band numbers must be whole numbers >= 1, got {item.strip()!r}; "
                    "add 'nm' or 'um' for a wavelength range"
                )
            ranges.append((lo, hi, "index"))
        else:
            factor = _UNITS.get(unit.lower(), 1000.0)
            ranges.append((lo * factor, hi * factor, "nm"))
    if not ranges:
        raise BandSelectionError("empty band specification; give e.g. '1-100' or '400-1300nm'")
    return ranges


def select_band_indices(
    spec: str | Sequence[int],
    band_numbers: Sequence[int],
    wavelengths: Sequence[float] | None = None,
) -> np.ndarray:
    """Return the 0-based positions of the bands selected by ``spec``.

    Parameters
    ----------
    spec : str or sequence of int
        A specification for :func:`parse_band_spec`, or 1-based band numbers.
    band_numbers : sequence of int
        The 1-based numbers of the bands present (GDAL band numbers).
    wavelengths : sequence of float, optional
        Band centres in nm (NaN where unknown); needed for wavelength ranges.

    Returns
    -------
    numpy.ndarray of int
        Positions in increasing order.

    Raises
    ------
    BandSelectionError
        If the specification selects no band, or uses wavelengths the scene lacks.
    """
    numbers = np.asarray(band_numbers, dtype=float)
    if isinstance(spec, str):
        ranges = parse_band_spec(spec)
    else:
        ranges = [(float(b), float(b), "index") for b in spec]
    keep = np.zeros(numbers.shape, dtype=bool)
    for lo, hi, kind in ranges:
        if kind == "index":
            keep |= (numbers >= lo) & (numbers <= hi)
        else:
            wl = None if wavelengths is None else np.asarray(wavelengths, dtype=float)
            if wl is None or not np.isfinite(wl).any():
                raise BandSelectionError(
                    "wavelength ranges need band wavelengths, and this scene has none; "
                    "select bands by number instead (e.g. '1-100')"
                )
            keep |= (wl >= lo) & (wl <= hi)
    if not keep.any():
        raise BandSelectionError(
            f"band selection {spec!r} selects no band; the scene has bands "
            f"{int(numbers.min())}-{int(numbers.max())}"
            + (
                f" covering {np.nanmin(wavelengths):.0f}-{np.nanmax(wavelengths):.0f} nm"
                if wavelengths is not None and np.isfinite(np.asarray(wavelengths, float)).any()
                else ""
            )
        )
    return np.flatnonzero(keep)


def water_vapour_mask(wavelengths: Sequence[float]) -> np.ndarray:
    """Return True for band centres inside a water-vapour window (:data:`WATER_VAPOUR_NM`)."""
    wl = np.asarray(wavelengths, dtype=float)
    drop = np.zeros(wl.shape, dtype=bool)
    for lo, hi in WATER_VAPOUR_NM:
        drop |= (wl >= lo) & (wl <= hi)
    return drop


def select_bands(
    scene: xr.DataArray,
    bands: str | Sequence[int] | None = None,
    *,
    drop_water_bands: bool = False,
    drop_bad_bands: bool = True,
) -> xr.DataArray:
    """Return the scene restricted to the chosen bands (lazy).

    Parameters
    ----------
    scene : xarray.DataArray
        ``(band, y, x)`` scene; its ``band`` coordinate gives the 1-based band
        numbers, an optional ``wavelength`` coordinate the centres in nm and an
        optional ``bbl`` coordinate the good-band flags.
    bands : str or sequence of int, optional
        Band specification (see :func:`parse_band_spec`); None keeps all.
    drop_water_bands : bool
        Drop bands centred in the water-vapour windows. Needs wavelengths.
    drop_bad_bands : bool
        Drop bands whose ``bbl`` flag is 0.

    Raises
    ------
    BandSelectionError
        If nothing is left, or water bands are to be dropped without wavelengths.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> s = xr.DataArray(np.zeros((4, 2, 2)), dims=("band", "y", "x"),
    ...                  coords={"band": [1, 2, 3, 4]})
    >>> select_bands(s, "2-3").band.values.tolist()
    [2, 3]
    """
    numbers = (
        scene["band"].values if "band" in scene.coords else np.arange(1, scene.sizes["band"] + 1)
    )
    wavelengths = scene["wavelength"].values if "wavelength" in scene.coords else None
    keep = np.ones(scene.sizes["band"], dtype=bool)
    if bands is not None and not (isinstance(bands, str) and not bands.strip()):
        chosen = np.zeros_like(keep)
        chosen[select_band_indices(bands, numbers, wavelengths)] = True
        keep &= chosen
    if drop_bad_bands and "bbl" in scene.coords:
        keep &= np.asarray(scene["bbl"].values, dtype=bool)
    if drop_water_bands:
        if wavelengths is None or not np.isfinite(np.asarray(wavelengths, float)).any():
            raise BandSelectionError(
                "cannot drop water-vapour bands: the scene has no band wavelengths; "
                "select bands by number instead (e.g. bands='1-100,120-150')",
                option="bands",
            )
        keep &= ~water_vapour_mask(wavelengths)
    if not keep.any():
        raise BandSelectionError(
            "no band left after band selection, bad-band flags and water-vapour removal; "
            "widen the band selection"
        )
    if keep.all():
        return scene
    return scene.isel(band=np.flatnonzero(keep))


def scene_wavelengths(scene) -> np.ndarray | None:
    """Band centre wavelengths in nm of a (band, y, x) DataArray, or None."""
    for source in (getattr(scene, "coords", {}), getattr(scene, "attrs", {})):
        for key in ("wavelength", "wavelengths"):
            if key in source:
                w = np.asarray(
                    source[key].values if hasattr(source[key], "values") else source[key]
                )
                w = w.astype(np.float64, copy=False).ravel()
                if w.size and np.all(np.isfinite(w)):
                    return w
    return None

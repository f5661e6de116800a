"""EnMAP L2A product: a folder or zip with ``*SPECTRAL_IMAGE*`` GeoTIFF and ``*METADATA.XML``.

The GeoTIFF holds the cube (band, y, x) with its grid, CRS and nodata; the
XML's ``specific/bandCharacterisation`` holds, per ``bandID number``,
``wavelengthCenterOfBand`` and ``FWHMOfBand`` (nm) and ``GainOfBand`` /
``OffsetOfBand`` (value = DN · gain + offset). VNIR and SWIR overlap near
900–1000 nm, so the band order is the product's, not sorted by wavelength.
The path may be the folder (holding the layers itself, not below), the
zip, or the METADATA.XML inside a folder.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from superad_geo.errors import InputError
from superad_geo.scene.band_metadata import check_scale
from superad_geo.scene.products.gdal import GDAL
from superad_geo.scene.products.reader import RawScene, Reader, gdal_files, register

PRODUCT = "EnMAP L2A"


def _members(path: str) -> list[str] | None:
    """Names inside the folder or zip ``path`` (None for anything else)."""
    if os.path.isdir(path):  # a product's files lie in its folder, not below
        return [p.name for p in Path(path).iterdir() if p.is_file()]
    if path.lower().endswith(".zip") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    return None


def _images(names: list[str]) -> list[str]:
    return [n for n in names if "SPECTRAL_IMAGE" in n.upper() and n.upper().endswith(".TIF")]


def _metadata(names: list[str]) -> list[str]:
    return [n for n in names if n.upper().endswith("METADATA.XML")]


def _parts(path: str) -> tuple[str, str, str] | None:
    """The folder or zip, SPECTRAL_IMAGE GeoTIFF and METADATA.XML of a product, if it is one."""
    if path.upper().endswith("METADATA.XML") and os.path.isfile(path):
        path = os.path.dirname(path) or "."
    names = _members(path)
    if names is None:
        return None
    images, metadata = _images(names), _metadata(names)
    if len(images) == 1 and len(metadata) == 1:
        return path, images[0], metadata[0]
    return None


def band_characterisation(xml: bytes) -> dict[str, np.ndarray]:
    """Wavelength, FWHM, gain and offset per band, in ``bandID number`` order."""
    root = ElementTree.fromstring(xml)
    bands = root.findall(".//bandCharacterisation/bandID")
    if not bands:
        raise InputError("the EnMAP METADATA.XML has no bandCharacterisation")
    bands.sort(key=lambda b: int(b.get("number", "0")))

    def values(tag: str, default: float) -> np.ndarray:
        texts = [b.findtext(tag) for b in bands]
        return np.array([default if t is None else float(t) for t in texts], dtype=float)

    return {
        "wavelength": values("wavelengthCenterOfBand", np.nan),
        "fwhm": values("FWHMOfBand", np.nan),
        "scale": values("GainOfBand", 1.0),
        "offset": values("OffsetOfBand", 0.0),
    }


class EnmapReader(Reader):
    """An EnMAP L2A product: its folder, its zip, or the METADATA.XML in its folder."""

    def guess_can_open(self, path: str) -> bool:
        return _parts(path) is not None

    def root(self, path: str) -> str:
        """The product's folder or zip, for any of them or its METADATA.XML."""
        parts = _parts(path)
        return path if parts is None else parts[0]

    def files(self, path: str) -> list[Path]:
        """Every file under the product's folder, in name order; a zip is one file."""
        root = Path(self.root(path)).resolve()
        if root.is_dir():
            return sorted(p for p in root.rglob("*") if p.is_file())
        return gdal_files(str(root))

    def folder_problem(self, path: str) -> str | None:
        """Why a folder or zip of EnMAP layers is not one product; None if it is or holds none."""
        names = _members(path) or []
        images, metadata = _images(names), _metadata(names)
        if (len(images), len(metadata)) in ((1, 1), (0, 0)):
            return None
        found = ", ".join(os.path.basename(n) for n in images) or "none"
        return (
            f"holds {len(images)} EnMAP SPECTRAL_IMAGE GeoTIFF(s) ({found}) and {len(metadata)} "
            "METADATA.XML; an EnMAP L2A product holds one of each: give one product's folder"
        )

    def open(self, path: str, chunks: Mapping[str, int] | None = None) -> RawScene:
        """Read an EnMAP L2A product lazily; band metadata from its METADATA.XML."""
        root, image, metadata = _parts(path)  # type: ignore[misc]
        if os.path.isdir(root):
            xml = Path(root, metadata).read_bytes()
            gdal_path = os.path.join(root, image)
        else:
            with zipfile.ZipFile(root) as z:
                xml = z.read(metadata)
            gdal_path = f"/vsizip/{root}/{image}"
        cube = GDAL.open(gdal_path, chunks)
        bands = band_characterisation(xml)
        check_scale(bands["scale"], "METADATA.XML's GainOfBand", path)
        if bands["wavelength"].size != cube.bands.count:
            raise InputError(
                f"{path!r}: METADATA.XML describes {bands['wavelength'].size} bands, "
                f"the SPECTRAL_IMAGE has {cube.bands.count}"
            )
        return RawScene(
            data=cube.data,
            bands=dataclasses.replace(cube.bands, **bands),
            transform=cube.transform,
            crs=cube.crs,
            product=PRODUCT,
        )


ENMAP = register(EnmapReader())

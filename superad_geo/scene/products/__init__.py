"""Readers of hyperspectral products whose layout GDAL alone misreads or reads without wavelengths.

One module per product family (NEON AOP HDF5, EMIT L2A NetCDF, PRISMA L2D HE5, EnMAP L2A). Each has
``recognises(path) -> bool``, a cheap look at the file, and
``read(path, chunks) -> ProductCube``. :func:`open_product` tries them in
turn for :func:`superad_geo.scene.io.open_scene`, which masks nodata and
applies the scale as it does for any raster.

Band metadata found in the product (wavelengths, FWHM, bad-band flags,
scale, nodata) comes first; ``docs/scenes.md`` gives the full precedence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from superad_geo.scene.products import emit, enmap, neon, prisma
from superad_geo.scene.products.cube import ProductCube

READERS = (neon, emit, prisma, enmap)


def is_product_folder(path: str) -> bool:
    """True for a folder that holds one product (an EnMAP L2A product folder), not a collection."""
    return os.path.isdir(path) and enmap.recognises(path)


def is_product(path: str) -> bool:
    """True for a folder or zip that holds one product: one scene, whatever its parts."""
    return (os.path.isdir(path) or path.lower().endswith(".zip")) and enmap.recognises(path)


def product_root(path: str) -> str | None:
    """The product folder or zip that ``path`` (folder, zip, METADATA.XML) stands for, if any."""
    return enmap.product_root(path)


def folder_problem(path: str) -> str | None:
    """Why the folder ``path`` cannot be read as a scene; None for one product's folder."""
    if is_product_folder(path):
        return None
    return enmap.folder_problem(path) or "is a folder, not a file nor a product folder"


def open_product(path: str, chunks: Mapping[str, int] | None = None) -> ProductCube | None:
    """The cube of the first reader that recognises ``path``, or None for a plain raster."""
    for reader in READERS:
        if reader.recognises(path):
            return reader.read(path, chunks=chunks)
    return None

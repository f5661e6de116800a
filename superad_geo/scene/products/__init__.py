"""The readers of every input: one module each, registering its :class:`~.reader.Reader`.

- :mod:`.neon` (NEON AOP HDF5), :mod:`.emit` (EMIT L2A NetCDF), :mod:`.prisma`
  (PRISMA L2D HE5), :mod:`.enmap` (EnMAP L2A folder or zip): products whose
  layout GDAL alone misreads or reads without wavelengths;
- :mod:`.matlab`: ``.mat`` benchmark cubes;
- :mod:`.gdal`: any other raster GDAL reads, the fallback.

Importing this package registers them all. A reader returns a
:class:`~.reader.RawScene` (raw values and their
:class:`~superad_geo.scene.band_metadata.BandMetadata`);
:func:`superad_geo.open_scene` decodes it the same way for every reader.
Band metadata found in a product comes first; ``docs/scenes.md`` gives the
full precedence.
"""

from superad_geo.scene.products import emit, enmap, gdal, matlab, neon, prisma  # noqa: F401
from superad_geo.scene.products.reader import (
    READERS,
    RawScene,
    Reader,
    folder_problem,
    is_product,
    is_product_folder,
    reader_for,
    register,
)

__all__ = [
    "READERS",
    "RawScene",
    "Reader",
    "folder_problem",
    "is_product",
    "is_product_folder",
    "reader_for",
    "register",
]

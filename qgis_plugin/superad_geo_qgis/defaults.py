"""The plugin's copy of the ``superad-geo`` command line's defaults and choices.

QGIS's Python cannot import ``superad_geo`` (no PyTorch there), so the plugin
keeps this small table. ``tests/qgis_plugin/test_defaults.py`` checks it
against the click commands, so a change in the command line that is not
mirrored here fails the tests.

Keys are the Processing parameter names; each mirrors a command line flag:
``TILE_SIZE`` ↔ ``--tile-size`` (see :func:`flag`). ``None`` means "not
passed": the command line then decides (``STEPS``: the preset's number,
``TRAINING``: the preset's training).
"""

from __future__ import annotations

from typing import Any

#: ``superad-geo detect`` options mirrored by ``superad:detect``.
DETECT: dict[str, Any] = {
    "METHOD": "superad",
    "PRESET": "default",
    "STEPS": None,
    "TRAINING": None,
    "TILE_SIZE": 512,
    "OVERLAP": 64,
    "DEVICE": "auto",
    "SEED": 0,
    "BANDS": None,
    "DROP_WATER_BANDS": False,
    "NODATA": None,
    "ROI": None,
    "MASK_OUT": None,
    "QUANTILE": None,
    "FAR": None,
    "WORKERS": 1,
    "SCHEDULER": None,
}

#: ``superad-geo detect --method rx`` options mirrored by ``superad:rx``.
RX: dict[str, Any] = {
    key: DETECT[key]
    for key in ("BANDS", "DROP_WATER_BANDS", "NODATA", "ROI", "MASK_OUT", "QUANTILE", "FAR")
}

#: ``superad-geo threshold`` options mirrored by ``superad:threshold``.
THRESHOLD: dict[str, Any] = {
    "QUANTILE": None,
    "FAR": None,
    "VECTOR": None,
}

#: Allowed values of the choice options, in the order the dialog lists them.
CHOICES: dict[str, tuple[str, ...]] = {
    "METHOD": ("superad", "rx"),
    "PRESET": ("default", "fast", "reference"),
    "TRAINING": ("auto", "scene", "tile"),
    "DEVICE": ("auto", "cpu", "cuda"),
}


def flag(key: str) -> str:
    """Return the command line flag that parameter ``key`` mirrors.

    >>> flag("TILE_SIZE")
    '--tile-size'
    """
    return "--" + key.lower().replace("_", "-")

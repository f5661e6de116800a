"""The plugin's table of the ``superad-geo`` command line's options, their defaults and choices.

QGIS's Python cannot import ``superad_geo`` (no PyTorch there), so the detect
parameters come from ``parameters.json``, written from the package's options
when the plugin is built (``qgis_plugin/make_parameters.py``): each with its
label, help, kind, default, choices and the detector it belongs to.
``tests/qgis_plugin/test_qgis_defaults.py`` checks the tables against the
click commands.

Keys are the Processing parameter names; each mirrors a command line flag:
``TILE_SIZE`` ↔ ``--tile-size`` (see :func:`flag`). ``None`` means "not
passed": the command line then decides (``STEPS``: the preset's number,
``TRAINING``: the preset's training).
"""

from __future__ import annotations

import json
import os
from typing import Any

with open(os.path.join(os.path.dirname(__file__), "parameters.json"), encoding="utf-8") as f:
    #: The options of a run the detect dialog offers, in the command line's order.
    PARAMETERS: list[dict[str, Any]] = json.load(f)

#: ``superad:rx``'s (``detect --method rx``): the options every detector uses.
RX_PARAMETERS = [p for p in PARAMETERS if p["detector"] is None and p["key"] != "METHOD"]

#: The mask written beside the scores, and its threshold rule.
MASK: dict[str, Any] = {"MASK_OUT": None, "QUANTILE": None, "FAR": None}

#: ``superad-geo detect`` options mirrored by ``superad:detect``.
DETECT: dict[str, Any] = {**{p["key"]: p["default"] for p in PARAMETERS}, **MASK}

#: ``superad-geo detect --method rx`` options mirrored by ``superad:rx``.
RX: dict[str, Any] = {**{p["key"]: p["default"] for p in RX_PARAMETERS}, **MASK}

#: ``superad-geo threshold`` options mirrored by ``superad:threshold``.
THRESHOLD: dict[str, Any] = {"QUANTILE": None, "FAR": None, "VECTOR": None}

#: Allowed values of the choice options, in the order the dialog lists them.
CHOICES: dict[str, tuple[str, ...]] = {
    p["key"]: tuple(p["choices"]) for p in PARAMETERS if p["choices"]
}


def flag(key: str) -> str:
    """Return the command line flag that parameter ``key`` mirrors.

    >>> flag("TILE_SIZE")
    '--tile-size'
    """
    return "--" + key.lower().replace("_", "-")

"""The fingerprint of a result: the input's content and the options its detector's scores depend on.

A finished score raster carries it in its ``SUPERAD_FINGERPRINT`` tag, so
that ``batch`` can tell an output made from this input with these options
from a stale one; the work folder of an interrupted run is keyed by it too.
The input's identity is the content of all its files
(:func:`superad_geo.scene.identity.content_identity`); a DataArray's, its
dask graph's name.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np
import xarray as xr

from superad_geo.detectors import get_detector
from superad_geo.options import DetectOptions
from superad_geo.scene.identity import content_identity

#: Tag of a score raster holding its run's fingerprint.
FINGERPRINT_TAG = "SUPERAD_FINGERPRINT"

#: Version of what a fingerprint covers; bump when the same options give other scores.
FINGERPRINT_VERSION = 11


def source_identity(source: Any, opened: xr.DataArray) -> Any:
    """What identifies an input: a file's content, an array's dask name (``opened``'s)."""
    if isinstance(source, xr.DataArray):
        return {"name": str(opened.attrs.get("source", opened.name)), "dask": opened.data.name}
    return content_identity(source)


def result_fingerprint(identity: Any, options: DetectOptions) -> str:
    """Fingerprint of a run's result: the input's ``identity`` and the options that shape it.

    The options are those the detector's scores depend on
    (:meth:`~superad_geo.detectors.base.Detector.fingerprint`); how the run
    is executed (device, workers, threads, batch size, scheduler) changes at
    most the last bits of rounding and is left out. The same input with the
    same options gives the same fingerprint on any machine.
    """
    chosen = get_detector(options.method).fingerprint(options)
    roi = chosen.get("roi")
    if roi is not None:
        chosen["roi"] = np.asarray(roi) if hasattr(roi, "shape") else content_identity(roi)
    key = {"version": FINGERPRINT_VERSION, "input": identity, "options": chosen}
    text = json.dumps(key, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def file_fingerprint(path: str | os.PathLike, options: DetectOptions) -> str:
    """The fingerprint a run on the input ``path`` with ``options`` gives its result."""
    return result_fingerprint(content_identity(path), options)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


__all__ = [
    "FINGERPRINT_TAG",
    "FINGERPRINT_VERSION",
    "file_fingerprint",
    "result_fingerprint",
    "source_identity",
]

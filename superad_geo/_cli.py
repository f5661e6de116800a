"""The command line's way into the package: one private facade beside the public API.

``superad_geo_cli`` imports :mod:`superad_geo` (what a Python user sees) and
this module, nothing else of the package; so do the QGIS plugin's build
scripts, which write the dialog's parameter table from :func:`offered_options`.
Names are imported on first use (PEP 562), so ``--help`` stays light.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from superad_geo._lazy import lazy_names
from superad_geo.options import Option, option_fields

_LAZY: dict[str, str] = {
    # options and plans
    "options_from": "superad_geo.options",
    "DETECTORS": "superad_geo.detectors",
    "plan_scene": "superad_geo.pipeline.plan",
    "estimate_run": "superad_geo.pipeline.plan",
    "FINGERPRINT_TAG": "superad_geo.pipeline.fingerprint",
    "file_fingerprint": "superad_geo.pipeline.fingerprint",
    # inputs
    "is_product": "superad_geo.scene.products",
    "is_product_folder": "superad_geo.scene.products",
    "product_folder_problem": "superad_geo.scene.products:folder_problem",
    "is_virtual_path": "superad_geo.scene.paths:is_virtual",
    "is_stac": "superad_geo.scene.stac",
    "stac_problem": "superad_geo.scene.stac",
    "stac_scenes": "superad_geo.scene.stac",
    "write_result_item": "superad_geo.scene.stac",
    "crs_units": "superad_geo.scene.georeference",
    # errors, outputs, optional dependencies
    "causes": "superad_geo.errors",
    "unreadable_block": "superad_geo.errors",
    "atomic_write": "superad_geo.files",
    "check_output": "superad_geo.files",
    "require": "superad_geo.extras",
    # a dask cluster
    "connect_scheduler": "superad_geo.pipeline.execute",
    "cluster_result": "superad_geo.pipeline.execute",
    "SchedulerLost": "superad_geo.pipeline.execute",
    # evaluation
    "prepare_scores": "superad_geo.evaluation.metrics:prepare",
    "save_png": "superad_geo.evaluation.quicklook",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)


class Offered(NamedTuple):
    """An option as the command line (``about.flag``) and the dialog (``about.label``) offer it."""

    name: str
    default: Any
    about: Option


def offered_options() -> list[Offered]:
    """Every option offered on the command line or in the QGIS dialog, in field order.

    The choices of ``method`` and ``preset`` are the registered detectors and
    presets; ``method``'s help names what each detector is.
    """
    from superad_geo.detectors import DETECTORS
    from superad_geo.model.presets import PRESETS

    methods = "; ".join(f"{name} ({d.summary})" for name, d in DETECTORS.items())
    registries = {"method": tuple(DETECTORS), "preset": tuple(sorted(PRESETS))}
    offered = []
    for f in option_fields():
        about = f.metadata["option"]
        if not (about.flag or about.label):
            continue
        if f.name in registries:
            about = dataclasses.replace(about, choices=registries[f.name])
        if f.name == "method":
            about = dataclasses.replace(about, help=f"{about.help}: {methods}.")
        offered.append(Offered(f.name, f.default, about))
    return offered


__all__ = ["Offered", "offered_options", *_LAZY]

"""superad-geo: Super-AD hyperspectral anomaly detection for georeferenced scenes.

The public API. Names are imported on first use (PEP 562), so that
``import superad_geo`` is fast and loads neither torch nor rasterio; torch is
loaded when something is scored with Super-AD. The import registers the
``.superad`` accessor of xarray DataArrays (:mod:`superad_geo.accessor`),
so it loads xarray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from superad_geo import accessor as _accessor  # noqa: F401  (registers DataArray.superad)
from superad_geo.errors import (
    AmbiguousInputError,
    BandSelectionError,
    DependencyError,
    DeviceError,
    InputError,
    NoValidPixelsError,
    OptionError,
    OutputError,
    SuperadGeoError,
    TilingError,
)

__version__ = "0.1.0"

#: Public name -> module that defines it (``module:name`` where the names differ).
_LAZY: dict[str, str] = {
    # scoring
    "detect": "superad_geo.pipeline.api",
    "detect_file": "superad_geo.pipeline.api",
    "FileResult": "superad_geo.pipeline.api",
    "preflight": "superad_geo.pipeline.plan",
    "open_checked": "superad_geo.pipeline.plan",
    "tile_plan": "superad_geo.pipeline.plan",
    "score_cube": "superad_geo.model.training",
    "score_cubes": "superad_geo.model.training",
    "rx_scores": "superad_geo.model.rx",
    "DETECTORS": "superad_geo.detectors",
    # options
    "DetectOptions": "superad_geo.options",
    "Execution": "superad_geo.options",
    "DEFAULTS": "superad_geo.options",
    "SEED_RANGE": "superad_geo.options",
    "PRESETS": "superad_geo.model.presets",
    # scenes
    "open_scene": "superad_geo.scene.io",
    "read_mat": "superad_geo.scene.mat",
    "read_mat_truth": "superad_geo.scene.mat",
    "make_scene": "superad_geo.scene.synthetic",
    "is_product_folder": "superad_geo.scene.products",
    "is_product": "superad_geo.scene.products",
    "product_folder_problem": "superad_geo.scene.products:folder_problem",
    "is_virtual_path": "superad_geo.scene.paths:is_virtual",
    "is_stac": "superad_geo.scene.stac",
    "stac_problem": "superad_geo.scene.stac",
    "stac_scenes": "superad_geo.scene.stac",
    "write_result_item": "superad_geo.scene.stac",
    "require": "superad_geo.extras",
    "causes": "superad_geo.errors",
    "FINGERPRINT_TAG": "superad_geo.pipeline.resume",
    "result_fingerprint": "superad_geo.pipeline.resume",
    "connect_scheduler": "superad_geo.pipeline.execute",
    "cluster_result": "superad_geo.pipeline.execute",
    "SchedulerLost": "superad_geo.pipeline.execute",
    "check_scheduler_address": "superad_geo.pipeline.execute",
    "unreadable_block": "superad_geo.errors",
    "parse_band_spec": "superad_geo.scene.bands",
    "select_bands": "superad_geo.scene.bands",
    "scene_wavelengths": "superad_geo.scene.bands",
    "crs_units": "superad_geo.scene.georeference",
    # outputs and evaluation
    "check_output": "superad_geo.files",
    "one_line": "superad_geo.files",
    "atomic_write": "superad_geo.files",
    "refuse_input_as_output": "superad_geo.files",
    "refuse_unless_geotiff_name": "superad_geo.files",
    "threshold_raster": "superad_geo.evaluation.threshold",
    "VECTOR_DRIVERS": "superad_geo.evaluation.regions",
    "evaluate_scores": "superad_geo.evaluation.metrics",
    "prepare_scores": "superad_geo.evaluation.metrics:prepare",
    "roc_curve": "superad_geo.evaluation.metrics",
    "render_quicklook": "superad_geo.evaluation.quicklook",
    "save_png": "superad_geo.evaluation.quicklook",
}

__all__ = [
    "AmbiguousInputError",
    "BandSelectionError",
    "DEFAULTS",
    "SEED_RANGE",
    "DETECTORS",
    "DependencyError",
    "DetectOptions",
    "DeviceError",
    "Execution",
    "FileResult",
    "InputError",
    "NoValidPixelsError",
    "OptionError",
    "OutputError",
    "PRESETS",
    "SuperadGeoError",
    "TilingError",
    "__version__",
    "atomic_write",
    "check_output",
    "detect",
    "detect_file",
    "evaluate_scores",
    "make_scene",
    "one_line",
    "open_checked",
    "open_scene",
    "parse_band_spec",
    "preflight",
    "prepare_scores",
    "read_mat",
    "read_mat_truth",
    "render_quicklook",
    "roc_curve",
    "rx_scores",
    "save_png",
    "scene_wavelengths",
    "score_cube",
    "score_cubes",
    "select_bands",
    "threshold_raster",
    "tile_plan",
    "is_product_folder",
    "is_product",
    "product_folder_problem",
    "is_virtual_path",
    "is_stac",
    "stac_problem",
    "require",
    "stac_scenes",
    "write_result_item",
    "causes",
    "unreadable_block",
    "FINGERPRINT_TAG",
    "result_fingerprint",
    "connect_scheduler",
    "cluster_result",
    "SchedulerLost",
    "check_scheduler_address",
    "crs_units",
    "refuse_input_as_output",
    "refuse_unless_geotiff_name",
    "VECTOR_DRIVERS",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'superad_geo' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from superad_geo.detectors import DETECTORS
    from superad_geo.errors import causes, unreadable_block
    from superad_geo.evaluation.metrics import evaluate_scores, roc_curve
    from superad_geo.evaluation.metrics import prepare as prepare_scores
    from superad_geo.evaluation.quicklook import render_quicklook, save_png
    from superad_geo.evaluation.regions import VECTOR_DRIVERS
    from superad_geo.evaluation.threshold import threshold_raster
    from superad_geo.extras import require
    from superad_geo.files import (
        atomic_write,
        check_output,
        one_line,
        refuse_input_as_output,
        refuse_unless_geotiff_name,
    )
    from superad_geo.model.presets import PRESETS
    from superad_geo.model.rx import rx_scores
    from superad_geo.model.training import score_cube, score_cubes
    from superad_geo.options import DEFAULTS, SEED_RANGE, DetectOptions, Execution
    from superad_geo.pipeline.api import FileResult, detect, detect_file
    from superad_geo.pipeline.execute import (
        SchedulerLost,
        check_scheduler_address,
        cluster_result,
        connect_scheduler,
    )
    from superad_geo.pipeline.plan import open_checked, preflight, tile_plan
    from superad_geo.pipeline.resume import FINGERPRINT_TAG, result_fingerprint
    from superad_geo.scene.bands import parse_band_spec, scene_wavelengths, select_bands
    from superad_geo.scene.georeference import crs_units
    from superad_geo.scene.io import open_scene
    from superad_geo.scene.mat import read_mat, read_mat_truth
    from superad_geo.scene.paths import is_virtual as is_virtual_path
    from superad_geo.scene.products import folder_problem as product_folder_problem
    from superad_geo.scene.products import is_product, is_product_folder
    from superad_geo.scene.stac import is_stac, stac_problem, stac_scenes, write_result_item
    from superad_geo.scene.synthetic import make_scene

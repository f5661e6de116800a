"""superad-geo: Super-AD hyperspectral anomaly detection for georeferenced scenes.

The public API: what a Python user calls (:data:`__all__`). Names are
imported on first use (PEP 562), so that ``import superad_geo`` is fast and
loads neither torch nor rasterio; torch is loaded when something is scored
with Super-AD. The import registers the ``.superad`` accessor of xarray
DataArrays (:mod:`superad_geo.accessor`), so it loads xarray. (The command
line reaches the rest through one private facade, :mod:`superad_geo._cli`.)
"""

from __future__ import annotations

import os

# torch's OpenMP threads wait for work passively unless the user chose otherwise: beside busy
# processes, spinning threads made training 2-9x slower, with bit-identical scores
# (benchmarks/omp_wait.py). OpenMP reads it when torch loads, which is later (lazy names).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from superad_geo import accessor as _accessor  # noqa: F401  (registers DataArray.superad)
from superad_geo._lazy import lazy_names
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
from superad_geo.version import __version__

#: Public name -> module that defines it (``module:name`` where the names differ).
_LAZY: dict[str, str] = {
    # scoring scenes
    "detect": "superad_geo.pipeline.api",
    "detect_file": "superad_geo.pipeline.api",
    "FileResult": "superad_geo.pipeline.api",
    "tile_plan": "superad_geo.pipeline.plan",
    "DetectOptions": "superad_geo.options",
    "Execution": "superad_geo.options",
    "DEFAULTS": "superad_geo.options",
    "DETECTORS": "superad_geo.detectors",
    "Detector": "superad_geo.detectors.base",
    # the engine on arrays
    "score_cube": "superad_geo.model.training",
    "score_cubes": "superad_geo.model.training",
    "rx_scores": "superad_geo.model.rx",
    "PRESETS": "superad_geo.model.presets",
    # scenes
    "open_scene": "superad_geo.scene.io",
    "read_mat": "superad_geo.scene.mat",
    "read_mat_truth": "superad_geo.scene.mat",
    "make_scene": "superad_geo.scene.synthetic",
    "parse_band_spec": "superad_geo.scene.bands",
    "select_bands": "superad_geo.scene.bands",
    "scene_wavelengths": "superad_geo.scene.bands",
    # evaluation
    "threshold_raster": "superad_geo.evaluation.threshold",
    "evaluate_scores": "superad_geo.evaluation.metrics",
    "roc_curve": "superad_geo.evaluation.metrics",
    "render_quicklook": "superad_geo.evaluation.quicklook",
}

#: What ``from superad_geo import *`` gives: the errors, the version, and every name above.
__all__ = [
    "AmbiguousInputError",
    "BandSelectionError",
    "DependencyError",
    "DeviceError",
    "InputError",
    "NoValidPixelsError",
    "OptionError",
    "OutputError",
    "SuperadGeoError",
    "TilingError",
    "__version__",
]
__all__ += list(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY)

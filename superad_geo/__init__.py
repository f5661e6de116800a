"""superad-geo: Super-AD hyperspectral anomaly detection for georeferenced scenes."""

from superad_geo.detectors.rx import rx_scores
from superad_geo.model.training import score_cube, score_cubes
from superad_geo.pipeline import FileResult, detect, detect_file
from superad_geo.scene.io import open_scene, read_mat
from superad_geo.scene.synthetic import make_scene

__version__ = "0.1.0"

__all__ = [
    "FileResult",
    "__version__",
    "detect",
    "detect_file",
    "make_scene",
    "open_scene",
    "read_mat",
    "rx_scores",
    "score_cube",
    "score_cubes",
]

"""superad-geo: Super-AD hyperspectral anomaly detection for georeferenced scenes."""

from superad_geo.io import open_scene, read_mat
from superad_geo.pipeline import FileResult, detect, detect_file
from superad_geo.rx import rx_scores
from superad_geo.synthetic import make_scene
from superad_geo.training import score_cube, score_cubes

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

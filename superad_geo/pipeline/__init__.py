"""Scenes of any size: plan, the pass over the scene, tile tasks, execution, resume, ``detect``."""

from superad_geo.pipeline.api import FileResult, detect, detect_file
from superad_geo.pipeline.plan import tile_plan

__all__ = ["FileResult", "detect", "detect_file", "tile_plan"]

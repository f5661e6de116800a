"""Scenes of any size: plan, tile tasks, execution, resume and the public ``detect`` API."""

from superad_geo.pipeline.api import FileResult, detect, detect_file
from superad_geo.pipeline.plan import preflight, tile_plan

__all__ = ["FileResult", "detect", "detect_file", "preflight", "tile_plan"]

"""Scenes of any size: plan, tile tasks, execution, resume and the public ``detect`` API."""

from superad_geo.pipeline.api import FileResult, detect, detect_file
from superad_geo.pipeline.plan import DEFAULT_OVERLAP, DEFAULT_TILE_SIZE

__all__ = ["DEFAULT_OVERLAP", "DEFAULT_TILE_SIZE", "FileResult", "detect", "detect_file"]

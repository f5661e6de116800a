"""Shared fixtures of the core tests: real data paths and small synthetic rasters."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ENMAP = SHARED / "enmap-potsdam"
HAD = SHARED / "had"


@pytest.fixture(scope="session")
def enmap_vrt() -> Path:
    path = ENMAP / "mosaic.vrt"
    if not path.exists():
        pytest.skip("shared EnMAP data not available")
    return path


@pytest.fixture(scope="session")
def had_dir() -> Path:
    if not HAD.exists():
        pytest.skip("shared HAD benchmark scenes not available")
    return HAD

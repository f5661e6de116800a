"""Shared fixtures of the core tests: real data paths and small synthetic rasters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ENMAP = SHARED / "enmap-potsdam"
HAD = SHARED / "had"
PRODUCTS = SHARED / "products"


@pytest.fixture(scope="session")
def enmap_vrt() -> Path:
    path = ENMAP / "mosaic.vrt"
    if not path.exists():
        pytest.skip("shared EnMAP data not available")
    return path


@pytest.fixture(scope="session")
def products_dir() -> Path:
    if not PRODUCTS.exists():
        pytest.skip("shared product files not available")
    return PRODUCTS


@pytest.fixture(scope="session")
def had_dir() -> Path:
    if not HAD.exists():
        pytest.skip("shared HAD benchmark scenes not available")
    return HAD


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch thread for the module's tests (accuracy checks).

    The float summation order depends on the thread count, and training is
    chaotic (``docs/accuracy.md``): one thread makes a run repeatable on a machine.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

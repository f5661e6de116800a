"""The package metadata: ``pyproject.toml`` as setuptools reads it, without deprecation warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_reads_without_setuptools_warnings():
    """The licence is an SPDX expression (setuptools ≥ 77), not the deprecated table."""
    pytest.importorskip("setuptools", minversion="77", reason="SPDX licences need setuptools 77")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecation warning fails the test
        dist = apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"
    assert not any("License ::" in c for c in dist.metadata.classifiers)

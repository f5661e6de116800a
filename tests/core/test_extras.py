"""Optional dependencies: a command that needs a missing one names the extra and exits 2."""

from __future__ import annotations

import sys

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from superad_geo.errors import DependencyError
from superad_geo.scene.io import open_scene
from superad_geo_cli.main import cli


def test_hdf5_product_without_h5py_names_the_extra(monkeypatch, tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["a"] = np.zeros((3, 4, 5), dtype="f4")
        f["b"] = np.zeros((3, 4, 5), dtype="f4")
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now fails
    with pytest.raises(DependencyError, match=r"pip install 'superad-geo\[hdf5\]'"):
        open_scene(path)


def test_quicklook_without_matplotlib_exits_2(monkeypatch, tmp_path):
    from geotiff_support import write_geotiff

    from superad_geo.scene.synthetic import make_scene

    scene, _ = make_scene((32, 32), 8, seed=1)
    src = write_geotiff(tmp_path / "scene.tif", scene)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = CliRunner().invoke(cli, ["quicklook", str(src), "-o", str(tmp_path / "q.png")])
    assert result.exit_code == 2, result.output
    assert "superad-geo[plots]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "q.png").exists()

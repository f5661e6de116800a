"""The plugin zip and the plugin's sources, without QGIS."""

from __future__ import annotations

import configparser
import zipfile

from child_processes import run_python
from plugin_support import PLUGIN_NAME, PLUGIN_ROOT


def test_zip_holds_one_installable_plugin_folder(plugin_zip):
    with zipfile.ZipFile(plugin_zip) as archive:
        names = archive.namelist()
        metadata = configparser.ConfigParser()
        metadata.read_string(archive.read(f"{PLUGIN_NAME}/metadata.txt").decode("utf-8"))
    assert all(name.startswith(f"{PLUGIN_NAME}/") for name in names)
    for required in ("__init__.py", "metadata.txt", "icon.png", "provider.py", "runner.py"):
        assert f"{PLUGIN_NAME}/{required}" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    general = metadata["general"]
    assert general["hasProcessingProvider"] == "yes"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["icon"] == "icon.png"


def test_plugin_never_imports_torch_or_the_package():
    for source in (PLUGIN_ROOT / PLUGIN_NAME).glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for module in ("torch", "superad_geo.", "superad_geo_cli"):
            assert f"import {module}" not in text and f"from {module}" not in text, source


def test_build_script_writes_the_versioned_zip(tmp_path):
    built = run_python(
        [str(PLUGIN_ROOT / "build_zip.py"), "-o", str(tmp_path / "p.zip")], text=True
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == str(tmp_path / "p.zip")
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        assert archive.testzip() is None


def test_icon_is_the_generated_png():
    import make_icon

    assert (PLUGIN_ROOT / PLUGIN_NAME / "icon.png").read_bytes() == make_icon.png_bytes()

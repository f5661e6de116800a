"""Build the installable plugin zip (QGIS: Plugins > Manage and Install > Install from ZIP).

The zip holds one top-level folder, ``superad_geo_qgis/``, as QGIS expects;
caches and editor files are left out. The version comes from ``metadata.txt``.
The parameter table, ``parameters.json``, is written now from superad-geo's
options (``make_parameters.py``) when this Python can import superad-geo;
elsewhere the table kept in the sources goes in.

Usage::

    python qgis_plugin/build_zip.py            # -> dist/superad_geo_qgis-<version>.zip
    python qgis_plugin/build_zip.py -o out.zip

Only the standard library is needed, so any Python 3.9+ can run it.
"""

from __future__ import annotations

import argparse
import configparser
import sys
import zipfile
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent / "superad_geo_qgis"
REPO_ROOT = PLUGIN_DIR.parent.parent
TABLE_NAME = "parameters.json"
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".orig", ".rej", ".swp"}


def plugin_version(plugin_dir: Path = PLUGIN_DIR) -> str:
    """Return ``[general] version`` from the plugin's ``metadata.txt``."""
    metadata = configparser.ConfigParser()
    metadata.read(plugin_dir / "metadata.txt", encoding="utf-8")
    return metadata["general"]["version"]


def plugin_files(plugin_dir: Path = PLUGIN_DIR) -> list[Path]:
    """Return the files that go into the zip, sorted."""
    files = []
    for path in sorted(plugin_dir.rglob("*")):
        relative = path.relative_to(plugin_dir)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in _SKIP_SUFFIXES:
            files.append(path)
    return files


def fresh_table() -> bytes | None:
    """The parameter table written from superad-geo's options, or None without superad-geo."""
    from make_parameters import table_text

    try:
        return table_text().encode("utf-8")
    except ModuleNotFoundError:
        return None


def build_zip(output: Path | None = None, plugin_dir: Path = PLUGIN_DIR) -> Path:
    """Write the plugin zip and return its path.

    Parameters
    ----------
    output
        Where to write; by default ``dist/<folder>-<version>.zip`` in the repository.
    plugin_dir
        The plugin folder; its name is the zip's top-level folder.
    """
    if output is None:
        output = REPO_ROOT / "dist" / f"{plugin_dir.name}-{plugin_version(plugin_dir)}.zip"
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    table = fresh_table()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in plugin_files(plugin_dir):
            name = (Path(plugin_dir.name) / path.relative_to(plugin_dir)).as_posix()
            if path.name == TABLE_NAME and table is not None:
                archive.writestr(name, table)
            else:
                archive.write(path, name)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, help="zip file to write")
    args = parser.parse_args(argv)
    print(build_zip(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())

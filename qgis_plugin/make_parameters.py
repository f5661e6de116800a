"""Write the plugin's parameter table, ``superad_geo_qgis/parameters.json``, from superad-geo.

QGIS's Python cannot import ``superad_geo`` (no PyTorch there), so the
plugin reads its detect parameters from this table, written from the
package's options (:func:`superad_geo._cli.offered_options`: each option's
label, help, type, default, choices and detector) when the plugin is built:
``build_zip.py`` runs this first. Run it with superad-geo's Python::

    python qgis_plugin/make_parameters.py

``tests/qgis_plugin/test_qgis_defaults.py`` checks that the table kept in the
sources is the one this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parent / "superad_geo_qgis" / "parameters.json"


def _kind(about: Any) -> str:
    """The Processing parameter kind of an option."""
    if about.choices:
        return "enum"
    return {bool: "bool", int: "int", float: "float", str: "string"}.get(about.type, "layer")


def parameter_table() -> list[dict[str, Any]]:
    """The dialog's parameters: every option with a label, in the order of the command line."""
    from superad_geo._cli import offered_options

    return [
        {
            "key": o.name.upper(),
            "kind": _kind(o.about),
            "label": o.about.label,
            "help": o.about.help,
            "default": o.default,
            "choices": list(o.about.choices),
            "minimum": o.about.minimum,
            "advanced": o.about.advanced,
            "detector": o.about.detector,
        }
        for o in offered_options()
        if o.about.label
    ]


def table_text() -> str:
    """The table as written in ``parameters.json``."""
    return json.dumps(parameter_table(), indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    TABLE.write_text(table_text(), encoding="utf-8")
    print(TABLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())

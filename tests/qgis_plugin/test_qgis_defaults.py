"""The plugin's defaults table mirrors the ``superad-geo`` click commands.

The plugin cannot import the command line (QGIS's Python has no torch), so
it reads its own table (``superad_geo_qgis/parameters.json``, written from the
package's options by ``qgis_plugin/make_parameters.py`` when the plugin is
built; ``defaults.py`` around it). These tests keep the two in step: the
table in the sources is the one the options write, with the same flags,
defaults and choices as the commands; a command line option must be offered
in the dialog (a label on its field) or listed in ``NOT_MIRRORED`` with the reason.
"""

from __future__ import annotations

import click
import pytest
from superad_geo_qgis import defaults

cli_main = pytest.importorskip(
    "superad_geo_cli.main", reason="the superad-geo CLI is not installed"
)

#: Command line parameters the algorithms do not offer as parameters, and why.
NOT_MIRRORED = {
    "scene": "the INPUT layer",
    "scores": "the INPUT layer (threshold)",
    "output": "the OUTPUT destination",
    "overwrite": "always passed: Processing asks before replacing a file",
    "progress": "always 'json': the provider reads it",
    "quiet": "the progress bar is never drawn for a pipe",
    "debug": "a group option, for the terminal",
    "batch_size": "automatic: 1 on the CPU, by free GPU memory on a GPU",
}


def _params(command: str) -> dict[str, click.Parameter]:
    return {param.name: param for param in cli_main.cli.commands[command].params}


@pytest.mark.parametrize(
    ("command", "table"),
    [("detect", defaults.DETECT), ("detect", defaults.RX), ("threshold", defaults.THRESHOLD)],
    ids=["detect", "rx", "threshold"],
)
def test_table_matches_click_defaults_and_flags(command, table):
    params = _params(command)
    for key, default in table.items():
        name = key.lower()
        assert name in params, f"{key}: `superad-geo {command}` has no {defaults.flag(key)}"
        param = params[name]
        assert defaults.flag(key) in param.opts, f"{key}: flag {param.opts}"
        assert param.default == default, f"{key}: plugin {default!r}, CLI {param.default!r}"


@pytest.mark.parametrize(
    ("command", "table"),
    [("detect", defaults.DETECT), ("threshold", defaults.THRESHOLD)],
    ids=["detect", "threshold"],
)
def test_every_cli_option_is_mirrored(command, table):
    mirrored = {key.lower() for key in table}
    missing = set(_params(command)) - mirrored - set(NOT_MIRRORED)
    assert not missing, f"`superad-geo {command}` options missing from the plugin: {missing}"


def test_choices_match():
    params = _params("detect")
    for key, choices in defaults.CHOICES.items():
        param = params[key.lower()]
        if isinstance(param.type, click.Choice):
            assert tuple(param.type.choices) == choices, key
        else:  # a validating callback instead of click.Choice (--device accepts cuda:N)
            from superad_geo_cli import options

            assert tuple(getattr(options, key + "S")) == choices, key


def test_the_table_in_the_sources_is_the_one_the_options_write():
    import make_parameters

    assert make_parameters.TABLE.read_text(encoding="utf-8") == make_parameters.table_text(), (
        "run python qgis_plugin/make_parameters.py"
    )


def test_commands_accept_the_flags_the_plugin_always_passes():
    for command in ("detect", "threshold"):
        params = _params(command)
        assert "--overwrite" in params["overwrite"].opts
        progress = params["progress"]
        assert "json" in progress.type.choices, f"{command} --progress lacks json"

"""The provider inside a QGIS Python session: Cancel, the command preview.

These tests run a small driver script with the Python that has QGIS's
bindings (Debian: ``/usr/bin/python3``): ``QgsApplication`` +
``processing.run``, as in the desktop's Processing dialog. A subprocess keeps
QGIS's GDAL out of the test process (rasterio brings its own).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time

import pytest
from plugin_support import PLUGIN_ROOT, run_qgis_driver, system_path

pytestmark = pytest.mark.qgis

DRIVER = textwrap.dedent(
    """
    import json
    import os
    import sys
    import time

    plugin_root, scene, output, task = sys.argv[1:5]
    sys.path.insert(0, plugin_root)
    from qgis.core import (
        QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback,
    )

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing
    from processing.core.ProcessingConfig import ProcessingConfig
    from superad_geo_qgis import classFactory

    registry = QgsApplication.processingRegistry()
    plugin = classFactory(None)  # what the desktop does when the plugin is enabled
    plugin.initGui()
    report = {"setting": ProcessingConfig.getSetting("SUPERAD_EXECUTABLE")}


    class CancelOnProgress(QgsProcessingFeedback):
        # what pressing Cancel does, as soon as the child reports progress
        def setProgress(self, value):
            super().setProgress(value)
            if value > 0:
                self.cancel()


    if task == "cancel":
        start = time.monotonic()
        try:
            processing.run(
                "superad:detect", {"INPUT": scene, "OUTPUT": output}, feedback=CancelOnProgress()
            )
        except QgsProcessingException as exc:
            report["error"] = str(exc)
        report["seconds"] = time.monotonic() - start
    elif task == "preview":
        algorithm = registry.createAlgorithmById("superad:detect")
        report["command"] = algorithm.build_command(
            {"INPUT": scene, "OUTPUT": output, "STEPS": 7}, QgsProcessingContext(), False
        )
    plugin.unload()
    report["unloaded"] = registry.providerById("superad") is None and (
        "SUPERAD_EXECUTABLE" not in ProcessingConfig.settings
    )
    print("REPORT " + json.dumps(report))
    """
)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as lines:
            return not any(line.startswith("State:") and "Z" in line for line in lines)
    except FileNotFoundError:
        return False


def _drive(qgis_python, tmp_path, task, scene, path, **env_extra) -> dict:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
        PATH=os.pathsep.join(str(p) for p in path),
        **env_extra,
    )
    output = tmp_path / "scores.tif"
    args = [str(PLUGIN_ROOT), str(scene), str(output), task]
    return run_qgis_driver(qgis_python, driver, args, env)


@pytest.mark.skipif(sys.platform == "win32", reason="checks POSIX processes")
def test_cancel_kills_the_child_process(qgis_python, fake_cli, scene, tmp_path):
    pids = tmp_path / "pids.json"
    start = time.monotonic()
    report = _drive(
        qgis_python,
        tmp_path,
        "cancel",
        scene,
        [fake_cli.parent, *system_path()],
        FAKE_SUPERAD_MODE="slow",
        FAKE_SUPERAD_PIDS=str(pids),
    )
    assert time.monotonic() - start < 60  # the fake would report progress for ever
    assert "Canceled" in report["error"], report
    assert report["setting"] == "" and report["unloaded"]
    child, grandchild = json.loads(pids.read_text())
    assert not _alive(child)
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "the child's own children survived Cancel"


def test_preview_without_executable_is_no_error(qgis_python, scene, tmp_path):
    report = _drive(qgis_python, tmp_path, "preview", scene, system_path())
    command = report["command"]
    assert command[:2] == ["superad-geo", "detect"]
    assert command[3] == "-o" and "--steps=7" in command
    assert command[-3:] == ["--progress", "json", "--overwrite"]

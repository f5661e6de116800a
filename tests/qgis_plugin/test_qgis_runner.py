"""The plugin's runner without QGIS: finding the executable, progress, errors, cancel."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
from plugin_support import write_fake_cli
from superad_geo_qgis import runner


class RecordingFeedback:
    """The parts of ``QgsProcessingFeedback`` the runner uses, recording every call."""

    def __init__(self, cancel_after_progress: bool = False) -> None:
        self.progress: list[float] = []
        self.texts: list[str] = []
        self.console: list[str] = []
        self.canceled = False
        self.cancel_after_progress = cancel_after_progress

    def isCanceled(self) -> bool:
        return self.canceled

    def setProgress(self, value: float) -> None:
        self.progress.append(value)
        if self.cancel_after_progress and value > 0:
            self.canceled = True

    def setProgressText(self, text: str) -> None:
        self.texts.append(text)

    def pushInfo(self, text: str) -> None:
        self.console.append(text)

    pushConsoleInfo = pushInfo


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = f"/proc/{pid}/status"
    if os.path.exists(status):
        with open(status, encoding="utf-8") as lines:
            return not any(line.startswith("State:") and "Z" in line for line in lines)
    return True


def test_parse_progress_accepts_json_records_only():
    assert runner.parse_progress('{"done": 2, "total": 8, "stage": "tiles"}') == {
        "done": 2,
        "total": 8,
        "stage": "tiles",
    }
    assert runner.parse_progress('  {"done": 1, "total": 1, "stage": "x", "scene": "a"}\n')
    for line in ("Warning: NaN", '{"stage": "tiles"}', "{not json}", "[1, 2]", ""):
        assert runner.parse_progress(line) is None


def test_run_command_reports_progress_and_log(tmp_path):
    fake = write_fake_cli(tmp_path / "bin")
    scene = tmp_path / "in.bin"
    scene.write_bytes(b"raster")
    feedback = RecordingFeedback()
    runner.run_command([str(fake), "detect", str(scene), "-o", str(tmp_path / "out")], feedback)
    assert (tmp_path / "out").read_bytes() == b"raster"
    assert feedback.progress == [0.0, 0.0, 25.0, 50.0, 75.0, 100.0]
    assert feedback.texts == ["estimate", "tiles"]
    assert "scene training, about 1.5 min on this machine" in feedback.console
    assert "Warning: 3 NaN pixels treated as nodata" in feedback.console
    assert not any(line.startswith("{") for line in feedback.console)


def test_non_zero_exit_raises_with_stderr_tail(tmp_path):
    fake = write_fake_cli(tmp_path / "bin")
    env = runner.child_environment()
    env["FAKE_SUPERAD_MODE"] = "fail"
    with pytest.raises(runner.CommandError) as caught:
        runner.run_command([str(fake), "detect", "x", "-o", "y"], RecordingFeedback(), env=env)
    message = str(caught.value)
    assert "exited with status 2" in message
    assert "Error: Invalid value for '--bands': band 300 does not exist" in message


@pytest.mark.skipif(sys.platform == "win32", reason="checks POSIX process groups")
def test_cancel_stops_the_child_and_its_children(tmp_path):
    fake = write_fake_cli(tmp_path / "bin")
    pids_file = tmp_path / "pids.json"
    env = runner.child_environment()
    env.update(FAKE_SUPERAD_MODE="slow", FAKE_SUPERAD_PIDS=str(pids_file))
    feedback = RecordingFeedback(cancel_after_progress=True)
    start = time.monotonic()
    with pytest.raises(runner.CommandCanceledError, match="Canceled"):
        runner.run_command([str(fake), "detect", "x", "-o", "y"], feedback, env=env)
    assert time.monotonic() - start < 30
    child, grandchild = json.loads(pids_file.read_text())
    assert not _alive(child)
    deadline = time.monotonic() + 10  # the grandchild is not ours to reap: wait for init
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_find_executable_on_path_setting_file_and_folder(tmp_path, monkeypatch):
    fake = write_fake_cli(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(fake.parent))
    assert runner.find_executable("") == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert runner.find_executable(str(fake)) == str(fake)
    assert runner.find_executable(str(fake.parent)) == str(fake)


def test_missing_executable_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(runner.ExecutableNotFoundError) as caught:
        runner.find_executable(None)
    message = str(caught.value)
    assert "not found on PATH" in message
    assert "pip install superad-geo" in message
    assert "Processing > Options > Providers > Super-AD" in message
    with pytest.raises(runner.ExecutableNotFoundError, match="provider settings"):
        runner.find_executable(str(tmp_path / "nowhere" / "superad-geo"))


def test_child_environment_drops_qgis_python_and_proj_paths():
    env = runner.child_environment(
        {"PATH": "/bin", "PYTHONHOME": "/qgis/apps/Python39", "PROJ_LIB": "/qgis/share/proj"}
    )
    assert env["PATH"] == "/bin"
    assert "PYTHONHOME" not in env and "PROJ_LIB" not in env

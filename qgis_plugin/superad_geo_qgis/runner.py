"""Find and run the ``superad-geo`` command line as a child process.

This module imports nothing from QGIS so that it can be tested, and reused,
without a QGIS installation. The algorithms pass a
``QgsProcessingFeedback``; any object with the same few methods will do.

The child reports progress with ``--progress json``: one JSON object per line
on stderr, with the keys ``done``, ``total`` and ``stage``. Every other line
(warnings, the final error message) is forwarded to the feedback's log, and
the last lines are kept for the error raised on a non-zero exit.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any

EXECUTABLE_NAME = "superad-geo"

#: Name of the provider setting that holds the executable's path.
EXECUTABLE_SETTING = "SUPERAD_EXECUTABLE"

INSTALL_HINT = (
    "Install the superad-geo command line in a Python environment of its own (it needs "
    "PyTorch, which QGIS's Python lacks): `python3 -m venv ~/superad-env` then "
    "`~/superad-env/bin/pip install superad-geo` (Windows: `py -m venv %USERPROFILE%\\superad-env` "
    "then `%USERPROFILE%\\superad-env\\Scripts\\pip install superad-geo`). Then set the full path "
    "of its `superad-geo` executable in Processing > Options > Providers > Super-AD > "
    "'superad-geo executable', or link it into a folder on PATH (e.g. `ln -s "
    "~/superad-env/bin/superad-geo ~/.local/bin/`). Do not put the whole environment's "
    "bin folder first on PATH: its `python3` would shadow the one QGIS runs."
)

# Variables that QGIS sets for its own Python, GDAL and PROJ. Passed on, they
# make the other environment's interpreter, rasterio or pyproj load QGIS's
# files (a Python home of another version, a proj.db of another layout).
_ENV_TO_DROP = (
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "GDAL_DATA",
    "GDAL_DRIVER_PATH",
    "PROJ_LIB",
    "PROJ_DATA",
)


class CommandError(Exception):
    """The command line could not be started or exited with an error."""


class ExecutableNotFoundError(CommandError):
    """No ``superad-geo`` executable on PATH or at the configured path."""


class CommandCanceledError(CommandError):
    """The user canceled; the child process was stopped."""


def find_executable(configured: str | None = None) -> str:
    """Return the path of the ``superad-geo`` executable.

    Parameters
    ----------
    configured
        The provider setting: a path to the executable, or to the folder that
        holds it (an environment's ``bin`` or ``Scripts``). Empty or ``None``
        means: look it up on ``PATH``.

    Raises
    ------
    ExecutableNotFoundError
        With a message that says how to install the command line.
    """
    configured = (configured or "").strip()
    if configured:
        path = os.path.expanduser(configured)
        if os.path.isdir(path):
            found = shutil.which(EXECUTABLE_NAME, path=path)
            if found:
                return found
        elif os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise ExecutableNotFoundError(
            f"The superad-geo executable set in the provider settings, {configured!r}, "
            f"does not exist or is not executable. {INSTALL_HINT}"
        )
    found = shutil.which(EXECUTABLE_NAME)
    if found:
        return found
    raise ExecutableNotFoundError(
        f"The superad-geo command line was not found on PATH. {INSTALL_HINT}"
    )


def parse_progress(line: str) -> dict[str, Any] | None:
    """Return the progress record on ``line``, or ``None`` if it is not one.

    >>> parse_progress('{"done": 3, "total": 12, "stage": "tiles"}')["done"]
    3
    >>> parse_progress("Warning: 4 NaN pixels treated as nodata") is None
    True
    """
    line = line.strip()
    if not (line.startswith("{") and line.endswith("}")):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or "done" not in record or "total" not in record:
        return None
    return record


def child_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment for the child: ``base`` without QGIS's Python/GDAL/PROJ paths."""
    env = dict(os.environ if base is None else base)
    for name in _ENV_TO_DROP:
        env.pop(name, None)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_lines(stream, kind: str, lines: queue.Queue) -> None:
    """Put each line of ``stream`` on ``lines`` as ``(kind, text)``; ``(kind, None)`` at EOF."""
    try:
        for text in iter(stream.readline, ""):
            lines.put((kind, text.rstrip("\r\n")))
    finally:
        stream.close()
        lines.put((kind, None))


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the child's process group (the child and what it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen, timeout: float) -> None:
    """Stop ``process`` and every process it started.

    POSIX: SIGINT first, so that the command line cleans up as after Ctrl+C
    (no partial output); SIGKILL after ``timeout`` seconds; then SIGKILL to
    whatever is left of its process group (workers). Windows: ``taskkill /T``.
    """
    if sys.platform == "win32":
        if process.poll() is None:
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(process.pid)],
                capture_output=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return
    if process.poll() is None:
        _signal_group(process, signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.kill()
            process.wait()
    _signal_group(process, signal.SIGKILL)


def _report(feedback: Any, method: str, text: str) -> None:
    """Call ``feedback.<method>(text)``, falling back to ``pushInfo``."""
    getattr(feedback, method, feedback.pushInfo)(text)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start ``args`` in a process group of its own, its output read as text lines.

    Raises
    ------
    CommandError
        If it cannot be started.
    """
    popen_kwargs: dict[str, Any] = {}
    if sys.platform == "win32":
        popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(
            subprocess, "CREATE_NO_WINDOW", 0
        )
    else:
        # own process group: cancel stops the child and everything it started
        popen_kwargs["start_new_session"] = True
    try:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            **popen_kwargs,
        )
    except OSError as exc:
        raise CommandError(f"Could not start {args[0]!r}: {exc}. {INSTALL_HINT}") from exc


def run_command(
    args: list[str],
    feedback: Any,
    *,
    env: dict[str, str] | None = None,
    poll_interval: float = 0.1,
    stop_timeout: float = 5.0,
    tail_lines: int = 20,
) -> None:
    """Run ``args``, report its progress to ``feedback``, stop it on cancel.

    Parameters
    ----------
    args
        The program and its arguments, as ``build_command`` returns them.
    feedback
        A ``QgsProcessingFeedback`` (or an object with ``isCanceled``,
        ``setProgress``, ``setProgressText`` and ``pushInfo``).
    env
        The child's environment; by default this process's, cleaned by
        :func:`child_environment`.
    poll_interval
        Seconds between checks for cancellation.
    stop_timeout
        Seconds the child gets to end after SIGINT (Ctrl+C) before it is killed.
    tail_lines
        How many of the last stderr lines go into the error message.

    Raises
    ------
    CommandCanceledError
        If ``feedback.isCanceled()`` became true; the child has been stopped.
    CommandError
        If the child cannot be started or exits with a non-zero status; the
        message carries the last lines of its stderr.
    """
    process = _start(args, child_environment() if env is None else env)
    lines: queue.Queue = queue.Queue()
    readers = [
        threading.Thread(target=_read_lines, args=(process.stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_read_lines, args=(process.stderr, "stderr", lines), daemon=True),
    ]
    for reader in readers:
        reader.start()

    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
    stage = None
    open_streams = len(readers)
    canceled = False
    # Feedback is only touched from this thread; the readers just fill the queue.
    while open_streams:
        if feedback.isCanceled():
            canceled = True
            _stop(process, stop_timeout)
            break
        try:
            kind, text = lines.get(timeout=poll_interval)
        except queue.Empty:
            continue
        if text is None:
            open_streams -= 1
            continue
        record = parse_progress(text) if kind == "stderr" else None
        if record is None:
            if kind == "stderr" and text.strip():
                tail.append(text)
            _report(feedback, "pushConsoleInfo", text)
            continue
        if record.get("stage") and record["stage"] != stage:
            stage = record["stage"]
            feedback.setProgressText(str(stage))
        if "estimated_seconds" in record:
            minutes = float(record["estimated_seconds"]) / 60
            text = f"{record.get('training')} training, about {minutes:.1f} min on this machine"
            _report(feedback, "pushInfo", text)
        try:
            done, total = float(record["done"]), float(record["total"])
        except (TypeError, ValueError):
            continue
        if total > 0:
            feedback.setProgress(max(0.0, min(100.0, 100.0 * done / total)))

    if canceled:
        raise CommandCanceledError(
            "Canceled: the superad-geo process was stopped and its output is incomplete."
        )
    # both streams are closed; the process ends right after
    while process.poll() is None:
        if feedback.isCanceled():
            _stop(process, stop_timeout)
            raise CommandCanceledError(
                "Canceled: the superad-geo process was stopped and its output is incomplete."
            )
        time.sleep(poll_interval)
    if process.returncode != 0:
        message = "\n".join(tail) or "(no message on stderr)"
        raise CommandError(f"superad-geo exited with status {process.returncode}:\n{message}")

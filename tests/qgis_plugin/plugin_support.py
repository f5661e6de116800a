"""Helpers for the QGIS plugin's tests: paths, a throwaway QGIS profile, a fake CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_ROOT = REPO / "qgis_plugin"
PLUGIN_NAME = "superad_geo_qgis"
QGIS_PROCESS = Path(os.environ.get("SUPERAD_QGIS_PROCESS", "/usr/bin/qgis_process.bin"))
QGIS_PYTHON = Path(os.environ.get("SUPERAD_QGIS_PYTHON", "/usr/bin/python3"))
#: The folder of this interpreter's scripts, where ``pip install`` put ``superad-geo``.
VENV_BIN = Path(sys.executable).parent

# the plugin package and its build script, importable without QGIS; the core
# tests' product fixtures (an airborne flight line), for the end-to-end tests
for folder in (PLUGIN_ROOT, REPO / "tests" / "core"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def qgis_process_missing() -> str | None:
    """Why QGIS tests cannot run here, or ``None`` if they can."""
    if not QGIS_PROCESS.is_file():
        return (
            f"QGIS is not installed ({QGIS_PROCESS} missing; on Debian: apt-get install "
            "qgis python3-qgis, or set SUPERAD_QGIS_PROCESS)"
        )
    return None


def qgis_python_missing() -> str | None:
    """Why the in-process QGIS tests cannot run here, or ``None`` if they can."""
    if not QGIS_PYTHON.is_file():
        return f"no Python with QGIS bindings ({QGIS_PYTHON} missing; set SUPERAD_QGIS_PYTHON)"
    probe = subprocess.run(
        [str(QGIS_PYTHON), "-c", "import qgis.core"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        return f"{QGIS_PYTHON} cannot import qgis.core (Debian package python3-qgis)"
    return None


def base_environment(profile_root: Path, runtime_dir: Path, path: list[Path]) -> dict[str, str]:
    """Environment for headless ``qgis_process.bin`` with profile root ``profile_root``.

    ``path`` is the PATH; the variables of this (virtual environment's)
    interpreter that would leak into QGIS's embedded Python are dropped.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QGIS_CUSTOM_CONFIG_PATH")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime_dir),
        QGIS_CUSTOM_CONFIG_PATH=str(profile_root),
        PATH=os.pathsep.join(str(p) for p in path),
    )
    return env


def system_path() -> list[Path]:
    """PATH for QGIS: QGIS's Python's folder first, and no ``superad-geo`` anywhere.

    QGIS's embedded Python finds its standard library from the first
    ``python3`` on PATH: a virtual environment's or ``/usr/local/bin``'s
    (Docker's python images) ahead of Debian's makes it fail to load QGIS's
    bindings. So the folder of :data:`QGIS_PYTHON` comes first, and this
    interpreter's scripts folder is left out.
    """
    folders = [QGIS_PYTHON.parent]
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        folder = Path(entry)
        if (
            entry
            and folder not in folders
            and folder.resolve() != VENV_BIN.resolve()
            and not (folder / "superad-geo").exists()
        ):
            folders.append(folder)
    return folders


def real_cli_folder(folder: Path) -> Path:
    """A folder holding only a link to this environment's ``superad-geo``.

    Not the environment's whole ``bin`` folder: first on PATH, its ``python3``
    makes QGIS's embedded Python start with this environment's standard
    library, and QGIS then fails to import its own bindings.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = "superad-geo.exe" if sys.platform == "win32" else "superad-geo"
    target = VENV_BIN / name
    link = folder / name
    if target.exists() and not link.exists():
        try:
            link.symlink_to(target)
        except OSError:
            shutil.copy2(target, link)
    return folder


class QgisProfile:
    """A throwaway QGIS profile with the plugin installed from the zip and enabled."""

    def __init__(self, root: Path, qgis_process: Path, zip_path: Path) -> None:
        self.root = root
        self.qgis_process = qgis_process
        self.runtime_dir = root / "xdg-runtime"
        self.runtime_dir.mkdir(mode=0o700, parents=True)
        self.plugins = root / "profiles" / "default" / "python" / "plugins"
        self.plugins.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(self.plugins)
        # by default the real command line is on PATH, linked as the install hint says
        self.path = [real_cli_folder(root / "cli-bin"), *system_path()]
        enabled = self.run("plugins", "enable", PLUGIN_NAME)
        assert enabled.returncode == 0, enabled.stdout + enabled.stderr

    @property
    def ini(self) -> Path:
        """The profile's settings file."""
        return self.root / "profiles" / "default" / "QGIS" / "QGIS3.ini"

    def set_executable(self, value: str) -> None:
        """Write the provider setting "superad-geo executable" into the profile."""
        text = self.ini.read_text(encoding="utf-8")
        assert "[Processing]" not in text, "extend set_executable to edit an existing section"
        escaped = value.replace("\\", "\\\\")
        text += f"\n[Processing]\nConfiguration\\SUPERAD_EXECUTABLE={escaped}\n"
        self.ini.write_text(text, encoding="utf-8")

    def env(self, path: list[Path] | None = None, **extra: str) -> dict[str, str]:
        env = base_environment(self.root, self.runtime_dir, self.path if path is None else path)
        env.update(extra)
        return env

    def run(
        self,
        *args: str,
        path: list[Path] | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``qgis_process.bin ARGS`` in this profile; stdout and stderr as text."""
        return subprocess.run(
            [str(self.qgis_process), *args],
            env=self.env(path) if env is None else env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )

    def run_algorithm(self, algorithm: str, parameters: dict[str, object], **kwargs):
        """``qgis_process.bin --json run ALGORITHM -- KEY=VALUE...``."""
        args = [f"{key}={value}" for key, value in parameters.items()]
        return self.run("--json", "run", algorithm, "--", *args, **kwargs)


def json_result(completed: subprocess.CompletedProcess) -> dict:
    """The JSON document ``qgis_process --json`` printed (fails the test with the log)."""
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(completed.stdout[completed.stdout.index("{") :])


FAKE_CLI = textwrap.dedent(
    '''
    """A stand-in for ``superad-geo``: progress on stderr, output = copy of the input.

    FAKE_SUPERAD_LOG: file to which each call's arguments are appended as JSON.
    FAKE_SUPERAD_MODE: "copy" (default), "fail" (exit 2 with a message) or
    "slow" (start a grandchild, write both pids to FAKE_SUPERAD_PIDS, then
    report progress forever).
    """
    import json
    import os
    import shutil
    import subprocess
    import sys
    import time

    args = sys.argv[1:]
    if os.environ.get("FAKE_SUPERAD_LOG"):
        with open(os.environ["FAKE_SUPERAD_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(args) + "\\n")
    mode = os.environ.get("FAKE_SUPERAD_MODE", "copy")
    if mode == "fail":
        print("Usage: superad-geo detect [OPTIONS] SCENE", file=sys.stderr)
        print("Error: Invalid value for '--bands': band 300 does not exist", file=sys.stderr)
        sys.exit(2)
    if mode == "slow":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open(os.environ["FAKE_SUPERAD_PIDS"], "w", encoding="utf-8") as pids:
            json.dump([os.getpid(), child.pid], pids)
        done = 0
        while True:
            print(json.dumps({"done": done, "total": 1000, "stage": "tiles"}),
                  file=sys.stderr, flush=True)
            done += 1
            time.sleep(0.2)
    scene, output = args[1], args[args.index("-o") + 1]
    estimate = {"done": 0, "total": 1, "stage": "estimate", "training": "scene",
                "estimated_seconds": 90.0}
    print(json.dumps(estimate), file=sys.stderr, flush=True)
    print("Warning: 3 NaN pixels treated as nodata", file=sys.stderr, flush=True)
    for done in range(5):
        print(json.dumps({"done": done, "total": 4, "stage": "tiles"}), file=sys.stderr,
              flush=True)
    shutil.copyfile(scene, output)
    for flag in ("--mask-out", "--vector"):
        if flag in args:
            shutil.copyfile(scene, args[args.index(flag) + 1])
    print(output)
    '''
)


def write_fake_cli(folder: Path) -> Path:
    """Write the fake ``superad-geo`` into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "fake_superad_geo.py"
    script.write_text(FAKE_CLI, encoding="utf-8")
    if sys.platform == "win32":
        executable = folder / "superad-geo.bat"
        executable.write_text(f'@"{sys.executable}" "{script}" %*\n', encoding="utf-8")
    else:
        executable = folder / "superad-geo"
        # a shell wrapper: a shebang line cannot hold a long path or spaces
        executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
        executable.chmod(0o755)
    return executable


def run_qgis_driver(qgis_python: Path, driver: Path, args: list[str], env: dict[str, str]) -> dict:
    """Run a driver script with QGIS's Python; return the JSON it printed after ``REPORT ``."""
    completed = subprocess.run(
        [str(qgis_python), str(driver), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    [line] = [s for s in completed.stdout.splitlines() if s.startswith("REPORT ")]
    return json.loads(line[len("REPORT ") :])

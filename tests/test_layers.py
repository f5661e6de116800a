"""The layers' import rules, checked on the source (an AST walk) and on a fresh interpreter.

    model        imports nothing else of the package (but errors); the only home of torch
    scene        never imports model, detectors, pipeline, options, or torch
    detectors    imports model and torch only inside functions (lazily)
    pipeline     imports scene, detectors, options, files, extras, errors; never model or torch
    evaluation   never imports model, detectors, pipeline, or torch
    cli          imports only the public API: ``superad_geo`` itself
    qgis_plugin  imports nothing of the package (QGIS's Python has no torch)

Imports under ``if TYPE_CHECKING:`` are type hints, not imports, and are skipped.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    target: str  # absolute dotted name of the imported module
    lazy: bool  # inside a function


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, package: str) -> list[Import]:
    """Every import of a source file, with relative imports made absolute."""
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, lazy)
                continue
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(path, child.lineno, alias.name, lazy))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                # ``from superad_geo.model import training`` imports superad_geo.model.training
                for alias in child.names:
                    found.append(Import(path, child.lineno, f"{base}.{alias.name}", lazy))
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


def _package_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "qgis_plugin":
        parts = parts[1:]
    if parts[0] == "cli":
        parts[0] = "superad_geo_cli"
    return ".".join(parts[:-1] if parts[-1] != "__init__" else parts[:-1])


def _under(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def violations(root: Path = ROOT) -> list[str]:
    """The import rules broken by the sources under ``root``, one line each."""
    found = []

    def bad(imp: Import, rule: str) -> None:
        rel = imp.path.relative_to(root)
        found.append(f"{rel}:{imp.line}: imports {imp.target} ({rule})")

    pkg = "superad_geo"

    def layers(*names: str) -> tuple[str, ...]:
        return tuple(f"{pkg}.{name}" for name in names)

    for path in sorted((root / pkg).rglob("*.py")):
        layer = path.relative_to(root / pkg).parts[0].removesuffix(".py")
        for imp in imports_of(path, _package_of(path, root)):
            t = imp.target
            if layer == "model":
                if _under(t, pkg) and not _under(t, *layers("model", "errors")):
                    bad(imp, "model imports nothing else of the package")
            elif layer == "scene":
                if _under(t, "torch", *layers("model", "detectors", "pipeline", "options")):
                    bad(imp, "scene never imports the engine or what is built on scenes")
            elif layer == "detectors":
                if _under(t, "torch", *layers("model")) and not imp.lazy:
                    bad(imp, "detectors import the engine only inside functions")
                if _under(t, *layers("pipeline", "evaluation")):
                    bad(imp, "detectors sit below the pipeline")
            elif layer == "pipeline":
                allowed = layers(
                    "scene", "detectors", "options", "files", "extras", "errors", "pipeline"
                )
                if _under(t, "torch") or (_under(t, pkg) and not _under(t, *allowed)):
                    bad(
                        imp,
                        "pipeline imports scene, detectors, options, files, extras, errors only",
                    )
            elif layer == "evaluation" and _under(
                t, "torch", *layers("model", "detectors", "pipeline")
            ):
                bad(imp, "evaluation never imports the engine or the pipeline")
    public = {f"{pkg}.{name}" for name in _public()} | {pkg}
    for path in sorted((root / "cli").rglob("*.py")):
        for imp in imports_of(path, _package_of(path, root)):
            if _under(imp.target, pkg) and imp.target not in public:
                bad(imp, "cli imports only the public API")
    for path in sorted((root / "qgis_plugin").rglob("*.py")):
        for imp in imports_of(path, _package_of(path, root)):
            if _under(imp.target, pkg, "superad_geo_cli", "torch"):
                bad(imp, "qgis_plugin imports nothing of the package")
    return found


def _public() -> set[str]:
    import superad_geo

    return set(superad_geo.__all__)


def test_import_rules_hold():
    assert violations() == []


def test_a_violation_is_caught(tmp_path):
    """The walk sees a forbidden import (copied tree, one line added)."""
    for name in ("superad_geo", "cli", "qgis_plugin"):
        for src in (ROOT / name).rglob("*.py"):
            dst = tmp_path / src.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(src.read_text())
    tiling = tmp_path / "superad_geo" / "scene" / "tiling.py"
    tiling.write_text(tiling.read_text() + "\nfrom superad_geo.model import network\n")
    rule = "scene never imports the engine or what is built on scenes"
    assert [v.split(": ", 1)[1] for v in violations(tmp_path)] == [
        f"imports superad_geo.model.network ({rule})"
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import superad_geo",
        "import superad_geo, xarray; assert hasattr(xarray.DataArray, 'superad'), 'no accessor'",
        "import superad_geo.pipeline, superad_geo.evaluation.threshold, superad_geo.options",
        "from superad_geo_cli.main import cli; cli(['threshold', '--help'], standalone_mode=False)",
        "from superad_geo_cli.main import cli; cli(['evaluate', '--help'], standalone_mode=False)",
    ],
)
def test_no_torch_on_import(code):
    check = f"{code}\nimport sys\nassert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]

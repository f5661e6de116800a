"""The layers' import rules and the absence of import cycles, checked on the source and at run time.

Every import counts, at module level or inside a function (imports under
``if TYPE_CHECKING:`` are type hints, not imports). The rules (:data:`RULES`),
from the bottom up:

    errors, version, _lazy  import nothing of the package
    files, extras           errors
    model                   model, errors; the only home of torch
    scene                   scene, errors, files, extras, version
    options                 options, scene, errors
    detectors               detectors, options, scene, errors; model and torch inside functions
    evaluation              evaluation, scene, files, extras, errors
    pipeline                pipeline, detectors, options, scene, evaluation, files, extras, errors
    accessor                pipeline, inside its methods
    __init__                accessor, _lazy, errors, version (the rest on first use, by name)
    _cli                    _lazy, options; detectors and model inside functions
    cli                     ``superad_geo``'s public names and the facade ``superad_geo._cli``
    qgis_plugin             nothing of the package; its build scripts the facade

and no module imports, however indirectly, a module that imports it.
A fresh interpreter must not load torch for ``import superad_geo``, the
pipeline, or ``superad-geo threshold --help`` / ``evaluate --help``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from child_processes import run_python

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "superad_geo"

#: Part of the package (a root module or a layer's folder) -> the parts it may import at
#: module level, and those it may import only inside functions. ``torch`` counts as a part.
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "errors": ((), ()),
    "version": ((), ()),
    "_lazy": ((), ()),
    "files": (("errors",), ()),
    "extras": (("errors",), ()),
    "model": (("model", "errors", "torch"), ()),
    "scene": (("scene", "errors", "files", "extras", "version"), ()),
    "options": (("options", "scene", "errors"), ()),
    "detectors": (("detectors", "options", "scene", "errors"), ("model", "torch")),
    "evaluation": (("evaluation", "scene", "files", "extras", "errors"), ()),
    "pipeline": (
        ("pipeline", "detectors", "options", "scene", "evaluation", "files", "extras", "errors"),
        (),
    ),
    "accessor": ((), ("pipeline",)),
    "__init__": (("accessor", "_lazy", "errors", "version"), ()),
    "_cli": (("_lazy", "options"), ("detectors", "model")),
}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    target: str  # absolute dotted name of the imported module (or of a name in it)
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


def _module_of(path: Path, root: Path) -> str:
    """The dotted name of a source file (``cli/`` is installed as ``superad_geo_cli``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "qgis_plugin":
        parts = parts[1:]
    if parts[0] == "cli":
        parts[0] = "superad_geo_cli"
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path, root: Path) -> str:
    module = _module_of(path, root)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _sources(root: Path) -> Iterator[Path]:
    for folder in (PACKAGE, "cli", "qgis_plugin"):
        yield from sorted((root / folder).rglob("*.py"))


def _under(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _part(target: str) -> str | None:
    """The part of the package a target is in (``torch`` for torch), None for anything else."""
    if _under(target, "torch"):
        return "torch"
    if not _under(target, PACKAGE):
        return None
    parts = target.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RULES or len(parts) > 2 else "__init__"


def violations(root: Path = ROOT) -> list[str]:
    """The import rules broken by the sources under ``root``, one line each."""
    found = []

    def bad(imp: Import, rule: str) -> None:
        found.append(f"{imp.path.relative_to(root)}:{imp.line}: imports {imp.target} ({rule})")

    public = {f"{PACKAGE}.{name}" for name in _public()} | {PACKAGE}
    facade = f"{PACKAGE}._cli"
    for path in _sources(root):
        rel = path.relative_to(root)
        for imp in imports_of(path, _package_of(path, root)):
            target = imp.target
            if rel.parts[0] == PACKAGE:
                layer = rel.parts[1].removesuffix(".py")
                part = _part(target)
                eager, lazy = RULES[layer]
                allowed = eager + lazy if imp.lazy else eager
                if part is not None and part != layer and part not in allowed:
                    where = "inside functions" if part in lazy else "at all"
                    bad(imp, f"{layer} may not import {part} {where}")
            elif rel.parts[0] == "cli":
                if _under(target, PACKAGE) and target not in public and not _under(target, facade):
                    bad(imp, "cli imports the public API and the facade superad_geo._cli")
            elif rel.parts[1] == "superad_geo_qgis":
                if _under(target, PACKAGE, "superad_geo_cli", "torch"):
                    bad(imp, "qgis_plugin imports nothing of the package")
            elif _under(target, PACKAGE, "superad_geo_cli", "torch") and not _under(target, facade):
                bad(imp, "the plugin's build scripts import only the facade superad_geo._cli")
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (at module level or inside functions)."""
    paths = {_module_of(p, root): p for p in _sources(root)}
    graph: dict[str, set[str]] = {module: set() for module in paths}
    for module, path in paths.items():
        for imp in imports_of(path, _package_of(path, root)):
            target = imp.target
            while target and target not in paths:  # a name in a module: the module
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].add(target)
    return graph


def cycles(root: Path = ROOT) -> list[str]:
    """The import cycles among the package's modules, each as ``a -> b -> a`` from its first.

    A depth-first walk: a cycle is an import of a module still on the walk's path.
    """
    graph = import_graph(root)
    found: list[str] = []
    done: set[str] = set()

    def walk(path: list[str]) -> None:
        for target in sorted(graph[path[-1]]):
            if target in path:
                cycle = path[path.index(target) :]
                first = cycle.index(min(cycle))
                cycle = cycle[first:] + cycle[:first]
                text = " -> ".join([*cycle, cycle[0]])
                if text not in found:
                    found.append(text)
            elif target not in done:
                walk([*path, target])
        done.add(path[-1])

    for module in sorted(graph):
        if module not in done:
            walk([module])
    return found


def _public() -> set[str]:
    import superad_geo

    return set(superad_geo.__all__)


def test_import_rules_hold():
    assert violations() == []


def test_no_import_cycle():
    assert cycles() == []


def _copy_tree(folder: Path) -> None:
    for name in (PACKAGE, "cli", "qgis_plugin"):
        for src in (ROOT / name).rglob("*.py"):
            dst = folder / src.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(src.read_text())


def test_a_violation_is_caught(tmp_path):
    """The walk sees a forbidden import, in a function too (copied tree, lines added)."""
    _copy_tree(tmp_path)
    tiling = tmp_path / PACKAGE / "scene" / "tiling.py"
    tiling.write_text(tiling.read_text() + "\nfrom superad_geo.model import network\n")
    options = tmp_path / PACKAGE / "options.py"
    options.write_text(
        options.read_text() + "\n\ndef f():\n    from superad_geo.detectors import DETECTORS\n"
    )
    assert [v.split(": ", 1)[1] for v in violations(tmp_path)] == [
        "imports superad_geo.detectors.DETECTORS (options may not import detectors at all)",
        "imports superad_geo.model.network (scene may not import model at all)",
    ]


def test_a_cycle_through_a_function_level_import_is_caught(tmp_path):
    """A cycle the layer rules allow (scene.io imports scene.validity), closed inside a function."""
    _copy_tree(tmp_path)
    validity = tmp_path / PACKAGE / "scene" / "validity.py"
    validity.write_text(
        validity.read_text() + "\n\ndef f():\n    from superad_geo.scene.io import open_scene\n"
    )
    assert violations(tmp_path) == []
    assert cycles(tmp_path) == [
        "superad_geo.scene.io -> superad_geo.scene.validity -> superad_geo.scene.io"
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
    result = run_python(["-c", check], text=True)
    assert result.returncode == 0, result.stderr[-2000:]

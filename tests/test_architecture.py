"""The layout rules of docs/architecture.md, checked on the source: layers, cycles, names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import licbill

PACKAGE = Path(licbill.__file__).parent

#: Edge modules: presentation, file formats, the command line and optional column engines.
#: They depend on the rules; no rule module imports them at module level.
EDGE_PACKAGES = ("licbill.audit", "licbill.io")
EDGE_MODULES = frozenset({"licbill.__main__", "licbill.arrow", "licbill.dask"})
#: Test support: depends on the rules, and nothing in the library imports it.
SUPPORT_MODULES = frozenset({"licbill.strategies"})
#: A result type may delegate a view (or reading itself from a format: ``from_json``) to an
#: edge (or optional extra) from inside these methods.
DELEGATING_METHODS = ("to_", "from_", "_repr_html_")


@attrs.frozen
class Import:
    """One import statement: who imports what, and from inside which function (if any)."""

    importer: str
    target: str
    names: tuple[str, ...]
    function: str | None
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"

    def walk(node: ast.AST, function: str | None) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, function or child.name)
            elif isinstance(child, ast.ImportFrom):
                target = resolve(name, is_package, child)
                names = tuple(alias.name for alias in child.names)
                yield Import(name, target, names, function, child.lineno)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, (), function, child.lineno)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                continue  # annotations only: not an import at run time
            else:
                yield from walk(child, function)

    yield from walk(tree, None)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def internal_target(imp: Import, known: set[str]) -> list[str]:
    """The licbill modules an import reaches (``from . import x`` names module ``x``)."""
    if not imp.target.startswith("licbill"):
        return []
    found = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known]
    if imp.target in known and len(found) < len(imp.names or (None,)):
        found.append(imp.target)
    return found


def is_edge(name: str) -> bool:
    return name in EDGE_MODULES or any(name == p or name.startswith(p + ".") for p in EDGE_PACKAGES)


def is_rule(name: str) -> bool:
    return name != "licbill" and not is_edge(name) and name not in SUPPORT_MODULES


ALL = modules()
IMPORTS = [imp for name, path in ALL.items() for imp in imports_of(name, path)]


def delegates(imp: Import) -> bool:
    return imp.function is not None and imp.function.startswith(DELEGATING_METHODS)


def test_rule_modules_never_import_edges() -> None:
    """A rule module imports no edge module, except a view method delegating to one."""
    wrong = [
        f"{imp.importer}:{imp.line} imports {target}"
        for imp in IMPORTS
        if is_rule(imp.importer) and not delegates(imp)
        for target in internal_target(imp, set(ALL))
        if is_edge(target) or target in SUPPORT_MODULES
    ]
    assert wrong == []


def test_no_import_cycles() -> None:
    """The module graph, imports inside functions included, has no cycle (view delegation aside)."""
    graph: dict[str, set[str]] = {name: set() for name in ALL}
    for imp in IMPORTS:
        if delegates(imp) or imp.importer == "licbill":
            continue
        graph[imp.importer].update(t for t in internal_target(imp, set(ALL)) if t != "licbill")
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_private_names_cross_modules() -> None:
    """No module imports a private name (``_x``) from another module; a private module of
    shared fast paths (``licbill._calendar``) is imported by its plain names."""
    wrong = [
        f"{imp.importer}:{imp.line} imports {name} from {imp.target}"
        for imp in IMPORTS
        if imp.target.startswith("licbill")
        for name in imp.names
        if name.startswith("_") and not name.startswith("__") and f"{imp.target}.{name}" not in ALL
    ]
    assert wrong == []


@pytest.mark.parametrize("name", sorted(n for n in ALL if is_rule(n)))
def test_rule_module_imports_no_presentation_library(name: str) -> None:
    """Rule modules leave babel's formatting, csv, tomllib and html to the edges."""
    banned = ("csv", "tomllib", "html", "babel.dates", "argparse", "json")
    wrong = [
        imp.target
        for imp in IMPORTS
        if imp.importer == name and not delegates(imp) and imp.target in banned
    ]
    assert wrong == []

"""No import cycle between sketchd's modules, read from the source with ``ast`` (nothing is
imported). Every ``import`` counts, at module level or inside a function: an import moved into a
function still runs and still ties the two modules together. Only ``if TYPE_CHECKING:`` imports
are left out, as they never run."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import sketchd

PACKAGE = Path(sketchd.__file__).parent


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``sketchd/doctor/v4l2.py`` → ``sketchd.doctor.v4l2``; a package's ``__init__.py`` is the
    package itself."""
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(source: str, module: str, is_package: bool = False) -> set[tuple[str, str]]:
    """Every import in ``module``'s source, anywhere but under ``if TYPE_CHECKING:``, as
    (module, name): ``import a.b`` → ("a.b", ""), ``from a import b`` → ("a", "b"), relative
    imports resolved against ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            prefix = ".".join(base) if node.level else ""
            where = ".".join(p for p in (prefix, node.module or "") if p)
            found.update((where, alias.name) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package's modules it imports. ``import a.b.c`` names the deepest module of
    the package in a.b.c; ``from a import b`` names a.b when that is a module, else a. (Importing
    a.b runs a's ``__init__`` first, but a package importing its own modules is no cycle: only
    importing a *name* from the package ties a module to it.)"""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        own: set[str] = set()
        for where, what in imported(path.read_text(), name, path.name == "__init__.py"):
            if what and f"{where}.{what}" in files:
                own.add(f"{where}.{what}")
                continue
            parts = where.split(".")
            deepest = next(
                (m for m in (".".join(parts[:i]) for i in range(len(parts), 0, -1)) if m in files),
                None,
            )
            if deepest is not None:
                own.add(deepest)
        edges[name] = own - {name}
    return edges


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), each as a path that ends where
    it starts, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return sorted(_path_within(g, edges) for g in groups)


def _path_within(group: set[str], edges: Mapping[str, Iterable[str]]) -> list[str]:
    """The shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(edges.get(v, ())):
            if w == start:
                return [*paths[v], start]
            if w in group and w not in paths:
                paths[w] = [*paths[v], w]
                todo.append(w)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def test_no_import_cycle_in_the_package():
    found = cycles(graph())
    assert not found, "import cycles (module-level and function-level imports):\n" + "\n".join(
        " → ".join(c) for c in found
    )


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # function-level imports count
            {
                "__init__.py": "",
                "a.py": "def f():\n    from pkg import b\n",
                "b.py": "import pkg.a",
            },
            [["pkg.a", "pkg.b", "pkg.a"]],
        ),
        (  # TYPE_CHECKING imports do not, its else branch does
            {
                "__init__.py": "",
                "a.py": "import typing as t\nif t.TYPE_CHECKING:\n    from pkg.b import X\n",
                "b.py": "from pkg.a import Y\n",
                "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n"
                "    from . import d\n",
                "d.py": "from .c import Z\n",
            },
            [["pkg.c", "pkg.d", "pkg.c"]],
        ),
        (  # a package that imports its modules, and modules that import a sibling: no cycle
            {
                "__init__.py": "from pkg.sub import x",
                "sub/__init__.py": "from pkg.sub import report, x\n",
                "sub/report.py": "",
                "sub/x.py": "from pkg.sub.report import Check\nfrom ..sub import report\n",
            },
            [],
        ),
        (  # importing a name from a package is importing the package
            {
                "__init__.py": "",
                "sub/__init__.py": "from pkg.sub import x\n",
                "sub/x.py": "from pkg.sub import Check\n",
            },
            [["pkg.sub", "pkg.sub.x", "pkg.sub"]],
        ),
    ],
)
def test_the_graph_reads_imports_as_python_runs_them(tmp_path, files, expected):
    root = _write(tmp_path / "pkg", files)
    assert cycles(graph(root)) == expected

"""The import graph of ``src/streamfold``: no cycles, and every arrow points down the data flow.

An ``ast`` walk over every module records each import of a streamfold module — at the top, inside
a function (lazy) or under ``TYPE_CHECKING`` — so a cycle hidden by a lazy import counts too.
The floors follow the data flow (bytes → framing → formats → core → model + notifications →
edges): an import goes to a lower floor, or stays inside its own package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import streamfold

SRC = Path(streamfold.__file__).resolve().parent

# The floor of each top-level module or package, bottom first (a module imports only from lower
# floors, or from inside its own package).
FLOORS: dict[str, int] = {
    "model": 1,
    "safe_text": 1,
    "safe_markup": 2,  # Markdown / HTML escaping on top of safe_text
    "clock": 1,
    "collector": 1,  # the gc.freeze strategy for long folds (stdlib only)
    "events": 2,
    "errors": 2,
    "notifications": 2,
    "framing": 3,
    "formats": 3,
    "core": 3,
    "export": 3,
    "coalesce": 3,
    "tables": 3,  # the model as rows (an exporter)
    "hydrate": 4,  # seeding a reducer with a conversation (never imports the reducer)
    "snapshot": 4,  # the resume codec: core, formats and framing state (never the reducer)
    "lifecycle": 1,  # the reducer's lifecycle enum
    "resume": 5,  # the reducer's state read for a snapshot and restored (never imports it)
    "reducer": 6,
    "io": 7,
    "actions": 7,
    "batch": 7,  # folding many logs: reducer + framing + tables
    "aio": 8,
    "replay": 8,
    "chat": 8,  # the Python useChat: reducer + actions + exporters
    "sources": 8,  # deprecated re-export shim
    "recording": 8,  # deprecated re-export shim
    "dask": 8,
    "__init__": 9,  # the package's public face
    "cli": 10,
    "web": 9,  # the web bridge (the CLI serves it)
    "render": 11,  # deprecated re-export of the CLI's views
    "__main__": 11,
}

# Known upward arrows, allowed but not required (the test passes with or without them): none.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["streamfold", *parts])


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The streamfold module ``name`` refers to (a name inside a module: that module)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every streamfold module ``module`` imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from . import x" imports the module x; "from .m import name", the module m.
            for alias in node.names:
                sub = f"{prefix}.{alias.name}"
                targets.append(sub if sub in known else prefix)
        for target in targets:
            found = resolve(target, known) if target.startswith("streamfold") else None
            if found is not None and found != module:
                yield found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


GRAPH = graph()


def test_the_walk_sees_lazy_and_type_checking_imports() -> None:
    # The reducer imports the snapshot codec only lazily and under TYPE_CHECKING: the walk
    # must see it, or it could not find hidden cycles.
    assert "streamfold.snapshot.state" in GRAPH["streamfold.reducer"]
    assert "streamfold.framing.frames" in GRAPH["streamfold.framing"]


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == []


def test_cycles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_every_module_has_a_floor() -> None:
    assert sorted({group(m) for m in GRAPH} - set(FLOORS)) == []


def test_imports_point_down() -> None:
    upward = []
    for module, targets in GRAPH.items():
        for target in targets:
            a, b = group(module), group(target)
            if a == b or FLOORS[b] < FLOORS[a] or (module, target) in KNOWN_UPWARD:
                continue
            upward.append(f"{module} -> {target}")
    assert sorted(upward) == []


@pytest.mark.parametrize("module", ["streamfold.coalesce", "streamfold.replay"])
def test_time_users_do_not_import_the_async_layer(module: str) -> None:
    assert not any(group(target) == "aio" for target in GRAPH[module])


def test_the_framing_knows_no_format_and_no_reducer() -> None:
    framing = {m: t for m, t in GRAPH.items() if group(m) == "framing"}
    assert len(framing) >= 7
    assert {group(t) for targets in framing.values() for t in targets} <= {"framing", "errors"}

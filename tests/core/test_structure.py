"""The core's shape: one applier per event type, no wire format, no upward import, small modules."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from streamfold import events as ev
from streamfold.core import APPLY

SRC = Path(__file__).parents[2] / "src" / "streamfold"


def test_every_canonical_event_has_exactly_one_applier() -> None:
    assert set(APPLY) == set(typing.get_args(ev.Event))


def _imports(path: Path) -> set[str]:
    """Modules a file imports, resolved against the streamfold package."""
    package = ["streamfold", *path.relative_to(SRC).parent.parts]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module is None:  # from .. import events
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_core_knows_no_wire_format_and_imports_nothing_above_it() -> None:
    allowed = (
        "streamfold.core",
        "streamfold.events",
        "streamfold.model",
        "streamfold.notifications",
    )
    for path in (SRC / "core").glob("*.py"):
        inside = {m for m in _imports(path) if m.startswith("streamfold")}
        assert all(m.startswith(allowed) for m in inside), (path.name, inside)
        text = path.read_text().lower()
        for word in ("loom", "tanstack", "nnrp", "ag-ui", "tot_expand", "got_", "[done]"):
            assert word not in text, (path.name, word)


def test_the_model_imports_only_itself() -> None:
    for path in (SRC / "model").glob("*.py"):
        inside = {m for m in _imports(path) if m.startswith("streamfold")}
        assert all(m.startswith("streamfold.model") for m in inside), (path.name, inside)


def test_core_model_and_reducer_modules_stay_small() -> None:
    paths = [*(SRC / "core").glob("*.py"), *(SRC / "model").glob("*.py")]
    sizes = {p.relative_to(SRC).as_posix(): len(p.read_text().splitlines()) for p in paths}
    assert max(sizes.values()) <= 600, sizes
    # The facade also holds the frame intake (feed_frame, feed_stream: issue #15 "one intake"),
    # the text-integrity fallback parse (#17), the hydration constructors (#16) and arrival
    # times (feed(at=), a frame's t, the clock: #19). At 645 lines it is at its bound: the next
    # addition moves the resume-state pair out first.
    assert len((SRC / "reducer.py").read_text().splitlines()) <= 600

"""Every diagnostic code the library can emit is in docs/diagnostics.md (the catalog)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TypeGuard

from streamfold import Reducer
from streamfold.io.sync import fold_file

ROOT = Path(__file__).parent.parent
CATALOG = (ROOT / "docs" / "diagnostics.md").read_text()
DOCUMENTED = set(re.findall(r"^\| `([a-z_]+)`", CATALOG, re.M))
_REPORTERS = ("diag", "drop", "warn", "reject", "problem", "info", "note")


def _is_code(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", value) is not None


def _literals(node: ast.expr) -> list[str]:
    """String literals an expression can evaluate to (not those it merely passes to calls)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return [value] if _is_code(value) else []
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.Tuple):
        return [c for e in node.elts for c in _literals(e)]
    if isinstance(node, ast.BoolOp):
        return [c for v in node.values for c in _literals(v)]
    return []


def static_codes() -> set[str]:
    """Codes passed as the first argument of a reporting call, or assigned as a code."""
    codes: set[str] = set()
    for path in (ROOT / "src" / "streamfold").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if not any(word in name.lower() for word in _REPORTERS):
                    continue
                args = [*node.args, *(k.value for k in node.keywords if k.arg == "code")]
                first = args[0] if args else None
                value = first.value if isinstance(first, ast.Constant) else None
                if _is_code(value):
                    codes.add(value)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if (
                    "code" in names
                ):  # code = "x" / code, severity = "x", … / code = "a" if … else "b"
                    codes |= {c for c in _literals(node.value) if "_" in c}
    return codes


def emitted_codes() -> set[str]:
    """Codes actually produced by the recordings and a handful of bad inputs."""
    codes: set[str] = set()
    for path in (ROOT / "examples" / "recordings").iterdir():
        if path.suffix in (".ndjson", ".sse"):
            codes |= {d.code for d in fold_file(path).diagnostics}
    reducer = Reducer(max_line_bytes=64)
    for line in (b"[1]", b"nope", b"> hi", b'{"x":1}', b"{" + b" " * 100 + b"}"):
        reducer.feed_bytes(line + b"\n")
    reducer.close()
    codes |= {d.code for d in reducer.conversation.diagnostics}
    return codes


def test_static_scan_finds_the_known_codes() -> None:
    found = static_codes()
    # The scan must see codes from every layer, or it has silently stopped working.
    assert {"decoder_error", "duplicate_event", "duplicate_done", "late_frame"} <= found


def test_every_code_is_documented() -> None:
    missing = (static_codes() | emitted_codes()) - DOCUMENTED
    assert not missing, f"add these codes to docs/diagnostics.md: {sorted(missing)}"


def test_catalog_lists_no_code_twice() -> None:
    rows = re.findall(r"^\| `([a-z_]+)`", CATALOG, re.M)
    assert len(rows) == len(set(rows))

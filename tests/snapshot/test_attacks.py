"""Crafted snapshots: every one is refused with SnapshotError, with no side effect.

The attacks of issue #14, as they were written against the version-3 object-graph format
(class paths followed by ``getattr``), and rebuilt against version 4: class-like strings in
every field, sizes no stream reaches, wrong types, deep nesting, dangling ids. Each restore
runs under a watch: a sentinel file must not appear (the injected command would create it) or
disappear (the gadgets would delete it), fds 0-2 stay open, and the memory allocated while
restoring stays under a cap.
"""

from __future__ import annotations

import gc
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold import Reducer, SnapshotError, UsageError
from streamfold.snapshot import to_bytes

from ..support.mutations import replaced

RECORDINGS = Path(__file__).parent.parent.parent / "examples" / "recordings"
DATA = Path(__file__).parent / "data"
MEMORY_CAP = 64 * 1024 * 1024
"""Bytes a refused restore may allocate at its peak (the largest input here is ~5 MB)."""

POPEN = "streamfold.aio:anyio._backends._asyncio.asyncio.events.subprocess.Popen"
CLASS_PATHS = (
    POPEN,
    "streamfold.aio:anyio._backends._asyncio.tempfile._TemporaryFileCloser",
    "streamfold.aio:anyio._backends._asyncio.io.FileIO",
    "streamfold.reducer:Reducer._dispatch_table",
    "os:system",
    "builtins:eval",
)


@pytest.fixture(autouse=True)
def _anyio_loaded() -> None:
    """The precondition of the command-execution gadget: an application that ran anyio."""
    import anyio

    async def nothing() -> None:
        return None

    anyio.run(nothing)
    assert "anyio._backends._asyncio" in sys.modules


@contextmanager
def watch(tmp_path: Path) -> Iterator[Path]:
    """Yield a path that a gadget would create; check nothing happened afterwards."""
    created = tmp_path / "created-by-the-snapshot"
    victim = tmp_path / "must-survive"
    victim.write_text("still here")
    stats = [os.fstat(fd) for fd in (0, 1, 2)]
    tracemalloc.start()
    try:
        yield created
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        gc.collect()  # a half-built gadget would act in __del__
    assert not created.exists(), "a command ran"
    assert victim.read_text() == "still here", "a file was deleted"
    assert [os.fstat(fd) for fd in (0, 1, 2)] == stats, "a standard fd changed"
    assert peak < MEMORY_CAP, f"restore allocated {peak} bytes"


def refused(data: Any, tmp_path: Path, match: str | None = None) -> SnapshotError:
    with watch(tmp_path), pytest.raises(SnapshotError, match=match) as info:
        Reducer.from_snapshot(data)
    return info.value


def command(created: Path) -> list[str]:
    return ["sh", "-c", f"touch {created}"]


# --------------------------------------------------------------------- version 3 payloads


def v3(state: Any) -> dict[str, Any]:
    return {"format": "streamfold.reducer", "version": 3, "state": state}


def v3_payloads(created: Path, victim: Path) -> dict[str, Any]:
    popen = {
        "$t": "enum",
        "c": POPEN,
        "v": {"$t": "list", "id": 1, "v": command(created)},
    }
    closer = {
        "$t": "obj",
        "c": "streamfold.aio:anyio._backends._asyncio.tempfile._TemporaryFileCloser",
        "id": 1,
        "v": {"name": str(victim), "delete": True, "file": None, "close_called": False},
    }
    fileio = {"$t": "obj", "c": "streamfold.aio:anyio._backends._asyncio.io.FileIO", "id": 2}
    shadow = {
        "$t": "dict",
        "id": 1,
        "v": [["_dispatch_table", {"$t": "enum", "c": POPEN, "v": command(created)}]],
    }
    big = {"$t": "deque", "id": 1, "v": [], "maxlen": 2**62}
    return {
        "command": v3({"$t": "dict", "id": 9, "v": [["conversation", popen]]}),
        "delete": v3(closer),
        "close-fd": v3({**fileio, "v": {"_fd": 1, "_closefd": True}}),
        "shadow-dispatch": v3(shadow),
        "allocate": v3({"$t": "bytes", "v": "A" * 200}),
        "deque": v3(big),
    }


@pytest.mark.parametrize(
    "name", ["command", "delete", "close-fd", "shadow-dispatch", "allocate", "deque"]
)
@pytest.mark.parametrize("form", ["dict", "bytes"])
def test_version_3_gadgets_are_refused_before_anything_is_read(
    name: str, form: str, tmp_path: Path
) -> None:
    payload = v3_payloads(tmp_path / "created-by-the-snapshot", tmp_path / "must-survive")[name]
    data = orjson.dumps(payload) if form == "bytes" else payload
    error = refused(data, tmp_path, match="version 3 is not supported")
    assert isinstance(error, UsageError)


@pytest.mark.parametrize("path", sorted(DATA.glob("v3-*.json")), ids=lambda p: p.name)
def test_stored_version_3_snapshots_are_refused_with_a_clear_message(
    path: Path, tmp_path: Path
) -> None:
    """Snapshots written by streamfold before v4 (by the code of commit c529ea8)."""
    error = refused(path.read_bytes(), tmp_path)
    assert "version 3 is not supported" in str(error)
    assert "Fold the original input again" in str(error)


# --------------------------------------------------------------------- version 4 tampering


def good(name: str = "loom-multi-agent.ndjson") -> dict[str, Any]:
    data = (RECORDINGS / name).read_bytes()
    reducer = Reducer()
    cut = len(data) // 2
    (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(data[:cut])
    document: dict[str, Any] = orjson.loads(to_bytes(reducer))
    return document


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    stack = [(path, node)]
    while stack:
        here, item = stack.pop()
        if isinstance(item, dict):
            stack += [((*here, k), v) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [((*here, i), v) for i, v in enumerate(item)]
        else:
            yield here, item


def finish(reducer: Reducer, name: str = "loom-multi-agent.ndjson") -> None:
    """A restored reducer must take the rest of its stream, end it and export it."""
    data = (RECORDINGS / name).read_bytes()
    (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(data[len(data) // 2 :])
    reducer.close()
    to_bytes(reducer)


@pytest.mark.parametrize(
    "name", ["loom-multi-agent.ndjson", "tanstack-agui-tools.sse", "nnrp-reorder.ndjson"]
)
def test_class_paths_in_every_string_are_only_text(name: str, tmp_path: Path) -> None:
    """Nothing in a v4 snapshot names a class: put a class path (and the command) in each
    string field in turn. Each is refused, or restores as plain text and goes on."""
    document = good(name)
    created = tmp_path / "created-by-the-snapshot"
    strings = [path for path, value in leaves(document) if isinstance(value, str)]
    assert len(strings) > 50
    strings = strings[:: max(1, len(strings) // 60)]  # spread over the document, ~60
    outcomes = {"refused": 0, "restored": 0}
    with watch(tmp_path):
        for i, path in enumerate(strings):
            text = CLASS_PATHS[i % len(CLASS_PATHS)] + f" touch {created}"
            try:
                reducer = Reducer.from_snapshot(replaced(document, path, text))
            except SnapshotError:
                outcomes["refused"] += 1
                continue
            outcomes["restored"] += 1
            finish(reducer, name)
    assert outcomes["refused"] and outcomes["restored"]


def sized(document: dict[str, Any], section: str, key: str, value: Any) -> Any:
    return replaced(document, (*section.split("."), key), value)


@pytest.mark.parametrize(
    ("section", "key", "value", "match"),
    [
        ("reducer.options", "max_diagnostics", 2**62, "max_diagnostics must be between"),
        ("reducer.options", "max_line_bytes", 10**30, "max_line_bytes must be between"),
        ("reducer.options", "max_text_chars", 0, "max_text_chars must be between"),
        ("reducer.options", "max_open_runs", -5, "max_open_runs must be between"),
        ("reducer", "frames_in", 10**40, "frames_in"),
        ("reducer", "frames_dropped", 10**9, "frames_dropped is more than frames_in"),
        ("reducer", "seq", -1, "seq"),
        ("decoders.loom", "v", 99, "cursor version 99"),
        ("reducer", "v", 2, "section version 2"),
        ("framing", "v", "1", "section version '1'"),
        ("model", "version", 2, "model version 2"),
    ],
)
def test_sizes_and_versions_out_of_range(
    section: str, key: str, value: Any, match: str, tmp_path: Path
) -> None:
    refused(sized(good(), section, key, value), tmp_path, match)


def test_a_huge_document_is_refused_before_parsing(tmp_path: Path) -> None:
    data = b'{"streamfold_snapshot": 4, "model": "' + b"x" * 4096 + b'"}'
    refused(data, tmp_path)  # not a snapshot
    with watch(tmp_path), pytest.raises(SnapshotError, match="max_snapshot_bytes"):
        Reducer.from_snapshot(data, max_snapshot_bytes=1024)


def test_the_framing_buffers_are_bounded(tmp_path: Path) -> None:
    document = good()
    document["reducer"]["options"]["max_line_bytes"] = 16
    document["framing"]["ndjson"]["pending"] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFB"  # 20 bytes
    refused(document, tmp_path, "partial line longer than max_line_bytes")
    document = good()
    document["framing"]["sse"]["data"] = ["x" * 100] * 3
    document["framing"]["ndjson"]["pending"] = ""
    document["reducer"]["options"]["max_line_bytes"] = 200
    refused(document, tmp_path, "event data longer than max_line_bytes")


def deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("form", ["dict", "bytes"])
def test_deep_nesting_is_refused_without_recursion(form: str, tmp_path: Path) -> None:
    document = good()
    run = document["model"]["sessions"][next(iter(document["model"]["sessions"]))]["runs"][0]
    run["state"] = deep(50_000)
    # (orjson writes 254 levels at most: the document is written by the wide encoder.)
    data: Any = _dumps_deep(document) if form == "bytes" else document
    refused(data, tmp_path, "nested deeper than 1100")


def _dumps_deep(value: Any) -> bytes:
    from streamfold.snapshot.values import dumps

    return dumps(value)  # the wide encoder, past its recursion limit the iterative one


def test_deep_spans_are_read_without_recursion() -> None:
    """Spans nest in the document; a tree deeper than the recursion limit restores and ends
    (a stream can open that many spans)."""
    reducer = Reducer()
    for i in range(1100):  # 2,200 levels of JSON: past orjson's 1,024 and the recursion limit
        reducer.feed_line(orjson.dumps({"type": "node_enter", "id": f"n{i}"}))
    restored = Reducer.from_snapshot(to_bytes(reducer))
    restored.close()
    assert restored.conversation.runs[0].status == "failed"


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("wrong type", lambda d: d["reducer"].__setitem__("frames_in", "12"), "expected an integer"),
    ("bool as int", lambda d: d["reducer"].__setitem__("index", True), "expected an integer"),
    (
        "float as int",
        lambda d: d["model"]["usage"].__setitem__("prompt_tokens", 1.5),
        "expected an integer",
    ),
    ("string list", lambda d: d["reducer"].__setitem__("open_runs", "abc"), "expected a list"),
    ("unknown status", lambda d: _first_run(d).__setitem__("status", "pwned"), "RunStatus"),
    ("unknown part", lambda d: _first_part(d).__setitem__("kind", POPEN), "unknown part kind"),
    ("dangling open run", lambda d: d["reducer"]["open_runs"].append("nope"), "still open"),
    ("dangling decoder", lambda d: d["reducer"].__setitem__("last_decoder", "nnrp"), "decoders"),
    ("unknown format", lambda d: d["decoders"].__setitem__(POPEN, {"v": 1}), "unknown format"),
    (
        "dangling session",
        lambda d: d["decoders"]["loom"].__setitem__("last_session", "nope"),
        "last session",
    ),
    ("dangling call", lambda d: _first_call_part(d).__setitem__("call_id", "nope"), "not in"),
    (
        "dangling override",
        lambda d: d["reducer"].__setitem__("overrides", {"spans": {"x": 10**6}}),
        "no object at position",
    ),
    ("run in two sessions", lambda d: _first_run(d).__setitem__("session_id", "x"), "names"),
    (
        "bad timeline",
        lambda d: _first_call(d).__setitem__("timeline", [["rm -rf", 1]]),
        "ToolCallState",
    ),
    ("not base64", lambda d: d["framing"]["ndjson"].__setitem__("pending", "!!"), "base64"),
    ("set in a value", lambda d: _first_run(d).__setitem__("state", {1: 2}), "key"),
    ("no model", lambda d: d.pop("model"), "model"),
    ("not an object", lambda d: d.__setitem__("decoders", []), "decoders"),
    (
        "too many diagnostics",
        lambda d: d["reducer"]["options"].__setitem__("max_diagnostics", 1),
        "more diagnostics than max_diagnostics",
    ),
]


def _first_run(document: dict[str, Any]) -> dict[str, Any]:
    sessions = document["model"]["sessions"]
    run: dict[str, Any] = sessions[next(iter(sessions))]["runs"][0]
    return run


def _first_call(document: dict[str, Any]) -> dict[str, Any]:
    for session in document["model"]["sessions"].values():
        for run in session["runs"]:
            for call in run["tool_calls"].values():
                found: dict[str, Any] = call
                return found
    raise AssertionError("no tool call")


def _first_call_part(document: dict[str, Any]) -> dict[str, Any]:
    for session in document["model"]["sessions"].values():
        for run in session["runs"]:
            for message in run["messages"]:
                for part in message["parts"]:
                    if part["kind"] == "tool-call":
                        found: dict[str, Any] = part
                        return found
    raise AssertionError("no tool-call part")


def _first_part(document: dict[str, Any]) -> dict[str, Any]:
    for session in document["model"]["sessions"].values():
        for run in session["runs"]:
            for message in run["messages"]:
                if message["parts"]:
                    found: dict[str, Any] = message["parts"][0]
                    return found
    raise AssertionError("no part")


@pytest.mark.parametrize(("name", "mutate", "match"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_damage_is_refused_with_a_path(
    name: str, mutate: Callable[[dict[str, Any]], None], match: str, tmp_path: Path
) -> None:
    document = good()
    document["model"]["diagnostics"] = document["model"]["diagnostics"] or [
        {"code": "x", "message": "y"},
        {"code": "x", "message": "y"},
    ]
    mutate(document)
    error = refused(document, tmp_path, match)
    assert str(error)

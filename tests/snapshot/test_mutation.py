"""Hypothesis mutates v4 snapshots: each is refused with SnapshotError, or it resumes, takes the
rest of its stream, ends and is exported and snapshotted again without any other exception."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, SnapshotError
from streamfold.export.json import to_dict
from streamfold.snapshot import to_bytes
from streamfold.snapshot.values import dumps

RECORDINGS = Path(__file__).parent.parent.parent / "examples" / "recordings"
STREAMS = (
    "loom-react-parallel-tools.ndjson",
    "tanstack-agui-approval.sse",
    "tanstack-legacy-tools.sse",
    "nnrp-reorder.ndjson",
    "nnrp-openai.ndjson",
)


@cache
def base(name: str) -> tuple[bytes, dict[str, Any], list[tuple[Any, ...]]]:
    data = (RECORDINGS / name).read_bytes()
    reducer = Reducer()
    cut = len(data) // 2
    (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(data[:cut])
    document: dict[str, Any] = orjson.loads(to_bytes(reducer))
    paths: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        if path:
            paths.append(path)
        if isinstance(node, dict):
            stack += [((*path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [((*path, i), v) for i, v in enumerate(node)]
    return data[cut:], document, sorted(paths, key=repr)


CLASSY = st.sampled_from(
    [
        "streamfold.aio:anyio._backends._asyncio.asyncio.events.subprocess.Popen",
        "os:system",
        "$r",
        "$t",
        "obj",
        "loom",
        "nnrp",
        "tanstack",
        "",
        "completed",
        "running",
        "tool-call",
        "text",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 2**63, 2**64, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    CLASSY,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=4) | CLASSY, inner, max_size=3),
    ),
    max_leaves=8,
)


def mutate(document: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> None:
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "delete":
        del parent[key]
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif how == "empty":
        current = parent[key]
        parent[key] = type(current)() if isinstance(current, dict | list) else value
    else:
        parent[key] = value


@given(
    st.sampled_from(STREAMS),
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.sampled_from(["replace", "delete", "duplicate", "empty"]),
            VALUES,
        ),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_a_mutated_snapshot_is_refused_or_resumes(
    name: str, mutations: list[tuple[int, str, Any]], as_bytes: bool
) -> None:
    rest, original, paths = base(name)
    document = copy.deepcopy(original)
    for pick, how, value in mutations:
        path = paths[pick % len(paths)]
        try:
            mutate(document, path, how, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    try:
        reducer = Reducer.from_snapshot(dumps(document) if as_bytes else document)
    except SnapshotError:
        return
    (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(rest)
    reducer.close()
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    to_dict(reducer.conversation)
    Reducer.from_snapshot(to_bytes(reducer))

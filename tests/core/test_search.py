"""Typed search events: the Loom decoder checks ToT/GoT payload types, the core applies them.

Issue #23 item 1: a ``tot_expand`` with ``"candidates": 5`` (and ``tot_evaluate`` with
``"scores": 1.5``, ``got_plan`` with ``"node_ids": 7``) raised ``TypeError`` out of the core;
through ``feed_bytes`` the rest of the chunk was lost, and strict mode raised no
``ProtocolError``.
The sweep at the end sets every field of every Loom event type to every JSON type.
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold.errors import ProtocolError
from streamfold.formats.loom import LOOM_EVENT_TYPES
from streamfold.model import Diagnostic, Run
from streamfold.notifications import SearchTreeUpdated

BAD_PAYLOADS = [
    {"type": "tot_expand", "candidates": 5},
    {"type": "tot_evaluate", "scores": 1.5},
    {"type": "got_plan", "node_ids": 7},
]


def _line(frame: dict[str, Any], event_id: int) -> bytes:
    return orjson.dumps({"session_id": "s", "event_id": event_id, **frame})


def _check_accounting(reducer: Reducer) -> None:
    """Every frame is applied or dropped, and every dropped frame has its diagnostic."""
    assert reducer.frames_applied + reducer.frames_dropped == reducer.frames_in
    dropped = {d.frame_index for d in reducer.conversation.diagnostics if d.dropped}
    assert len(dropped) == reducer.frames_dropped


@pytest.mark.parametrize("payload", BAD_PAYLOADS, ids=lambda p: str(p["type"]))
def test_wrong_main_field_type_is_dropped_with_its_raw_text(payload: dict[str, Any]) -> None:
    reducer = Reducer()
    notes = reducer.feed_line(_line(payload, 1))
    [diagnostic] = [n for n in notes if isinstance(n, Diagnostic) and n.code == "invalid_field"]
    assert diagnostic.dropped and diagnostic.raw is not None and payload["type"] in diagnostic.raw
    assert reducer.frames_dropped == 1
    _check_accounting(reducer)


@pytest.mark.parametrize("payload", BAD_PAYLOADS, ids=lambda p: str(p["type"]))
def test_wrong_type_in_a_chunk_does_not_lose_the_following_lines(payload: dict[str, Any]) -> None:
    reducer = Reducer()
    chunk = b"\n".join(
        [
            _line({"type": "node_enter", "id": "think"}, 1),
            _line(payload, 2),
            _line({"type": "message_chunk", "content": "after", "id": "think"}, 3),
        ]
    )
    reducer.feed_bytes(chunk + b"\n")
    assert reducer.frames_in == 3 and reducer.frames_dropped == 1
    [run] = reducer.conversation.runs
    assert run.messages[0].text == "after"


@pytest.mark.parametrize("payload", BAD_PAYLOADS, ids=lambda p: str(p["type"]))
def test_wrong_type_raises_protocol_error_in_strict_mode(payload: dict[str, Any]) -> None:
    reducer = Reducer(strict=True)
    with pytest.raises(ProtocolError) as info:
        reducer.feed_line(_line(payload, 1))
    assert info.value.code == "invalid_field"


def test_search_tree_from_typed_events_and_added_by() -> None:
    reducer = Reducer()
    frames: list[dict[str, Any]] = [
        {"type": "tot_expand", "candidates": ["a", "b", 3]},
        {"type": "tot_evaluate", "chosen": True, "scores": [0.5, True, 2, 10**400]},
        {"type": "got_plan", "node_ids": ["t1", 2], "edge_count": 1},
        {"type": "got_node_complete", "id": "t1", "result_summary": "done"},
        {"type": "got_node_failed", "id": 2, "error": {"not": "text"}},
        {"type": "got_expand", "node_id": "t1", "nodes_added": ["t3"], "edges_added": 2},
        {"type": "got_expand", "node_id": "t1", "nodes_added": 1, "edges_added": 1},
    ]
    for i, frame in enumerate(frames, 1):  # feed: 10**400 is a Python int JSON cannot carry
        reducer.feed({"session_id": "s", "event_id": i, **frame})
    [run] = reducer.conversation.runs
    tree = run.search
    assert tree is not None
    [step] = tree.tot_steps
    assert step.candidates == ["a", "b"]  # 3 is not a string: left out, with a warning
    assert step.scores == [0.5, 2.0] and step.chosen is None  # a boolean is not a number
    assert {k: t.status for k, t in tree.tasks.items()} == {
        "t1": "complete",
        "2": "failed",
        "t3": "pending",
    }
    assert tree.tasks["t1"].result_summary == "done" and tree.tasks["2"].error is None
    assert tree.tasks["t3"].added_by == "t1" and tree.tasks["t1"].added_by is None
    assert [(x.added_by, x.task_ids, x.tasks_added, x.edges_added) for x in tree.expansions] == [
        ("t1", ["t3"], None, 2),
        ("t1", [], 1, 1),
    ]
    warned = [d.code for d in reducer.conversation.diagnostics]
    assert warned == ["invalid_field"] * 4 and reducer.frames_dropped == 0


# ------------------------------------------------------------------------------- the sweep

JSON_VALUES = [  # JSON text, as a sender writes it
    b"null",
    b"true",
    b"false",
    b"0",
    b"-7",
    b"123456789012345678901234567890",  # beyond 64 bits (orjson reads it as a float)
    b"1e400",
    b"1.5",
    b'""',
    b'"x"',
    b"[]",
    b'[1, "a", null, {"k": 1}, 123456789012345678901234567890]',
    b"{}",
    b'{"k": [1, 2]}',
]
ENVELOPE = ("session_id", "node_id", "event_id", "type")


def _sweep_cases() -> list[tuple[str, str]]:
    return [
        (kind, field)
        for kind, fields in LOOM_EVENT_TYPES.items()
        for field in sorted(fields | set(ENVELOPE))
    ]


def _sweep_line(kind: str, field: str, value: bytes) -> bytes:
    frame: dict[str, Any] = {"session_id": "s", "node_id": "n", "event_id": 2, "type": kind}
    frame[field] = "@VALUE@"
    return orjson.dumps(frame).replace(b'"@VALUE@"', value)


@pytest.mark.parametrize(("kind", "field"), _sweep_cases())
def test_every_field_of_every_loom_type_takes_every_json_type(kind: str, field: str) -> None:
    for value in JSON_VALUES:
        line = _sweep_line(kind, field, value)
        lenient = Reducer(format="loom")
        lenient.feed_line(_line({"type": "node_enter", "id": "think"}, 1))
        lenient.feed_bytes(line + b"\n" + _line({"type": "custom", "value": 1}, 3) + b"\n")
        lenient.close()
        _check_accounting(lenient)
        assert lenient.frames_in == 3, (kind, field, value)
        errors = [d for d in lenient.conversation.diagnostics if d.code == "decoder_error"]
        assert not errors, (kind, field, value, errors)
        assert any(isinstance(r, Run) for r in lenient.conversation.runs)

        strict = Reducer(format="loom", strict=True)
        strict.feed_line(_line({"type": "node_enter", "id": "think"}, 1))
        with contextlib.suppress(ProtocolError):
            strict.feed_line(line)
        _check_accounting(strict)


def test_search_notifications_carry_the_change_and_the_tree() -> None:
    reducer = Reducer()
    notes = reducer.feed_line(_line({"type": "tot_expand", "candidates": ["a", "b"]}, 1))
    [note] = [n for n in notes if isinstance(n, SearchTreeUpdated)]
    assert (note.kind, note.data) == ("expand", {"candidates": ["a", "b"]})
    assert note.tree is reducer.conversation.runs[0].search
    orjson.dumps(note.data)  # JSON-safe, for the AG-UI encoder's custom event

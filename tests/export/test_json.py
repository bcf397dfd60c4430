from __future__ import annotations

from typing import Any

import orjson

from streamfold import Reducer
from streamfold.export.json import EXPORT_VERSION, converter, to_dict, to_json

_FRAMES = [
    {"session_id": "s", "event_id": 1, "type": "node_enter", "id": "think"},
    {"session_id": "s", "event_id": 2, "type": "thought_chunk", "content": "hmm", "id": "think"},
    {"session_id": "s", "event_id": 3, "type": "message_chunk", "content": "Hi ", "id": "think"},
    {"session_id": "s", "event_id": 4, "type": "message_chunk", "content": "there", "id": "think"},
    {"session_id": "s", "event_id": 5, "type": "tool_call", "call_id": "c1", "name": "ok",
     "arguments": {"x": 1}},
    {"session_id": "s", "event_id": 6, "type": "tool_call", "call_id": "c2", "name": "bad",
     "arguments": "{not json"},
    {"session_id": "s", "event_id": 7, "type": "usage", "prompt_tokens": 10,
     "completion_tokens": 2, "total_tokens": 12},
    {"session_id": "s", "event_id": 8, "type": "node_exit", "id": "think", "result": "Ok"},
    {"session_id": "s", "event_id": 9, "type": "node_enter", "id": "act"},
    {"session_id": "s", "event_id": 10, "type": "tool_start", "call_id": "c1", "name": "ok"},
    {"session_id": "s", "event_id": 11, "type": "node_enter", "id": "think"},
    {"session_id": "s", "event_id": 12, "type": "node_exit", "id": "think", "result": "Ok"},
    {"session_id": "s", "event_id": 13, "type": "tool_end", "call_id": "c1", "name": "ok",
     "result": "done", "is_error": False},
    {"session_id": "s", "event_id": 14, "type": "node_exit", "id": "act", "result": "Ok"},
    {"session_id": "t", "event_id": 15, "reply": "Hi there", "stop_reason": "end_turn"},
]  # fmt: skip


def _folded() -> Reducer:
    reducer = Reducer()
    for frame in _FRAMES:
        reducer.feed_line(orjson.dumps(frame))
    reducer.feed_line(b"not json at all")
    reducer.close()
    return reducer


def _run(doc: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = doc["sessions"]["s"]["runs"][0]
    return run


def test_document_shape_and_version() -> None:
    doc = to_dict(_folded().conversation, stats={"frames_in": 16})
    assert doc["version"] == EXPORT_VERSION == 1
    assert doc["stats"] == {"frames_in": 16}
    assert set(doc) >= {"sessions", "usage", "diagnostics", "diagnostics_evicted"}
    # JSON-safe as it is: orjson needs no default hook and the round trip is exact.
    assert orjson.loads(orjson.dumps(doc)) == doc


def test_enums_are_values_and_buffers_are_strings() -> None:
    run = _run(to_dict(_folded().conversation))
    assert run["status"] == "completed"
    assert run["reply"] == "Hi there"
    assert run["thread_id"] == "t"
    assert run["tool_calls"]["c1"]["state"] == "complete"
    assert run["tool_calls"]["c1"]["arguments"] == '{"x":1}'
    assert run["tool_calls"]["c1"]["output"] == ""
    assert "arguments_buffer" not in run["tool_calls"]["c1"]
    parts = run["messages"][0]["parts"]
    assert parts[0] == {
        "kind": "reasoning",
        "text": "hmm",
        "step_id": None,
        "signature": None,
        "encrypted": None,
    }
    assert parts[1] == {"kind": "text", "text": "Hi there"}


def test_tool_call_parts_are_references() -> None:
    run = _run(to_dict(_folded().conversation))
    refs = [p for p in run["messages"][0]["parts"] if p["kind"] == "tool-call"]
    assert refs == [
        {"kind": "tool-call", "call_id": "c1"},
        {"kind": "tool-call", "call_id": "c2"},
    ]


def test_unset_is_absent() -> None:
    calls = _run(to_dict(_folded().conversation))["tool_calls"]
    assert calls["c1"]["input"] == {"x": 1}
    assert "input" not in calls["c2"]  # "{not json" never parsed
    assert calls["c2"]["arguments"] == "{not json"
    assert "result_value" not in calls["c1"]


def test_spans_nest_without_parent() -> None:
    spans = _run(to_dict(_folded().conversation))["spans"]
    assert [s["name"] for s in spans] == ["think", "act"]
    assert all("parent" not in s for s in spans)
    (child,) = spans[1]["children"]
    assert child["name"] == "think"
    assert child["parent_tool_call_id"] == "c1"
    assert "parent" not in child
    assert child["status"] == "ok"


def test_tuples_and_deques_become_lists() -> None:
    doc = to_dict(_folded().conversation)
    timeline = _run(doc)["tool_calls"]["c1"]["timeline"]
    assert timeline[0] == ["awaiting-input", 4]
    assert [state for state, _ in timeline][-1] == "complete"
    assert isinstance(doc["diagnostics"], list)
    (diagnostic,) = doc["diagnostics"]
    assert diagnostic["code"] == "not_json"
    assert diagnostic["severity"] == "warning"
    assert diagnostic["raw"] == "not json at all"
    assert diagnostic["dropped"] is True


def test_usage_is_summed() -> None:
    doc = to_dict(_folded().conversation)
    assert doc["usage"]["total_tokens"] == 12
    assert _run(doc)["usage"]["prompt_tokens"] == 10


def test_to_json_and_single_objects() -> None:
    reducer = _folded()
    assert orjson.loads(to_json(reducer.conversation)) == to_dict(reducer.conversation)
    call = reducer.conversation.runs[0].tool_calls["c1"]
    assert converter.unstructure(call)["result"] == "done"

"""AGUIEncoder rules on small hand-made streams (AG-UI input, so each rule is visible)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold.errors import UsageError
from streamfold.export.agui import AGUIEncoder, convert_to_agui, ndjson_line, sse_frame


def _encode(frames: list[dict[str, Any]], close: bool = True) -> list[dict[str, Any]]:
    reducer, encoder = Reducer(), AGUIEncoder()
    out: list[dict[str, Any]] = []
    for frame in frames:
        out += encoder.encode(reducer.feed_line(orjson.dumps(frame)))
    if close:
        out += encoder.encode(reducer.close()) + encoder.close()
    return out


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events if e["type"] != "CUSTOM"]


RUN = {"type": "RUN_STARTED", "threadId": "t", "runId": "r1"}
END = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r1"}


def test_text_and_tool_call_map_one_to_one() -> None:
    events = _encode(
        [
            RUN,
            {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Hi"},
            {
                "type": "TOOL_CALL_START",
                "toolCallId": "c",
                "toolCallName": "f",
                "parentMessageId": "m",
            },
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"a":'},
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "1}"},
            {"type": "TOOL_CALL_END", "toolCallId": "c"},
            {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "c", "content": "ok"},
            {"type": "TEXT_MESSAGE_END", "messageId": "m"},
            END,
        ]
    )
    assert _types(events) == [
        "RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TOOL_CALL_START",
        "TOOL_CALL_ARGS", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_END", "RUN_FINISHED",
    ]  # fmt: skip
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result == {
        "type": "TOOL_CALL_RESULT",
        "messageId": "c/result",
        "toolCallId": "c",
        "content": "ok",
        "role": "tool",
    }
    assert events[-1]["outcome"] == {"type": "success"}


def test_arguments_after_the_senders_end_still_go_out_as_args() -> None:
    """pydantic-ai sends TOOL_CALL_ARGS after its TOOL_CALL_END: the call stays open until it
    moves on (here: its result), so the verifier sees them inside the call."""
    events = _encode(
        [
            RUN,
            {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f"},
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"a":1'},
            {"type": "TOOL_CALL_END", "toolCallId": "c"},
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "}"},
            {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "c", "content": "ok"},
            END,
        ]
    )
    assert [t for t in _types(events) if t.startswith("TOOL_")] == [
        "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT",
    ]  # fmt: skip


def test_arguments_after_the_result_are_a_custom_event() -> None:
    events = _encode(
        [
            RUN,
            {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f"},
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"a":1'},
            {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "c", "content": "ok"},
            {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "}"},
            END,
        ]
    )
    end = next(i for i, e in enumerate(events) if e["type"] == "TOOL_CALL_END")
    assert not any(e["type"] == "TOOL_CALL_ARGS" for e in events[end:])
    late = [e for e in events if e.get("name") == "streamfold.arguments"]
    assert late and late[-1]["value"] == {"toolCallId": "c", "arguments": '{"a":1}'}


def test_overlapping_runs_become_sub_agents_and_the_run_end_waits() -> None:
    events = _encode(
        [
            RUN,
            {"type": "RUN_STARTED", "threadId": "t", "runId": "r2"},
            {"type": "TEXT_MESSAGE_START", "messageId": "m2", "role": "assistant", "runId": "r2"},
            END,
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "late"},
            {"type": "RUN_FINISHED", "threadId": "t", "runId": "r2"},
        ]
    )
    types = _types(events)
    assert types.count("RUN_STARTED") == 1
    assert types[-1] == "RUN_FINISHED"
    started = [e for e in events if e["type"] == "SUBAGENT_STARTED"]
    assert [e["subagentRunId"] for e in started] == ["r2"]
    finished = next(i for i, e in enumerate(events) if e["type"] == "SUBAGENT_FINISHED")
    assert finished < len(events) - 1


def test_events_before_any_run_wait_for_it() -> None:
    reducer, encoder = Reducer(), AGUIEncoder()
    assert encoder.encode(reducer.feed_line(b"not json")) == []  # a diagnostic, held
    events = encoder.encode(reducer.feed_line(orjson.dumps(RUN)))
    assert events[0]["type"] == "RUN_STARTED"
    assert events[1]["name"] == "streamfold.diagnostic"


def test_state_snapshot_then_json_patch_deltas() -> None:
    events = _encode(
        [
            RUN,
            {"type": "STATE_SNAPSHOT", "snapshot": {"n": 1, "items": []}},
            {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/0", "value": "a"}]},
            {"type": "STATE_SNAPSHOT", "snapshot": {"n": 2, "items": ["a"]}},
            END,
        ]
    )
    state = [e for e in events if e["type"].startswith("STATE_")]
    assert state[0] == {"type": "STATE_SNAPSHOT", "snapshot": {"n": 1, "items": []}}
    assert state[1] == {
        "type": "STATE_DELTA",
        "delta": [{"op": "add", "path": "/items/0", "value": "a"}],
    }
    assert state[2]["type"] == "STATE_DELTA"
    assert state[2]["delta"] == [{"op": "replace", "path": "/n", "value": 2}]


def test_failed_run_is_a_run_error_and_nothing_follows() -> None:
    events = _encode(
        [
            RUN,
            {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "par"},
            {"type": "RUN_ERROR", "message": "overloaded", "code": "529"},
        ]
    )
    assert _types(events)[-2:] == ["TEXT_MESSAGE_END", "RUN_ERROR"]
    assert events[-1]["message"] == "overloaded" and events[-1]["code"] == "529"


def test_open_run_is_closed_by_close() -> None:
    events = _encode(
        [RUN, {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"}],
    )
    assert _types(events)[-2:] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]


def test_close_twice_and_encode_after_close() -> None:
    encoder = AGUIEncoder()
    assert encoder.close() == []
    assert encoder.close() == []
    with pytest.raises(UsageError):
        encoder.encode([])


def test_serializers_escape_line_breaks() -> None:
    event = {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "a\n\ndata: x"}
    frame = sse_frame(event)
    assert frame.count("\n\n") == 1 and frame.endswith("\n\n")
    assert ndjson_line(event).count("\n") == 1


def test_unknown_target() -> None:
    with pytest.raises(UsageError):
        list(convert_to_agui([], "agui-xml"))

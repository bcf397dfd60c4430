"""The ``openai-responses`` format on the Responses stream quirks
(``docs/openai-responses.md``)."""

from __future__ import annotations

from typing import Any

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.model import ReasoningPart, RunStatus

from ..providers.sse import fold_frames, only_run, resumed, sse


def numbered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


def response(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "model": "gpt-x",
        "status": status,
        "output": [],
        "usage": None,
        **fields,
    }


USAGE = {
    "input_tokens": 9,
    "output_tokens": 4,
    "total_tokens": 13,
    "input_tokens_details": {"cached_tokens": 2},
    "output_tokens_details": {"reasoning_tokens": 1},
}

FUNCTION = {
    "id": "fc_1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "f",
    "arguments": "",
}

STREAM = numbered(
    [
        {"type": "response.created", "response": response("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "rs_1", "type": "reasoning", "summary": []},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "summary_index": 0,
            "delta": "Think",
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "enc"},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": FUNCTION},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "1}"},
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "arguments": '{"a":1}',
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {**FUNCTION, "arguments": '{"a":1}'},
        },
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {"id": "msg_1", "type": "message", "content": []},
        },
        {"type": "response.refusal.delta", "item_id": "msg_1", "delta": "No."},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Done"},
        {"type": "response.completed", "response": response("completed", usage=USAGE)},
    ]
)


def test_items_fold_into_one_message_with_usage() -> None:
    reducer = fold_frames(STREAM, events=True)
    run = only_run(reducer)
    assert (run.status, run.finish_reason, run.stop_reason) == (
        RunStatus.COMPLETED,
        "tool_calls",
        "completed",
    )
    (message,) = run.messages
    assert message.reasoning == "Think" and message.text == "Done"
    assert [p.encrypted for p in message.parts if isinstance(p, ReasoningPart)] == ["enc"]
    ((call),) = message.tool_calls()
    assert (call.call_id, call.name, call.input) == ("call_1", "f", {"a": 1})
    assert message.metadata["refusal"] == "No."
    assert run.usage.completion_tokens_details == {"reasoning_tokens": 1}
    assert reducer.frames_dropped == 0


def test_duplicate_sequence_numbers_are_dropped_and_gaps_marked() -> None:
    events = [STREAM[0], STREAM[1], STREAM[2], STREAM[2], *STREAM[4:]]
    reducer = fold_frames(events)
    run = only_run(reducer)
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes.count("duplicate_sequence_number") == 1
    assert codes.count("sequence_number_gap") == 1
    assert run.lossy and run.missing == [(3, 4)]
    assert run.messages[0].reasoning == "Think"  # applied once
    assert reducer.frames_dropped == 1


def test_incomplete_and_failed_responses() -> None:
    details = {"reason": "max_output_tokens"}
    frames = numbered(
        [
            {"type": "response.created", "response": response("in_progress")},
            {
                "type": "response.incomplete",
                "response": response("incomplete", incomplete_details=details, usage=USAGE),
            },
        ]
    )
    run = only_run(fold_frames(frames))
    assert (run.status, run.finish_reason, run.error_code) == (
        RunStatus.INCOMPLETE,
        "length",
        "max_output_tokens",
    )
    failed = numbered(
        [
            {"type": "response.created", "response": response("in_progress")},
            {
                "type": "error",
                "error": {"type": "server_error", "code": "server_error", "message": "boom"},
            },
            {"type": "response.failed", "response": response("failed")},
        ]
    )
    run = only_run(fold_frames(failed))
    assert (run.status, run.error, run.error_code) == (RunStatus.FAILED, "boom", "server_error")


def test_unknown_events_and_items_are_kept() -> None:
    frames = [
        *STREAM[:2],
        {"type": "response.future_thing", "x": 1},
        {"type": "response.output_item.added", "output_index": 3, "item": {"type": "hologram"}},
    ]
    reducer = fold_frames(frames)
    run = only_run(reducer)
    assert len(run.unknown_events) == 2
    assert run.status is RunStatus.INCOMPLETE


def test_snapshot_and_resume_at_every_event_fold_the_same() -> None:
    data = sse(STREAM, events=True)
    whole = Reducer()
    whole.feed_sse(data)
    whole.close()
    expected = to_json(whole.conversation)
    assert all(doc == expected for doc in resumed(data))

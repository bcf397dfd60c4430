"""The ``anthropic`` format on the Messages stream quirks (``docs/anthropic.md``)."""

from __future__ import annotations

from typing import Any

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.model import ReasoningPart, RunStatus, ToolCallState

from ..providers.sse import fold_frames, only_run, resumed, sse


def start(**usage: int) -> dict[str, Any]:
    counts = {"input_tokens": 10, "output_tokens": 1, **usage}
    message: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "usage": counts,
    }
    return {"type": "message_start", "message": message}


def block(index: int, **content: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content}


def delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(reason: str, **usage: int) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": None},
        "usage": usage,
    }


PARALLEL = [
    start(cache_read_input_tokens=4, cache_creation_input_tokens=2),
    {"type": "ping"},
    block(0, type="thinking", thinking="", signature=""),
    delta(0, type="thinking_delta", thinking="Let me"),
    delta(0, type="signature_delta", signature="c2ln"),
    stop(0),
    block(1, type="redacted_thinking", data="ZW5j"),
    stop(1),
    block(2, type="tool_use", id="toolu_a", name="f", input={}),
    block(3, type="tool_use", id="toolu_b", name="g", input={}),
    delta(2, type="input_json_delta", partial_json='{"x": '),
    delta(3, type="input_json_delta", partial_json='{"y": 2}'),
    delta(2, type="input_json_delta", partial_json="1}"),
    stop(3),
    stop(2),
    message_delta("tool_use", output_tokens=30),
    {"type": "message_stop"},
]


def test_thinking_redacted_thinking_and_parallel_tool_use_blocks() -> None:
    reducer = fold_frames(PARALLEL, events=True)
    run = only_run(reducer)
    assert (run.status, run.finish_reason, run.stop_reason) == (
        RunStatus.COMPLETED,
        "tool_calls",
        "tool_use",
    )
    (message,) = run.messages
    reasoning = [p for p in message.parts if isinstance(p, ReasoningPart)]
    assert [(p.text, p.signature, p.encrypted) for p in reasoning] == [
        ("Let me", "c2ln", None),
        ("", None, "ZW5j"),
    ]
    assert [(c.call_id, c.input) for c in message.tool_calls()] == [
        ("toolu_a", {"x": 1}),
        ("toolu_b", {"y": 2}),
    ]
    assert all(c.state is ToolCallState.INPUT_COMPLETE for c in message.tool_calls())
    usage = run.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (10, 30)
    assert usage.prompt_tokens_details == {"cached_tokens": 4, "cache_creation_input_tokens": 2}
    assert reducer.frames_dropped == 0


def test_an_error_event_mid_stream_fails_the_run() -> None:
    frames = [
        start(),
        block(0, type="text", text=""),
        delta(0, type="text_delta", text="Hel"),
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ]
    run = only_run(fold_frames(frames, events=True))
    assert (run.status, run.error, run.error_code) == (
        RunStatus.FAILED,
        "Overloaded",
        "overloaded_error",
    )
    assert run.messages[0].text == "Hel"


def test_max_tokens_and_refusal_stop_reasons() -> None:
    for reason, finish in (("max_tokens", "length"), ("refusal", "content_filter")):
        frames = [start(), message_delta(reason, output_tokens=5), {"type": "message_stop"}]
        run = only_run(fold_frames(frames))
        assert (run.finish_reason, run.stop_reason) == (finish, reason)


def test_server_tool_error_result_and_unknown_blocks_and_deltas() -> None:
    frames = [
        start(),
        block(0, type="server_tool_use", id="srvtoolu_1", name="web_search", input={}),
        delta(0, type="input_json_delta", partial_json='{"query": "q"}'),
        stop(0),
        block(
            1,
            type="web_search_tool_result",
            tool_use_id="srvtoolu_1",
            content={"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"},
        ),
        stop(1),
        block(2, type="container_upload", file_id="f"),
        stop(2),
        block(3, type="text", text=""),
        delta(3, type="future_delta", value=1),
        delta(3, type="input_json_delta", partial_json="{}"),
        stop(3),
        {"type": "message_stop"},
    ]
    reducer = fold_frames(frames)
    run = only_run(reducer)
    (call,) = run.messages[0].tool_calls()
    assert call.metadata["provider_executed"] is True
    assert call.input == {"query": "q"}
    assert (call.state, call.error) == (ToolCallState.ERROR, "max_uses_exceeded")
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes.count("unknown_event_type") == 2  # the unknown block and the unknown delta
    assert "invalid_field" in codes  # a JSON delta in a text block
    assert len(run.unknown_events) == 2


def test_a_stream_cut_before_message_stop_is_incomplete() -> None:
    run = only_run(fold_frames([start(), block(0, type="text", text="Hi")]))
    assert run.status is RunStatus.INCOMPLETE and run.messages[0].text == "Hi"


def test_snapshot_and_resume_at_every_event_fold_the_same() -> None:
    data = sse(PARALLEL, events=True)
    whole = Reducer()
    whole.feed_sse(data)
    whole.close()
    expected = to_json(whole.conversation)
    assert all(doc == expected for doc in resumed(data))

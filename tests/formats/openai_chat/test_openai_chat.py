"""The ``openai-chat`` format on the Chat Completions quirks (``docs/openai-chat.md``)."""

from __future__ import annotations

from typing import Any

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.formats import detect_format
from streamfold.model import RunStatus, ToolCallState

from ..providers.sse import fold_frames, only_run, resumed, sse


def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-x",
        "choices": choices,
        **extra,
    }


def delta(index: int = 0, finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"index": index, "delta": fields, "finish_reason": finish, "logprobs": None}


def call(index: int, args: str, call_id: str | None = None, name: str | None = None) -> Any:
    entry: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if call_id:
        entry.update(id=call_id, type="function")
        entry["function"]["name"] = name
    return entry


TWO_CHOICES_TWO_TOOLS = [
    chunk([delta(0, role="assistant", content=""), delta(1, role="assistant", content="")]),
    chunk([delta(0, tool_calls=[call(0, "", "call_a", "f"), call(1, '{"y"', "call_b", "g")])]),
    chunk([delta(1, content="Hi")]),
    chunk([delta(0, tool_calls=[call(0, '{"x": 1}')])]),
    chunk([delta(0, tool_calls=[call(1, ": 2}")])]),
    chunk([delta(0, "tool_calls"), delta(1, "stop")]),
    chunk(
        [],
        usage={
            "prompt_tokens": 5,
            "completion_tokens": 7,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 3},
        },
    ),
]


def test_choices_are_messages_and_interleaved_tool_arguments_fold_by_index() -> None:
    reducer = fold_frames(TWO_CHOICES_TWO_TOOLS, done=True)
    run = only_run(reducer)
    assert run.status is RunStatus.COMPLETED and run.finish_reason == "tool_calls"
    first, second = run.messages
    assert [c.call_id for c in first.tool_calls()] == ["call_a", "call_b"]
    assert [c.input for c in first.tool_calls()] == [{"x": 1}, {"y": 2}]
    assert all(c.state is ToolCallState.INPUT_COMPLETE for c in first.tool_calls())
    assert second.text == "Hi" and second.metadata["finish_reason"] == "stop"
    assert run.usage.prompt_tokens == 5 and run.usage.prompt_tokens_details == {"cached_tokens": 3}
    assert reducer.frames_dropped == 0


def test_error_frame_mid_stream_fails_the_run() -> None:
    frames = [
        chunk([delta(content="Hel")]),
        {"error": {"message": "server overloaded", "type": "server_error", "code": None}},
    ]
    run = only_run(fold_frames(frames))
    assert run.status is RunStatus.FAILED
    assert run.error == "server overloaded" and run.error_code == "server_error"
    assert run.messages[0].text == "Hel"


def test_azure_prompt_filter_chunk_opens_the_stream_and_is_kept() -> None:
    prelude = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    assert detect_format(prelude) == "openai-chat"
    run = only_run(fold_frames([prelude, chunk([delta(content="x", finish="stop")])], done=True))
    assert run.run_id == "chatcmpl#1"  # opened by the id-less prelude (docs/openai-chat.md)
    assert run.messages[0].text == "x"
    assert [e.name for e in run.custom_events] == ["openai.prompt_filter_results"]


def test_refusal_and_logprobs_are_kept_on_the_message() -> None:
    logprob = {"token": "No", "logprob": -0.1, "bytes": [78, 111], "top_logprobs": []}
    frames = [
        chunk([{**delta(refusal="No"), "logprobs": {"content": None, "refusal": [logprob]}}]),
        chunk([delta(refusal=" way", finish="stop")]),
    ]
    (message,) = only_run(fold_frames(frames, done=True)).messages
    assert message.text == ""
    assert message.metadata["refusal"] == "No way"
    assert message.metadata["logprobs"] == {"content": None, "refusal": [logprob]}


def test_a_stream_cut_before_its_finish_is_incomplete() -> None:
    reducer = fold_frames([chunk([delta(content="partial")])])
    run = only_run(reducer)
    assert run.status is RunStatus.INCOMPLETE
    assert "run_not_finished" in [d.code for d in reducer.conversation.diagnostics]


def test_bad_fields_are_diagnosed_and_nothing_raises() -> None:
    frames: list[Any] = [
        chunk(["nope", {"index": "0", "delta": {"content": "a"}}]),  # type: ignore[list-item]
        chunk([delta(tool_calls=["x", {"index": 0, "function": {"arguments": "{}"}}])]),
        chunk("nope"),  # type: ignore[arg-type]
        chunk([delta(finish="stop")], usage={"prompt_tokens": "many"}),
    ]
    reducer = fold_frames(frames, done=True)
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes.count("invalid_field") >= 4
    run = only_run(reducer)
    assert run.messages[0].text == "a"
    (tool,) = run.messages[0].tool_calls()
    assert tool.call_id == "chatcmpl-1:0:tool0" and tool.input == {}


def test_snapshot_and_resume_at_every_event_fold_the_same() -> None:
    data = sse(TWO_CHOICES_TWO_TOOLS, done=True)
    whole = Reducer()
    whole.feed_sse(data)
    whole.close()
    expected = to_json(whole.conversation)
    assert all(doc == expected for doc in resumed(data))

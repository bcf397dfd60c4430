"""The TanStack AI / AG-UI decoder, era by era (``src/streamfold/formats/tanstack.py``)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold.formats import detect_format
from streamfold.formats.loom import LoomDecoder
from streamfold.formats.tanstack import TanStackDecoder
from streamfold.model import (
    UNSET,
    Conversation,
    ReasoningPart,
    Run,
    RunStatus,
    SpanStatus,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)
from streamfold.notifications import ClientToolRequested, Notification, UsageUpdated


def fold(*frames: dict[str, Any], done: bool = False) -> tuple[Reducer, list[Notification]]:
    reducer = Reducer()
    notes: list[Notification] = []
    for frame in frames:
        notes += reducer.feed_line(orjson.dumps(frame))
    if done:
        notes += reducer.feed_sse(b"data: [DONE]\n\n")
    notes += reducer.close()
    return reducer, notes


def codes(reducer: Reducer) -> list[str]:
    return [d.code for d in reducer.conversation.diagnostics]


def parts(conversation: Conversation, message_id: str) -> list[tuple[Any, ...]]:
    for run in conversation.runs:
        for message in run.messages:
            if message.message_id == message_id:
                out: list[tuple[Any, ...]] = []
                for p in message.parts:
                    if isinstance(p, TextPart):
                        out.append(("text", p.text))
                    elif isinstance(p, ReasoningPart):
                        out.append(("reasoning", p.step_id, p.text))
                    elif isinstance(p, ToolCallPart):
                        out.append(("call", p.call_id))
                    else:
                        assert isinstance(p, ToolResultPart)
                        out.append(("result", p.call_id, p.content, p.is_error))
                return out
    raise AssertionError(f"no message {message_id!r}")


def call(reducer: Reducer, call_id: str) -> ToolCall:
    found = reducer.tool_call(call_id)
    assert found is not None
    return found


def run_ids(conversation: Conversation) -> list[tuple[str, str, str | None]]:
    return [(r.run_id, str(r.status), r.finish_reason) for r in conversation.runs]


START = {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
FINISH = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}


# ---------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "RUN_STARTED", "runId": "r"},
        {"type": "TEXT_MESSAGE_CHUNK", "delta": "x"},
        {"type": "content", "id": "a", "delta": "x", "content": "x"},
        {"type": "thinking", "content": "x"},
        {"type": "tool_call", "toolCall": {"id": "c"}, "index": 0},
        {"type": "tool_result", "toolCallId": "c", "content": ""},
        {"type": "done", "finishReason": None},
        {"type": "error", "error": {"message": "m"}},
        {"type": "tool-input-available", "toolCallId": "c"},
        {"type": "approval-requested", "toolCallId": "c"},
        {"id": "memory:v1:r:1", "chunk": {"type": "RUN_STARTED", "runId": "r"}},
    ],
)
def test_detects_every_era(frame: dict[str, Any]) -> None:
    assert TanStackDecoder.detect(frame)
    assert detect_format(frame) == "tanstack"


@pytest.mark.parametrize(
    "frame",
    [
        # Loom: tool_call with call_id/arguments, and its other snake_case types.
        {"type": "tool_call", "call_id": "c", "name": "n", "arguments": {}},
        {"type": "message_chunk", "content": "x", "id": "think"},
        {"type": "tool_end", "call_id": "c", "result": "r"},
        {"reply": "hi"},
        # NNRP and unrelated shapes.
        {"common_header": {}, "message_type": "RESULT_PUSH"},
        {"type": "error", "message": "OpenAI-style, no error object"},
        {"type": "done"},
        {"type": 3},
        {"id": "x", "chunk": {"type": "message_chunk"}},
    ],
)
def test_does_not_claim_other_formats(frame: dict[str, Any]) -> None:
    assert not TanStackDecoder.detect(frame)


def test_shared_tool_call_name_goes_to_the_more_confident_format() -> None:
    """TanStack's legacy ``tool_call`` (a ``toolCall`` object) and Loom's (``call_id``,
    ``arguments``) share a type name: each format is more confident about its own shape, so
    neither depends on the registry's order."""
    legacy = {"type": "tool_call", "toolCall": {"id": "c"}, "index": 0}
    assert TanStackDecoder.detect(legacy) > LoomDecoder.detect(legacy) > 0
    assert detect_format(legacy) == "tanstack"
    loom_call = {"type": "tool_call", "call_id": "c", "name": "n", "arguments": {}}
    assert detect_format(loom_call) == "loom"
    with_envelope = {**legacy, "session_id": "s", "event_id": 4}
    assert LoomDecoder.detect(with_envelope) == 1.0  # Loom's event_id outranks the shape
    assert detect_format(with_envelope) == "loom"


# ------------------------------------------------------------------------ era A: legacy

LEGACY: list[dict[str, Any]] = [
    {"type": "content", "id": "a1", "model": "m", "delta": "Let me", "content": "Let me"},
    {"type": "content", "id": "a2", "model": "m", "delta": " check.", "content": "Let me check."},
    {"type": "tool_call", "id": "a3", "index": 0,
     "toolCall": {"id": "w", "type": "function", "function": {"name": "get_weather",
                                                               "arguments": '{"ci'}}},
    {"type": "tool_call", "id": "a4", "index": 0,  # index is not identity
     "toolCall": {"id": "t", "type": "function", "function": {"name": "get_time",
                                                               "arguments": "{}"}}},
    {"type": "tool_call", "id": "a5", "index": 1,
     "toolCall": {"id": "w", "type": "function", "function": {"name": "renamed",
                                                               "arguments": 'ty":"Oslo"}'}}},
    {"type": "done", "id": "a6", "finishReason": "tool_calls",
     "usage": {"promptTokens": 10, "completionTokens": 4, "totalTokens": 14,
               "promptTokensDetails": {"cachedTokens": 6},
               "completionTokensDetails": {"reasoningTokens": 2}}},
    {"type": "done", "id": "a7", "finishReason": "stop"},
    {"type": "tool_result", "id": "a8", "toolCallId": "w", "content": '{"tempC":3}'},
    {"type": "tool_result", "id": "a9", "toolCallId": "t", "content": "21:00"},
    {"type": "content", "id": "b1", "delta": "Cold.", "content": "Cold."},
    {"type": "done", "id": "b2", "finishReason": "stop",
     "usage": {"promptTokens": 20, "completionTokens": 2, "totalTokens": 22}},
    {"type": "done", "id": "b3", "finishReason": "stop"},
]  # fmt: skip


def test_legacy_stream_is_one_run_with_one_message() -> None:
    reducer, notes = fold(*LEGACY, done=True)
    conversation = reducer.conversation
    (run,) = conversation.runs
    assert (run.run_id, run.session_id, run.status, run.finish_reason) == (
        "tanstack-legacy#1",
        "default",
        RunStatus.COMPLETED,
        "stop",
    )
    # The message is named after the stream's first chunk; later chunks' ids are noise.
    assert [m.message_id for m in run.messages] == ["a1"]
    assert parts(conversation, "a1") == [
        ("text", "Let me check."),
        ("call", "w"),
        ("call", "t"),
        ("result", "w", '{"tempC":3}', False),
        ("result", "t", "21:00", False),
        ("text", "Cold."),
    ]
    weather = call(reducer, "w")
    assert weather.name == "get_weather"  # a later chunk's name is ignored
    assert weather.arguments == '{"city":"Oslo"}' and weather.input == {"city": "Oslo"}
    assert weather.state is ToolCallState.COMPLETE and weather.result_value == {"tempC": 3}
    assert call(reducer, "t").result_value is UNSET  # "21:00" is not JSON: kept as text
    # Usage is per model call: added up; the details are kept apart.
    assert (run.usage.prompt_tokens, run.usage.completion_tokens, run.usage.total_tokens) == (
        30,
        6,
        36,
    )
    assert run.usage.prompt_tokens_details == {"cachedTokens": 6}
    assert run.usage.completion_tokens_details == {"reasoningTokens": 2}
    assert [n.usage.reports for n in notes if isinstance(n, UsageUpdated)] == [1, 1]
    assert codes(reducer) == ["duplicate_done", "duplicate_done", "sse_done"]


def test_legacy_finish_reason_is_the_last_model_calls() -> None:
    reducer, _ = fold(*LEGACY, done=True)
    assert reducer.conversation.runs[0].finish_reason == "stop"
    reducer, _ = fold(*LEGACY[:7])  # done(tool_calls) + its duplicate done(stop)
    run = reducer.conversation.runs[0]
    assert (run.status, run.finish_reason) == (RunStatus.COMPLETED, "tool_calls")


def test_legacy_content_fallback_and_missing_delta() -> None:
    frames: list[dict[str, Any]] = [
        {"type": "content", "id": "c", "delta": "", "content": "Cumu"},
        {"type": "content", "id": "c", "delta": "", "content": "Cumulative"},
        {"type": "content", "id": "c", "content": "Cumulative only"},  # no delta key
        {"type": "content", "id": "c", "delta": "", "content": "Cumul"},  # older: nothing
        {"type": "content", "id": "c", "delta": "", "content": "unrelated"},
        {"type": "thinking", "id": "c", "delta": "Let me ", "content": "Let me "},
        {"type": "thinking", "id": "c", "content": "Let me think."},
    ]
    reducer, _ = fold(*frames)
    assert parts(reducer.conversation, "c") == [
        ("text", "Cumulative onlyunrelated"),
        ("reasoning", None, "Let me think."),
    ]
    run = reducer.conversation.runs[0]
    assert run.status is RunStatus.INCOMPLETE  # no done, no [DONE]
    assert codes(reducer) == ["run_not_finished"]


def test_legacy_text_after_tools_is_a_new_segment_without_the_prefix() -> None:
    frames: list[dict[str, Any]] = [
        {"type": "content", "id": "c", "delta": "Hello", "content": "Hello"},
        {"type": "tool_call", "id": "c", "index": 0,
         "toolCall": {"id": "k", "function": {"name": "f", "arguments": "{}"}}},
        {"type": "content", "id": "c", "delta": "", "content": "HelloDone!"},
    ]  # fmt: skip
    reducer, _ = fold(*frames)
    # The cumulative content restarted at the tool call: it is unrelated, appended whole
    # (with a delta, only the delta would be).
    assert parts(reducer.conversation, "c")[-1] == ("text", "HelloDone!")
    assert call(reducer, "k").state is ToolCallState.INPUT_COMPLETE  # content completes calls


def test_legacy_error_chunk_fails_the_run_and_a_new_stream_is_a_new_run() -> None:
    reducer, _ = fold(
        {"type": "content", "id": "x", "delta": "Part"},
        {"type": "error", "error": {"message": "Rate limit", "code": "rate_limit_exceeded"}},
        {"type": "content", "id": "x", "delta": "Again"},
        {"type": "done", "id": "x", "finishReason": "stop"},
    )
    first, second = reducer.conversation.runs
    assert (first.status, first.error, first.error_code) == (
        RunStatus.FAILED,
        "Rate limit",
        "rate_limit_exceeded",
    )
    assert (second.run_id, second.status) == ("tanstack-legacy#2", RunStatus.COMPLETED)
    # The second stream's first chunk reuses id "x": its message gets a unique id.
    assert [m.message_id for m in second.messages] == ["x#1"]


def test_legacy_approval_and_client_tool() -> None:
    reducer, notes = fold(
        {"type": "tool_call", "id": "m", "index": 0,
         "toolCall": {"id": "e", "function": {"name": "send", "arguments": '{"to":"a"}'}}},
        {"type": "tool_call", "id": "m", "index": 1,
         "toolCall": {"id": "p", "function": {"name": "pick", "arguments": "{}"}}},
        {"type": "done", "id": "m", "finishReason": "tool_calls"},
        {"type": "approval-requested", "id": "m", "toolCallId": "e", "toolName": "send",
         "input": {"to": "a"}, "approval": {"id": "ap-1", "needsApproval": True}},
        {"type": "tool-input-available", "id": "m", "toolCallId": "p", "toolName": "pick",
         "input": {}},
    )  # fmt: skip
    email = call(reducer, "e")
    assert email.state is ToolCallState.APPROVAL_REQUESTED
    assert email.approval is not None and email.approval.approval_id == "ap-1"
    pick = call(reducer, "p")
    assert pick.client_tool and pick.state is ToolCallState.INPUT_COMPLETE
    assert [n.call_id for n in notes if isinstance(n, ClientToolRequested)] == ["p"]


# -------------------------------------------------------------------------- era B


def test_era_b_rules() -> None:
    reducer, _ = fold(
        {"type": "RUN_STARTED", "runId": "b1", "model": "m"},
        {"type": "STEP_STARTED", "stepId": "s1", "stepType": "thinking"},
        {"type": "STEP_FINISHED", "stepId": "s1", "delta": "Think ", "content": "Think "},
        {"type": "STEP_FINISHED", "stepId": "s1", "delta": "", "content": "Think more."},
        {"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "Hel", "content": "Hel"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "", "content": "Hello"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "", "content": "He"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "", "content": "!!"},
        {"type": "TOOL_CALL_START", "toolCallId": "c1", "toolName": "lookup", "index": 0},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c1", "delta": '{"q":', "args": '{"q":'},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c1", "delta": "", "args": '{"q":"x"}'},
        {"type": "TOOL_CALL_END", "toolCallId": "c1", "toolName": "lookup", "input": {"q": "x"}},
        {"type": "RUN_FINISHED", "runId": "b1", "finishReason": "tool_calls",
         "usage": {"promptTokens": 5, "completionTokens": 3, "totalTokens": 8}},
        {"type": "TOOL_CALL_END", "toolCallId": "c1", "result": '{"hit":true}'},
        {"type": "CUSTOM", "name": "progress", "data": {"pct": 50}},
        {"type": "RUN_ERROR", "runId": "b1", "error": {"message": "later", "code": "E1"}},
    )  # fmt: skip
    conversation = reducer.conversation
    first, second = conversation.runs
    assert (first.run_id, first.status, first.finish_reason, first.usage.total_tokens) == (
        "b1",
        RunStatus.COMPLETED,
        "tool_calls",
        8,
    )
    assert first.metadata == {"model": "m"}
    # STEP_FINISHED thinking opened a reasoning message (no assistant message yet).
    (reasoning,) = [m for m in first.messages if m.role == "reasoning"]
    assert parts(conversation, reasoning.message_id) == [("reasoning", "s1", "Think more.")]
    assert parts(conversation, "m1") == [
        ("text", "Hello!!"),
        ("call", "c1"),
        ("result", "c1", '{"hit":true}', False),
    ]
    lookup = call(reducer, "c1")
    assert lookup.arguments == '{"q":"x"}' and lookup.input == {"q": "x"}
    assert lookup.state is ToolCallState.COMPLETE and lookup.result_value == {"hit": True}
    assert lookup.run_id == "b1"  # the result arrived after the run ended, into its run
    # pre-0.6 CUSTOM.data, then a RUN_ERROR for the finished run: a continuation run fails.
    assert (second.run_id, second.parent_run_id, second.status, second.error) == (
        "b1#2",
        "b1",
        RunStatus.FAILED,
        "later",
    )
    assert [(e.name, e.value) for e in second.custom_events] == [("progress", {"pct": 50})]
    assert second.error_code == "E1"


# ---------------------------------------------------------------------------- era C


def test_text_message_and_thread_session() -> None:
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant",
         "metadata": {"tanstack": {"model": "x"}}},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Hel"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "lo"},
        {"type": "TEXT_MESSAGE_END", "messageId": "m",
         "metadata": {"tanstack": {"createdAt": "2026-01-01T00:00:00.000Z"}}},
        {**FINISH, "usage": [{"inputTokens": 3, "outputTokens": 2, "totalTokens": 5,
                              "cachedInputTokens": 1, "reasoningTokens": 1}],
         "metadata": {"tanstack": {"finishReason": "stop",
                                   "usage": {"promptTokensDetails": {"cacheWriteTokens": 2}}}}},
    )  # fmt: skip
    conversation = reducer.conversation
    assert list(conversation.sessions) == ["t"]
    (run,) = conversation.runs
    assert (run.run_id, run.thread_id, run.status, run.finish_reason) == (
        "r",
        "t",
        RunStatus.COMPLETED,
        "stop",
    )
    assert run.text == "Hello"
    (message,) = run.messages
    assert message.completed
    assert message.metadata == {"tanstack": {"model": "x", "createdAt": "2026-01-01T00:00:00.000Z"}}
    assert run.usage.total_tokens == 5
    assert run.usage.prompt_tokens_details == {"cachedTokens": 1, "cacheWriteTokens": 2}
    assert run.usage.completion_tokens_details == {"reasoningTokens": 1}
    assert codes(reducer) == []


def test_two_run_finished_for_one_run_id_make_a_continuation_run() -> None:
    usage1 = [{"inputTokens": 120, "outputTokens": 40, "totalTokens": 160}]
    usage2 = [{"inputTokens": 200, "outputTokens": 18, "totalTokens": 218}]
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"},
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f",
         "parentMessageId": "m1"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "{}"},
        {"type": "TOOL_CALL_END", "toolCallId": "c"},
        {**FINISH, "usage": usage1, "metadata": {"tanstack": {"finishReason": "tool_calls"}}},
        {"type": "TOOL_CALL_RESULT", "messageId": "tm", "toolCallId": "c", "content": "1"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m2", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m2", "delta": "Done."},
        {**FINISH, "usage": usage2, "metadata": {"tanstack": {"finishReason": "stop"}}},
    )  # fmt: skip
    conversation = reducer.conversation
    assert run_ids(conversation) == [
        ("r", "completed", "tool_calls"),
        ("r#2", "completed", "stop"),
    ]
    first, second = conversation.runs
    assert second.parent_run_id == "r" and second.metadata["continues"] == "r"
    assert [m.message_id for m in first.messages] == ["m1"]
    assert [m.message_id for m in second.messages] == ["m2"]
    assert call(reducer, "c").result == "1" and call(reducer, "c").run_id == "r"
    # Each RUN_FINISHED's usage is final for its model call: per run "set", summed above.
    assert (first.usage.total_tokens, second.usage.total_tokens) == (160, 218)
    assert conversation.usage.total_tokens == 378


def test_concurrent_runs_and_parent_message_routing() -> None:
    reducer, _ = fold(
        {"type": "RUN_STARTED", "threadId": "t", "runId": "a"},
        {"type": "RUN_STARTED", "threadId": "t", "runId": "b"},
        {"type": "TEXT_MESSAGE_START", "messageId": "ma", "role": "assistant"},
        {"type": "TEXT_MESSAGE_START", "messageId": "mb", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "ma", "delta": "A."},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "mb", "delta": "B."},
        {"type": "TOOL_CALL_START", "toolCallId": "ca", "toolCallName": "f",
         "parentMessageId": "ma"},
        {"type": "TOOL_CALL_START", "toolCallId": "cb", "toolCallName": "g"},
        {"type": "TEXT_MESSAGE_END", "messageId": "ma"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "a"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "mb", "delta": "More B."},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "b"},
    )  # fmt: skip
    conversation = reducer.conversation
    a, b = conversation.runs
    assert [m.message_id for m in a.messages] == ["ma"]
    assert [m.message_id for m in b.messages] == ["mb"]
    assert parts(conversation, "ma") == [("text", "A."), ("call", "ca")]
    # No parentMessageId: the active (last started) assistant message.
    assert parts(conversation, "mb") == [("text", "B."), ("call", "cb"), ("text", "More B.")]
    assert a.status is b.status is RunStatus.COMPLETED


def test_orphan_args_are_kept_with_a_diagnostic_and_a_late_start_places_them() -> None:
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "ghost", "delta": '{"a":'},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "ghost", "delta": "1}"},
        {"type": "TOOL_CALL_START", "toolCallId": "ghost", "toolCallName": "late",
         "parentMessageId": "m"},
        {"type": "TOOL_CALL_END", "toolCallId": "ghost"},
        {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "never", "content": "r"},
        FINISH,
    )  # fmt: skip
    ghost = call(reducer, "ghost")
    assert (ghost.name, ghost.arguments, ghost.input) == ("late", '{"a":1}', {"a": 1})
    assert parts(reducer.conversation, "m") == [("call", "ghost")]
    never = call(reducer, "never")
    assert never.result == "r" and never.message_id is None  # kept, outside any message
    assert codes(reducer) == ["unknown_tool_call", "late_tool_call_start", "unknown_tool_call"]


def test_duplicate_start_args_after_end_and_truncated_arguments() -> None:
    reducer, _ = fold(
        START,
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "first"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"q":"unterminated'},
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "second"},
        {"type": "TOOL_CALL_START", "toolCallId": "d", "toolCallName": "d"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "d", "delta": '{"a":1}'},
        {"type": "TOOL_CALL_END", "toolCallId": "d"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "d", "delta": " trailing"},
        {"type": "TOOL_CALL_END", "toolCallId": "d"},
        {**FINISH, "metadata": {"tanstack": {"finishReason": "length"}}},
    )  # fmt: skip
    truncated = call(reducer, "c")
    assert truncated.name == "first"
    assert truncated.state is ToolCallState.INPUT_COMPLETE and truncated.input is UNSET
    assert truncated.partial_input() == {"q": "unterminated"}  # preview on demand (jiter)
    trailing = call(reducer, "d")
    assert trailing.arguments == '{"a":1} trailing' and trailing.input == {"a": 1}
    assert codes(reducer) == [
        "duplicate_tool_call_start",
        "tool_args_after_end",
        "duplicate_tool_call_end",
    ]


def test_partial_input_while_streaming() -> None:
    reducer = Reducer()
    for frame in (
        START,
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"city": "Par'},
    ):
        reducer.feed(frame)
    streaming = call(reducer, "c")
    assert streaming.state is ToolCallState.INPUT_STREAMING and streaming.input is UNSET
    assert streaming.partial_input() == {"city": "Par"}


def test_end_input_is_authoritative_and_back_fills_empty_arguments() -> None:
    reducer, _ = fold(
        START,
        {"type": "TOOL_CALL_START", "toolCallId": "s", "toolCallName": "web_search"},
        {"type": "TOOL_CALL_END", "toolCallId": "s",
         "metadata": {"tanstack": {"input": {"query": "tanstack"}}}},
        {"type": "TOOL_CALL_START", "toolCallId": "o", "toolCallName": "f"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "o", "delta": '{"q":"streamed"}'},
        {"type": "TOOL_CALL_END", "toolCallId": "o", "input": {"q": "override"}},
        FINISH,
    )  # fmt: skip
    search = call(reducer, "s")
    assert (search.arguments, search.input) == ('{"query":"tanstack"}', {"query": "tanstack"})
    override = call(reducer, "o")
    assert (override.arguments, override.input) == ('{"q":"streamed"}', {"q": "override"})
    assert codes(reducer) == ["tool_input_override"]


def test_tool_result_error_states() -> None:
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TOOL_CALL_START", "toolCallId": "a", "toolCallName": "f",
         "parentMessageId": "m"},
        {"type": "TOOL_CALL_START", "toolCallId": "b", "toolCallName": "f",
         "parentMessageId": "m"},
        {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "a",
         "content": '{"error":"down"}', "metadata": {"tanstack": {"state": "output-error"}}},
        {"type": "TOOL_CALL_RESULT", "messageId": "x", "toolCallId": "b",
         "content": "plain failure", "state": "output-error"},
        FINISH,
    )  # fmt: skip
    assert parts(reducer.conversation, "m")[2:] == [
        ("result", "a", '{"error":"down"}', True),
        ("result", "b", "plain failure", True),
    ]
    assert (call(reducer, "a").state, call(reducer, "a").error) == (ToolCallState.ERROR, "down")
    assert call(reducer, "b").error == "plain failure"


def test_interrupt_outcomes() -> None:
    interrupts = [
        {"id": "ap-e", "reason": "tool_call", "toolCallId": "e",
         "metadata": {"kind": "approval", "toolName": "send", "input": {"to": "x"}}},
        {"id": "client_tool_p", "reason": "tanstack:client_tool_execution", "toolCallId": "p",
         "metadata": {"kind": "client_tool", "toolName": "pick", "input": {}}},
        {"id": "g", "reason": "confirm", "message": "generic"},
    ]  # fmt: skip
    reducer, notes = fold(
        START,
        {"type": "TOOL_CALL_START", "toolCallId": "e", "toolCallName": "send"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "e", "delta": '{"to":"x"}'},
        {"type": "TOOL_CALL_START", "toolCallId": "p", "toolCallName": "pick"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "p", "delta": "{}"},
        {**FINISH, "outcome": {"type": "interrupt", "interrupts": interrupts},
         "metadata": {"tanstack": {"finishReason": "tool_calls"}}},
    )  # fmt: skip
    (run,) = reducer.conversation.runs
    assert (run.status, run.finish_reason) == (RunStatus.AWAITING_APPROVAL, "tool_calls")
    email = call(reducer, "e")
    assert email.state is ToolCallState.APPROVAL_REQUESTED
    assert email.approval is not None and email.approval.approval_id == "ap-e"
    pick = call(reducer, "p")
    assert pick.client_tool and pick.interrupt_id == "client_tool_p"
    requested = [n for n in notes if isinstance(n, ClientToolRequested)]
    assert [(n.call_id, n.name, n.input) for n in requested] == [("p", "pick", {})]
    # Every interrupt is in the run's interrupts, whatever it asks for (docs/agui.md).
    assert [(i.interrupt_id, i.reason, i.tool_call_id) for i in run.interrupts] == [
        ("ap-e", "tool_call", "e"),
        ("client_tool_p", "tanstack:client_tool_execution", "p"),
        ("g", "confirm", None),
    ]
    assert run.interrupts[2].message == "generic" and not run.custom_events
    only_client, _ = fold(
        START,
        {"type": "TOOL_CALL_START", "toolCallId": "p", "toolCallName": "pick"},
        {**FINISH, "outcome": {"type": "interrupt", "interrupts": interrupts[1:2]}},
    )
    assert only_client.conversation.runs[0].status is RunStatus.INTERRUPTED


def test_run_error_without_run_id_fails_every_open_run() -> None:
    reducer, _ = fold(
        {"type": "RUN_STARTED", "runId": "a"},
        {"type": "RUN_STARTED", "runId": "b"},
        {"type": "RUN_ERROR", "message": "boom", "code": "undefined"},
    )
    assert [(r.run_id, r.status, r.error, r.error_code) for r in reducer.conversation.runs] == [
        ("a", RunStatus.FAILED, "boom", "undefined"),
        ("b", RunStatus.FAILED, "boom", "undefined"),
    ]
    assert list(reducer.conversation.sessions) == ["default"]


def test_reasoning_joins_the_next_or_the_active_message() -> None:
    reducer, _ = fold(
        START,
        {"type": "REASONING_START", "messageId": "r1"},
        {"type": "STEP_STARTED", "stepName": "s1"},
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r1", "delta": "Plan."},
        {"type": "STEP_FINISHED", "stepName": "s1",
         "metadata": {"tanstack": {"delta": "Plan.", "signature": "sig"}}},
        {"type": "REASONING_ENCRYPTED_VALUE", "subtype": "message", "entityId": "s1",
         "encryptedValue": "enc"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Partial. "},
        {"type": "STEP_STARTED", "stepName": "s2"},
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r2", "delta": "More."},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Done."},
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f",
         "parentMessageId": "m"},
        {"type": "REASONING_ENCRYPTED_VALUE", "subtype": "tool-call", "entityId": "c",
         "encryptedValue": "gemini"},
        FINISH,
    )  # fmt: skip
    conversation = reducer.conversation
    (run,) = conversation.runs
    assert [(m.message_id, m.role) for m in run.messages] == [
        ("r1", "reasoning"),
        ("m", "assistant"),
    ]
    # STEP_FINISHED's delta is not thinking once REASONING_* events are seen.
    assert parts(conversation, "r1") == [("reasoning", "s1", "Plan.")]
    (thinking,) = run.messages[0].parts
    assert isinstance(thinking, ReasoningPart)
    assert (thinking.signature, thinking.encrypted) == ("sig", "enc")
    assert parts(conversation, "m") == [
        ("text", "Partial. "),
        ("reasoning", "s2", "More."),
        ("text", "Done."),
        ("call", "c"),
    ]
    assert call(reducer, "c").metadata == {"thoughtSignature": "gemini"}
    spans = [(s.name, s.status) for s in run.spans]
    assert spans == [("s1", SpanStatus.OK), ("s2", SpanStatus.UNCLOSED)]


def test_messages_snapshot_mid_stream() -> None:
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Streaming "},
        {"type": "MESSAGES_SNAPSHOT", "messages": [
            {"id": "u", "role": "user", "content": "Weather?"},
            {"id": "r", "role": "reasoning", "content": "hmm", "encryptedValue": "e"},
            {"id": "m", "role": "assistant", "content": "Snapshot text.",
             "toolCalls": [{"id": "w", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"l":"Oslo"}'}}]},
            {"id": "tm", "role": "tool", "toolCallId": "w", "content": '{"tempC":3}'},
        ]},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": " More."},
        FINISH,
    )  # fmt: skip
    conversation = reducer.conversation
    (run,) = conversation.runs
    ordered = sorted(run.messages, key=lambda m: m.seq)
    assert [(m.message_id, m.role) for m in ordered] == [("u", "user"), ("m", "assistant")]
    assert parts(conversation, "m") == [
        ("reasoning", None, "hmm"),
        ("text", "Snapshot text."),
        ("call", "w"),
        ("result", "w", '{"tempC":3}', False),
        ("text", " More."),
    ]
    weather = call(reducer, "w")
    assert weather.state is ToolCallState.COMPLETE and weather.input == {"l": "Oslo"}


def test_a_repeated_step_name_gets_the_next_span_id() -> None:
    steps = []
    for name in ["plan", "act", "plan", "plan#3", "plan", "act"]:
        steps += [
            {"type": "STEP_STARTED", "stepName": name},
            {"type": "STEP_FINISHED", "stepName": name},
        ]
    reducer, _ = fold(START, *steps, FINISH)
    (run,) = reducer.conversation.runs
    assert [(s.name, s.span_id.removeprefix("r/step:")) for s in run.spans] == [
        ("plan", "plan"),
        ("act", "act"),
        ("plan", "plan#2"),
        ("plan#3", "plan#3"),
        ("plan", "plan#4"),  # "plan#3" is taken by the step named so
        ("act", "act#2"),
    ]
    assert all(s.status is SpanStatus.OK for s in run.spans)


def test_messages_snapshot_prunes_only_its_own_thread() -> None:
    # Thread a's message survives thread b's snapshot, in the model and in the decoder: a late
    # delta to it (its run finished, its decoder state retired) still lands in it.
    reducer, _ = fold(
        {"type": "RUN_STARTED", "threadId": "a", "runId": "ra"},
        {"type": "TEXT_MESSAGE_START", "messageId": "ma", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "ma", "delta": "In a."},
        {"type": "RUN_FINISHED", "threadId": "a", "runId": "ra"},
        {"type": "RUN_STARTED", "threadId": "b", "runId": "rb"},
        {"type": "TEXT_MESSAGE_START", "messageId": "old", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "old", "delta": "Dropped."},
        {"type": "TEXT_MESSAGE_END", "messageId": "old"},
        {"type": "MESSAGES_SNAPSHOT", "messages": [{"id": "u", "role": "user", "content": "b?"}]},
        {"type": "RUN_FINISHED", "threadId": "b", "runId": "rb"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "ma", "delta": " Late."},
    )
    threads = {
        run.session_id: [(m.message_id, m.text) for m in run.messages]
        for run in reducer.conversation.runs
    }
    assert threads == {"a": [("ma", "In a. Late.")], "b": [("u", "b?")]}


def test_state_custom_raw_and_pre_run_frames() -> None:
    reducer, _ = fold(
        {"type": "CUSTOM", "name": "run.accepted", "value": {}},  # before any run: waits
        {"type": "STATE_SNAPSHOT", "snapshot": {"k": 1, "list": []}},
        START,
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/list/-", "value": 2}]},
        {"type": "STATE_DELTA", "delta": [{"op": "remove", "path": "/missing"}]},
        {"type": "STATE_DELTA", "delta": {"not": "a list"}},
        {"type": "RAW", "event": {"x": 1}, "source": "provider"},
        {"type": "ACTIVITY_SNAPSHOT", "messageId": "a", "activityType": "t", "content": {}},
        {"type": "SOMETHING_NEW"},
        FINISH,
    )
    (run,) = reducer.conversation.runs
    assert run.state == {"k": 1, "list": [2]}
    assert [(e.name, e.value) for e in run.custom_events] == [
        ("run.accepted", {}),
        ("RAW", {"event": {"x": 1}, "source": "provider"}),
    ]
    # An unknown event type in a TanStack stream stays with the stream's decoder, kept.
    assert [f["type"] for f in run.unknown_events] == ["SOMETHING_NEW"]
    (activity,) = run.messages  # AG-UI 1.0 activities are messages of role "activity"
    assert (activity.role, activity.parts[0].kind) == ("activity", "activity")
    assert codes(reducer) == ["state_patch_failed", "invalid_field", "unknown_event_type"]


def test_chunk_convenience_events() -> None:
    reducer, _ = fold(
        START,
        {"type": "TEXT_MESSAGE_CHUNK", "messageId": "m", "role": "assistant", "delta": "Hi"},
        {"type": "TEXT_MESSAGE_CHUNK", "delta": " there"},
        {"type": "TOOL_CALL_CHUNK", "toolCallId": "c", "toolCallName": "f",
         "parentMessageId": "m", "delta": '{"a"'},
        {"type": "TOOL_CALL_CHUNK", "delta": ":1}"},
        {"type": "REASONING_MESSAGE_CHUNK", "messageId": "m", "delta": "why"},
        FINISH,
    )  # fmt: skip
    assert parts(reducer.conversation, "m") == [
        ("text", "Hi there"),
        ("call", "c"),
        ("reasoning", "m", "why"),
    ]
    assert call(reducer, "c").input == {"a": 1}


def test_unfinished_runs_are_incomplete_and_done_completes_them() -> None:
    text = {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "cut"}
    reducer, _ = fold(START, text)
    run: Run = reducer.conversation.runs[0]
    assert run.status is RunStatus.INCOMPLETE and codes(reducer) == ["run_not_finished"]
    reducer, _ = fold(START, text, done=True)
    run = reducer.conversation.runs[0]
    assert (run.status, run.finish_reason) == (RunStatus.COMPLETED, "stop")


def test_durable_envelope_keeps_the_resume_cursor() -> None:
    decoder = TanStackDecoder()
    events = decoder.decode({"id": "memory:v1:r:7", "chunk": START}, 0)
    assert decoder.resume_cursor == "memory:v1:r:7"
    assert [type(e).__name__ for e in events] == ["StartRun"]
    reducer = Reducer()
    reducer.feed_bytes(b'{"id":"memory:v1:r:1","chunk":{"type":"RUN_STARTED","runId":"r"}}\n')
    reducer.feed_bytes(b'{"id":"memory:v1:r:2","chunk":{"type":"RUN_FINISHED","runId":"r"}}\n')
    tanstack = reducer.decoders["tanstack"]
    assert isinstance(tanstack, TanStackDecoder)
    assert tanstack.resume_cursor == "memory:v1:r:2"


def test_garbage_fields_never_crash() -> None:
    frames: list[dict[str, Any]] = [
        {"type": "RUN_STARTED", "runId": 5, "threadId": []},
        {"type": "TEXT_MESSAGE_START"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": None, "delta": 3},
        {"type": "TEXT_MESSAGE_END", "messageId": "nope"},
        {"type": "TOOL_CALL_START"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "x", "delta": None, "args": 7},
        {"type": "TOOL_CALL_END"},
        {"type": "TOOL_CALL_RESULT", "toolCallId": "x", "content": {"obj": 1}},
        {"type": "RUN_FINISHED", "outcome": {"type": "interrupt", "interrupts": "no"}},
        {"type": "RUN_FINISHED", "usage": "lots", "outcome": {"type": "interrupt",
                                                               "interrupts": [1, {}]}},
        {"type": "MESSAGES_SNAPSHOT", "messages": [1, {"role": "assistant", "toolCalls": 3}]},
        {"type": "REASONING_ENCRYPTED_VALUE", "encryptedValue": 1},
        {"type": "CUSTOM", "name": "approval-requested", "value": {"toolCallId": 1}},
        {"type": "tool_call", "toolCall": {"function": "f"}, "index": 2},
        {"type": "done", "finishReason": 1, "usage": [1]},
        {"type": "error", "error": {}},
    ]  # fmt: skip
    reducer, _ = fold(*frames)
    assert reducer.frames_in == len(frames)
    assert "decoder_error" not in codes(reducer)
    assert call(reducer, "x").result == '{"obj":1}'


def test_mixed_eras_in_one_stream() -> None:
    reducer, _ = fold(
        {"type": "content", "id": "a", "delta": "legacy"},
        {"type": "RUN_ERROR", "message": "boom"},  # no AG-UI run: fails the legacy one
        START,
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "agui"},
        {"type": "content", "id": "b", "delta": "legacy again"},  # its own legacy run
        FINISH,
        {"type": "done", "id": "b", "finishReason": "stop"},
    )
    # Legacy runs are in session "default", the AG-UI run in its thread "t".
    assert [(r.run_id, r.status, r.text) for r in reducer.conversation.runs] == [
        ("tanstack-legacy#1", RunStatus.FAILED, "legacy"),
        ("tanstack-legacy#2", RunStatus.COMPLETED, "legacy again"),
        ("r", RunStatus.COMPLETED, "agui"),
    ]


def test_legacy_chunk_after_a_snapshot_removed_its_message() -> None:
    # A MESSAGES_SNAPSHOT that leaves out the legacy stream's message removes it; the next
    # legacy content chunk starts a new assistant message instead of failing (decoder_error).
    reducer, _ = fold(
        {"type": "content", "id": "x", "delta": "Hel", "content": "Hel"},
        {"type": "MESSAGES_SNAPSHOT", "messages": [{"id": "u", "role": "user", "content": "Hi"}]},
        {"type": "content", "id": "x", "delta": "lo", "content": "Hello"},
        {"type": "done", "finishReason": "stop"},
    )
    assert "decoder_error" not in codes(reducer)
    assert reducer.frames_dropped == 0
    (run,) = reducer.conversation.runs
    texts = [(m.role, m.text) for m in sorted(run.messages, key=lambda m: m.seq)]
    # The snapshot is the truth about what came before: the new message holds the delta only.
    assert texts == [("user", "Hi"), ("assistant", "lo")]

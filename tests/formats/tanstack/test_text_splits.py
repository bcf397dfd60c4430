"""AG-UI / TanStack text that survives any split (issue #17): text, reasoning and tool
arguments cut at any UTF-16 code unit (as JavaScript senders cut them), over SSE cut at any
byte, fold back to the text."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold import Reducer

from ...text_splits import cut_bytes, js_json, split_texts


@settings(max_examples=50, deadline=None)
@given(
    text=split_texts(),
    thought=split_texts(),
    args=split_texts(),
    cuts=st.lists(st.integers(0, 4000), max_size=12),
)
def test_property_deltas_cut_at_any_code_unit_fold_back(
    text: tuple[str, list[str]],
    thought: tuple[str, list[str]],
    args: tuple[str, list[str]],
    cuts: list[int],
) -> None:
    frames: list[dict[str, Any]] = [
        {"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
        {"type": "REASONING_MESSAGE_START", "messageId": "rm", "role": "reasoning"},
        *({"type": "REASONING_MESSAGE_CONTENT", "messageId": "rm", "delta": p} for p in thought[1]),
        {"type": "REASONING_MESSAGE_END", "messageId": "rm"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        *({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": p} for p in text[1]),
        {"type": "TEXT_MESSAGE_END", "messageId": "m"},
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f", "parentMessageId": "m"},
        *({"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": p} for p in args[1]),
        {"type": "TOOL_CALL_END", "toolCallId": "c"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ]
    data = b"".join(b"data: " + js_json(f) + b"\n\n" for f in frames)
    reducer = Reducer()
    for piece in cut_bytes(data, cuts):
        reducer.feed_sse(piece)
    reducer.close()
    assert reducer.frames_dropped == 0
    (run,) = reducer.conversation.runs
    by_id = {m.message_id: m for m in run.messages}
    assert by_id["m"].text == text[0]
    assert "".join(m.reasoning for m in run.messages) == thought[0]
    assert run.tool_calls["c"].arguments == args[0]
    assert not [d for d in reducer.conversation.diagnostics if d.code == "unpaired_surrogate"]

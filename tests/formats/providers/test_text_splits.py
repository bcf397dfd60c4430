"""Provider and Vercel UI text that survives any split (issue #17): text, reasoning and tool
arguments cut at any UTF-16 code unit (JavaScript SDKs re-stream them so: Vercel ``ai``, a
Node proxy in front of OpenAI or Anthropic), framed as SSE and cut at any byte, fold back to the
original text with no ``unpaired_surrogate`` diagnostic, in the OpenAI Chat Completions,
OpenAI Responses, Anthropic Messages and Vercel UI message stream formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold.model import Run

from ...text_splits import cut_bytes, cut_utf16, js_json, texts, units

Pieces = list[str]


def openai_chat(text: Pieces, thought: Pieces, args: Pieces) -> list[Any]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-test",
            "choices": [choice],
        }

    first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": p}) for p in text),
        chunk({"tool_calls": [dict(first, function={"name": "f", "arguments": ""})]}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in args),
        chunk({}, "tool_calls"),
        "[DONE]",
    ]


def openai_responses(text: Pieces, thought: Pieces, args: Pieces) -> list[Any]:
    response = {"id": "resp_1", "object": "response", "status": "in_progress", "model": "m"}
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": []}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "content": []}
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "f",
        "arguments": "",
    }
    return [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning},
        *(
            {
                "type": "response.reasoning_summary_text.delta",
                "item_id": "rs_1",
                "output_index": 0,
                "summary_index": 0,
                "delta": p,
            }
            for p in thought
        ),
        {"type": "response.output_item.added", "output_index": 1, "item": message},
        *(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 1,
                "content_index": 0,
                "delta": p,
            }
            for p in text
        ),
        {"type": "response.output_item.added", "output_index": 2, "item": call},
        *(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_1",
                "output_index": 2,
                "delta": p,
            }
            for p in args
        ),
        {"type": "response.completed", "response": dict(response, status="completed")},
    ]


def anthropic(text: Pieces, thought: Pieces, args: Pieces) -> list[Any]:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "usage": {"input_tokens": 3, "output_tokens": 0},
    }

    def block(index: int, kind: str, key: str, pieces: Pieces, start: dict[str, Any]) -> list[Any]:
        return [
            {"type": "content_block_start", "index": index, "content_block": start},
            *(
                {"type": "content_block_delta", "index": index, "delta": {"type": kind, key: p}}
                for p in pieces
            ),
            {"type": "content_block_stop", "index": index},
        ]

    return [
        {"type": "message_start", "message": message},
        *block(0, "thinking_delta", "thinking", thought, {"type": "thinking", "thinking": ""}),
        *block(1, "text_delta", "text", text, {"type": "text", "text": ""}),
        *block(
            2,
            "input_json_delta",
            "partial_json",
            args,
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        ),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]


def vercel_ui(text: Pieces, thought: Pieces, args: Pieces) -> list[Any]:
    return [
        {"type": "start", "messageId": "msg-1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "r0"},
        *({"type": "reasoning-delta", "id": "r0", "delta": p} for p in thought),
        {"type": "reasoning-end", "id": "r0"},
        {"type": "text-start", "id": "t0"},
        *({"type": "text-delta", "id": "t0", "delta": p} for p in text),
        {"type": "text-end", "id": "t0"},
        {"type": "tool-input-start", "toolCallId": "call-1", "toolName": "f"},
        *({"type": "tool-input-delta", "toolCallId": "call-1", "inputTextDelta": p} for p in args),
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
        "[DONE]",
    ]


Build = Callable[[Pieces, Pieces, Pieces], list[Any]]
FORMATS: dict[str, tuple[Build, bool]] = {
    # name: (stream builder, whether the format streams reasoning text)
    "openai-chat": (openai_chat, False),
    "openai-responses": (openai_responses, True),
    "anthropic": (anthropic, True),
    "vercel-ui": (vercel_ui, True),
}


def sse(frames: list[Any]) -> bytes:
    out = []
    for frame in frames:
        if isinstance(frame, str):
            out.append(b"data: " + frame.encode() + b"\n\n")
        else:
            kind = str(frame.get("type", ""))
            event = kind.encode() if "." in kind or "_" in kind else b""  # Anthropic, Responses
            head = b"event: " + event + b"\n" if event else b""
            out.append(head + b"data: " + js_json(frame) + b"\n\n")
    return b"".join(out)


@st.composite
def cut_text(draw: st.DrawFn, text: str) -> list[str]:
    cuts = draw(st.lists(st.integers(0, units(text)), max_size=units(text)))
    return cut_utf16(text, cuts)


@pytest.mark.parametrize("name", sorted(FORMATS))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), text=texts, thought=texts, value=texts)
def test_property_deltas_cut_at_any_code_unit_fold_back(
    name: str, data: st.DataObject, text: str, thought: str, value: str
) -> None:
    build, has_reasoning = FORMATS[name]
    args = json.dumps({"q": value}, ensure_ascii=False)
    frames = build(
        data.draw(cut_text(text)), data.draw(cut_text(thought)), data.draw(cut_text(args))
    )
    stream = sse(frames)
    reducer = Reducer(format=name)
    for piece in cut_bytes(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=12))):
        reducer.feed_sse(piece)
    reducer.close()
    assert reducer.frames_dropped == 0, [d.code for d in reducer.conversation.diagnostics]
    (run,) = reducer.conversation.runs
    assert_run(run, text, thought if has_reasoning else "", args)
    assert not [d for d in reducer.conversation.diagnostics if d.code == "unpaired_surrogate"]


def assert_run(run: Run, text: str, thought: str, args: str) -> None:
    assert "".join(m.text for m in run.messages) == text
    assert "".join(m.reasoning for m in run.messages) == thought
    (call,) = run.tool_calls.values()
    assert call.arguments == args
    assert call.input == json.loads(args)

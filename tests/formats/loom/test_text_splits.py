"""Loom text that survives any split (issue #17): message, thought and tool-argument chunks
cut at any UTF-16 code unit, interleaved, fold back to the text."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from streamfold import Reducer

from ...text_splits import js_json, split_texts


@settings(max_examples=50, deadline=None)
@given(text=split_texts(), thought=split_texts(), args=split_texts())
def test_property_chunks_cut_at_any_code_unit_fold_back(
    text: tuple[str, list[str]], thought: tuple[str, list[str]], args: tuple[str, list[str]]
) -> None:
    frames: list[dict[str, Any]] = [{"type": "node_enter", "id": "think"}]
    streams: list[list[dict[str, Any]]] = [
        [{"type": "message_chunk", "content": p, "id": "think"} for p in text[1]],
        [{"type": "thought_chunk", "content": p, "id": "think"} for p in thought[1]],
        [
            {"type": "tool_call_chunk", "call_id": None if i else "c1", "name": None if i else "f"}
            | {"arguments_delta": p}
            for i, p in enumerate(args[1])
        ],
    ]
    while any(streams):  # chunks interleave (tokio::join!)
        for stream in streams:
            if stream:
                frames.append(stream.pop(0))
    reducer = Reducer()
    data = b"".join(js_json(f) + b"\n" for f in frames)
    for i in range(0, len(data), 7):  # the byte path, cut anywhere
        reducer.feed_bytes(data[i : i + 7])
    reducer.close()
    assert reducer.frames_dropped == 0
    (run,) = reducer.conversation.runs
    (message,) = run.messages
    assert message.text == text[0]
    assert message.reasoning == thought[0]
    assert run.tool_calls["c1"].arguments == args[0]
    assert not [d for d in reducer.conversation.diagnostics if d.code == "unpaired_surrogate"]

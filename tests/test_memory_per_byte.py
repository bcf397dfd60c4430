"""Heap kept per byte of text (issue #24, item 2): at most 3 bytes of heap per retained UTF-8
byte while a message streams in short deltas, open or closed, on every format (Loom, AG-UI,
NNRP's token and OpenAI profiles).

Measured with ``tracemalloc`` (allocation sizes, not timings: deterministic for one interpreter).
The model joins text pieces into chunks (``TextBuffer``); the decoders keep no copy per delta:
Loom's duplicate detection keeps event_ids as ranges of one type (``formats/loom/seen.py``), the
AG-UI decoder keeps the segment's text for the ``content`` fallback in a ``TextBuffer`` too.
Before, a 5-byte delta kept 20 (Loom) and 17 (AG-UI) bytes of heap per byte. A closing frame
that repeats the whole answer (NNRP's ``response.completed`` body, Loom's reply line) adds no
second copy: the run's ``reply`` shares the streamed text when they are equal, and the reducer
lets go of a frame once it is applied (before: 3.1 bytes per byte on NNRP's OpenAI profile).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator, Mapping

import orjson
import pytest

from streamfold import Reducer

DELTAS = 50_000
DELTA = "word "  # 5 bytes: a short token, the worst case for per-delta overhead


def frames(fmt: str, close: bool) -> Iterator[bytes]:
    if fmt == "loom":
        yield b'{"type":"node_enter","id":"think","session_id":"s","event_id":1}'
        for i in range(DELTAS):
            chunk = {"type": "message_chunk", "content": DELTA, "id": "think", "session_id": "s"}
            yield orjson.dumps({**chunk, "event_id": i + 2})
        if close:
            yield orjson.dumps(
                {"type": "node_exit", "id": "think", "session_id": "s", "event_id": DELTAS + 2}
            )
    elif fmt == "nnrp-token":  # the token profile: chunks placed by token sequence
        for i in range(DELTAS):
            yield token_push(i, DELTA, terminal=close and i == DELTAS - 1)
    elif fmt == "nnrp-openai":
        request = {"schema_version": "openai-compatible/1", "operation": "chat.completions.create"}
        yield nnrp("FRAME_SUBMIT", {"operation_id": 7}, body=orjson.dumps(request).decode())
        for i in range(DELTAS):
            event = {"delta": DELTA, "index": 0, "type": "response.output_text.delta"}
            meta = {"operation_id": 7, "result_sequence": i + 1}
            yield nnrp("PARTIAL_RESULT", meta, body=orjson.dumps(event).decode())
        if close:
            message = {"role": "assistant", "content": DELTA * DELTAS}
            body = {"choices": [{"index": 0, "finish_reason": "stop", "message": message}]}
            event = {"type": "response.completed", "body": body}
            meta = {"operation_id": 7, "status_code": 200}
            yield nnrp("RESULT_PUSH", meta, body=orjson.dumps(event).decode())
    else:
        yield b'{"type":"RUN_STARTED","threadId":"t","runId":"r"}'
        yield b'{"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}'
        for _ in range(DELTAS):
            yield orjson.dumps({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": DELTA})
        if close:
            yield b'{"type":"TEXT_MESSAGE_END","messageId":"m"}'


def nnrp(kind: str, meta: Mapping[str, object], **rest: object) -> bytes:
    header = {"msg_type": kind, "session_id": "0x00000001", "frame_id": "0x00000011"}
    return orjson.dumps(
        {"message_type": kind, "common_header": header, "fixed_metadata": meta, **rest}
    )


def token_push(i: int, text: str, terminal: bool) -> bytes:
    size = len(text.encode())
    token = {"token_unit": "bpe", "sequence_start": i, "sequence_end": i + 1}
    token |= {"terminal": terminal, "stop_reason": "eos" if terminal else "none"}
    descriptor = {"profile_id": "token", "schema_id": "llm.chat.delta.v1", "schema_version": 1}
    descriptor |= {"stream_semantics": "ordered_incremental", "offset": i, "length": size}
    return nnrp(
        "RESULT_PUSH",
        {"result_status": "complete" if terminal else "partial"},
        typed_payload_descriptor=descriptor,
        profile_body={"token": token},
        payload_frame={"token_chunk": text},
    )


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("fmt", ["loom", "agui", "nnrp-token", "nnrp-openai"])
def test_heap_per_retained_byte(fmt: str, close: bool) -> None:
    lines = list(frames(fmt, close))
    warm = Reducer()  # imports and caches first, so that only the fold is measured
    for line in lines[:500]:
        warm.feed_line(line)
    warm.close()
    del warm
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        reducer = Reducer()
        for line in lines:
            reducer.feed_line(line)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    [message] = reducer.conversation.runs[0].messages
    retained = len(message.text.encode())
    assert retained == DELTAS * len(DELTA)
    assert used / retained <= 3.0, f"{used / retained:.2f} bytes of heap per byte of text"

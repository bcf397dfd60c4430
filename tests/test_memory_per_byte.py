"""Heap kept per byte of text (issue #24, item 2): at most 3 bytes of heap per retained UTF-8
byte while a message streams in short deltas, open or closed, Loom and AG-UI.

Measured with ``tracemalloc`` (allocation sizes, not timings: deterministic for one interpreter).
The model joins text pieces into chunks (``TextBuffer``); the decoders keep no copy per delta:
Loom's duplicate detection keeps event_ids as ranges of one type (``formats/loom/seen.py``), the
AG-UI decoder keeps the segment's text for the ``content`` fallback in a ``TextBuffer`` too.
Before, a 5-byte delta kept 20 (Loom) and 17 (AG-UI) bytes of heap per byte.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

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
    else:
        yield b'{"type":"RUN_STARTED","threadId":"t","runId":"r"}'
        yield b'{"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}'
        for _ in range(DELTAS):
            yield orjson.dumps({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": DELTA})
        if close:
            yield b'{"type":"TEXT_MESSAGE_END","messageId":"m"}'


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("fmt", ["loom", "agui"])
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

"""``streamfold.fold``: a byte stream folded frame by frame through the reducer's own splitters.

fold() applies each line / SSE event as it is split instead of calling ``feed_bytes`` /
``feed_sse`` per chunk: it has no use for the notifications, and a chunk's worth kept alive
together doubled CPython's full collections on a 1M-frame file (docs/performance.md).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Literal

import pytest

from streamfold import Reducer, fold
from streamfold.framing import OversizedLine, SSEEvent
from streamfold.notifications import Notification, TextDelta

RECORDINGS = Path(__file__).resolve().parent.parent / "examples" / "recordings"


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize(
    ("name", "framing"),
    [
        ("loom-react-parallel-tools.ndjson", "ndjson"),
        ("nnrp-reorder.ndjson", "ndjson"),
        ("tanstack-agui-approval.sse", "sse"),
    ],
)
def test_fold_equals_the_chunked_feed_and_continues_a_partial_frame(
    name: str, framing: Literal["ndjson", "sse"]
) -> None:
    data = (RECORDINGS / name).read_bytes()
    cut = data.index(b"\n", len(data) // 3) - 5  # inside a line (an SSE event), not at its end

    expected = Reducer()
    feed = expected.feed_bytes if framing == "ndjson" else expected.feed_sse
    for piece in _pieces(data, 97):
        feed(piece)
    expected.close()

    reducer = Reducer()
    # The caller fed the start of the stream itself, up to the middle of a frame: fold() must
    # go on from the reducer's own splitter state, not start a fresh one.
    (reducer.feed_bytes if framing == "ndjson" else reducer.feed_sse)(data[:cut])
    fold(_pieces(data[cut:], 61), reducer, framing=framing)

    assert reducer.closed
    assert reducer.frames_in == expected.frames_in > 10
    assert reducer.frames_dropped == expected.frames_dropped
    assert reducer.snapshot() == expected.snapshot()


def test_fold_does_not_keep_a_chunks_notifications() -> None:
    data = (RECORDINGS / "tanstack-agui-text.sse").read_bytes()
    reducer = Reducer()
    live: list[int] = []
    feed_sse_event = reducer.feed_sse_event

    def text_deltas() -> int:  # alive in this process (other tests may have left some)
        return sum(1 for o in gc.get_objects() if type(o) is TextDelta)

    before = text_deltas()

    def counting(event: SSEEvent | OversizedLine, *, at: float | None = None) -> list[Notification]:
        live.append(text_deltas() - before)
        return feed_sse_event(event, at=at)

    reducer.feed_sse_event = counting  # type: ignore[method-assign]
    fold([data], reducer, framing="sse")  # the whole recording as one chunk

    deltas = data.count(b"TEXT_MESSAGE_CONTENT")
    assert deltas >= 3
    assert len(live) > deltas
    # feed_sse would hold every earlier frame's TextDelta until the chunk is done.
    assert max(live) <= 1

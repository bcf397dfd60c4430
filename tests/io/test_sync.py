"""The sync edge: ``fold`` / ``fold_file`` and the sync twin ``Reduction`` / ``reduce_sync``.

fold() applies each line / SSE event as it is split (``Reducer.feed_stream``) instead of calling
``feed_bytes`` / ``feed_sse`` per chunk: it has no use for the notifications, and a chunk's worth
kept alive together doubled CPython's full collections on a 1M-frame file (docs/performance.md).
"""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import orjson
import pytest

from streamfold import Reducer, fold
from streamfold.errors import UsageError
from streamfold.framing import OversizedLine, SSEEvent
from streamfold.io.recording import RecordingWriter, read_recording
from streamfold.io.sync import fold_file, reduce_sync
from streamfold.notifications import Notification, TextDelta

from ..support.streams import (
    RECORDINGS,
    chunk_recording,
    fold_bytes,
    fold_frames,
    loom_bytes,
    loom_lines,
    model,
    recording_bytes,
    timed_frames,
)


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

    def counting(event: SSEEvent | OversizedLine) -> list[Notification]:
        live.append(text_deltas() - before)
        return feed_sse_event(event)

    reducer.feed_sse_event = counting  # type: ignore[method-assign]
    fold([data], reducer, framing="sse")  # the whole recording as one chunk

    deltas = data.count(b"TEXT_MESSAGE_CONTENT")
    assert deltas >= 3
    assert len(live) > deltas
    # feed_sse would hold every earlier frame's TextDelta until the chunk is done.
    assert max(live) <= 1


def notes_of(data: bytes) -> list[Notification]:
    return Reducer().feed_bytes(data)


def test_fold_detects_every_framing_and_reads_files(tmp_path: Path) -> None:
    frames = timed_frames(loom_lines())
    expected = model(fold_bytes(loom_bytes()))
    chunks = chunk_recording([orjson.loads(line) for line in loom_lines()])
    for data in (loom_bytes(), recording_bytes(frames), chunks):
        reducer = Reducer()
        fold([data[:50], data[50:]], reducer, framing=None)
        assert model(reducer) == expected
        path = tmp_path / "input"
        path.write_bytes(data)
        reducer = Reducer()
        fold_file(path, reducer)
        assert model(reducer) == expected
    assert model(fold_frames(frames)) == expected


def test_fold_refuses_what_it_cannot_do() -> None:
    with pytest.raises(UsageError):
        fold([loom_bytes()], framing="xml")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        fold([loom_bytes()], Reducer(), strict=True)  # a reducer, or options for a new one
    with pytest.raises(UsageError):
        Reducer().feed_stream([loom_bytes()], framing="recording")  # type: ignore[arg-type]
    closed = Reducer()
    closed.close()
    with pytest.raises(UsageError):
        fold([loom_bytes()], closed)
    with pytest.raises(FileNotFoundError):
        fold_file(RECORDINGS / "missing.ndjson")


# --------------------------------------------------------------------------- the sync twin


def test_sync_twin() -> None:
    def chunks() -> Iterator[bytes]:
        data = loom_bytes()
        for i in range(0, len(data), 97):
            yield data[i : i + 97]

    with reduce_sync(chunks()) as reduction:
        notes = list(reduction)
    assert model(reduction.reducer) == model(fold_bytes(loom_bytes()))
    assert len(notes) == len(notes_of(loom_bytes())) + len(Reducer().close())
    assert reduction.framing == "ndjson"
    assert reduction.done
    buf = io.BytesIO()
    ticks = iter(range(1000))
    conversation = reduce_sync(
        chunks(), recorder=RecordingWriter(buf), clock=lambda: float(next(ticks))
    ).run()
    assert conversation.runs[0].reply == "It is sunny in Paris."
    assert read_recording(buf.getvalue()).timed


def test_sync_twin_closes_its_source_early() -> None:
    events: list[str] = []

    def source() -> Iterator[bytes]:
        try:
            yield from (line + b"\n" for line in loom_lines())
        finally:
            events.append("closed")

    reduction = reduce_sync(source())
    next(reduction)
    reduction.close()
    assert events == ["closed"]
    assert list(reduction) == []

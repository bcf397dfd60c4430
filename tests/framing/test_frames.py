"""Frames: every framing cut by one FrameSplitter and applied by ``Reducer.feed_frame`` exactly as
the reducer's own ``feed_bytes`` / ``feed_sse`` would; ChunkRecording documents."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold.framing import Frame, FrameSplitter, encode_sse
from streamfold.io.recording import read_recording
from streamfold.io.sync import fold

from ..support.streams import (
    HEADS,
    chunk_recording,
    fold_bytes,
    fold_frames,
    loom_bytes,
    loom_lines,
    loom_sse,
    model,
    recording_bytes,
)

# ------------------------------------------------------------------------- Reducer.feed_frame


def test_feed_frame_matches_the_reducers_own_framing() -> None:
    ndjson = read_recording(loom_bytes(), framing="ndjson")
    assert model(fold_frames(ndjson.frames)) == model(fold_bytes(loom_bytes()))
    sse = read_recording(loom_sse(), framing="sse")
    assert [f.kind for f in sse.frames] == ["sse"] * len(sse.frames)
    assert sse.frames[-1].text == "[DONE]"
    assert model(fold_frames(sse.frames)) == model(fold_bytes(loom_sse(), "sse"))


def test_sse_frames_keep_the_resume_cursor_and_event_type() -> None:
    data = b'id: 7\nevent: delta\ndata: {"a":1}\ndata: {"b":2}\n\ndata: x\n\n'
    frames = read_recording(data, framing="sse").frames
    assert frames[0] == Frame('{"a":1}\n{"b":2}', None, "sse", "7", "delta")
    assert frames[1].sse_id == "7"  # the cursor stays until the next id:
    assert encode_sse(frames[0]) == b'id: 7\nevent: delta\ndata: {"a":1}\ndata: {"b":2}\n\n'
    reducer = Reducer()
    for frame in frames:
        reducer.feed_frame(frame)
    assert reducer.sse_last_event_id == "7"


def test_oversized_lines_are_reported_like_the_reducer_does() -> None:
    data = b'{"type":"node_enter","id":"a"}\n' + b"x" * 300 + b"\n"
    splitter = FrameSplitter("ndjson", max_line_bytes=100)
    frames = splitter.feed(data) + splitter.close()
    assert frames[1].oversized == 300
    reducer = Reducer(max_line_bytes=100)
    reducer.feed_bytes(data)
    reducer.close()
    assert model(fold_frames(frames)) == model(reducer)
    # ...and the oversized marker survives a recording round trip.
    again = read_recording(recording_bytes(frames)).frames
    assert again[1].oversized == 300


# ------------------------------------------------------------------- ChunkRecording files


def test_chunk_recordings_are_read_with_their_timestamps() -> None:
    chunks = [orjson.loads(line) for line in loom_lines()[:5]]
    back = read_recording(chunk_recording(chunks))
    assert back.framing == "chunk-recording"
    assert [f.t for f in back.frames] == pytest.approx([0.1, 0.14, 0.18, 0.22, 0.26])
    assert [orjson.loads(f.data) for f in back.frames] == chunks
    reducer = Reducer()
    for chunk in chunks:
        reducer.feed(chunk)
    reducer.close()
    assert model(fold_frames(back.frames)) == model(reducer)


def test_a_json_file_that_is_not_a_chunk_recording_is_one_frame() -> None:
    back = read_recording(b'{"version": 1, "chunks": "nope"}\n', framing="chunk-recording")
    assert len(back.frames) == 1
    reducer = Reducer()
    fold([b'{"version": 1, "chunks": "nope"}\n'], reducer, framing="chunk-recording")
    assert model(fold_frames(back.frames)) == model(reducer)


def test_chunk_recording_size_bound() -> None:
    splitter = FrameSplitter("chunk-recording", max_document_bytes=50)
    assert splitter.feed(chunk_recording([{"type": "x"}] * 3)) == []
    frames = splitter.close()
    assert [p.code for p in splitter.problems] == ["document_too_large"]
    assert frames[0].oversized is not None


@given(st.lists(st.integers(min_value=0, max_value=len(HEADS["recording"])), max_size=8))
def test_recording_splits_anywhere(cuts: list[int]) -> None:
    data = HEADS["recording"]
    whole = read_recording(data)
    splitter = FrameSplitter()
    frames: list[Frame] = []
    prev = 0
    for cut in sorted(cuts):
        frames += splitter.feed(data[prev:cut])
        prev = cut
    frames += splitter.feed(data[prev:])
    frames += splitter.close()
    assert splitter.framing == "recording"
    assert frames == list(whole.frames)

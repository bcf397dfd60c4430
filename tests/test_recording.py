"""Recordings: frames with arrival times, written and read back; damaged files are reported.

Also home of the realistic test streams the async, replay and coalescing tests share.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold.errors import UsageError
from streamfold.export.json import to_dict
from streamfold.recording import (
    HEADER_KEY,
    Frame,
    FrameSplitter,
    Recording,
    RecordingError,
    RecordingWriter,
    detect_stream_framing,
    encode_sse,
    feed_frame,
    read_recording,
)
from streamfold.sources import fold

from .formats.loom.loomscript import Envelope

RECORDINGS = Path(__file__).resolve().parent.parent / "examples" / "recordings"


# ------------------------------------------------------------------------- shared streams


def loom_lines(session: str = "sess-1", *, answer: str = "It is sunny in Paris.") -> list[bytes]:
    """A realistic Loom run: reasoning, text, streamed tool arguments, a tool, a reply."""
    env = Envelope(session)
    env.event("run_start", run_id=f"{session}-run", message="Weather in Paris?", agent="react")
    env.event("node_enter", id="think")
    for word in ["The", " user", " wants", " a", " forecast", "."]:
        env.event("thought_chunk", content=word, id="think")
    for word in ["Let", " me", " check", " ✓"]:
        env.event("message_chunk", content=word, id="think")
    env.event("tool_call_chunk", call_id="call_1", name="weather", arguments_delta="")
    for piece in ['{"ci', 'ty": "Par', 'is"}']:
        env.event("tool_call_chunk", call_id=None, name=None, arguments_delta=piece)
    env.event("tool_call", call_id="call_1", name="weather", arguments={"city": "Paris"})
    env.event("usage", prompt_tokens=100, completion_tokens=20, total_tokens=120)
    env.event("node_exit", id="think", result="Ok")
    env.event("node_enter", id="act")
    env.event("tool_start", call_id="call_1", name="weather")
    env.event("tool_output", call_id="call_1", name="weather", content="sunny")
    env.event(
        "tool_end",
        call_id="call_1",
        name="weather",
        result="sunny, 21°C",
        is_error=False,
        raw_result=None,
    )
    env.event("node_exit", id="act", result="Ok")
    env.event("node_enter", id="think")
    for word in answer.split(" "):
        env.event("message_chunk", content=word + " ", id="think")
    env.event("node_exit", id="think", result="Ok")
    env.reply(answer, session)
    return env.lines


def loom_bytes(session: str = "sess-1") -> bytes:
    return b"\n".join(loom_lines(session)) + b"\n"


def loom_sse(session: str = "sess-1") -> bytes:
    """The Loom run as Server-Sent Events with ids, a comment and a ``[DONE]`` terminator."""
    out = [b": keep-alive\n\n"]
    for i, line in enumerate(loom_lines(session), 1):
        out.append(b"id: %d\ndata: %s\n\n" % (i, line))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def timed_frames(lines: list[bytes], gap: float = 0.05) -> list[Frame]:
    return [Frame(line, round(i * gap, 6)) for i, line in enumerate(lines)]


def recording_bytes(frames: list[Frame], **options: Any) -> bytes:
    buf = io.BytesIO()
    with RecordingWriter(buf, **options) as writer:
        for frame in frames:
            writer.write(frame)
    return buf.getvalue()


TIME_KEYS = frozenset(
    {"start_time", "end_time", "first_token_time", "input_time", "time", "time_source"}
)


def untimed(value: Any) -> Any:
    """``value`` (snapshot data) without the model's times: the same frames arriving at other
    times (or with no times) give the same model otherwise (docs/transcript.md, "Time")."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def model(reducer: Reducer) -> dict[str, Any]:
    """The whole model plus the frame counters, for equality checks; times left out (arrival
    times differ between a recording and its bytes, the rest must not)."""
    stats = {
        "frames_in": reducer.frames_in,
        "frames_applied": reducer.frames_applied,
        "frames_dropped": reducer.frames_dropped,
    }
    document: dict[str, Any] = untimed(to_dict(reducer.conversation, stats=stats))
    return document


def fold_frames(frames: tuple[Frame, ...] | list[Frame], *, close: bool = True) -> Reducer:
    reducer = Reducer()
    for frame in frames:
        feed_frame(reducer, frame)
    if close:
        reducer.close()
    return reducer


def fold_bytes(data: bytes, framing: str = "ndjson") -> Reducer:
    reducer = Reducer()
    if framing == "sse":
        reducer.feed_sse(data)
    else:
        reducer.feed_bytes(data)
    reducer.close()
    return reducer


# ---------------------------------------------------------------------------- feed_frame


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
        feed_frame(reducer, frame)
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


# ------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("framing", ["ndjson", "sse"])
def test_round_trip_keeps_every_frame_time_and_cursor(framing: Literal["ndjson", "sse"]) -> None:
    source = read_recording(loom_sse() if framing == "sse" else loom_bytes(), framing=framing)
    frames = [
        Frame(f.data, round(i * 0.0125, 6), f.kind, f.sse_id, f.sse_event)
        for i, f in enumerate(source)
    ]
    data = recording_bytes(frames, meta={"source": "test"})
    header = orjson.loads(data.split(b"\n", 1)[0])
    assert header[HEADER_KEY] == 1
    assert header["framing"] == framing
    assert header["source"] == "test"
    assert "created_at" in header
    back = read_recording(data)
    assert back.framing == "recording"
    assert back.problems == ()
    assert [(f.text, f.t, f.kind, f.sse_id, f.sse_event) for f in back.frames] == [
        (f.text, f.t, f.kind, f.sse_id, f.sse_event) for f in frames
    ]
    assert back.timed
    assert back.duration == pytest.approx((len(frames) - 1) * 0.0125)
    assert model(fold_frames(back.frames)) == model(fold_frames(frames))


def test_sse_ids_are_written_only_when_they_change() -> None:
    frames = [
        Frame("{}", 0.0, "sse", "1"),
        Frame("{}", 0.1, "sse", "1"),
        Frame("{}", 0.2, "sse", "2", "ev"),
    ]
    data = recording_bytes(frames)
    lines = data.splitlines()[1:]
    assert [orjson.loads(line).get("id", "-") for line in lines] == ["1", "-", "2"]
    assert read_recording(data).frames == tuple(frames)


def test_frames_that_are_not_utf8_are_kept_exactly() -> None:
    raw = b'{"type":"message_chunk","content":"\xff\xfe","id":"x"}'
    back = read_recording(recording_bytes([Frame(raw, 0.0)])).frames
    assert back[0].data == raw
    reducer_a, reducer_b = Reducer(), Reducer()
    reducer_a.feed_line(raw)
    feed_frame(reducer_b, back[0])
    assert model(reducer_a) == model(reducer_b)


def test_parsed_objects_are_recorded_as_json_text() -> None:
    obj = {"type": "node_enter", "id": "think", "session_id": "s"}
    frame = Frame(orjson.dumps(obj).decode(), 0.5, value=obj)
    back = read_recording(recording_bytes([frame])).frames
    assert orjson.loads(back[0].data) == obj
    assert back[0].value is None
    assert model(fold_frames(back)) == model(fold_frames([frame]))


def test_empty_recording_still_has_a_header() -> None:
    data = recording_bytes([], framing="sse")
    back = read_recording(data)
    assert back.framing == "recording"
    assert back.header["framing"] == "sse"
    assert len(back) == 0
    assert not back.timed


def test_writer_refuses_mixed_frame_kinds_and_use_after_close() -> None:
    writer = RecordingWriter(io.BytesIO(), framing="ndjson")
    with pytest.raises(UsageError):
        writer.write(Frame("{}", 0.0, "sse"))
    writer.close()
    with pytest.raises(UsageError):
        writer.write(Frame("{}", 0.0))
    with pytest.raises(UsageError):
        RecordingWriter(io.BytesIO(), framing="chunks")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path", sorted(RECORDINGS.glob("*.ndjson")) + sorted(RECORDINGS.glob("*.sse")), ids=str
)
def test_every_example_recording_round_trips(path: Path) -> None:
    data = path.read_bytes()
    source = read_recording(path)
    assert source.framing in ("ndjson", "sse")
    assert not source.timed
    assert model(fold_frames(source.frames)) == model(fold_bytes(data, source.framing))
    timed = [attrs_evolve_t(f, i / 100) for i, f in enumerate(source.frames)]
    back = read_recording(recording_bytes(timed))
    assert back.problems == ()
    assert model(fold_frames(back.frames)) == model(fold_bytes(data, source.framing))


def attrs_evolve_t(frame: Frame, t: float) -> Frame:
    return Frame(frame.data, t, frame.kind, frame.sse_id, frame.sse_event, frame.oversized)


# ------------------------------------------------------------------ interruption and damage


def test_each_frame_is_on_disk_before_close(tmp_path: Path) -> None:
    path = tmp_path / "live.recording.ndjson"
    writer = RecordingWriter.open(path)
    for i, line in enumerate(loom_lines()[:5]):
        writer.write(Frame(line, i * 0.1))
        # Read through another file handle: the frame is already out of Python's buffers.
        assert len(read_recording(path).frames) == i + 1
    # The process "dies" here: no close(). The file is still a complete recording.
    assert read_recording(path).problems == ()
    writer.close()


def test_batches_are_flushed_once_per_batch(tmp_path: Path) -> None:
    path = tmp_path / "batch.ndjson"
    writer = RecordingWriter.open(path, autoflush=False, fsync=True)
    writer.write_many(timed_frames(loom_lines()[:3]))
    assert len(read_recording(path).frames) == 3
    writer.write(Frame("{}", 1.0))  # not flushed yet (autoflush=False)...
    writer.flush()
    assert len(read_recording(path).frames) == 4
    writer.close()


def test_a_truncated_last_line_is_reported_at_every_cut_not_fatal() -> None:
    frames = timed_frames(loom_lines()[:4])
    data = recording_bytes(frames)
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start + 1, len(data) - 1):
        back = read_recording(data[:cut])
        assert [f.text for f in back.frames] == [f.text for f in frames[:3]], cut
        truncated = back.truncated
        assert truncated is not None
        assert truncated.code == "truncated_record"
        assert truncated.line == 5
    # Cut exactly before the final newline: the record is complete and kept.
    assert len(read_recording(data[:-1]).frames) == 4


def test_bad_lines_are_skipped_and_reported() -> None:
    data = recording_bytes(timed_frames(loom_lines()[:3]))
    lines = data.split(b"\n")
    lines.insert(2, b"this is not json")
    lines.insert(3, b'{"t":"soon","frame":"{}"}')
    lines.insert(4, b"[1,2]")
    back = read_recording(b"\n".join(lines))
    assert len(back.frames) == 3
    assert [p.code for p in back.problems] == ["bad_record"] * 3
    assert back.truncated is None


def test_missing_header_and_newer_versions() -> None:
    body = recording_bytes(timed_frames(loom_lines()[:2])).split(b"\n", 1)[1]
    back = read_recording(body, framing="recording")
    assert [p.code for p in back.problems] == ["missing_header"]
    assert len(back.frames) == 2
    newer = orjson.dumps({HEADER_KEY: 99, "framing": "ndjson"}) + b"\n" + body
    with pytest.raises(RecordingError):
        read_recording(newer)


def test_append_resumes_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "crash.ndjson"
    data = recording_bytes(timed_frames(loom_lines()[:4], gap=0.5))
    path.write_bytes(data[:-7])  # the process died while writing the 4th record
    with RecordingWriter.open(path, append=True) as writer:
        assert writer.recovered is not None
        assert writer.recovered.code == "truncated_record"
        assert writer.t_offset == 1.0  # the last complete record
        writer.write(Frame(loom_lines()[4], 0.25))
    back = read_recording(path)
    assert back.problems == ()
    assert [f.t for f in back.frames] == [0.0, 0.5, 1.0, 1.25]
    assert back.frames[-1].text == loom_lines()[4].decode()


def test_append_to_a_missing_or_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "new.ndjson"
    with RecordingWriter.open(path, append=True) as writer:
        writer.write(Frame("{}", 0.0))
    with RecordingWriter.open(path, append=True) as writer:
        assert writer.recovered is None
        writer.write(Frame("{}", 0.0))
    assert len(read_recording(path).frames) == 2
    with pytest.raises(UsageError):
        RecordingWriter.open(path, append=True, framing="sse")
    # A last record complete but without its newline is kept, not cut.
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    with RecordingWriter.open(path, append=True) as writer:
        assert writer.recovered is None
        writer.write(Frame("{}", 0.0))
    assert len(read_recording(path).frames) == 3


# ------------------------------------------------------------------- ChunkRecording files


def chunk_recording(chunks: list[dict[str, Any]], start: int = 1_700_000_000_000) -> bytes:
    entries = [
        {"chunk": chunk, "timestamp": start + 40 * i, "index": i} for i, chunk in enumerate(chunks)
    ]
    doc = {"version": 1, "timestamp": start - 100, "model": "m", "chunks": entries}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


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


# ------------------------------------------------------------------------------- detection

HEADS = {
    "ndjson": loom_bytes(),
    "sse": loom_sse(),
    "recording": recording_bytes(timed_frames(loom_lines()[:3])),
    "chunk-recording": chunk_recording([{"type": "x"}]),
    "chunk-recording-compact": b'{"version":1,"chunks":[{"chunk":{"a":1},"timestamp":1}]}\n',
}


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_detection_never_guesses_early(kind: str) -> None:
    data = HEADS[kind]
    want = kind.removesuffix("-compact")
    assert detect_stream_framing(data, final=True) == want
    for cut in range(len(data)):
        got = detect_stream_framing(data[:cut])
        assert got in (None, want), cut


def test_detection_of_small_and_empty_streams() -> None:
    assert detect_stream_framing(b"") is None
    assert detect_stream_framing(b"", final=True) == "ndjson"
    assert detect_stream_framing(b"", "x.sse", final=True) == "sse"
    assert detect_stream_framing(b'{"a":1}', final=True) == "ndjson"
    assert detect_stream_framing(b"da") is None
    assert detect_stream_framing(b"data: 1") == "sse"


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


def test_recording_type() -> None:
    rec = Recording((Frame("{}", None), Frame("{}", 2.0)), "recording")
    assert rec.timed
    assert rec.duration == 2.0
    assert len(rec) == 2

"""Recordings: frames with arrival times, written and read back; damaged files are reported."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import orjson
import pytest

from streamfold import Reducer
from streamfold.errors import RecordingError, UsageError
from streamfold.framing import HEADER_KEY, Frame
from streamfold.io.recording import Recording, RecordingWriter, read_recording

from ..support.streams import (
    RECORDINGS,
    fold_bytes,
    fold_frames,
    loom_bytes,
    loom_lines,
    loom_sse,
    model,
    recording_bytes,
    timed_frames,
)

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
    reducer_b.feed_frame(back[0])
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


def test_recording_type() -> None:
    rec = Recording((Frame("{}", None), Frame("{}", 2.0)), "recording")
    assert rec.timed
    assert rec.duration == 2.0
    assert len(rec) == 2

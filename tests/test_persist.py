"""Snapshot → restore → continue equals folding without interruption, at every split point."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, ToolCallPart
from streamfold.framing import detect_framing
from streamfold.persist import (
    SNAPSHOT_VERSION,
    SnapshotError,
    from_bytes,
    restore,
    snapshot,
    to_bytes,
)

from .formats.loom.test_loom import react_run, sub_agent_run
from .summary import summarize

RECORDINGS = Path(__file__).parent.parent / "examples" / "recordings"
FILES = sorted(p for p in RECORDINGS.iterdir() if p.suffix in (".ndjson", ".sse"))


def state(reducer: Reducer) -> tuple[object, ...]:
    return (
        summarize(reducer.conversation),
        reducer.frames_in,
        reducer.frames_applied,
        reducer.frames_dropped,
    )


def feed(reducer: Reducer, data: bytes, framing: str) -> None:
    if framing == "sse":
        reducer.feed_sse(data)
    else:
        reducer.feed_bytes(data)


def split_and_resume(data: bytes, cut: int, framing: str) -> Reducer:
    first = Reducer()
    feed(first, data[:cut], framing)
    resumed = from_bytes(to_bytes(first))
    feed(resumed, data[cut:], framing)
    resumed.close()
    return resumed


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_resume_at_split_points_of_every_recording(path: Path) -> None:
    data = path.read_bytes()
    framing = detect_framing(data[:4096], path.name)
    whole = Reducer()
    feed(whole, data, framing)
    whole.close()
    expected = state(whole)
    # Cut points: inside lines and at line ends, spread over the whole file.
    cuts = sorted({len(data) * i // 12 for i in range(13)} | {data.find(b"\n") + 1})
    for cut in cuts:
        assert state(split_and_resume(data, cut, framing)) == expected, f"cut at byte {cut}"


@given(st.data())
def test_resume_at_any_frame_of_a_loom_stream(data: st.DataObject) -> None:
    lines = [*react_run().lines, *sub_agent_run().lines]
    blob = b"\n".join(lines) + b"\n"
    cut = data.draw(st.integers(0, len(blob)))
    whole = Reducer()
    whole.feed_bytes(blob)
    whole.close()
    assert state(split_and_resume(blob, cut, "ndjson")) == state(whole)


def test_snapshot_is_json_and_shares_objects() -> None:
    reducer = Reducer()
    for line in react_run().lines[:12]:
        reducer.feed_line(line)
    doc = orjson.loads(to_bytes(reducer))
    assert doc["format"] == "streamfold.reducer"
    assert doc["version"] == SNAPSHOT_VERSION
    restored = restore(doc)
    run = restored.conversation.runs[0]
    # A ToolCallPart and run.tool_calls hold the same object after restore, not two copies.
    message = run.messages[0]
    parts = [p for p in message.parts if isinstance(p, ToolCallPart)]
    assert parts
    for part in parts:
        assert run.tool_calls[part.call.call_id] is part.call
    assert restored.tool_call("call_b", run.run_id) is run.tool_calls["call_b"]


def test_restored_reducer_reports_through_the_same_counters() -> None:
    reducer = Reducer()
    reducer.feed_line(b"not json")
    restored = restore(snapshot(reducer))
    restored.feed_line(b"also not json")
    assert (restored.frames_in, restored.frames_dropped) == (2, 2)
    assert [d.frame_index for d in restored.conversation.diagnostics] == [0, 1]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format": "other"}, "not a streamfold reducer snapshot"),
        ({"format": "streamfold.reducer", "version": 0, "state": {}}, "version 0"),
        ({"format": "streamfold.reducer", "version": 1, "state": {}}, "version 1"),
        ({"format": "streamfold.reducer", "version": 2, "state": {}}, "version 2"),
        ({"format": "streamfold.reducer", "version": 99, "state": {}}, "version 99"),
        (
            {"format": "streamfold.reducer", "version": SNAPSHOT_VERSION, "state": {"$t": "nope"}},
            "unknown node",
        ),
        (
            {
                "format": "streamfold.reducer",
                "version": SNAPSHOT_VERSION,
                "state": {"$t": "obj", "c": "os:system", "id": 1, "v": {}},
            },
            "not a streamfold class",
        ),
        (
            {"format": "streamfold.reducer", "version": SNAPSHOT_VERSION, "state": {"$r": 7}},
            "unknown object",
        ),
    ],
)
def test_bad_snapshots_are_refused_whole(doc: dict[str, object], message: str) -> None:
    with pytest.raises(SnapshotError, match=message):
        restore(doc)


def test_damaged_snapshot_bytes() -> None:
    good = to_bytes(Reducer())
    with pytest.raises(SnapshotError):
        from_bytes(good[: len(good) // 2])

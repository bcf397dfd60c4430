"""Snapshot → restore → continue equals folding without interruption, at every split point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, SnapshotError, ToolCallPart, UsageError
from streamfold.events import (
    EndRun,
    OpenSpan,
    ReportUsage,
    SetState,
    StartMessage,
    StartRun,
    StartToolCall,
)
from streamfold.export.json import to_dict
from streamfold.formats.nnrp import NnrpDecoder
from streamfold.framing import detect_framing
from streamfold.model import RunStatus, Usage
from streamfold.snapshot import SNAPSHOT_VERSION, snapshot, to_bytes

from ..formats.loom.test_loom import react_run, sub_agent_run
from ..summary import summarize

RECORDINGS = Path(__file__).parent.parent.parent / "examples" / "recordings"
FILES = sorted(p for p in RECORDINGS.rglob("*") if p.suffix in (".ndjson", ".sse"))


def state(reducer: Reducer) -> tuple[object, ...]:
    return (
        summarize(reducer.conversation),
        to_dict(reducer.conversation),
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
    saved = to_bytes(first)
    resumed = Reducer.from_snapshot(saved)
    # Everything round-trips: the restored reducer writes the same document.
    assert snapshot(resumed) == orjson.loads(saved)
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


def test_the_dict_and_the_bytes_restore_alike() -> None:
    reducer = Reducer()
    for line in react_run().lines[:12]:
        reducer.feed_line(line)
    doc = reducer.snapshot()
    assert doc["streamfold_snapshot"] == SNAPSHOT_VERSION == 4
    assert set(doc) == {"streamfold_snapshot", "reducer", "framing", "decoders", "model"}
    assert orjson.loads(orjson.dumps(doc)) == doc  # JSON-safe as it is
    from_dict, from_bytes = Reducer.from_snapshot(doc), Reducer.from_snapshot(to_bytes(reducer))
    assert state(from_dict) == state(from_bytes) == state(reducer)
    # The stored dict is not shared with what was restored from it: restore it twice, feed one.
    again = Reducer.from_snapshot(doc)
    from_dict.feed_line(react_run().lines[12])
    assert state(Reducer.from_snapshot(doc)) == state(again)


def test_shared_objects_are_one_object_after_restore() -> None:
    reducer = Reducer()
    for line in [*react_run().lines[:12], *sub_agent_run().lines]:
        reducer.feed_line(line)
    restored = Reducer.from_snapshot(to_bytes(reducer))
    run = restored.conversation.runs[0]
    # A ToolCallPart and run.tool_calls hold the same object after restore, not two copies.
    message = run.messages[0]
    parts = [p for p in message.parts if isinstance(p, ToolCallPart)]
    assert parts
    for part in parts:
        assert run.tool_calls[part.call.call_id] is part.call
    assert restored.tool_call("call_b", run.run_id) is run.tool_calls["call_b"]
    assert restored.run(run.run_id) is run
    # Spans know their parents again (the document only nests them).
    for any_run in restored.conversation.runs:
        for span in any_run.walk_spans():
            for child in span.children:
                assert child.parent is span
    nested = [s for r in restored.conversation.runs for s in r.walk_spans() if s.parent]
    assert nested


def test_restored_reducer_reports_through_the_same_counters() -> None:
    reducer = Reducer()
    reducer.feed_line(b"not json")
    restored = Reducer.from_snapshot(snapshot(reducer))
    restored.feed_line(b"also not json")
    assert (restored.frames_in, restored.frames_dropped) == (2, 2)
    assert [d.frame_index for d in restored.conversation.diagnostics] == [0, 1]


def test_options_travel_and_are_checked_again() -> None:
    reducer = Reducer(
        "nnrp",
        max_diagnostics=3,
        max_raw_chars=10,
        max_text_chars=5,
        max_open_runs=2,
        max_sessions=4,
        max_line_bytes=1000,
        decoders={"nnrp": NnrpDecoder(range_mode="inclusive", gap_marker="…")},
    )
    for _ in range(5):
        reducer.feed_line(b"{nope")
    restored = Reducer.from_snapshot(to_bytes(reducer))
    assert restored.format == "nnrp"
    assert restored.max_line_bytes == 1000
    assert (restored.max_text_chars, restored.max_open_runs, restored.max_sessions) == (5, 2, 4)
    assert restored.conversation.diagnostics.maxlen == 3
    assert len(restored.conversation.diagnostics) == 3
    decoder = restored.decoders["nnrp"]
    assert isinstance(decoder, NnrpDecoder)
    assert (decoder.range_mode, decoder.gap_marker) == ("inclusive", "…")


def test_a_closed_or_failed_reducer_stays_so() -> None:
    closed = Reducer()
    closed.feed_line(b'{"type": "node_enter", "id": "a"}')
    closed.close()
    with pytest.raises(UsageError, match="after close"):
        Reducer.from_snapshot(to_bytes(closed)).feed_line(b"{}")
    failed = Reducer(strict=True)
    with pytest.raises(Exception, match="not_json"):
        failed.feed_line(b"nope")
    restored = Reducer.from_snapshot(to_bytes(failed))
    with pytest.raises(UsageError, match="strict mode"):
        restored.feed_line(b"{}")


def test_a_foreign_decoder_is_not_snapshotted() -> None:
    class Mine(NnrpDecoder):
        pass

    reducer = Reducer(decoders={"nnrp": Mine()})
    reducer.feed_line(b'{"message_type": "FRAME_SUBMIT"}')
    with pytest.raises(SnapshotError, match="only the registered decoder"):
        to_bytes(reducer)


def test_large_integers_and_deep_values_round_trip() -> None:
    """Wire values orjson cannot write (a usage sum beyond 64 bits, a state nested past 254
    levels) are written exactly and read back (snapshot/values.py)."""
    u64 = 2**64 - 1
    deep: Any = "leaf"
    for _ in range(500):  # 1,000 levels: as deep as orjson reads a frame
        deep = {"k": [deep]}
    reducer = Reducer()
    reducer.apply([StartRun("s", "r"), SetState("r", deep)])
    usage = Usage(prompt_tokens=u64, completion_tokens=u64, total_tokens=u64)
    reducer.apply([ReportUsage("r", usage), ReportUsage("r", usage)])
    assert reducer.conversation.usage.prompt_tokens == 2 * u64
    data = to_bytes(reducer)
    assert data.startswith(b'{"encoding":"wide"')
    restored = Reducer.from_snapshot(data)
    assert restored.conversation.usage.total_tokens == 2 * u64
    assert restored.run("r").usage.prompt_tokens == 2 * u64
    value = restored.run("r").state
    for _ in range(500):  # 1,000 levels: as deep as orjson reads a frame
        value = value["k"][0]
    assert value == "leaf"
    # The dict form holds them as they are.
    assert Reducer.from_snapshot(reducer.snapshot()).conversation.usage.reports == 2


def test_indexes_that_differ_from_the_model_are_kept() -> None:
    """Two spans with one id (the index points to the one opened last, which comes first in
    the tree), a message part whose call another run holds, and one whose call's session was
    evicted (no run holds the call any more)."""
    reducer = Reducer(max_sessions=1)
    reducer.apply(
        [
            StartRun("a", "ra"),
            OpenSpan("ra", "p", "p"),
            OpenSpan("ra", "q", "q"),
            OpenSpan("ra", "sp", "A", parent_span_id="q"),
            OpenSpan("ra", "sp", "B", parent_span_id="p"),
            StartRun("b", "rb"),  # session "a" still runs: nothing is evicted yet
            StartMessage("rb", "m2"),
            StartToolCall("ra", "c", "kept-in-a", message_id="m2"),
            StartToolCall("rb", "c2", "tool", message_id="m2"),
            StartRun("b", "rc"),
            StartToolCall("rc", "c3", "other", message_id="m2"),
        ]
    )
    assert reducer.state.spans["sp"].name == "B"
    reducer.apply([EndRun("ra", RunStatus.COMPLETED), StartRun("c", "rd")])  # evicts "a"
    parts = reducer.conversation.runs[0].messages[0].parts
    assert [p.call.name for p in parts if isinstance(p, ToolCallPart)] == [
        "kept-in-a",
        "tool",
        "other",
    ]
    saved = reducer.snapshot()
    restored = Reducer.from_snapshot(saved)
    assert snapshot(restored) == saved
    written = saved["model"]["sessions"]["b"]["runs"][0]["messages"][0]["parts"]
    assert written[1] == {"kind": "tool-call", "call_id": "c2"}
    assert written[2] == {"kind": "tool-call", "call_id": "c3", "run_id": "rc"}
    assert written[0]["call"]["name"] == "kept-in-a"
    # The same lookups answer the same way.
    for call_id, run_id in (("c2", "rb"), ("c3", "rc"), ("c3", None), ("c", None), ("c", "ra")):
        original = reducer.tool_call(call_id, run_id)
        again = restored.tool_call(call_id, run_id)
        assert (original is None) == (again is None), (call_id, run_id)
        if original is not None and again is not None:
            assert (again.run_id, again.name) == (original.run_id, original.name)
    (message,) = restored.conversation.runs[0].messages
    calls = [p.call for p in message.parts if isinstance(p, ToolCallPart)]
    assert calls[2] is restored.run("rc").tool_calls["c3"]


def test_replay_seeks_through_periodic_snapshots() -> None:
    from streamfold.framing import Frame
    from streamfold.io.recording import Recording
    from streamfold.replay import PeriodicSnapshots, Replayer

    path = RECORDINGS / "loom-multi-agent.ndjson"
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    rec = Recording(tuple(Frame(line, i * 0.01) for i, line in enumerate(lines)), "recording")
    store = PeriodicSnapshots(every=5)
    replayer = Replayer(rec, snapshots=store)
    replayer.seek(len(lines))
    whole = to_dict(replayer.reducer.conversation)
    replayer.seek(7)
    replayer.seek(len(lines))
    assert store.indexes
    assert to_dict(replayer.reducer.conversation) == whole

"""Adversarial input: valid streams, mutated. Lenient mode never raises, every frame is
accounted for, and the model stays internally consistent."""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, SpanStatus
from streamfold.export.json import to_json
from streamfold.export.timeline import write_chrome_trace
from streamfold.export.transcript import write_html, write_json, write_markdown
from streamfold.framing import detect_framing
from streamfold.io.sync import fold_file
from streamfold.model import Conversation, ToolCallPart
from streamfold.model.text import dumps
from streamfold.snapshot import to_bytes
from streamfold.tables.rows import conversation_rows

from .formats.loom.test_loom import react_run, sub_agent_run
from .support import mutations

T = TypeVar("T")

RECORDINGS = sorted(
    glob.glob(os.path.join(os.path.dirname(__file__), "..", "examples", "recordings", "*.*"))
)


def _recording_lines(name: str) -> list[bytes]:
    """A real recording as JSON lines (SSE data payloads for .sse files)."""
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "recordings", name)
    with open(path, "rb") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    if name.endswith(".sse"):
        lines = [line[5:].strip() for line in lines if line.startswith(b"data:")]
    return [line for line in lines if line.startswith(b"{")]


BASE_STREAMS = [
    react_run().lines,
    sub_agent_run().lines,
    _recording_lines("tanstack-agui-tools.sse"),
    _recording_lines("tanstack-legacy-tools.sse"),
    _recording_lines("tanstack-agui-approval.sse"),
    _recording_lines("nnrp-reorder.ndjson"),
    _recording_lines("nnrp-tool-call-stop.ndjson"),
]


def check_consistent(reducer: Reducer) -> None:
    """Invariants every reduction keeps, whatever the input."""
    conv: Conversation = reducer.conversation
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    if not conv.diagnostics_evicted:
        # Every dropped frame has its diagnostic(s), and only dropped frames do.
        dropped_frames = {d.frame_index for d in conv.diagnostics if d.dropped}
        assert len(dropped_frames) == reducer.frames_dropped
    calls = {(run.run_id, cid): call for run in conv.runs for cid, call in run.tool_calls.items()}
    for run in conv.runs:
        assert run.status.is_terminal  # close() ends every run
        for message in run.messages:
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    # The call is in the model (in its own run: AG-UI messages span runs).
                    assert calls.get((part.call.run_id or "", part.call_id)) is part.call
        for span in run.walk_spans():
            assert span.status is not SpanStatus.OPEN
            for child in span.children:
                assert child.parent is span
    usage = sum(run.usage.total_tokens for run in conv.runs)
    assert usage == conv.usage.total_tokens
    check_outputs(reducer)


def check_outputs(reducer: Reducer) -> None:
    """Every writer takes the model, whatever the stream nested or counted in it (deep values
    inside strings, integers past 64 bits): JSON export, snapshot and back, transcripts,
    timelines, table rows."""
    conv = reducer.conversation
    exported = to_json(conv)
    assert json.loads(exported)["version"] == 1
    saved = to_bytes(reducer)
    assert to_json(Reducer.from_snapshot(saved).conversation) == exported
    pieces: list[str] = []
    for writer in (write_markdown, write_html, write_json, write_chrome_trace):
        writer(conv, pieces.append)
    "".join(pieces).encode()  # strict UTF-8
    for rows in conversation_rows(conv, "fuzz").values():
        for row in rows:
            dumps(row, default=str)


class HypothesisPick:
    """The mutator's choices drawn by hypothesis (so a failure shrinks)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int, label: str) -> int:
        return self.data.draw(st.integers(low, high), label=label)

    def choice(self, options: Sequence[T], label: str) -> T:
        return self.data.draw(st.sampled_from(options), label=label)


def mutate(lines: list[bytes], data: st.DataObject) -> list[bytes]:
    return mutations.mutate(lines, HypothesisPick(data))


@given(st.sampled_from(BASE_STREAMS), st.data())
def test_mutated_streams_never_raise(lines: list[bytes], data: st.DataObject) -> None:
    mutated = mutate(lines, data)
    reducer = Reducer()
    for line in mutated:
        reducer.feed_line(line)
    reducer.close()
    check_consistent(reducer)
    # Every line fed is one frame, blank or not.
    assert reducer.frames_in == len(mutated)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    for feed in ("feed_bytes", "feed_sse"):
        reducer = Reducer()
        getattr(reducer, feed)(data)
        reducer.close()
        check_consistent(reducer)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(JSON)
def test_arbitrary_json_values_never_raise(value: object) -> None:
    reducer = Reducer()
    reducer.feed_line(json.dumps(value))  # json: orjson refuses integers beyond 64 bits
    if isinstance(value, dict):
        for kind in ("message_chunk", "tool_call", "node_exit", "tool_end", "usage"):
            reducer.feed({**value, "type": kind})
        reducer.feed({**value, "reply": "x"})
    reducer.close()
    check_consistent(reducer)


def test_every_recording_accounts_for_every_frame() -> None:
    assert RECORDINGS, "examples/recordings is empty"
    for path in RECORDINGS:
        if path.endswith((".md", ".py")) or "manifest" in path or "expected" in path:
            continue
        reducer = Reducer()
        fold_file(path, reducer)
        check_consistent(reducer)
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if detect_framing(head, path) == "ndjson":
            with open(path, "rb") as fh:
                count = sum(1 for line in fh if line.strip())
            assert reducer.frames_in == count, path

"""Adversarial input: valid streams, mutated. Lenient mode never raises, every frame is
accounted for, and the model stays internally consistent."""

from __future__ import annotations

import glob
import json
import os
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, SpanStatus
from streamfold.framing import detect_framing
from streamfold.io.sync import fold_file
from streamfold.model import Conversation, ToolCallPart

from .formats.loom.test_loom import react_run, sub_agent_run

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


def mutate(lines: list[bytes], data: st.DataObject) -> list[bytes]:
    out = list(lines)
    for _ in range(data.draw(st.integers(0, 6), label="mutations")):
        if not out:
            break
        i = data.draw(st.integers(0, len(out) - 1), label="at")
        kind = data.draw(
            st.sampled_from(
                [
                    "drop",
                    "duplicate",
                    "swap",
                    "truncate",
                    "corrupt",
                    "retype",
                    "huge",
                    "nest",
                    "bad_utf8",
                    "unknown_type",
                    "null_fields",
                ]
            ),
            label="kind",
        )
        line = out[i]
        if kind == "drop":
            del out[i]
        elif kind == "duplicate":
            out.insert(i, line)
        elif kind == "swap" and i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
        elif kind == "truncate":
            out[i] = line[: data.draw(st.integers(0, len(line)), label="cut")]
        elif kind == "corrupt":
            pos = data.draw(st.integers(0, max(len(line) - 1, 0)), label="pos")
            out[i] = line[:pos] + b"\x00}{" + line[pos + 1 :]
        elif kind in ("retype", "null_fields", "unknown_type", "huge", "nest"):
            try:
                frame: Any = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(frame, dict) or not frame:
                continue
            key = data.draw(st.sampled_from(sorted(frame)), label="key")
            if kind == "retype":
                frame[key] = data.draw(
                    st.sampled_from([1, -1, 2**70, 1.5, True, "x", [], {}, None]), label="value"
                )
            elif kind == "null_fields":
                frame = dict.fromkeys(frame)
            elif kind == "unknown_type":
                frame["type"] = "never_seen_before"
            elif kind == "huge":
                frame[key] = "A" * 200_000
            else:
                nested: Any = 0
                for _ in range(200):
                    nested = [nested]
                frame[key] = nested
            out[i] = json.dumps(frame).encode()
        elif kind == "bad_utf8":
            out[i] = line + b"\xff\xfe\xc3"
    return out


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

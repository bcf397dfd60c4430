"""Limits: text per part, open runs, finished sessions. Hitting one is a notification, never
an unbounded buffer or an exception."""

from __future__ import annotations

import json

import pytest

from streamfold import Reducer, RunStatus, UsageError
from streamfold.core.apply_runs import MAX_SPAN_DEPTH
from streamfold.export.json import to_json
from streamfold.model import Diagnostic
from streamfold.notifications import Evicted, TextDelta, Truncated
from streamfold.snapshot import to_bytes

from .formats.loom.loomscript import Envelope, ev


def test_text_beyond_the_limit_is_dropped_and_announced_once() -> None:
    e = Envelope("run-big")
    e.event("node_enter", id="think")
    for _ in range(5):
        e.event("message_chunk", content="0123456789", id="think")
    reducer = Reducer(max_text_chars=25)
    notes = [n for line in e.lines for n in reducer.feed_line(line)]
    [message] = reducer.conversation.runs[0].messages
    assert message.text == "0123456789" * 2 + "01234"
    buffer = message.parts[0].buffer  # type: ignore[union-attr]
    assert (buffer.chars, buffer.dropped) == (25, 25)
    truncations = [n for n in notes if isinstance(n, Truncated)]
    assert truncations == [
        Truncated(reducer.conversation.runs[0].run_id, message.message_id, "text", 25)
    ]
    assert [n.delta for n in notes if isinstance(n, TextDelta)] == [
        "0123456789",
        "0123456789",
        "01234",
        "",
        "",
    ]
    assert [d.code for d in reducer.conversation.diagnostics] == ["truncated"]


def test_tool_arguments_and_output_are_bounded_too() -> None:
    e = Envelope("run-args")
    e.event("node_enter", id="act")
    e.event("tool_call_chunk", call_id="c1", name="write", arguments_delta='{"text":"' + "x" * 50)
    e.event("tool_start", call_id="c1", name="write")
    e.event("tool_output", call_id="c1", name="write", content="y" * 50)
    reducer = Reducer(max_text_chars=20)
    for line in e.lines:
        reducer.feed_line(line)
    reducer.close()
    call = reducer.conversation.runs[0].tool_calls["c1"]
    assert len(call.arguments) == 20 and call.arguments_buffer.dropped == 39
    assert call.output == "y" * 20 and call.output_buffer.dropped == 30
    assert [d.code for d in reducer.conversation.diagnostics] == ["truncated", "truncated"]


def test_too_many_open_runs_ends_the_oldest_as_incomplete() -> None:
    reducer = Reducer(max_open_runs=2)
    for session in ("a", "b", "c"):
        e = Envelope(session)
        e.event("node_enter", id="think")
        reducer.feed_line(e.lines[0])
    statuses = [r.status for r in reducer.conversation.runs]
    assert statuses == [RunStatus.INCOMPLETE, RunStatus.RUNNING, RunStatus.RUNNING]
    assert reducer.conversation.runs[0].error == "evicted: too many open runs"
    assert [d.code for d in reducer.conversation.diagnostics] == ["run_evicted"]


def test_finished_sessions_leave_the_model_with_their_final_state() -> None:
    reducer = Reducer(max_sessions=2)
    evicted: list[Evicted] = []
    for n in range(5):
        e = Envelope(f"s{n}")
        e.node("think", ev("message_chunk", content=f"answer {n}", id="think"))
        e.event("usage", prompt_tokens=10, completion_tokens=1, total_tokens=11)
        e.reply(f"answer {n}", f"thread-{n}")
        for line in e.lines:
            evicted += [x for x in reducer.feed_line(line) if isinstance(x, Evicted)]
    assert list(reducer.conversation.sessions) == ["s3", "s4"]
    assert [x.session_id for x in evicted] == ["s0", "s1", "s2"]
    assert [x.session.runs[0].reply for x in evicted] == ["answer 0", "answer 1", "answer 2"]
    # The totals still count what left; the reducer's indexes no longer hold it.
    assert reducer.conversation.usage.total_tokens == 55
    assert reducer.tool_call("x") is None
    with pytest.raises(UsageError):
        reducer.run(evicted[0].session.runs[0].run_id)


def test_a_running_session_is_never_evicted() -> None:
    reducer = Reducer(max_sessions=1)
    a, b = Envelope("a"), Envelope("b")
    a.event("node_enter", id="think")
    b.event("node_enter", id="think")
    reducer.feed_line(a.lines[0])
    notes = reducer.feed_line(b.lines[0])
    assert not any(isinstance(n, Evicted) for n in notes)
    assert list(reducer.conversation.sessions) == ["a", "b"]


@pytest.mark.parametrize(
    "option", ["max_text_chars", "max_open_runs", "max_sessions", "max_json_depth"]
)
def test_limits_must_be_positive(option: str) -> None:
    with pytest.raises(UsageError):
        Reducer(**{option: 0})  # type: ignore[arg-type]


def _nested(depth: int) -> str:
    return "[" * depth + "0" + "]" * depth


@pytest.mark.parametrize("as_text", [bytes, str])
def test_a_frame_past_max_json_depth_is_kept_as_text_not_applied(as_text: type) -> None:
    """Issue #23, item 3: orjson reads 1,024 levels; a frame past max_json_depth is a dropped
    ``too_deep`` diagnostic with its own text, and the frame at the limit is applied."""
    reducer = Reducer()
    at_limit = '{"type":"node_enter","id":"think","session_id":"s","x":' + _nested(127) + "}"
    too_deep = '{"type":"node_enter","id":"act","session_id":"s","x":' + _nested(128) + "}"
    reducer.feed_line(as_text(at_limit, "utf-8") if as_text is bytes else at_limit)
    notes = reducer.feed_line(as_text(too_deep, "utf-8") if as_text is bytes else too_deep)
    [diagnostic] = [d for d in reducer.conversation.diagnostics if d.code == "too_deep"]
    assert diagnostic.dropped and diagnostic.frame_index == 1
    assert diagnostic.raw is not None and diagnostic.raw.startswith(
        '{"type":"node_enter","id":"act"'
    )
    assert [n.code for n in notes if isinstance(n, Diagnostic)] == ["too_deep"]
    assert (reducer.frames_in, reducer.frames_applied, reducer.frames_dropped) == (2, 1, 1)
    assert [s.name for s in reducer.conversation.runs[0].walk_spans()] == ["think"]


def test_max_json_depth_counts_parsed_frames_and_long_flat_lines_alike() -> None:
    reducer = Reducer(max_json_depth=3)
    reducer.feed({"type": "node_enter", "id": "a", "x": [[0]]})  # 3 levels: applied
    reducer.feed({"type": "node_enter", "id": "b", "x": [[[0]]]})  # 4: dropped
    flat = {"type": "node_enter", "id": "c", "x": "[" * 5000, "y": [[]] * 100}  # long, shallow
    reducer.feed_line(json.dumps(flat))
    assert [d.code for d in reducer.conversation.diagnostics if d.dropped] == ["too_deep"]
    assert [s.name for s in reducer.conversation.runs[0].walk_spans()] == ["a", "c"]
    restored = Reducer.from_snapshot(to_bytes(reducer))
    assert restored.max_json_depth == 3


def test_spans_nest_at_most_max_span_depth_levels() -> None:
    """A span opened at the deepest level is placed beside its parent: every span is kept,
    and every writer takes the tree (1,500 levels used to exhaust orjson and the recursion
    limit of the terminal and transcript views)."""
    reducer = Reducer()
    for i in range(MAX_SPAN_DEPTH + 10):
        reducer.feed_line(json.dumps({"type": "node_enter", "id": f"n{i}", "session_id": "s"}))
    spans = list(reducer.conversation.runs[0].walk_spans())
    assert len(spans) == MAX_SPAN_DEPTH + 10
    assert max(span.depth for span in spans) == MAX_SPAN_DEPTH - 1  # depth 0 is level 1
    deep = [d for d in reducer.conversation.diagnostics if d.code == "span_too_deep"]
    assert len(deep) == 10 and not any(d.dropped for d in deep)
    last = spans[-1]
    assert last.parent is not None and last.parent.name == f"n{MAX_SPAN_DEPTH - 2}"
    json.loads(to_json(reducer.conversation))

"""The model keeps usually-empty lists and tool-call timelines in GC-untracked form (issue #7);
its public reading API is unchanged."""

from __future__ import annotations

import gc

from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold.model import (
    Checkpoint,
    Run,
    Span,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallState,
)
from streamfold.model.values import _CHUNK_PIECES


def test_unused_lists_read_as_empty_lists() -> None:
    run = Run("r", "s")
    span = Span("sp", "think", "r")
    assert run.spans == [] and run.checkpoints == [] and run.custom_events == []
    assert run.unknown_events == [] and run.missing == []
    assert span.children == [] and span.message_ids == []
    assert list(run.walk_spans()) == [] and list(span.walk()) == [span]
    for value in (run._spans, run._checkpoints, run._missing, span._children, span._message_ids):
        assert value is None


def test_constructor_keywords_are_the_public_names() -> None:
    child = Span("c", "act", "r")
    span = Span("sp", "think", "r", children=[child], message_ids=["m"])
    checkpoint = Checkpoint("k", {})
    run = Run("r", "s", spans=[span], checkpoints=[checkpoint], missing=[(1, 3)])
    assert run.spans == [span] and span.children == [child] and span.message_ids == ["m"]
    assert run.checkpoints == [checkpoint] and run.missing == [(1, 3)]
    assert [s.span_id for s in run.walk_spans()] == ["sp", "c"]


def test_timeline_reads_as_states_and_is_untracked() -> None:
    call = ToolCall("c", timeline=[(ToolCallState.AWAITING_INPUT, 0)])
    call._record_state(ToolCallState.EXECUTING, 4)
    call._record_state(ToolCallState.COMPLETE, None)
    assert call.timeline == [
        (ToolCallState.AWAITING_INPUT, 0),
        (ToolCallState.EXECUTING, 4),
        (ToolCallState.COMPLETE, None),
    ]
    assert all(type(state) is ToolCallState for state, _ in call.timeline)
    gc.collect()
    gc.collect()
    assert not gc.is_tracked(call._timeline)


def test_tool_call_assignment_runs_no_attrs_hooks() -> None:
    # The timeline converter is for __init__: an attrs __setattr__ would slow every assignment.
    assert "__setattr__" not in ToolCall.__dict__
    call = ToolCall("c")
    call.state = ToolCallState.EXECUTING
    assert call.timeline == []


def test_a_long_timeline_appends_in_place() -> None:
    call = ToolCall("c")
    states = [ToolCallState.INPUT_STREAMING, ToolCallState.INPUT_COMPLETE] * 50
    for index, state in enumerate(states):
        call._record_state(state, index)
    assert call.timeline == list(zip(states, range(100), strict=True))
    assert isinstance(call._timeline, list)


def test_text_buffer_keeps_no_list_for_one_string() -> None:
    empty, one = TextBuffer(), TextBuffer("result")
    assert (empty.text, one.text, len(one), bool(empty)) == ("", "result", 6, False)
    assert empty._pieces is None and one._pieces is None
    one.append("")
    assert one._pieces is None
    one.append(" and")
    one.append(" more")
    assert (str(one), one.chars) == ("result and more", 15)
    assert one._pieces is None  # joined on read
    one.append("!")
    assert one.text == "result and more!"
    one.replace("new")
    assert (one.text, len(one), one._pieces) == ("new", 3, None)
    empty.append("a")
    empty.append("b")
    assert (empty.text, len(empty)) == ("ab", 2)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=5).map(lambda piece: ("append", piece)),
            st.just(("read", "")),
            st.text(max_size=5).map(lambda text: ("replace", text)),
        ),
        max_size=400,
    )
)
def test_text_buffer_equals_a_plain_string_and_joins_its_pieces(
    ops: list[tuple[str, str]],
) -> None:
    buffer, expected, appends_since_read = TextBuffer(), "", 0
    for op, text in ops:
        if op == "append":
            buffer.append(text)
            expected += text
            appends_since_read += bool(text)
        elif op == "read":
            assert buffer.text == expected
            appends_since_read = 0
        else:
            buffer.replace(text)
            expected, appends_since_read = text, 0
        assert (buffer.chars, len(buffer)) == (len(expected), len(expected))
        # Every _CHUNK_PIECES appended pieces become one chunk: the list stays short.
        pieces = buffer._pieces or ()
        assert len(pieces) <= 1 + appends_since_read // _CHUNK_PIECES + _CHUNK_PIECES
    assert str(buffer) == expected


def test_a_long_message_keeps_one_string_per_chunk_of_deltas() -> None:
    # Through the reducer's inlined append (its own copy of TextBuffer.append).
    from streamfold import Reducer

    reducer = Reducer(format="tanstack")
    reducer.feed({"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"})
    deltas = [f"w{i} " for i in range(10 * _CHUNK_PIECES + 3)]
    for delta in deltas:
        reducer.feed({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": delta})
    (run,) = reducer.conversation.runs
    part = run.messages[0].parts[0]
    assert isinstance(part, TextPart)
    buffer = part.buffer
    assert buffer._pieces is not None and len(buffer._pieces) == 10 + 3
    assert buffer.text == "".join(deltas) and buffer.chars == len(buffer.text)


def test_per_delta_notifications_compare_and_hash_by_value() -> None:
    # Not frozen for speed (docs/performance.md), but still value objects like the others.
    from streamfold.model import TextBuffer, TextPart
    from streamfold.notifications import ReasoningDelta, TextDelta

    part = TextPart(TextBuffer("x"))
    a, b = TextDelta("r", "m", "x", part), TextDelta("r", "m", "x", part)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    other: object = ReasoningDelta("r", "m", "x", part)
    assert a != other

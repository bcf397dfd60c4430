"""The canonical events added for TanStack / AG-UI, applied directly to the reducer:
ReplaceMessages (messages snapshot), MergeMetadata, RequestClientTool, Message.seq, a late
tool-call start, the END-input override diagnostic, and client actions after close()."""

from __future__ import annotations

from typing import Any

import pytest

from streamfold import Reducer
from streamfold import events as ev
from streamfold.errors import ProtocolError, UsageError
from streamfold.model import (
    UNSET,
    ReasoningPart,
    RunStatus,
    TextPart,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)
from streamfold.notifications import (
    ClientToolRequested,
    MessagesReplaced,
    MessageStarted,
    ToolCallStateChanged,
)


def _reducer(*events: Any) -> Reducer:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), *events])
    return reducer


def _parts(reducer: Reducer, message_id: str) -> list[tuple[Any, ...]]:
    message = next(m for run in reducer.conversation.runs for m in run.messages
                   if m.message_id == message_id)  # fmt: skip
    out: list[tuple[Any, ...]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            out.append(("text", part.text))
        elif isinstance(part, ReasoningPart):
            out.append(("reasoning", part.text, part.signature))
        elif isinstance(part, ToolCallPart):
            out.append(("call", part.call_id, str(part.call.state)))
        else:
            assert isinstance(part, ToolResultPart)
            out.append(("result", part.call_id, part.content, part.is_error))
    return out


def test_messages_are_numbered_across_runs() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "a"),
        ev.StartRun("s", "r2"),
        ev.StartMessage("r2", "b"),
        ev.StartMessage("r", "c"),
    )
    seqs = {m.message_id: m.seq for run in reducer.conversation.runs for m in run.messages}
    assert seqs["a"] < seqs["b"] < seqs["c"]


def test_replace_messages_keeps_tool_state_and_reorders() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m1"),
        ev.AppendText("r", "m1", "streamed "),
        ev.StartToolCall("r", "c1", "lookup", "m1"),
        ev.AppendToolArguments("r", "c1", '{"q": 1}'),
        ev.SetToolArguments("r", "c1"),
        ev.SetToolResult("r", "c1", '{"v":2}', value={"v": 2}),
        ev.StartMessage("r", "gone"),
        ev.AppendText("r", "gone", "not in the snapshot"),
    )
    call = reducer.tool_call("c1")
    assert call is not None
    notes = reducer.apply(
        [
            ev.ReplaceMessages(
                "r",
                (
                    ev.SnapshotMessage("u1", "user", (ev.SnapshotText("Hi?"),)),
                    ev.SnapshotMessage(
                        "m1",
                        "assistant",
                        (
                            ev.SnapshotText("Snapshot text."),
                            ev.SnapshotToolCall("c1", "lookup", '{"q":1}'),
                            ev.SnapshotToolResult("c1", "ignored: c1 has a result"),
                            ev.SnapshotToolCall("c2", "other", '{"x":true}'),
                            ev.SnapshotToolResult("c2", "[1]", value=[1]),
                            ev.SnapshotReasoning("thought", "sig", "step-1"),
                        ),
                        metadata={"k": 1},
                    ),
                ),
            )
        ]
    )
    run = reducer.run("r")
    assert [m.message_id for m in sorted(run.messages, key=lambda m: m.seq)] == ["u1", "m1"]
    assert _parts(reducer, "m1") == [
        ("text", "Snapshot text."),
        ("call", "c1", "complete"),
        ("result", "c1", "ignored: c1 has a result", False),
        ("call", "c2", "complete"),
        ("result", "c2", "[1]", False),
        ("reasoning", "thought", "sig"),
    ]
    # c1 is the same call object: its result survives, its arguments follow the snapshot.
    assert reducer.tool_call("c1") is call
    assert call.result == '{"v":2}' and call.input == {"q": 1} and call.arguments == '{"q":1}'
    c2 = reducer.tool_call("c2")
    assert c2 is not None and c2.input == {"x": True} and c2.result_value == [1]
    assert reducer.run("r").messages[0].metadata == {"k": 1}
    replaced = [n for n in notes if isinstance(n, MessagesReplaced)]
    assert replaced == [MessagesReplaced("r", "s", ("u1", "m1"), ("gone",))]
    assert [n.message_id for n in notes if isinstance(n, MessageStarted)] == ["u1"]
    # Text after the snapshot continues the snapshot's parts (a new text part after a result).
    reducer.apply([ev.AppendText("r", "m1", " more")])
    assert _parts(reducer, "m1")[-1] == ("text", " more")
    # A removed message is gone for good; later text for its id starts a new, last message.
    reducer.apply([ev.AppendText("r", "gone", "again")])
    assert _parts(reducer, "gone") == [("text", "again")]
    order = [m.message_id for m in sorted(run.messages, key=lambda m: m.seq)]
    assert order == ["u1", "m1", "gone"]


def test_snapshot_tool_call_without_arguments_keeps_the_known_call() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m1"),
        ev.StartToolCall("r", "c1", "lookup", "m1"),
        ev.AppendToolArguments("r", "c1", '{"a"'),
    )
    reducer.apply(
        [
            ev.ReplaceMessages(
                "r", (ev.SnapshotMessage("m2", "assistant", (ev.SnapshotToolCall("c1"),)),)
            )
        ]
    )
    call = reducer.tool_call("c1")
    assert call is not None
    assert call.arguments == '{"a"' and call.input is UNSET
    assert call.state is ToolCallState.INPUT_COMPLETE and call.message_id == "m2"


def test_merge_metadata_merges_one_level_deep() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m", metadata={"tanstack": {"model": "x"}, "a": 1}),
        ev.StartToolCall("r", "c", "t", "m"),
    )
    reducer.apply(
        [
            ev.MergeMetadata("r", {"tanstack": {"createdAt": "t0"}, "a": 2}, message_id="m"),
            ev.MergeMetadata("r", {"thoughtSignature": "sig"}, call_id="c"),
        ]
    )
    message = reducer.run("r").messages[0]
    assert message.metadata == {"tanstack": {"model": "x", "createdAt": "t0"}, "a": 2}
    call = reducer.tool_call("c")
    assert call is not None and call.metadata == {"thoughtSignature": "sig"}
    notes = reducer.apply([ev.MergeMetadata("r", {"x": 1}, message_id="nope")])
    assert [getattr(n, "code", None) for n in notes] == ["unknown_metadata_target"]


def test_request_client_tool() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m"),
        ev.StartToolCall("r", "c", None, "m"),
        ev.AppendToolArguments("r", "c", '{"palette":"warm"}'),
    )
    notes = reducer.apply([ev.RequestClientTool("r", "c", "pick", {"palette": "warm"}, "int-1")])
    call = reducer.tool_call("c")
    assert call is not None
    assert call.client_tool and call.interrupt_id == "int-1" and call.name == "pick"
    assert call.state is ToolCallState.INPUT_COMPLETE
    assert [type(n).__name__ for n in notes] == ["ToolCallStateChanged", "ClientToolRequested"]
    requested = notes[-1]
    assert isinstance(requested, ClientToolRequested)
    assert (requested.call_id, requested.name, requested.input) == (
        "c",
        "pick",
        {"palette": "warm"},
    )


def test_late_tool_call_start_places_a_call_known_from_its_arguments() -> None:
    reducer = _reducer(ev.StartMessage("r", "m"))
    notes = reducer.apply([ev.AppendToolArguments("r", "c", "{}")])
    assert [getattr(n, "code", None) for n in notes if hasattr(n, "code")] == ["unknown_tool_call"]
    assert _parts(reducer, "m") == []
    notes = reducer.apply([ev.StartToolCall("r", "c", "late", "m", metadata={"i": 0})])
    assert [getattr(n, "code", None) for n in notes] == ["late_tool_call_start"]
    assert _parts(reducer, "m") == [("call", "c", "input-streaming")]
    call = reducer.tool_call("c")
    assert call is not None and call.name == "late" and call.metadata == {"i": 0}
    # A genuine duplicate start stays a no-op with its diagnostic.
    notes = reducer.apply([ev.StartToolCall("r", "c", "other", "m")])
    assert [getattr(n, "code", None) for n in notes] == ["duplicate_tool_call_start"]
    assert call.name == "late" and len(_parts(reducer, "m")) == 1


@pytest.mark.parametrize(
    ("streamed", "diagnosed"),
    [('{"q":"a"}', False), ('{"q":"b"}', True), ('{"q":', True)],
)
def test_sender_input_overrides_streamed_arguments(streamed: str, diagnosed: bool) -> None:
    reducer = _reducer(ev.StartToolCall("r", "c", "t"), ev.AppendToolArguments("r", "c", streamed))
    notes = reducer.apply([ev.SetToolArguments("r", "c", input={"q": "a"})])
    call = reducer.tool_call("c")
    assert call is not None and call.input == {"q": "a"} and call.arguments == streamed
    codes = [getattr(n, "code", None) for n in notes if hasattr(n, "code")]
    assert codes == (["tool_input_override"] if diagnosed else [])


def test_apply_after_close_is_allowed_but_not_after_a_strict_failure() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m"),
        ev.StartToolCall("r", "c", "t", "m"),
        ev.RequestApproval("r", "c", "a1"),
    )
    reducer.close()
    notes = reducer.apply([ev.RespondApproval("r", "c", True)])
    assert [n.new for n in notes if isinstance(n, ToolCallStateChanged)] == [
        ToolCallState.APPROVAL_RESPONDED
    ]
    with pytest.raises(UsageError):
        reducer.feed({"type": "RUN_STARTED", "runId": "x"})
    strict = Reducer(strict=True)
    with pytest.raises(ProtocolError):
        strict.feed_line(b"not json")
    with pytest.raises(UsageError):
        strict.apply([ev.StartRun("s", "r")])


def test_end_run_keeps_pending_approvals() -> None:
    reducer = _reducer(
        ev.StartMessage("r", "m"),
        ev.StartToolCall("r", "c", "t", "m"),
        ev.RequestApproval("r", "c", "a1", {"x": 1}),
        ev.EndRun("r", RunStatus.AWAITING_APPROVAL),
    )
    call = reducer.tool_call("c")
    assert call is not None and call.state is ToolCallState.APPROVAL_REQUESTED
    assert call.approval is not None and call.approval.input == {"x": 1}

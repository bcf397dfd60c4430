"""TanStack UIMessage export, ``convert``, and the client-side actions (approve / deny, client
tool results, the continuation query)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold import events as ev
from streamfold.actions import (
    add_tool_result,
    all_tools_complete,
    find_approval,
    normalize_tool_result,
    pending_tool_calls,
    respond_to_approval,
)
from streamfold.errors import UsageError
from streamfold.export.tanstack import CONVERT_TARGETS, to_ui_messages, to_ui_threads
from streamfold.io.sync import convert, convert_file
from streamfold.model import RunStatus, ToolCallState
from streamfold.notifications import ToolCallStateChanged

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "conformance" / "scenarios"


def feed(*frames: dict[str, Any]) -> Reducer:
    reducer = Reducer()
    for frame in frames:
        reducer.feed(frame)
    reducer.close()
    return reducer


START = {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
FINISH = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}
INTERRUPTS = {
    "type": "interrupt",
    "interrupts": [
        {"id": "ap-e", "reason": "tool_call", "toolCallId": "e",
         "metadata": {"kind": "approval", "toolName": "send", "input": {"to": "x"}}},
        {"id": "client_tool_p", "reason": "tanstack:client_tool_execution", "toolCallId": "p",
         "metadata": {"kind": "client_tool", "toolName": "pick", "input": {}}},
    ],
}  # fmt: skip


def interrupted() -> Reducer:
    return feed(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TOOL_CALL_START", "toolCallId": "e", "toolCallName": "send",
         "parentMessageId": "m"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "e", "delta": '{"to":"x"}'},
        {"type": "TOOL_CALL_END", "toolCallId": "e"},
        {"type": "TOOL_CALL_START", "toolCallId": "p", "toolCallName": "pick",
         "parentMessageId": "m"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "p", "delta": "{}"},
        {"type": "TOOL_CALL_END", "toolCallId": "p"},
        {**FINISH, "outcome": INTERRUPTS},
    )  # fmt: skip


# ---------------------------------------------------------------------------------- export


def test_ui_message_shape() -> None:
    reducer = feed(
        START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "developer",
         "metadata": {"tanstack": {"createdAt": "2026-01-01T00:00:00.000Z"}}},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Hi"},
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f",
         "parentMessageId": "m", "metadata": {"tanstack": {"index": 0}}},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"a":'},
        FINISH,
    )  # fmt: skip
    assert to_ui_messages(reducer.conversation) == [
        {
            "id": "m",
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Hi"},
                {
                    "type": "tool-call",
                    "id": "c",
                    "name": "f",
                    "arguments": '{"a":',
                    "state": "input-complete",  # no `input`: the arguments are not JSON
                    "metadata": {"tanstack": {"index": 0}},
                },
            ],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "metadata": {"tanstack": {"createdAt": "2026-01-01T00:00:00.000Z"}},
        }
    ]


def test_reasoning_messages_fold_into_the_next_assistant_message() -> None:
    reducer = feed(
        START,
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r1", "delta": "a"},
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r2", "delta": "b"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "answer"},
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r3", "delta": "late"},
        FINISH,
        {"type": "RUN_STARTED", "threadId": "t", "runId": "r2"},
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r4", "delta": "alone"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r2"},
    )
    assert to_ui_messages(reducer.conversation) == [
        {
            "id": "m",
            "role": "assistant",
            "parts": [
                {"type": "thinking", "content": "a", "stepId": "r1"},
                {"type": "thinking", "content": "b", "stepId": "r2"},
                {"type": "text", "content": "answer"},
                {"type": "thinking", "content": "late", "stepId": "r3"},
            ],
        },
        {
            "id": "r4",
            "role": "assistant",
            "parts": [{"type": "thinking", "content": "alone", "stepId": "r4"}],
        },
    ]


def test_failed_run_without_a_message_gets_an_empty_one_and_sessions_filter() -> None:
    reducer = feed(
        {"type": "RUN_STARTED", "threadId": "a", "runId": "r1"},
        {"type": "RUN_ERROR", "runId": "r1", "message": "boom"},
        {"type": "RUN_STARTED", "threadId": "b", "runId": "r2"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "b"},
        {"type": "RUN_FINISHED", "threadId": "b", "runId": "r2"},
    )
    conversation = reducer.conversation
    assert to_ui_messages(conversation, session_id="a") == [
        {"id": "r1/error", "role": "assistant", "parts": []}
    ]
    # Two sessions are two threads, never one merged list (unless asked for explicitly).
    with pytest.raises(UsageError, match="2 sessions"):
        to_ui_messages(conversation)
    assert {k: [m["id"] for m in v] for k, v in to_ui_threads(conversation).items()} == {
        "a": ["r1/error"],
        "b": ["m"],
    }
    assert [m["id"] for m in to_ui_messages(conversation, all_sessions=True)] == ["r1/error", "m"]
    with pytest.raises(UsageError):
        to_ui_messages(conversation, session_id="nope")


def test_convert_file(tmp_path: Path) -> None:
    path = SCENARIOS / "tool-result-error.ndjson"
    text = convert_file(path, "tanstack-ui-messages")
    assert text.endswith("\n")
    ((message,),) = orjson.loads(text).values()  # one session, one message
    states = [(p["type"], p.get("state")) for p in message["parts"]]
    assert states == [
        ("tool-call", "complete"),
        ("tool-call", "error"),
        ("tool-call", "error"),
        ("tool-result", "complete"),
        ("tool-result", "error"),
        ("tool-result", "error"),
    ]
    assert CONVERT_TARGETS == ("tanstack-ui-messages",)
    assert convert_file(path, framing="ndjson", format="tanstack") == text
    with pytest.raises(UsageError):
        convert_file(path, "vercel")
    with pytest.raises(UsageError):
        convert_file(path, framing="xml")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        convert_file(tmp_path / "missing.sse")
    data = path.read_bytes()
    assert convert([data[:100], data[100:]], framing="ndjson") == text  # e.g. stdin
    with pytest.raises(UsageError):
        convert([data], framing="xml")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        convert([data], "vercel")
    sse = SCENARIOS / "sse-done-sentinel.sse"
    assert convert([sse.read_bytes()], framing="sse") == convert_file(sse)
    with pytest.raises(UsageError):
        convert_file(sse, session_id="nope")
    bidi = tmp_path / "bidi.ndjson"
    bidi.write_text(
        '{"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"a\\u202eb"}\n', "utf-8"
    )
    assert "\\u202e" in convert_file(bidi)  # terminal-unsafe text stays escaped JSON


# --------------------------------------------------------------------------------- actions


def test_approve_and_client_result_then_continue() -> None:
    reducer = interrupted()
    conversation = reducer.conversation
    assert conversation.runs[0].status is RunStatus.AWAITING_APPROVAL
    assert {c.call_id for c in pending_tool_calls(conversation)} == {"e", "p"}
    assert not all_tools_complete(conversation)
    email = find_approval(conversation, "ap-e")
    assert email is not None and email.call_id == "e"
    notes = respond_to_approval(reducer, "ap-e", approved=True)
    assert [(n.old, n.new) for n in notes if isinstance(n, ToolCallStateChanged)] == [
        (ToolCallState.APPROVAL_REQUESTED, ToolCallState.APPROVAL_RESPONDED)
    ]
    assert not all_tools_complete(conversation)  # the client tool is still open
    notes = add_tool_result(reducer, "p", {"color": "teal"})
    assert [(n.old, n.new) for n in notes if isinstance(n, ToolCallStateChanged)] == [
        (ToolCallState.INPUT_COMPLETE, ToolCallState.COMPLETE)
    ]
    assert all_tools_complete(conversation) and pending_tool_calls(conversation) == []
    (message,) = to_ui_messages(conversation)
    assert message["parts"] == [
        {"type": "tool-call", "id": "e", "name": "send", "arguments": '{"to":"x"}',
         "state": "approval-responded", "input": {"to": "x"},
         "approval": {"id": "ap-e", "needsApproval": True, "approved": True}},
        {"type": "tool-call", "id": "p", "name": "pick", "arguments": "{}", "state": "complete",
         "input": {}, "output": {"color": "teal"}},
        {"type": "tool-result", "toolCallId": "p", "content": '{"color":"teal"}',
         "state": "complete"},
    ]  # fmt: skip


def test_deny_and_client_error() -> None:
    reducer = interrupted()
    respond_to_approval(reducer, call_id="e", approved=False)
    add_tool_result(reducer, "p", None, error="closed the picker")
    email, pick = (reducer.tool_call("e"), reducer.tool_call("p"))
    assert email is not None and pick is not None
    assert email.state is ToolCallState.DENIED
    assert (pick.state, pick.error, pick.result) == (
        ToolCallState.ERROR,
        "closed the picker",
        "null",
    )
    parts = to_ui_messages(reducer.conversation)[0]["parts"]
    assert parts[0]["state"] == "approval-responded"
    assert parts[0]["approval"] == {"id": "ap-e", "needsApproval": True, "approved": False}
    assert parts[1]["output"] == {"error": "closed the picker"}
    assert parts[2] == {
        "type": "tool-result",
        "toolCallId": "p",
        "content": "null",
        "state": "error",
        "error": "closed the picker",
    }
    assert all_tools_complete(reducer.conversation)


def test_action_misuse_is_a_usage_error() -> None:
    reducer = interrupted()
    with pytest.raises(UsageError):
        respond_to_approval(reducer, "nope", approved=True)
    with pytest.raises(UsageError):
        respond_to_approval(reducer, approved=True)
    with pytest.raises(UsageError):
        respond_to_approval(reducer, "ap-e", call_id="e", approved=True)
    with pytest.raises(UsageError):
        respond_to_approval(reducer, call_id="nope", approved=True)
    with pytest.raises(UsageError):
        add_tool_result(reducer, "nope", 1)
    with pytest.raises(UsageError):
        all_tools_complete(reducer.conversation, "nope")


def test_all_tools_complete_rules() -> None:
    empty = Reducer()
    assert all_tools_complete(empty.conversation)
    reducer = Reducer()
    reducer.apply(
        [
            ev.StartRun("s", "r"),
            ev.StartMessage("r", "m"),
            ev.StartToolCall("r", "server", "f", "m"),
            ev.SetToolResult("r", "server", "done"),  # has a result part
            ev.StartToolCall("r", "provider", "web_search", "m"),
        ]
    )
    assert not all_tools_complete(reducer.conversation)
    call = reducer.tool_call("provider")
    assert call is not None
    call.provider_executed = True
    assert all_tools_complete(reducer.conversation)
    assert all_tools_complete(reducer.conversation, "s")


@pytest.mark.parametrize(
    ("value", "text"),
    [("plain", "plain"), ({"a": [1, 2]}, '{"a":[1,2]}'), (None, "null"), (3, "3")],
)
def test_normalize_tool_result(value: Any, text: str) -> None:
    assert normalize_tool_result(value) == text


def test_convert_command(capsys: pytest.CaptureFixture[str]) -> None:
    from streamfold.cli import main
    from streamfold.export.tanstack import render_converted
    from streamfold.io.sync import fold_file

    path = ROOT / "examples" / "recordings" / "tanstack-agui-approval.sse"
    assert main(["convert", str(path), "--to", "tanstack-ui-messages"]) == 0
    printed = capsys.readouterr().out
    assert printed == convert_file(path)
    assert printed == render_converted(fold_file(path), "tanstack-ui-messages")
    (messages,) = orjson.loads(printed).values()
    assert [m["id"] for m in messages] == ["user-msg-1", "anthropic-1795235675730-246t9qqegybi"]
    args = ["convert", str(path), "--to", "tanstack-ui-messages", "--session", "nope"]
    assert main(args) == 1
    assert "no session 'nope'" in capsys.readouterr().err
    with pytest.raises(UsageError):
        render_converted(fold_file(path), "vercel")

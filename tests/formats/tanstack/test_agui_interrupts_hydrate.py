"""Interrupt answers and the resume payload (streamfold.actions), and seeding a reducer with the
history a stream continues (Reducer.from_ui_messages / from_run_input; docs/how-to/hydrate.md),
on the published senders' recordings (examples/recordings/agui/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streamfold import Reducer
from streamfold.actions import (
    add_tool_result,
    pending_interrupts,
    pending_tool_calls,
    respond_to_approval,
    respond_to_interrupt,
    resume_entries,
)
from streamfold.errors import UsageError
from streamfold.export.tanstack import to_ui_messages
from streamfold.model import RunStatus, ToolCallState
from streamfold.notifications import ActivityUpdated, InterruptRaised, InterruptResolved

ROOT = Path(__file__).resolve().parents[3]
DIR = ROOT / "examples" / "recordings" / "agui"


def _fold(name: str) -> tuple[Reducer, list[Any]]:
    reducer = Reducer()
    notes = reducer.feed_sse((DIR / f"{name}.sse").read_bytes()) + reducer.close()
    return reducer, notes


def test_pydantic_ai_approval_answered_gives_the_resume_the_sender_took() -> None:
    reducer, notes = _fold("pydantic-ai-approval")
    raised = [n for n in notes if isinstance(n, InterruptRaised)]
    assert [(n.interrupt_id, n.reason) for n in raised] == [("int-call_del", "tool_call")]
    assert raised[0].interrupt.response_schema["required"] == ["approved"]
    answered = respond_to_interrupt(reducer, "int-call_del", {"approved": True})
    assert [type(n).__name__ for n in answered][-1] == "InterruptResolved"
    call = reducer.tool_call("call_del")
    assert call is not None and call.state is ToolCallState.APPROVAL_RESPONDED
    assert not pending_tool_calls(reducer.conversation)
    assert not pending_interrupts(reducer.conversation)
    # What pydantic-ai's resume request carried (pydantic-ai-approval-resume.request.json).
    request = json.loads((DIR / "pydantic-ai-approval-resume.request.json").read_text())
    assert resume_entries(reducer.conversation) == request["resume"]


def test_an_approval_answered_by_call_answers_its_interrupt_and_cancel_denies() -> None:
    reducer, _ = _fold("pydantic-ai-approval")
    respond_to_approval(reducer, call_id="call_del", approved=False)
    assert resume_entries(reducer.conversation) == [
        {"interruptId": "int-call_del", "status": "resolved", "payload": {"approved": False}}
    ]
    other, _ = _fold("pydantic-ai-approval")
    notes = respond_to_interrupt(other, "int-call_del", cancel=True)
    assert [n.status for n in notes if isinstance(n, InterruptResolved)] == ["cancelled"]
    call = other.tool_call("call_del")
    assert call is not None and call.state is ToolCallState.DENIED
    assert resume_entries(other.conversation) == [
        {"interruptId": "int-call_del", "status": "cancelled"}
    ]
    with pytest.raises(UsageError):
        respond_to_interrupt(other, "nope")


def test_langgraph_interrupt_is_answered_with_a_payload() -> None:
    reducer, _ = _fold("langgraph-interrupt")
    (run,) = reducer.conversation.runs
    assert run.status is RunStatus.INTERRUPTED
    (interrupt,) = pending_interrupts(reducer.conversation)
    assert json.loads(interrupt.value) == {
        "question": "Delete all records in logs?",
        "table": "logs",
    }
    respond_to_interrupt(reducer, interrupt.interrupt_id or "", "yes")
    assert resume_entries(reducer.conversation, run.run_id) == [
        {"interruptId": interrupt.interrupt_id, "status": "resolved", "payload": "yes"}
    ]


def test_pending_tool_call_ids_are_client_tools_whose_result_answers_them() -> None:
    reducer, _ = _fold("agui-sdk-outcomes")
    owed = {c.call_id: c for c in pending_tool_calls(reducer.conversation)}
    assert set(owed) == {"call-loc", "call-book"}
    assert owed["call-loc"].client_tool and owed["call-loc"].interrupt_id is None
    add_tool_result(reducer, "call-loc", {"city": "Lisbon"})
    assert {c.call_id for c in pending_tool_calls(reducer.conversation)} == {"call-book"}
    run = reducer.conversation.find_run("run-pending")
    assert run is not None and run.metadata["usage"][0]["provider"] == "anthropic"
    assert run.usage.prompt_tokens_details == {"cachedTokens": 800, "cacheWriteTokens": 200}


def test_activities_and_subagents_notify_and_nest() -> None:
    reducer, notes = _fold("agui-sdk-surface")
    updates = [n for n in notes if isinstance(n, ActivityUpdated)]
    assert [n.content for n in updates] == [
        {"steps": ["gym"], "done": 0},
        {"steps": ["gym", "shop"], "done": 1},  # ACTIVITY_DELTA; then replace: false keeps it
    ]
    (run,) = reducer.conversation.runs
    assert run.metadata["protocolVersion"] == "1.0" and run.metadata["input"]["threadId"]
    sub, _ = _fold("agui-sdk-subagents")
    tree = {r.run_id: (r.parent_run_id, r.agent, str(r.status)) for r in sub.conversation.runs}
    assert tree == {
        "run-parent": (None, None, "interrupted"),
        "sub-research": ("run-parent", "researcher", "completed"),
        "sub-cite": ("sub-research", "citer", "failed"),
        "sub-review": ("run-parent", "reviewer", "interrupted"),
    }


def test_an_unfinished_subagent_ends_with_its_parent() -> None:
    reducer = Reducer()
    for frame in (
        {"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
        {"type": "SUBAGENT_STARTED", "subagentRunId": "s", "name": "helper"},
        {"type": "TEXT_MESSAGE_CONTENT", "subagentRunId": "s", "messageId": "m", "delta": "x"},
        {"type": "TEXT_MESSAGE_CONTENT", "subagentRunId": "ghost", "messageId": "g", "delta": "y"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ):
        reducer.feed(frame)
    reducer.close()
    runs = {r.run_id: r for r in reducer.conversation.runs}
    assert str(runs["s"].status) == "incomplete" and runs["s"].messages[0].text == "x"
    assert runs["ghost"].parent_run_id == "r" and runs["ghost"].messages[0].text == "y"
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert "unknown_subagent" in codes and "run_not_finished" in codes


# ------------------------------------------------------------------------------ hydration


UI_HISTORY: list[dict[str, Any]] = [
    {"id": "u-1", "role": "user", "parts": [{"type": "text", "content": "Mail Ada."}]},
    {
        "id": "a-1",
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Sending"},
            {
                "type": "tool-call",
                "id": "call-e",
                "name": "send_email",
                "arguments": '{"to":"ada"}',
                "state": "approval-responded",
                "approval": {"id": "ap-1", "needsApproval": True, "approved": True},
            },
        ],
    },
]


def test_ui_messages_seed_a_history_run_the_stream_continues() -> None:
    reducer = Reducer.from_ui_messages({"messages": UI_HISTORY}, session_id="t")
    (history,) = reducer.conversation.runs
    assert history.metadata["history"] is True and history.status is RunStatus.COMPLETED
    call = reducer.tool_call("call-e")
    assert call is not None and call.state is ToolCallState.APPROVAL_RESPONDED
    for frame in (
        {"type": "RUN_STARTED", "threadId": "t", "runId": "r2"},
        {"type": "TOOL_CALL_RESULT", "messageId": "tr", "toolCallId": "call-e", "content": "ok"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "a-1", "delta": " done."},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r2"},
    ):
        reducer.feed(frame)
    reducer.close()
    assert str(call.state) == "complete" and not reducer.conversation.diagnostics
    thread = to_ui_messages(reducer.conversation)
    assert [m["id"] for m in thread] == ["u-1", "a-1"]
    assert thread[1]["parts"][0] == {"type": "text", "content": "Sending"}
    assert thread[1]["parts"][-1] == {"type": "text", "content": " done."}


def test_seeding_refuses_what_is_not_a_message_list() -> None:
    with pytest.raises(UsageError):
        Reducer.from_ui_messages({"nope": 1})
    with pytest.raises(UsageError):
        Reducer.from_run_input([], format="loom")
    seeded = Reducer.from_run_input(
        {"threadId": "t", "runId": "r", "state": {"n": 1}, "messages": []}
    )
    (history,) = seeded.conversation.runs
    assert history.state == {"n": 1} and history.metadata["request"] == {"runId": "r"}


def test_the_continue_conversation_example_runs() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "continue_conversation.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == [
        'interrupt int-call_del: Approve delete_file({"path":"/tmp/old.log"})?',
        'resume: [{"interruptId":"int-call_del","status":"resolved","payload":{"approved":true}}]',
        "user: Hi there",
        "assistant: I will delete it once you approve.",
        "tool delete_file: complete -> deleted /tmp/old.log",
        "assistant: Deleted /tmp/old.log.",
    ]


def test_a_seeded_reducer_resumes_from_a_snapshot_at_every_cut() -> None:
    from streamfold.export.json import to_dict

    request = json.loads((DIR / "pydantic-ai-approval-resume.request.json").read_text())
    events = (DIR / "pydantic-ai-approval-resume.sse").read_bytes().split(b"\n\n")
    whole = Reducer.from_run_input(request)
    whole.feed_sse(b"\n\n".join(events))
    whole.close()
    for cut in range(len(events)):
        first = Reducer.from_run_input(request)
        first.feed_sse(b"".join(e + b"\n\n" for e in events[:cut]))
        again = Reducer.from_snapshot(first.snapshot())
        again.feed_sse(b"\n\n".join(events[cut:]))
        again.close()
        assert to_dict(again.conversation) == to_dict(whole.conversation), cut

"""ChatState: status, messages, pending calls and their answers, deltas to subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streamfold.chat import ChatState
from streamfold.errors import UsageError


def status(chat: ChatState) -> str:
    """Read the status afresh (a property mypy would otherwise keep narrowed)."""
    return chat.status


RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"


def test_follows_a_stream_and_sends_deltas() -> None:
    chat = ChatState()
    received: list[list[dict[str, Any]]] = []
    chat.subscribe(received.append)
    assert status(chat) == "ready"
    lines = (RECORDINGS / "nnrp-clean.ndjson").read_bytes().splitlines(True)
    chat.feed_line(lines[0])
    for line in lines[1:]:
        chat.feed_line(line)
    assert status(chat) in ("streaming", "done")
    chat.stop()
    assert status(chat) == "done" and chat.error is None
    events = [e for batch in received for e in batch]
    deltas = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assistant = [m for m in chat.messages if m["role"] == "assistant"]
    assert "".join(deltas).endswith(assistant[0]["parts"][0]["content"])
    # Deltas, never the list again: no event carries the whole message list.
    assert not any(e["type"] == "MESSAGES_SNAPSHOT" for e in events)
    assert chat.stop() == []


def test_approval_is_pending_and_answered() -> None:
    chat = ChatState()
    chat.feed_sse((RECORDINGS / "tanstack-agui-approval.sse").read_bytes())
    chat.stop()
    assert status(chat) == "awaiting-client"
    [call] = chat.pending_approvals
    assert call.call_id == "toolu_email_01"
    chat.respond_to_approval(call.approval.approval_id if call.approval else None, approved=True)
    assert chat.pending_approvals == []
    assert status(chat) == "done"
    assert chat.all_tools_complete


def test_client_tool_result() -> None:
    chat = ChatState()
    chat.feed_bytes((RECORDINGS / "tanstack-agui-client-tool.ndjson").read_bytes())
    [call] = chat.pending_tool_calls
    chat.add_tool_result(call.call_id, {"color": "red"})
    assert chat.pending_tool_calls == []
    with pytest.raises(UsageError):
        chat.add_tool_result("nope", 1)


def test_error_status() -> None:
    chat = ChatState()
    chat.feed_sse((RECORDINGS / "tanstack-agui-error.sse").read_bytes())
    chat.stop()
    assert status(chat) == "error"
    assert chat.error and "Overloaded" in chat.error


def test_thread_filter_and_broken_subscriber() -> None:
    chat = ChatState(thread_id="no-such-thread")
    calls: list[int] = []

    def broken(events: list[dict[str, Any]]) -> None:
        calls.append(1)
        raise RuntimeError("view crashed")

    chat.subscribe(broken)
    chat.feed_bytes((RECORDINGS / "nnrp-clean.ndjson").read_bytes())
    chat.feed_line(b"")
    chat.stop()
    assert calls == [1]
    assert chat.messages == [] and status(chat) == "done"

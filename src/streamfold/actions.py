"""Client-side actions: what a chat UI does to the model between runs.

A TanStack / AG-UI run can stop to wait for the user: an approval interrupt (the run ends
``awaiting_approval``; the call is ``approval-requested``) or a client tool (the run ends
``interrupted``; a :class:`~streamfold.notifications.ClientToolRequested` names the call to run
in the client). These functions record the user's answer in the model the way the reference
client does (``StreamProcessor.addToolApprovalResponse`` / ``addToolResult``, ``@tanstack/ai``
0.58), as canonical events applied by the reducer, so they return the same notifications a
streamed result would::

    for note in reducer.feed_sse(chunk):
        match note:
            case ToolCallStateChanged(new=ToolCallState.APPROVAL_REQUESTED, call=call):
                ask_user(call)                        # later: respond_to_approval(...)
            case ClientToolRequested(call_id=call_id, name=name, input=args):
                output = run_tool(name, args)
                add_tool_result(reducer, call_id, output)
    if all_tools_complete(reducer.conversation):
        send_continuation()

They work on a closed reducer too (the stream is over when the user answers). Misuse — an
unknown approval or call id — raises :class:`~streamfold.errors.UsageError` (the reference
client logs a warning and does nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from .errors import UsageError
from .events import RespondApproval, SetToolResult
from .model import Conversation, Message, ToolCall, ToolCallPart, ToolCallState, ToolResultPart
from .notifications import Notification
from .reducer import Reducer

__all__ = [
    "add_tool_result",
    "all_tools_complete",
    "find_approval",
    "normalize_tool_result",
    "pending_tool_calls",
    "respond_to_approval",
]

_DONE_STATES = frozenset(
    {ToolCallState.COMPLETE, ToolCallState.APPROVAL_RESPONDED, ToolCallState.DENIED}
)


def _calls(conversation: Conversation) -> Iterator[ToolCall]:
    for run in conversation.runs:
        yield from run.tool_calls.values()


def find_approval(conversation: Conversation, approval_id: str) -> ToolCall | None:
    """The tool call whose approval request has id ``approval_id`` (the most recent one)."""
    found = None
    for call in _calls(conversation):
        if call.approval is not None and call.approval.approval_id == approval_id:
            found = call
    return found


def respond_to_approval(
    reducer: Reducer,
    approval_id: str | None = None,
    *,
    approved: bool,
    call_id: str | None = None,
) -> list[Notification]:
    """Answer an approval request (by its ``approval_id``, or by the tool ``call_id``).

    The call becomes ``approval-responded`` when approved and ``denied`` otherwise (the
    TanStack export shows both as ``approval-responded`` with ``approval.approved``).
    """
    if (approval_id is None) == (call_id is None):
        raise UsageError("give exactly one of approval_id and call_id")
    if approval_id is not None:
        call = find_approval(reducer.conversation, approval_id)
        if call is None:
            raise UsageError(f"no approval request {approval_id!r}")
    else:
        assert call_id is not None
        found = reducer.tool_call(call_id)
        if found is None:
            raise UsageError(f"no tool call {call_id!r}")
        call = found
    return reducer.apply([RespondApproval(call.run_id or "", call.call_id, approved)])


def normalize_tool_result(output: Any) -> str:
    """A tool's return value as result text: a string as it is, anything else as compact JSON
    (the reference's ``normalizeToolResult``)."""
    if isinstance(output, str):
        return output
    return orjson.dumps(output, default=str).decode()


def add_tool_result(
    reducer: Reducer, call_id: str, output: Any, *, error: str | None = None
) -> list[Notification]:
    """Record the result of a tool the client executed (a client tool).

    ``output`` is the tool's return value; the result text is :func:`normalize_tool_result` of
    it and the call's ``result_value`` is ``output`` itself. With ``error``, the call ends in
    state ``error`` and its value is ``{"error": error}`` (what the reference shows as the
    part's ``output``). A tool-result part is added to the message that owns the call.
    """
    call = reducer.tool_call(call_id)
    if call is None:
        raise UsageError(f"no tool call {call_id!r}")
    failed = error is not None
    event = SetToolResult(
        call.run_id or "",
        call_id,
        normalize_tool_result(output),
        is_error=failed,
        error=error,
        value={"error": error} if failed else output,
    )
    return reducer.apply([event])


def _last_assistant(conversation: Conversation, session_id: str | None) -> Message | None:
    sessions = conversation.sessions
    if session_id is not None:
        if session_id not in sessions:
            raise UsageError(f"no session {session_id!r}")
        chosen = [sessions[session_id]]
    else:
        chosen = list(sessions.values())
    last: Message | None = None
    for session in chosen:
        for run in session.runs:
            for message in run.messages:
                if message.role not in ("user", "system") and (
                    last is None or message.seq > last.seq
                ):
                    last = message
    return last


def all_tools_complete(conversation: Conversation, session_id: str | None = None) -> bool:
    """Whether every tool call of the last assistant message is settled, i.e. the client may
    send the continuation request (the reference's ``areAllToolsComplete``).

    A call is settled when it is complete or answered (``complete``, ``approval-responded``,
    ``denied``), has a result and no approval, has a tool-result part, or was executed by the
    provider. True when there is no assistant message or it has no tool calls.
    """
    message = _last_assistant(conversation, session_id)
    if message is None:
        return True
    results = {p.call_id for p in message.parts if type(p) is ToolResultPart}
    for part in message.parts:
        if type(part) is not ToolCallPart:
            continue
        call = part.call
        if not (
            call.state in _DONE_STATES
            or (call.result is not None and call.approval is None)
            or call.call_id in results
            or call.provider_executed
        ):
            return False
    return True


def pending_tool_calls(conversation: Conversation) -> list[ToolCall]:
    """Calls waiting for the client: approval requests not answered yet, and client tools
    without a result."""
    return [
        call
        for call in _calls(conversation)
        if call.state is ToolCallState.APPROVAL_REQUESTED
        or (call.client_tool and call.result is None and not call.state.is_terminal)
    ]

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

Interrupts (AG-UI 1.0 ``Run.interrupts``, any vocabulary; docs/agui.md "Interrupts") are
answered with :func:`respond_to_interrupt` (approvals and client-tool results answer their
interrupt too), and :func:`resume_entries` builds the next request's ``RunAgentInput.resume``
from the answers::

    for interrupt in pending_interrupts(reducer.conversation):
        respond_to_interrupt(reducer, interrupt.interrupt_id, ask_user(interrupt))
    request["resume"] = resume_entries(reducer.conversation)

They work on a closed reducer too (the stream is over when the user answers). Misuse — an
unknown approval or call id — raises :class:`~streamfold.errors.UsageError` (the reference
client logs a warning and does nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from .errors import UsageError
from .events import Event, ResolveInterrupt, RespondApproval, SetToolResult
from .model import (
    Conversation,
    Interrupt,
    Message,
    Run,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)
from .model.text import dumps
from .notifications import Notification
from .reducer import Reducer

__all__ = [
    "add_tool_result",
    "all_tools_complete",
    "find_approval",
    "find_interrupt",
    "normalize_tool_result",
    "pending_interrupts",
    "pending_tool_calls",
    "respond_to_approval",
    "respond_to_interrupt",
    "resume_entries",
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
    events: list[Event] = [RespondApproval(call.run_id or "", call.call_id, approved)]
    approval = call.approval.approval_id if call.approval is not None else None
    events += _answer(reducer.conversation, approval, {"approved": approved})
    return reducer.apply(events)


def normalize_tool_result(output: Any) -> str:
    """A tool's return value as result text: a string as it is, anything else as compact JSON
    (the reference's ``normalizeToolResult``)."""
    if isinstance(output, str):
        return output
    return dumps(output, default=str).decode()


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
    payload = {"error": error} if failed else output
    return reducer.apply([event, *_answer(reducer.conversation, call.interrupt_id, payload)])


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


# ------------------------------------------------------------------------------ interrupts


def _runs_newest_first(conversation: Conversation) -> Iterator[Run]:
    for session in reversed(conversation.sessions.values()):
        yield from reversed(session.runs)


def find_interrupt(conversation: Conversation, interrupt_id: str) -> tuple[Run, Interrupt] | None:
    """The run and interrupt with id ``interrupt_id`` (the most recent run that raised it)."""
    for run in _runs_newest_first(conversation):
        for interrupt in run.interrupts:
            if interrupt.interrupt_id == interrupt_id:
                return run, interrupt
    return None


def _answer(conversation: Conversation, interrupt_id: str | None, payload: Any) -> list[Event]:
    """The event that answers the pending interrupt ``interrupt_id``, if there is one."""
    found = find_interrupt(conversation, interrupt_id) if interrupt_id is not None else None
    if found is None or found[1].status != "pending":
        return []
    return [ResolveInterrupt(found[0].run_id, interrupt_id or "", "resolved", payload)]


def pending_interrupts(conversation: Conversation) -> list[Interrupt]:
    """Interrupts no client action answered yet, oldest run first."""
    return [
        interrupt
        for run in conversation.runs
        for interrupt in run.interrupts
        if interrupt.status == "pending"
    ]


def respond_to_interrupt(
    reducer: Reducer, interrupt_id: str, payload: Any = None, *, cancel: bool = False
) -> list[Notification]:
    """Answer an interrupt: ``payload`` (JSON data following ``interrupt.response_schema``) or,
    with ``cancel=True``, decline it (AG-UI 1.0 ``ResumeEntry.status: "cancelled"``).

    An interrupt about a tool approval answers the approval as well: approved when ``payload``
    has ``"approved": true`` (pydantic-ai's and TanStack's schema), denied when it says
    ``false`` or the interrupt is cancelled. Raises :class:`~streamfold.errors.UsageError` for
    an unknown id.
    """
    found = find_interrupt(reducer.conversation, interrupt_id)
    if found is None:
        raise UsageError(f"no interrupt {interrupt_id!r}")
    run, interrupt = found
    status: Literal["resolved", "cancelled"] = "cancelled" if cancel else "resolved"
    events: list[Event] = [ResolveInterrupt(run.run_id, interrupt_id, status, payload)]
    call_id = interrupt.tool_call_id
    call = reducer.tool_call(call_id) if call_id is not None else None
    if call is not None and call.state is ToolCallState.APPROVAL_REQUESTED:
        approved = payload.get("approved") if isinstance(payload, dict) else None
        if cancel or type(approved) is bool:
            events.insert(
                0, RespondApproval(call.run_id or "", call.call_id, bool(approved) and not cancel)
            )
    return reducer.apply(events)


def resume_entries(conversation: Conversation, run_id: str | None = None) -> list[dict[str, Any]]:
    """``RunAgentInput.resume`` for the next request (AG-UI 1.0): one
    ``{"interruptId", "status", "payload"?}`` per answered interrupt of ``run_id`` (default:
    the most recent run that raised interrupts), in the order they were raised. Interrupts not
    answered yet are left out (AG-UI expects every one answered: check
    :func:`pending_interrupts` first). Raises :class:`~streamfold.errors.UsageError` for an
    unknown ``run_id``.
    """
    if run_id is not None:
        chosen = conversation.find_run(run_id)
        if chosen is None:
            raise UsageError(f"no run {run_id!r}")
    else:
        chosen = next((r for r in _runs_newest_first(conversation) if r.interrupts), None)
        if chosen is None:
            return []
    entries: list[dict[str, Any]] = []
    for interrupt in chosen.interrupts:
        if interrupt.status == "pending" or interrupt.interrupt_id is None:
            continue
        entry: dict[str, Any] = {"interruptId": interrupt.interrupt_id, "status": interrupt.status}
        if interrupt.response is not None:
            entry["payload"] = interrupt.response
        entries.append(entry)
    return entries

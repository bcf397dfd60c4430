"""Export the model as TanStack AI ``UIMessage[]`` JSON.

The shape is what the reference client's ``StreamProcessor.getMessages()`` returns
(``@tanstack/ai`` 0.58, ``types.ts``), so a Python backend can hydrate a TanStack frontend
(``ChatClient({initialMessages})`` / ``setMessages``) and the two implementations can be
compared part by part (``tests/formats/tanstack/test_conformance_tanstack.py``)::

    {"id", "role": "user" | "assistant" | "system", "parts": [...],
     "createdAt"?: ISO string, "metadata"?: {...}}

Parts: ``{"type": "text", "content"}``; ``{"type": "thinking", "content", "stepId"?,
"signature"?}``; ``{"type": "tool-call", "id", "name", "arguments", "state", "input"?,
"approval"?: {"id", "needsApproval": true, "approved"?}, "output"?, "metadata"?}``;
``{"type": "tool-result", "toolCallId", "content", "state": "complete" | "error", "error"?}``.

Mapping rules (the model is richer than ``UIMessage``; each rule says what is folded away):

* One thread per session, messages in thread order (:attr:`~streamfold.model.Message.seq`);
  sessions are never merged (:func:`to_ui_threads` gives them all, keyed by session id).
* A sub-agent's messages are nested under the tool-call part that ran the sub-agent
  (``"subagentMessages"``), never interleaved into the parent's thread.
* Roles ``tool`` and ``developer`` become ``assistant`` (as the reference does). Messages of role
  ``reasoning`` (AG-UI reasoning messages with no assistant message to join while streaming)
  fold into the next assistant message, ahead of its parts, as the reference folds reasoning
  fan-outs; with no assistant message after them they stand alone as ``assistant``.
* Tool-call states: ``executing`` and ``cancelled`` show as ``input-complete`` (no result yet),
  ``denied`` as ``approval-responded`` with ``approval.approved = false``. ``output`` is the
  result's JSON value (its text when it is not JSON). ``input`` is present only when the
  arguments were complete JSON (or the sender gave the input).
* A failed run with no assistant message gets an empty assistant message
  ``"<run_id>/error"``, as the reference keeps one to show the error.
* ``createdAt`` comes from ``metadata.tanstack.createdAt`` (streamfold has no clock); the
  reference stamps ``new Date()`` on messages it creates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

from ..errors import UsageError
from ..model import (
    UNSET,
    Conversation,
    Message,
    ReasoningPart,
    RunStatus,
    Span,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)
from ..model.text import dumps

__all__ = [
    "CONVERT_TARGETS",
    "render_converted",
    "to_ui_messages",
    "to_ui_threads",
    "tool_call_part",
]

CONVERT_TARGETS: Final = ("tanstack-ui-messages",)
"""What :func:`render_converted` can produce (``streamfold convert FILE --to TARGET``)."""

_S = ToolCallState
_STATE_NAMES: Final[dict[ToolCallState, str]] = {
    _S.AWAITING_INPUT: "awaiting-input",
    _S.INPUT_STREAMING: "input-streaming",
    _S.INPUT_COMPLETE: "input-complete",
    _S.APPROVAL_REQUESTED: "approval-requested",
    _S.APPROVAL_RESPONDED: "approval-responded",
    _S.EXECUTING: "input-complete",
    _S.COMPLETE: "complete",
    _S.ERROR: "error",
    _S.DENIED: "approval-responded",
    _S.CANCELLED: "input-complete",
}
_UI_ROLES: Final = frozenset({"user", "system", "assistant"})


def tool_call_part(call: ToolCall) -> dict[str, Any]:
    """One tool call as a TanStack ``ToolCallPart``."""
    part: dict[str, Any] = {
        "type": "tool-call",
        "id": call.call_id,
        "name": call.name or "",
        "arguments": call.arguments,
        "state": _STATE_NAMES[call.state],
    }
    if call.input is not UNSET:
        part["input"] = call.input
    approval = call.approval
    if approval is not None:
        shown: dict[str, Any] = {"id": approval.approval_id or call.call_id, "needsApproval": True}
        if approval.approved is not None:
            shown["approved"] = approval.approved
        part["approval"] = shown
    if call.result is not None:
        part["output"] = call.result if call.result_value is UNSET else call.result_value
    if call.metadata:
        part["metadata"] = call.metadata
    return part


def _parts(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if type(part) is TextPart:
            out.append({"type": "text", "content": part.text})
        elif type(part) is ReasoningPart:
            thinking: dict[str, Any] = {"type": "thinking", "content": part.text}
            if part.step_id is not None:
                thinking["stepId"] = part.step_id
            signature = part.signature or part.encrypted
            if signature:
                thinking["signature"] = signature
            out.append(thinking)
        elif type(part) is ToolCallPart:
            out.append(tool_call_part(part.call))
        elif type(part) is ToolResultPart:
            result: dict[str, Any] = {
                "type": "tool-result",
                "toolCallId": part.call_id,
                "content": part.content,
                "state": "error" if part.is_error else "complete",
            }
            if part.is_error and part.error:
                result["error"] = part.error
            out.append(result)
    return out


def _ui_message(message: Message, parts: list[dict[str, Any]]) -> dict[str, Any]:
    role = message.role if message.role in _UI_ROLES else "assistant"
    out: dict[str, Any] = {"id": message.message_id, "role": role, "parts": parts}
    tanstack = message.metadata.get("tanstack")
    if isinstance(tanstack, Mapping) and type(tanstack.get("createdAt")) is str:
        out["createdAt"] = tanstack["createdAt"]
    if message.metadata:
        out["metadata"] = message.metadata
    return out


def _tool_result_only(parts: list[dict[str, Any]]) -> bool:
    return bool(parts) and all(p["type"] == "tool-result" for p in parts)


def _session_messages(conversation: Conversation, session_ids: Iterable[str]) -> list[Message]:
    chosen = []
    for session_id in session_ids:
        session = conversation.sessions.get(session_id)
        if session is None:
            raise UsageError(f"no session {session_id!r}")
        chosen.append(session)
    messages: list[Message] = []
    for session in chosen:
        mine = [m for run in session.runs for m in run.messages]
        mine.sort(key=lambda m: m.seq)
        messages += mine
        for run in session.runs:
            if run.status is RunStatus.FAILED and not any(
                m.role not in ("user", "system") for m in run.messages
            ):
                messages.append(Message(f"{run.run_id}/error", "assistant", run.run_id))
    return messages


def _subagent_call(message: Message, spans: Mapping[str, Span]) -> str | None:
    """The tool call a message's sub-agent ran in (the nearest enclosing span that ran inside
    a tool call, docs/loom.md), or ``None`` for the agent's own messages."""
    span = spans.get(message.span_id) if message.span_id is not None else None
    while span is not None:
        if span.parent_tool_call_id is not None:
            return span.parent_tool_call_id
        span = span.parent
    return None


def _thread(messages: Iterable[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "activity":  # no UIMessage form (docs/agui.md, "Activities")
            continue
        parts = _parts(message)
        if message.role == "reasoning":
            pending.append(_ui_message(message, parts))
            continue
        ui = _ui_message(message, parts)
        if ui["role"] == "assistant" and pending and not _tool_result_only(parts):
            ui["parts"] = [p for held in pending for p in held["parts"]] + parts
            pending = []
        else:
            out += pending
            pending = []
        out.append(ui)
    return out + pending


def _nest(thread: list[dict[str, Any]], nested: dict[str, list[Message]]) -> None:
    """Put each sub-agent's messages under the tool-call part that ran it
    (``"subagentMessages"``), recursively for sub-agents of sub-agents."""
    for ui in thread:
        for part in ui["parts"]:
            if part["type"] == "tool-call" and part["id"] in nested:
                inner = _thread(nested.pop(part["id"]))
                _nest(inner, nested)
                part["subagentMessages"] = inner


def to_ui_messages(
    conversation: Conversation, *, session_id: str | None = None, all_sessions: bool = False
) -> list[dict[str, Any]]:
    """One session's thread as TanStack ``UIMessage`` dicts (JSON-safe).

    ``session_id`` picks the session; it may be left out when the conversation has at most one.
    Sessions are not merged: with several sessions and no ``session_id`` this raises
    :class:`UsageError` (use :func:`to_ui_threads`), as for an unknown ``session_id``.
    ``all_sessions=True`` asks for one list explicitly: the sessions' threads one after the
    other, in first-seen order (the conformance suite compares that with one TanStack client fed
    the whole stream).

    A sub-agent's messages (Loom sub-agents run inside the parent's tool call) are not part of
    the thread: they are nested under that tool-call part as ``"subagentMessages"`` (a list of
    ``UIMessage``), or, when the call is not in the thread, follow it with
    ``metadata.streamfold.parentToolCallId`` (docs/tanstack.md, "Export").
    """
    sessions = conversation.sessions
    chosen: list[str]
    if session_id is not None:
        chosen = [session_id]
    elif all_sessions or len(sessions) <= 1:
        chosen = list(sessions)
    else:
        raise UsageError(
            f"{len(sessions)} sessions: pass session_id= (one of"
            f" {', '.join(repr(s) for s in list(sessions)[:5])}) or use to_ui_threads()"
        )
    messages = _session_messages(conversation, chosen)
    spans = {
        span.span_id: span
        for key in chosen
        for run in sessions[key].runs
        if run.spans
        for span in run.walk_spans()
    }
    own: list[Message] = []
    nested: dict[str, list[Message]] = {}
    for message in messages:
        call_id = _subagent_call(message, spans) if spans else None
        if call_id is None:
            own.append(message)
        else:
            nested.setdefault(call_id, []).append(message)
    thread = _thread(own)
    if nested:
        _nest(thread, nested)
        for call_id, orphans in nested.items():  # the call is not in the thread: marked
            for ui in _thread(orphans):
                marks = dict(ui.get("metadata", {}))
                marks["streamfold"] = {"parentToolCallId": call_id}
                ui["metadata"] = marks
                thread.append(ui)
    return thread


def to_ui_threads(conversation: Conversation) -> dict[str, list[dict[str, Any]]]:
    """Every session's thread (:func:`to_ui_messages`), keyed by session id, sessions in
    first-seen order: what ``streamfold convert`` prints without ``--session``."""
    return {
        session_id: to_ui_messages(conversation, session_id=session_id)
        for session_id in conversation.sessions
    }


def _check_target(to: str) -> None:
    if to not in CONVERT_TARGETS:
        raise UsageError(f"unknown conversion target {to!r}; known: {', '.join(CONVERT_TARGETS)}")


def render_converted(conversation: Conversation, to: str, session_id: str | None = None) -> str:
    """``conversation`` converted to ``to`` (one of :data:`CONVERT_TARGETS`), as JSON text:
    one session's thread (a JSON array) with ``session_id``, else every session's thread in a
    JSON object keyed by session id (:func:`to_ui_threads`). Raises :class:`UsageError` for an
    unknown target or session."""
    _check_target(to)
    return _render(conversation, session_id)


def _render(conversation: Conversation, session_id: str | None) -> str:
    from ..safe_text import escape_json_output

    shaped: dict[str, list[dict[str, Any]]] | list[dict[str, Any]]
    if session_id is None:
        shaped = to_ui_threads(conversation)
    else:
        shaped = to_ui_messages(conversation, session_id=session_id)
    text = dumps(shaped, option=orjson.OPT_INDENT_2).decode()
    # orjson leaves DEL, C1 and bidi controls raw; escaped, the JSON value is the same.
    return escape_json_output(text) + "\n"

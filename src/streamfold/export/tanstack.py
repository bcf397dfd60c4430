"""Export the model as TanStack AI ``UIMessage[]`` JSON.

The shape is what the reference client's ``StreamProcessor.getMessages()`` returns
(``@tanstack/ai`` 0.58, ``types.ts``), so a Python backend can hydrate a TanStack frontend
(``ChatClient({initialMessages})`` / ``setMessages``) and the two implementations can be
compared part by part (``tests/test_conformance_tanstack.py``)::

    {"id", "role": "user" | "assistant" | "system", "parts": [...],
     "createdAt"?: ISO string, "metadata"?: {...}}

Parts: ``{"type": "text", "content"}``; ``{"type": "thinking", "content", "stepId"?,
"signature"?}``; ``{"type": "tool-call", "id", "name", "arguments", "state", "input"?,
"approval"?: {"id", "needsApproval": true, "approved"?}, "output"?, "metadata"?}``;
``{"type": "tool-result", "toolCallId", "content", "state": "complete" | "error", "error"?}``.

Mapping rules (the model is richer than ``UIMessage``; each rule says what is folded away):

* Messages of a session in thread order (:attr:`~streamfold.model.Message.seq`).
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
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)

__all__ = ["CONVERT_TARGETS", "render_converted", "to_ui_messages", "tool_call_part"]

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


def _session_messages(conversation: Conversation, session_id: str | None) -> Iterable[Message]:
    sessions = conversation.sessions
    if session_id is not None:
        if session_id not in sessions:
            raise UsageError(f"no session {session_id!r}")
        chosen = [sessions[session_id]]
    else:
        chosen = list(sessions.values())
    for session in chosen:
        messages = [m for run in session.runs for m in run.messages]
        messages.sort(key=lambda m: m.seq)
        yield from messages
        for run in session.runs:
            if run.status is RunStatus.FAILED and not any(
                m.role not in ("user", "system") for m in run.messages
            ):
                yield Message(f"{run.run_id}/error", "assistant", run.run_id)


def to_ui_messages(
    conversation: Conversation, *, session_id: str | None = None
) -> list[dict[str, Any]]:
    """The conversation (or one session of it) as TanStack ``UIMessage`` dicts (JSON-safe)."""
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for message in _session_messages(conversation, session_id):
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


def _check_target(to: str) -> None:
    if to not in CONVERT_TARGETS:
        raise UsageError(f"unknown conversion target {to!r}; known: {', '.join(CONVERT_TARGETS)}")


def render_converted(conversation: Conversation, to: str, session_id: str | None = None) -> str:
    """``conversation`` converted to ``to`` (one of :data:`CONVERT_TARGETS`), as JSON text.
    Raises :class:`UsageError` for an unknown target or session."""
    _check_target(to)
    return _render(conversation, session_id)


def _render(conversation: Conversation, session_id: str | None) -> str:
    from ..safe_text import escape_json_output

    messages = to_ui_messages(conversation, session_id=session_id)
    text = orjson.dumps(messages, option=orjson.OPT_INDENT_2).decode()
    # orjson leaves DEL, C1 and bidi controls raw; escaped, the JSON value is the same.
    return escape_json_output(text) + "\n"

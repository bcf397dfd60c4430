"""Model values as AG-UI values: token usage, a run's summary, interrupts and the client's open
obligations, a message as ``MESSAGES_SNAPSHOT`` entries (docs/agui-out.md, "Mapping")."""

from __future__ import annotations

from typing import Any, Final

from ...model import (
    Interrupt,
    Message,
    Run,
    RunStatus,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    Usage,
)
from .wire import Event, _json_safe

__all__ = ["usage_to_agui"]

_S = ToolCallState
_ARGS_DONE: Final = frozenset(
    {
        _S.INPUT_COMPLETE,
        _S.APPROVAL_REQUESTED,
        _S.APPROVAL_RESPONDED,
        _S.EXECUTING,
        _S.COMPLETE,
        _S.ERROR,
        _S.DENIED,
        _S.CANCELLED,
    }
)
_TEXT_ROLES: Final = frozenset({"assistant", "user", "system", "developer"})
_MAX_COUNT: Final = 2**53 - 1


def usage_to_agui(usage: Usage) -> dict[str, int]:
    """A :class:`~streamfold.model.Usage` as an AG-UI ``TokenUsage`` (counts in tokens;
    ``reasoningTokens`` / ``cachedInputTokens`` from the provider details when present)."""

    def count(value: Any) -> int | None:
        if type(value) is not int or value < 0:
            return None
        return min(value, _MAX_COUNT)

    out: dict[str, int] = {}
    for key, value in (
        ("inputTokens", usage.prompt_tokens),
        ("outputTokens", usage.completion_tokens),
        ("totalTokens", usage.total_tokens),
        ("reasoningTokens", usage.completion_tokens_details.get("reasoning_tokens")),
        ("cachedInputTokens", usage.prompt_tokens_details.get("cached_tokens")),
    ):
        checked = count(value)
        if checked is not None:
            out[key] = checked
    return out


def _is_info(event: Event) -> bool:
    """An informational diagnostic (e.g. SSE ``[DONE]``): not worth a run of its own."""
    value = event.get("value")
    return (
        event.get("name") == "streamfold.diagnostic"
        and isinstance(value, dict)
        and value.get("severity") == "info"
    )


def _run_summary(run: Run) -> dict[str, Any]:
    summary: dict[str, Any] = {"runId": run.run_id, "status": run.status.value}
    if run.finish_reason is not None:
        summary["finishReason"] = run.finish_reason
    if run.stop_reason is not None:
        summary["stopReason"] = run.stop_reason
    if run.error is not None:
        summary["error"] = run.error
    if run.usage:
        summary["usage"] = usage_to_agui(run.usage)
    if run.lossy:
        summary["lossy"] = True
    return summary


def _interrupt_event(run: Run, interrupt: Interrupt) -> dict[str, Any]:
    """One model :class:`~streamfold.model.Interrupt` as an AG-UI 1.0 ``Interrupt``."""
    event: dict[str, Any] = {
        "id": interrupt.interrupt_id or f"{run.run_id}/interrupt",
        "reason": interrupt.reason or "interrupted",
    }
    for key, value in (
        ("message", interrupt.message),
        ("toolCallId", interrupt.tool_call_id),
        ("responseSchema", interrupt.response_schema),
        ("expiresAt", interrupt.expires_at),
        ("subagentRunId", interrupt.subagent_run_id),
    ):
        if value is not None:
            event[key] = _json_safe(value)
    metadata = dict(interrupt.metadata)
    if interrupt.value is not None and "value" not in metadata:
        metadata["value"] = interrupt.value  # e.g. LangGraph's interrupt() payload
    if metadata:
        event["metadata"] = _json_safe(metadata)
    return event


def _interrupts(run: Run) -> list[dict[str, Any]]:
    """What the run paused for, as AG-UI 1.0 interrupts: the model's
    :attr:`~streamfold.model.Run.interrupts` still pending, then the open client obligations
    no interrupt names (approvals; client tools of a run that stopped for them)."""
    out: list[dict[str, Any]] = []
    named: set[str] = set()
    for interrupt in run.interrupts:
        if interrupt.status == "pending":
            out.append(_interrupt_event(run, interrupt))
        if interrupt.tool_call_id is not None:
            named.add(interrupt.tool_call_id)
    stopped = run.status in (RunStatus.AWAITING_APPROVAL, RunStatus.INTERRUPTED)
    for call in run.tool_calls.values():
        if call.call_id in named:
            continue
        input_value = call.partial_input()
        if call.state is _S.APPROVAL_REQUESTED:
            approval_id = (call.approval.approval_id if call.approval else None) or (
                f"approval_{call.call_id}"
            )
            out.append(
                {
                    "id": approval_id,
                    "reason": "tool_call",
                    "message": f"Approval required to run {call.name or 'a tool'}",
                    "toolCallId": call.call_id,
                    "metadata": {
                        "kind": "approval",
                        "toolName": call.name,
                        "input": _json_safe(input_value),
                    },
                }
            )
        elif _owed(call) and (stopped or call.interrupt_id is not None):
            out.append(
                {
                    "id": call.interrupt_id or f"client_tool_{call.call_id}",
                    "reason": "tanstack:client_tool_execution",
                    "message": f"Client tool {call.name or ''} is ready to run".replace("  ", " "),
                    "toolCallId": call.call_id,
                    "metadata": {
                        "kind": "client_tool",
                        "toolName": call.name,
                        "input": _json_safe(input_value),
                    },
                }
            )
    if not out and stopped:
        out.append({"id": f"{run.run_id}/interrupt", "reason": run.stop_reason or "interrupted"})
    return out


def _owed(call: ToolCall) -> bool:
    return call.client_tool and call.result is None and not call.state.is_terminal


def _pending_call_ids(run: Run) -> list[str]:
    """Client tools a completed run leaves for the next input (AG-UI 1.0
    ``outcome.pendingToolCallIds``)."""
    return [call.call_id for call in run.tool_calls.values() if _owed(call)]


def _snapshot_message(message: Message) -> list[dict[str, Any]]:
    """One model message as AG-UI ``Message`` objects (the assistant message, then one
    ``tool`` message per tool result it holds)."""
    role = message.role
    if role == "reasoning":
        return [{"id": message.message_id, "role": "reasoning", "content": message.reasoning}]
    if role not in _TEXT_ROLES:
        role = "assistant"
    out: dict[str, Any] = {"id": message.message_id, "role": role, "content": message.text}
    tools: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for part in message.parts:
        if type(part) is ToolCallPart:
            call = part.call
            calls.append(
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name or "", "arguments": call.arguments},
                }
            )
            if call.result is not None:
                tools.append(
                    {
                        "id": f"{call.call_id}/result",
                        "role": "tool",
                        "content": call.result,
                        "toolCallId": call.call_id,
                    }
                )
    if calls and role == "assistant":
        out["toolCalls"] = calls
    if role == "user" and not message.text and not any(type(p) is TextPart for p in message.parts):
        out["content"] = ""
    return [out, *tools]

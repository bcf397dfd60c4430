"""OpenAI-style ``response.*`` events → canonical events, for any format that carries them.

Shared by the formats that carry OpenAI-Responses-like events (today NNRP's OpenAI-compatible
profile, ``docs/nnrp.md``; tomorrow an OpenAI Responses decoder). A carrier decides *which*
events to fold (ordering, deduplication, which message ends the run) and hands each one to a
handler of :data:`HANDLERS` together with an :class:`EventTarget`: the run the event belongs
to, seen through four names. The handlers never see the carrier's framing.

Events folded (``event["type"]``):

* ``response.output_text.delta`` (``delta``, optional output ``index``) → text of the message
  for that index;
* ``response.tool_call.started`` / ``.delta`` (``arguments_delta``) / ``.completed``
  (``arguments``) / ``.error`` (``error``): one tool call per ``call_id`` (or ``item_id``);
  events for an unknown call start it with a ``tool_call_order`` warning, events after it
  finished are dropped;
* ``response.usage`` (``usage``: prompt/completion or input/output counts) → usage, set;
* terminals (:data:`TERMINAL_EVENTS`): ``response.completed`` (an optional final ``body``:
  a chat completion or a response, folded for text not streamed, the reply, tool calls and
  usage), ``response.error``, ``response.cancelled`` → a :class:`Terminal` for the carrier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import attrs

from ..events import (
    AppendText,
    AppendToolArguments,
    Diagnose,
    Event,
    ReportUsage,
    SetReply,
    SetToolArguments,
    SetToolResult,
    StartToolCall,
)
from ..model import RunStatus, Severity, Usage
from ..model.text import dumps
from ._common import drop

__all__ = [
    "HANDLERS",
    "TERMINAL_EVENTS",
    "EventTarget",
    "Handler",
    "Terminal",
    "error_body",
    "usage_from_counts",
]


class EventTarget(Protocol):
    """The run an event is folded into, as the handlers see it."""

    @property
    def run_id(self) -> str: ...

    @property
    def calls(self) -> dict[str, bool]:
        """The run's tool calls so far: call_id → finished."""
        ...

    text_seen: bool
    """Whether any text was streamed (a final body's text is then not appended again)."""

    @property
    def stop_reason(self) -> str | None:
        """The carrier's own stop reason for the run, if it has one (kept on terminals)."""
        ...

    def message_id(self, index: int, out: list[Event]) -> str:
        """The assistant message for output ``index`` (0: the main one), started on demand
        (its ``StartMessage`` appended to ``out``)."""
        ...


@attrs.define(slots=True)
class Terminal:
    """What ends a run, gathered from one event (or frame)."""

    status: RunStatus = RunStatus.COMPLETED
    finish_reason: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    error_code: str | None = None


Handler = Callable[[EventTarget, Mapping[str, Any], list[Event]], Terminal | None]

TERMINAL_EVENTS: Final = frozenset({"response.completed", "response.error", "response.cancelled"})
"""The event types whose handler returns a :class:`Terminal`."""


def error_body(error: Any) -> tuple[str, str | None]:
    """(message, code) of an error object ``{type, code, message}`` (or a string); the code is
    ``code``, or ``type`` when ``code`` is absent or ``null`` (OpenAI sends ``"code": null``)."""
    if isinstance(error, Mapping):
        message = error.get("message")
        code = error.get("code")
        if type(code) is not str:
            code = error.get("type")
        return (
            message if type(message) is str else dumps(error).decode(),
            code if type(code) is str else None,
        )
    if type(error) is str:
        return error, None
    return "", None


def usage_from_counts(raw: Any) -> Usage | None:
    """Chat (prompt/completion) or Responses (input/output) usage counts; ``None`` when there
    are none or they are not integers."""
    if not isinstance(raw, Mapping):
        return None
    prompt = raw.get("prompt_tokens", raw.get("input_tokens"))
    completion = raw.get("completion_tokens", raw.get("output_tokens"))
    total = raw.get("total_tokens")
    counts = (prompt, completion, total)
    if all(c is None for c in counts) or not all(type(c) is int for c in counts if c is not None):
        return None
    p, c = prompt or 0, completion or 0
    details = []
    for keys in (
        ("prompt_tokens_details", "input_tokens_details"),
        ("completion_tokens_details", "output_tokens_details"),
    ):
        found = raw.get(keys[0], raw.get(keys[1]))
        details.append(
            {k: v for k, v in found.items() if type(v) is int} if isinstance(found, Mapping) else {}
        )
    return Usage(p, c, total if type(total) is int else p + c, details[0], details[1], reports=1)


def _call_id(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> str | None:
    call_id = event.get("call_id", event.get("item_id"))
    if type(call_id) is not str or not call_id:
        out.append(drop("invalid_field", f"{event.get('type')} without a call_id", target.run_id))
        return None
    return call_id


def _arguments_text(arguments: Any) -> str | None:
    if arguments is not None and type(arguments) is not str:
        return dumps(arguments).decode()
    return arguments


def _text(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    delta = event.get("delta")
    if type(delta) is not str:
        out.append(drop("invalid_field", "output_text.delta without a string delta", target.run_id))
        return
    index = event.get("index")
    message_id = target.message_id(index if type(index) is int else 0, out)
    if delta:
        target.text_seen = True
        out.append(AppendText(target.run_id, message_id, delta))


def _tool_started(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    call_id = _call_id(target, event, out)
    if call_id is None:
        return
    if call_id in target.calls:
        out.append(
            Diagnose(
                "tool_call_order",
                f"tool call {call_id!r} started twice; ignored",
                Severity.WARNING,
                dropped=True,
                run_id=target.run_id,
            )
        )
        return
    _start_call(target, call_id, event, out)


def _start_call(
    target: EventTarget, call_id: str, event: Mapping[str, Any], out: list[Event]
) -> None:
    target.calls[call_id] = False
    name = event.get("name")
    md = {k: event[k] for k in ("item_id", "index") if k in event}
    out.append(
        StartToolCall(
            target.run_id,
            call_id,
            name if type(name) is str else None,
            message_id=target.message_id(0, out),
            metadata=md or None,
        )
    )


def _open_call(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> str | None:
    """The call an event continues; started on demand (with a diagnostic) if unknown, ``None``
    (dropped) if it already finished."""
    call_id = _call_id(target, event, out)
    if call_id is None:
        return None
    finished = target.calls.get(call_id)
    if finished is None:
        out.append(
            Diagnose(
                "tool_call_order",
                f"{event.get('type')} for tool call {call_id!r} before its start",
                Severity.WARNING,
                run_id=target.run_id,
            )
        )
        _start_call(target, call_id, event, out)
    elif finished:
        out.append(
            Diagnose(
                "tool_call_order",
                f"{event.get('type')} for tool call {call_id!r} after it finished; dropped",
                Severity.WARNING,
                dropped=True,
                run_id=target.run_id,
            )
        )
        return None
    return call_id


def _tool_delta(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    delta = event.get("arguments_delta")
    if type(delta) is not str:
        out.append(drop("invalid_field", "tool_call.delta without arguments_delta", target.run_id))
        return
    call_id = _open_call(target, event, out)
    if call_id is not None:
        out.append(AppendToolArguments(target.run_id, call_id, delta))


def _tool_completed(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    call_id = _open_call(target, event, out)
    if call_id is None:
        return
    target.calls[call_id] = True
    out.append(SetToolArguments(target.run_id, call_id, _arguments_text(event.get("arguments"))))


def _tool_error(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    call_id = _open_call(target, event, out)
    if call_id is None:
        return
    target.calls[call_id] = True
    message, _code = error_body(event.get("error"))
    out.append(
        SetToolResult(
            target.run_id, call_id, message, is_error=True, error=message, add_result_part=False
        )
    )


def _usage(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    usage = usage_from_counts(event.get("usage"))
    if usage is None:
        out.append(drop("invalid_field", "response.usage without usable counts", target.run_id))
        return
    out.append(ReportUsage(target.run_id, usage, mode="set"))


def _completed(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> Terminal:
    body = event.get("body")
    finish: str | None = None
    if isinstance(body, Mapping):
        finish = _completed_body(target, body, out)
    return Terminal(RunStatus.COMPLETED, finish or "stop", target.stop_reason)


def _completed_body(target: EventTarget, body: Mapping[str, Any], out: list[Event]) -> str | None:
    """Fold a final chat.completion / response body: text when none streamed, the reply, tool
    calls not streamed, usage. Returns its finish_reason."""
    finish: str | None = None
    text: str | None = None
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        choice = choices[0]
        fr = choice.get("finish_reason")
        finish = fr if type(fr) is str else None
        message = choice.get("message")
        if isinstance(message, Mapping):
            content = message.get("content")
            text = content if type(content) is str else None
            calls = message.get("tool_calls")
            if isinstance(calls, list):
                for call in calls:
                    _body_tool_call(target, call, out)
    elif type(body.get("output_text")) is str:
        text = body["output_text"]
    if text is not None:
        if not target.text_seen:
            out.append(AppendText(target.run_id, target.message_id(0, out), text))
            target.text_seen = True
        out.append(SetReply(target.run_id, text))
    usage = usage_from_counts(body.get("usage"))
    if usage is not None:
        out.append(ReportUsage(target.run_id, usage, mode="set"))
    return finish


def _body_tool_call(target: EventTarget, call: Any, out: list[Event]) -> None:
    if not isinstance(call, Mapping) or type(call.get("id")) is not str:
        return
    call_id: str = call["id"]
    if call_id in target.calls:
        return
    function = call.get("function")
    function = function if isinstance(function, Mapping) else {}
    _start_call(target, call_id, {"name": function.get("name")}, out)
    target.calls[call_id] = True
    out.append(SetToolArguments(target.run_id, call_id, _arguments_text(function.get("arguments"))))


def _error(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> Terminal:
    message, code = error_body(event.get("error"))
    return Terminal(RunStatus.FAILED, "error", target.stop_reason, message, code)


def _cancelled(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> Terminal:
    reason = event.get("reason")
    return Terminal(
        RunStatus.CANCELLED,
        "cancelled",
        target.stop_reason,
        reason if type(reason) is str else None,
        "cancelled",
    )


HANDLERS: Final[dict[str, Handler]] = {
    "response.output_text.delta": _text,
    "response.tool_call.started": _tool_started,
    "response.tool_call.delta": _tool_delta,
    "response.tool_call.completed": _tool_completed,
    "response.tool_call.error": _tool_error,
    "response.usage": _usage,
    "response.completed": _completed,
    "response.error": _error,
    "response.cancelled": _cancelled,
}
"""Event type → handler; a carrier may extend a copy with its own event types."""

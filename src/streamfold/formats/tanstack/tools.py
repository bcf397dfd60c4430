"""Tool calls: start, arguments, end, results, chunks, and tool requests carried by ``CUSTOM``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendToolArguments,
    Diagnose,
    Event,
    MergeMetadata,
    RequestApproval,
    RequestClientTool,
    SetReasoningSignature,
    SetToolArguments,
    SetToolResult,
    StartToolCall,
)
from ...model import UNSET, Severity, TextBuffer
from .._common import drop
from .messages import _fallback, _Messages
from .state import _Call, _Run
from .vocab import _MAX_RESULT_MESSAGES
from .wire import (
    extra,
    is_mapping,
    json_text,
    parse_json,
    str_or_none,
    tool_error_text,
)

__all__: list[str] = []  # the decoder's internals: nothing here is public API

_FAILED_OUTCOMES = frozenset({"failed", "retried", "interrupted"})


class _Tools(_Messages):
    """Tool-call frames."""

    def _tool_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(drop("invalid_field", "TOOL_CALL_START without a toolCallId"))
            return
        name = str_or_none(frame.get("toolCallName")) or str_or_none(frame.get("toolName"))
        metadata = frame.get("metadata")
        self._start_call(
            call_id,
            name,
            str_or_none(frame.get("parentMessageId")),
            dict(metadata) if is_mapping(metadata) else None,
            out,
        )

    def _start_call(
        self,
        call_id: str,
        name: str | None,
        parent_id: str | None,
        metadata: dict[str, Any] | None,
        out: list[Event],
    ) -> _Call:
        known = self._call(call_id)
        if known is not None and known.message_id is not None:
            # A duplicate START: the reducer keeps the first and records a diagnostic.
            out.append(StartToolCall(known.run_id, call_id, name, known.message_id))
            return known
        if parent_id is not None:
            message = self._message(parent_id) or self._new_message(parent_id, "assistant", out)
        else:
            message = self._active_message() or self._new_message(
                self._synthetic_id("message"), "assistant", out
            )
        message.segment = TextBuffer()  # text after a tool call is a new segment
        if known is not None:  # arguments arrived first: attach the kept call
            out.append(
                StartToolCall(known.run_id, call_id, name, message.message_id, None, metadata)
            )
            known.message_id = message.message_id
            return known
        run_id = message.run_id
        if run_id not in self._runs and self._open:  # the message's run has ended
            run_id = self._open[-1].run_id
        call = self._add_call(call_id, run_id, message.message_id)
        out.append(StartToolCall(run_id, call_id, name, message.message_id, None, metadata))
        return call

    def _known_or_orphan(self, call_id: str, out: list[Event]) -> _Call:
        call = self._call(call_id)
        if call is None:
            # Arguments for a call that never started: kept (the reducer records the call
            # with an unknown_tool_call diagnostic), outside any message until a START says
            # where it belongs.
            call = self._add_call(call_id, self._current_run(out).run_id, None)
        return call

    def _tool_args(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(drop("invalid_field", "TOOL_CALL_ARGS without a toolCallId"))
            return
        self._append_args(
            self._known_or_orphan(call_id, out), frame.get("delta"), frame.get("args"), out
        )

    def _append_args(self, call: _Call, delta: Any, cumulative: Any, out: list[Event]) -> None:
        if type(delta) is str and delta:
            piece: str | None = delta
        else:
            piece = _fallback(call.args, cumulative)
        if not piece:
            return
        if call.ended:
            out.append(
                Diagnose(
                    "tool_args_after_end",
                    f"arguments for tool call {call.call_id!r} after its TOOL_CALL_END; appended",
                    Severity.WARNING,
                    run_id=call.run_id,
                )
            )
        call.args.append(piece)
        out.append(AppendToolArguments(call.run_id, call.call_id, piece))

    def _tool_end(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(drop("invalid_field", "TOOL_CALL_END without a toolCallId"))
            return
        call = self._known_or_orphan(call_id, out)
        result = frame.get("result")
        if not call.ended:
            call.ended = True
            value = extra(frame, "input")
            name = str_or_none(frame.get("toolName")) or str_or_none(extra(frame, "toolCallName"))
            if value is None:
                out.append(SetToolArguments(call.run_id, call_id, name=name))
            elif not call.args:
                text = json_text(value)
                call.args.append(text)
                out.append(SetToolArguments(call.run_id, call_id, text, value, name=name))
            else:
                out.append(SetToolArguments(call.run_id, call_id, None, value, name=name))
        elif result is None:
            out.append(
                Diagnose(
                    "duplicate_tool_call_end",
                    f"second TOOL_CALL_END for tool call {call_id!r}; ignored",
                    Severity.INFO,
                    run_id=call.run_id,
                )
            )
        if result is not None:  # era B: the engine's END carries the executed tool's result
            self._result(call, result, False, out)

    def _result(self, call: _Call, content: Any, is_error: bool, out: list[Event]) -> None:
        text = content if type(content) is str else json_text(content)
        value = parse_json(text)
        out.append(
            SetToolResult(
                call.run_id,
                call.call_id,
                text,
                is_error=is_error,
                error=tool_error_text(value, text) if is_error else None,
                value=value,
            )
        )

    def _tool_result(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(drop("invalid_field", "TOOL_CALL_RESULT without a toolCallId"))
            return
        call = self._known_or_orphan(call_id, out)
        is_error = extra(frame, "state") == "output-error"
        content = frame.get("content", "")
        self._result(call, content, is_error, out)
        message_id = str_or_none(frame.get("messageId"))
        if message_id is not None:  # the tool message it mints (encrypted values name it)
            results = self._result_messages
            results[message_id] = call_id
            if len(results) > _MAX_RESULT_MESSAGES:  # the oldest first (docs/agui.md)
                del results[next(iter(results))]
            text = content if type(content) is str else json_text(content)
            self._last_result = (message_id, text)

    def _result_outcome(self, call_id: str, value: str, out: list[Event]) -> None:
        """An encrypted value on a tool result message: kept on the call; pydantic-ai's
        ``{"pydantic_ai": {"outcome": "failed" | "retried" | "interrupted"}}`` marks the result
        an error whose text is the result (docs/agui.md, "Encrypted values")."""
        call = self._call(call_id)
        if call is None:
            return
        out.append(MergeMetadata(call.run_id, {"resultEncryptedValue": value}, call_id=call_id))
        parsed = parse_json(value)
        sender = parsed.get("pydantic_ai") if isinstance(parsed, Mapping) else None
        outcome = sender.get("outcome") if isinstance(sender, Mapping) else None
        last = self._last_result
        if (
            outcome in _FAILED_OUTCOMES
            and last is not None
            and self._result_messages.get(last[0]) == call_id
        ):
            text = last[1]
            out.append(
                SetToolResult(
                    call.run_id, call_id, text, is_error=True, error=text, value=parse_json(text)
                )
            )

    def _tool_chunk(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId")) or self._chunk_call
        if call_id is None:
            out.append(drop("invalid_field", "TOOL_CALL_CHUNK without a toolCallId"))
            return
        call = self._call(call_id)
        if call is None or call.message_id is None:
            name = str_or_none(frame.get("toolCallName")) or str_or_none(frame.get("toolName"))
            parent = str_or_none(frame.get("parentMessageId"))
            call = self._start_call(call_id, name, parent, None, out)
        self._chunk_call = call_id
        self._append_args(call, frame.get("delta"), None, out)

    def _encrypted_value(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """``REASONING_ENCRYPTED_VALUE`` attaches to the entity it names (docs/agui.md,
        "Encrypted values"): a tool call (``call.metadata["thoughtSignature"]``), a tool result
        message (``call.metadata["resultEncryptedValue"]``, and pydantic-ai's tool outcome), a
        text message (``message.metadata["encryptedValue"]``), else a reasoning part."""
        value = frame.get("encryptedValue")
        entity = str_or_none(frame.get("entityId"))
        if type(value) is not str or not value:
            return
        if frame.get("subtype") == "tool-call":
            call = self._call(entity or "")
            if call is not None:
                out.append(
                    MergeMetadata(call.run_id, {"thoughtSignature": value}, call_id=call.call_id)
                )
            else:
                out.append(_unattached(entity, "tool call"))
            return
        if entity is not None:
            call_id = self._result_messages.get(entity)
            if call_id is not None:
                self._result_outcome(call_id, value, out)
                return
            known = self._message(entity)
            if known is not None and known.role != "reasoning":
                out.append(
                    MergeMetadata(known.run_id, {"encryptedValue": value}, message_id=entity)
                )
                return
        message = self._reasoning_message(entity, out, any_current=True)
        step = message.step or entity
        out.append(
            SetReasoningSignature(message.run_id, message.message_id, encrypted=value, step_id=step)
        )

    def _tool_request(
        self, kind: str, value: Mapping[str, Any], run: _Run, out: list[Event]
    ) -> None:
        call_id = str_or_none(value.get("toolCallId"))
        if call_id is None:
            out.append(drop("invalid_field", f"{kind} without a toolCallId"))
            return
        run_id = self._call_run(call_id, run)
        tool_input = value.get("input", UNSET)
        if kind == "tool-input-available":
            name = str_or_none(value.get("toolName"))
            out.append(RequestClientTool(run_id, call_id, name, tool_input))
        else:
            approval = value.get("approval")
            approval_id = str_or_none(approval.get("id")) if isinstance(approval, Mapping) else None
            out.append(RequestApproval(run_id, call_id, approval_id, tool_input))


def _unattached(entity: str | None, what: str) -> Diagnose:
    return Diagnose(
        "unknown_entity",
        f"REASONING_ENCRYPTED_VALUE for unknown {what} {entity!r}; kept only here",
        Severity.INFO,
        dropped=True,
    )

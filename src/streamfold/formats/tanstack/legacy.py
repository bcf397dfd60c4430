"""Era A: the legacy lower-case chunks (``content``, ``thinking``, ``tool_call``, ``tool_result``,
``done``, ``error``, …), one legacy run at a time (``docs/tanstack.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendToolArguments,
    Diagnose,
    Event,
    ReportUsage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus, Severity, TextBuffer
from .._common import drop
from .state import _Msg, _Run
from .tools import _Tools
from .vocab import _DEFAULT_SESSION
from .wire import (
    str_or_none,
    usage_from_wire,
)

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Legacy(_Tools):
    """Legacy (era A) chunks."""

    def _legacy_run(self, frame: Mapping[str, Any], out: list[Event]) -> _Run:
        run = self._legacy
        if run is None:
            self._legacy_count += 1
            run_id = self._new_run_id(f"tanstack-legacy#{self._legacy_count}")
            run = _Run(run_id, _DEFAULT_SESSION, None, legacy=True)
            self._runs[run_id] = run
            self._run_sessions[run_id] = _DEFAULT_SESSION
            self._legacy = run
            model = frame.get("model")
            out.append(
                StartRun(
                    _DEFAULT_SESSION,
                    run_id,
                    metadata={"model": model} if type(model) is str else None,
                )
            )
        return run

    def _legacy_message(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> _Msg:
        if run.message_id is not None:
            message = self._message(run.message_id)
            if message is not None:
                return message
            # A MESSAGES_SNAPSHOT left it out (and removed it): the text goes on in a new one.
            run.message_id = None
        wire_id = str_or_none(frame.get("id"))
        if wire_id is None or self._known_message(wire_id):
            wire_id = self._synthetic_id(wire_id or f"{run.run_id}/message")
        message = self._new_message(wire_id, "assistant", out, run=run)
        del self._active[wire_id]  # legacy routing is per run, not by the active message
        run.message_id = wire_id
        return message

    def _decode_legacy(self, kind: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._legacy_run(frame, out)
        was_done, run.last_was_done = run.last_was_done, kind == "done"
        if kind == "content":
            self._complete_legacy_calls(run, out)
            self._append_text(self._legacy_message(run, frame, out), frame, out)
        elif kind == "thinking":
            message = self._legacy_message(run, frame, out)
            self._reasoning_delta(message, None, frame.get("delta"), frame.get("content"), out)
        elif kind == "tool_call":
            self._legacy_tool_call(run, frame, out)
        elif kind == "tool_result":
            call_id = str_or_none(frame.get("toolCallId"))
            if call_id is None:
                out.append(drop("invalid_field", "tool_result without a toolCallId"))
                return
            call = self._call(call_id)
            if call is None:
                call = self._add_call(call_id, run.run_id, None, ended=True)
            self._result(call, frame.get("content", ""), False, out)
        elif kind in ("tool-input-available", "approval-requested"):
            self._legacy_message(run, frame, out)
            self._tool_request(kind, frame, run, out)
        elif kind == "done":
            self._complete_legacy_calls(run, out)
            if was_done:
                out.append(
                    Diagnose(
                        "duplicate_done",
                        "a second 'done' right after the first (the legacy adapter sends two "
                        "per model call); its finish reason is not used",
                        Severity.INFO,
                        run_id=run.run_id,
                    )
                )
            else:
                reason = frame.get("finishReason")
                run.finish_reason = reason if type(reason) is str else None
            run.done_seen = True
            usage = usage_from_wire(frame.get("usage"))
            if usage is not None:
                out.append(ReportUsage(run.run_id, usage, mode="add"))
        else:  # error
            error = frame["error"]
            message = error.get("message")
            code = error.get("code")
            self._end_legacy(
                run,
                RunStatus.FAILED,
                out,
                error=message if type(message) is str else "An error occurred",
                error_code=None if code is None else str(code),
            )

    def _legacy_tool_call(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        tool = frame["toolCall"]
        function = tool.get("function")
        function = function if isinstance(function, Mapping) else {}
        call_id = str_or_none(tool.get("id"))
        if call_id is None:
            index = frame.get("index")
            out.append(
                Diagnose(
                    "invalid_field",
                    "tool_call without toolCall.id; keyed by its index",
                    Severity.WARNING,
                    run_id=run.run_id,
                )
            )
            call_id = f"{run.run_id}/tool-index-{index}"
        name = str_or_none(function.get("name"))
        call = self._call(call_id)
        if call is None:
            message = self._legacy_message(run, frame, out)
            message.segment = TextBuffer()
            call = self._add_call(call_id, run.run_id, message.message_id)
            run.open_calls.append(call_id)
            out.append(StartToolCall(run.run_id, call_id, name, message.message_id))
        arguments = function.get("arguments")
        if type(arguments) is str and arguments:
            if call.ended:
                out.append(
                    Diagnose(
                        "tool_args_after_end",
                        f"arguments for tool call {call_id!r} after its input completed; appended",
                        Severity.WARNING,
                        run_id=run.run_id,
                    )
                )
            out.append(AppendToolArguments(call.run_id, call_id, arguments))

"""Tool calls, with the null-call-id reconciliation (``docs/loom.md``, "Tool calls"): FIFO
queues per tool name match id-less chunks, starts and results to their calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import orjson

from ...events import (
    AdoptToolCallId,
    AppendToolArguments,
    AppendToolOutput,
    Event,
    RequestApproval,
    SetToolArguments,
    SetToolResult,
    StartToolCall,
    StartToolExecution,
)
from ...model import UNSET
from ...model.text import dumps
from .._common import drop, str_or_none
from .state import _Call, _LoomState, _Run

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Tools(_LoomState):
    """Tool-call frames."""

    def _new_call(
        self, run: _Run, call_id: str | None, name: str | None, out: list[Event], *, message: bool
    ) -> _Call:
        synthetic = call_id is None
        if call_id is None:
            run.anon_seq += 1
            call_id = f"{name or 'tool'}#{run.anon_seq}"
            while call_id in run.calls:
                call_id += "'"
        span_id = run.stack[-1][0] if run.stack else None
        call = run.calls[call_id] = _Call(call_id, name, span_id=span_id, synthetic=synthetic)
        message_id = self._message_for(run, out) if message else None
        out.append(StartToolCall(run.run_id, call_id, name, message_id, span_id))
        if name is not None:
            run.awaiting_start.setdefault(name, deque()).append(call_id)
        return call

    def _tool_call_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id, name = str_or_none(frame.get("call_id")), str_or_none(frame.get("name"))
        delta = frame.get("arguments_delta")
        if delta is not None and type(delta) is not str:
            out.append(drop("invalid_field", "arguments_delta is not a string", run.run_id))
            return
        if call_id is not None:
            call = run.calls.get(call_id)
            if call is None:
                call = self._new_call(run, call_id, name, out, message=True)
                if name is not None:
                    run.awaiting_args.setdefault(name, deque()).append(call_id)
            run.current_call = call_id
        elif run.current_call is not None:
            call = run.calls[run.current_call]
        else:
            call = self._new_call(run, None, name, out, message=True)
            run.current_call = call.call_id
            if name is not None:
                run.awaiting_args.setdefault(name, deque()).append(call.call_id)
        if delta:
            out.append(AppendToolArguments(run.run_id, call.call_id, delta))

    def _tool_call(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id, name = str_or_none(frame.get("call_id")), str_or_none(frame.get("name"))
        call = run.calls.get(call_id) if call_id is not None else None
        if call is None and call_id is None and name is not None:
            queue = run.awaiting_args.get(name)
            if queue:
                call = run.calls.get(queue.popleft())
        named = False
        if call is None and call_id is None and run.current_call is not None:
            # Anonymous chunks streamed before the name was known.
            pending = run.calls[run.current_call]
            if pending.name is None:
                call = pending
                pending.name = name
                named = name is not None
                if name is not None:
                    run.awaiting_start.setdefault(name, deque()).append(call.call_id)
        if call is None:
            call = self._new_call(run, call_id, name, out, message=True)
        elif call_id is not None and name is not None:
            queue = run.awaiting_args.get(name)
            if queue and call_id in queue:
                queue.remove(call_id)
        if run.current_call == call.call_id:
            run.current_call = None
        arguments, value = _arguments(frame.get("arguments"))
        out.append(
            SetToolArguments(run.run_id, call.call_id, arguments, value, name if named else None)
        )

    def _resolve_started(
        self, run: _Run, frame: Mapping[str, Any], out: list[Event], *, starting: bool
    ) -> _Call:
        """The call a tool_start/_output/_end/_approval refers to (A6/A7)."""
        call_id, name = str_or_none(frame.get("call_id")), str_or_none(frame.get("name"))
        if call_id is not None:
            call = run.calls.get(call_id)
            if call is None:
                call = self._adopt(run, call_id, name, out)
            if call is None:
                call = self._new_call(run, call_id, name, out, message=False)
            return call
        if name is not None:
            if starting:
                queue = run.awaiting_start.get(name)
                while queue:
                    candidate = run.calls[queue.popleft()]
                    if not candidate.started:
                        return candidate
            else:
                for running_id in run.running:
                    candidate = run.calls[running_id]
                    if candidate.name == name:
                        return candidate
                queue = run.awaiting_start.get(name)
                if queue:
                    return run.calls[queue[0]]
        return self._new_call(run, None, name, out, message=False)

    def _adopt(self, run: _Run, call_id: str, name: str | None, out: list[Event]) -> _Call | None:
        """An id-less call of this name waiting to start takes the sender's id (Loom fills
        ``call_<uuid>`` into tool_start when the provider gave none,
        docs/loom.md#tool-call-chunks)."""
        queue = run.awaiting_start.get(name) if name is not None else None
        if not queue:
            return None
        call = run.calls[queue[0]]
        if not call.synthetic or call.started:
            return None
        old = call.call_id
        out.append(AdoptToolCallId(run.run_id, old, call_id))
        del run.calls[old]
        run.calls[call_id] = call
        call.call_id, call.synthetic = call_id, False
        queue[0] = call_id
        if run.current_call == old:
            run.current_call = call_id
        return call

    def _tool_start(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=True)
        call.started = True
        call.span_id = run.stack[-1][0] if run.stack else None
        if call.name is not None:
            queue = run.awaiting_start.get(call.name)
            if queue and call.call_id in queue:
                queue.remove(call.call_id)
        run.running.append(call.call_id)
        run.approval_pending = False
        out.append(StartToolExecution(run.run_id, call.call_id))

    def _tool_output(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(drop("invalid_field", "tool_output content is not a string", run.run_id))
            return
        call = self._resolve_started(run, frame, out, starting=False)
        out.append(AppendToolOutput(run.run_id, call.call_id, content))

    def _tool_end(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=False)
        if call.call_id in run.running:
            run.running.remove(call.call_id)
        result = frame.get("result")
        is_error = frame.get("is_error") is True
        raw_result = str_or_none(frame.get("raw_result"))
        if type(result) is not str:
            result = "" if result is None else dumps(result).decode()
        out.append(
            SetToolResult(
                run.run_id,
                call.call_id,
                result,
                is_error=is_error,
                error=result if is_error else None,
                value=_result_value(result),
                raw_result=raw_result,
            )
        )

    def _tool_approval(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=True)
        if call.name is not None:
            queue = run.awaiting_start.get(call.name)
            if queue and call.call_id in queue:
                queue.remove(call.call_id)
        value: Any = UNSET
        if "arguments" in frame:
            arguments, value = _arguments(frame.get("arguments"))
            out.append(SetToolArguments(run.run_id, call.call_id, arguments, value))
        run.approval_pending = True
        out.append(RequestApproval(run.run_id, call.call_id, None, value))


def _arguments(arguments: Any) -> tuple[str, Any]:
    """Complete tool arguments: an object (normal) or a JSON *string* when the model's text did
    not parse (docs/loom.md#event-order step 3). Returns the text and the parsed value (or
    UNSET)."""
    if type(arguments) is str:
        try:
            return arguments, orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return arguments, UNSET
    if arguments is None:
        return "", UNSET
    return dumps(arguments).decode(), arguments


def _result_value(result: str) -> Any:
    """tool_end.result may be JSON-quoted text or a diff object as text on dev (A8)."""
    if result[:1] in ('"', "{"):
        try:
            value = orjson.loads(result)
        except orjson.JSONDecodeError:
            return UNSET
        if type(value) is str or (type(value) is dict and value.get("type") == "diff"):
            return value
    return UNSET

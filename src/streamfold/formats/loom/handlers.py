"""Frame kinds other than tool calls and search: runs, nodes (spans), text and reasoning, usage,
state, custom values, checkpoints and sender errors (``docs/loom.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendReasoning,
    AppendText,
    CloseSpan,
    Diagnose,
    Event,
    OpenSpan,
    RecordCustom,
    ReportUsage,
    SaveCheckpoint,
    SetState,
)
from ...model import Severity, Usage
from ...model.text import dumps
from .._common import drop, str_or_none, warn
from .state import _ENVELOPE, _LoomState, _Run

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Handlers(_LoomState):
    """Node, message, usage, state and checkpoint frames."""

    def _run_start(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        """Nothing more to do: decode() began the run with run_start's fields."""

    def _node_enter(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        name = frame.get("id")
        if type(name) is not str:
            out.append(warn("invalid_field", "node_enter without a string 'id'", run.run_id))
            name = "?"
        run.span_seq += 1
        span_id = f"{run.run_id}/{run.span_seq}"
        parent = run.stack[-1][0] if run.stack else None
        parent_call = None
        if run.running:
            call = run.calls.get(run.running[-1])
            if call is not None and call.span_id == parent:
                parent_call = call.call_id
        event_id = frame.get("event_id")
        out.append(
            OpenSpan(
                run.run_id,
                span_id,
                name,
                parent,
                parent_call,
                str_or_none(frame.get("node_id")),
                event_id if type(event_id) is int else None,
            )
        )
        run.stack.append((span_id, name))

    def _node_exit(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        name = frame.get("id")
        stack = run.stack
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][1] == name:
                break
        else:
            out.append(
                Diagnose(
                    "unmatched_node_exit",
                    f"node_exit {name!r} matches no open span; dropped",
                    Severity.ERROR,
                    dropped=True,
                    run_id=run.run_id,
                )
            )
            return
        self._close_stack(run, depth + 1, out)
        span_id, _ = stack.pop()
        self._end_message(run, span_id, out)
        error = _node_error(frame.get("result"), out, run.run_id)
        if error is not None:
            run.error = error
            if "run cancelled" in error:
                run.cancelled = True
        out.append(CloseSpan(run.run_id, span_id, error))

    def _message_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(drop("invalid_field", "message_chunk content is not a string", run.run_id))
            return
        message_id = run.messages.get(run.stack[-1][0] if run.stack else None)
        if message_id is None:
            message_id = self._message_for(run, out)
        out.append(AppendText(run.run_id, message_id, content))

    def _thought_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(drop("invalid_field", "thought_chunk content is not a string", run.run_id))
            return
        out.append(AppendReasoning(run.run_id, self._message_for(run, out), content))

    def _usage(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        counts = [frame.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
        if not all(type(c) is int for c in counts if c is not None):
            out.append(drop("invalid_field", "usage counts are not integers", run.run_id))
            return
        prompt, completion, total = (c or 0 for c in counts)
        if counts[2] is None:
            total = prompt + completion
        usage = Usage(prompt, completion, total, reports=1)
        out.append(ReportUsage(run.run_id, usage, run.stack[-1][0] if run.stack else None))

    def _values(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(SetState(run.run_id, frame.get("state"), "values"))

    def _updates(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(SetState(run.run_id, frame.get("state"), "updates"))

    def _custom(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(RecordCustom(run.run_id, None, frame.get("value")))

    def _checkpoint(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        data = {k: v for k, v in frame.items() if k not in _ENVELOPE and k != "type"}
        checkpoint_id = frame.get("checkpoint_id")
        out.append(SaveCheckpoint(run.run_id, str_or_none(checkpoint_id), data))

    def _serialize_error(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = frame.get("_serialize_error")
        out.append(
            Diagnose(
                "sender_error",
                f"the sender could not serialize an event: {message}",
                Severity.WARNING,
                run_id=run.run_id,
            )
        )


# ----------------------------------------------------------------------------------- helpers


def _node_error(result: Any, out: list[Event], run_id: str) -> str | None:
    """``"Ok"`` → None; ``{"Err": text}`` → text (spec §4.2; docs/loom.md#a9)."""
    if result == "Ok" or (isinstance(result, Mapping) and "Ok" in result):
        return None
    if isinstance(result, Mapping) and "Err" in result:
        err = result["Err"]
        return err if type(err) is str else dumps(err).decode()
    if result is None:
        out.append(warn("invalid_field", "node_exit without a result; taken as Ok", run_id))
        return None
    out.append(warn("invalid_field", f"node_exit result {result!r} is neither Ok nor Err", run_id))
    return result if type(result) is str else dumps(result).decode()

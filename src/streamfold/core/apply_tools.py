"""The tool-call lifecycle: ``StartToolCall``, ``AppendToolArguments``, ``SetToolArguments``,
``AdoptToolCallId``, ``RequestApproval``, ``RequestClientTool``, ``RespondApproval``,
``StartToolExecution``, ``AppendToolOutput``, ``SetToolResult``.

Every state change goes through :meth:`FoldState.set_tool_state`, which checks it against
:data:`~streamfold.model.TOOL_CALL_TRANSITIONS`; any step after the arguments first completes an
input still open (:meth:`FoldState.complete_input`).
"""

from __future__ import annotations

from typing import Any

from .. import events as ev
from ..model import UNSET, Approval, Severity, ToolCall, ToolCallPart, ToolCallState, ToolResultPart
from ..notifications import (
    ClientToolRequested,
    ToolCallArgumentsDelta,
    ToolCallIdChanged,
    ToolCallStarted,
    ToolOutputDelta,
)
from .apply_messages import get_message
from .apply_runs import get_run
from .state import INPUT_OPEN, RESULT_PART, FoldState, Notes, parse_json
from .text import flush_halves, set_text, stream_text

__all__ = [
    "apply_adopt_tool_call_id",
    "apply_append_tool_arguments",
    "apply_append_tool_output",
    "apply_request_approval",
    "apply_request_client_tool",
    "apply_respond_approval",
    "apply_set_tool_arguments",
    "apply_set_tool_result",
    "apply_start_tool_call",
    "apply_start_tool_execution",
    "get_call",
]


def get_call(state: FoldState, run_id: str, call_id: str, notes: Notes) -> ToolCall:
    """The call ``call_id`` of ``run_id``, else the latest call with that id in any run, else a
    new call (with an ``unknown_tool_call`` diagnostic: nothing the sender said is lost)."""
    call = state.calls.get((run_id, call_id)) or state.latest_call.get(call_id)
    if call is None:
        state.diagnose(
            ev.Diagnose(
                "unknown_tool_call",
                f"event for tool call {call_id!r} that never started; kept as a new call",
                run_id=run_id,
            ),
            notes,
        )
        apply_start_tool_call(state, ev.StartToolCall(run_id, call_id, None), notes)
        call = state.calls[(run_id, call_id)]
    return call


def apply_start_tool_call(state: FoldState, e: ev.StartToolCall, notes: Notes) -> None:
    """Apply ``StartToolCall`` (:class:`streamfold.events.StartToolCall`): a tool call appears."""
    key = (e.run_id, e.call_id)
    call = state.calls.get(key)
    if call is not None and call.message_id is None and e.message_id is not None:
        # The call was known without a message (arguments before its start): place it.
        call.message_id = e.message_id
        if call.name is None:
            call.name = e.name
        if e.metadata:
            call.metadata.update(e.metadata)
        get_message(state, e.run_id, e.message_id, notes).parts.append(ToolCallPart(call))
        state.diagnose(
            ev.Diagnose(
                "late_tool_call_start",
                f"tool call {e.call_id!r} started after its arguments; placed in its message",
                Severity.INFO,
                run_id=e.run_id,
            ),
            notes,
        )
        return
    if call is not None:
        state.diagnose(
            ev.Diagnose(
                "duplicate_tool_call_start",
                f"tool call {e.call_id!r} already started; ignored",
                Severity.INFO,
                run_id=e.run_id,
            ),
            notes,
        )
        if call.name is None and e.name is not None:
            call.name = e.name
        return
    run = get_run(state, e.run_id, notes)
    call = ToolCall(
        call_id=e.call_id,
        name=e.name,
        run_id=e.run_id,
        message_id=e.message_id,
        span_id=e.span_id,
        metadata=dict(e.metadata) if e.metadata else {},
        start_time=state.now(),
    )
    call._record_state(call.state, state.index)
    run.tool_calls[e.call_id] = call
    state.calls[key] = call
    state.latest_call[e.call_id] = call
    if e.message_id is not None:
        get_message(state, e.run_id, e.message_id, notes).parts.append(ToolCallPart(call))
    notes.append(ToolCallStarted(e.run_id, e.call_id, e.name, call))


def apply_append_tool_arguments(state: FoldState, e: ev.AppendToolArguments, notes: Notes) -> None:
    """Apply ``AppendToolArguments`` (:class:`streamfold.events.AppendToolArguments`): append
    ``delta`` to tool call ``call_id``'s argument text."""
    call = state.calls.get((e.run_id, e.call_id)) or get_call(state, e.run_id, e.call_id, notes)
    delta = e.delta
    buffer = call.arguments_buffer
    if state.text_check:  # core/text.py
        delta = stream_text(state, buffer, delta, e.run_id, "arguments", call, None, notes)
    if buffer.chars + len(delta) > state.max_text_chars:
        delta = state.truncate(buffer, delta, e.run_id, e.call_id, "arguments", notes)
    buffer.append(delta)
    if delta and call.state is ToolCallState.AWAITING_INPUT:
        state.set_tool_state(call, ToolCallState.INPUT_STREAMING, notes)
    notes.append(ToolCallArgumentsDelta(e.run_id, e.call_id, delta, call))


def apply_set_tool_arguments(state: FoldState, e: ev.SetToolArguments, notes: Notes) -> None:
    """Apply ``SetToolArguments`` (:class:`streamfold.events.SetToolArguments`): the arguments are
    complete."""
    call = state.calls.get((e.run_id, e.call_id)) or get_call(state, e.run_id, e.call_id, notes)
    if e.name is not None and call.name is None:
        call.name = e.name
    arguments = e.arguments
    if arguments is not None and state.text_check:
        arguments = set_text(
            state, call.arguments_buffer, arguments, e.run_id, e.call_id, "arguments", notes
        )
    if arguments is not None and arguments != call.arguments:
        call.arguments_buffer.replace(arguments)
    if e.input is not UNSET:
        if e.arguments is None and call.arguments_buffer:
            _check_input_override(state, call, e.input, notes)
        call.input = e.input
    elif e.arguments is not None:
        call.input = UNSET
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    elif call.input is UNSET:
        call.input = parse_json(call.arguments)


def _check_input_override(state: FoldState, call: ToolCall, value: Any, notes: Notes) -> None:
    """The sender's parsed input replaces what the streamed arguments say: keep both, and say
    so when they disagree (``docs/diagnostics.md``, ``tool_input_override``)."""
    streamed = parse_json(call.arguments)
    if streamed is UNSET or streamed != value:
        what = "are not valid JSON" if streamed is UNSET else "parse to a different value"
        state.diagnose(
            ev.Diagnose(
                "tool_input_override",
                f"tool call {call.call_id!r}: the streamed arguments {what}; the sender's "
                "input is used and the argument text kept",
                Severity.INFO,
                run_id=call.run_id,
            ),
            notes,
        )


def apply_adopt_tool_call_id(state: FoldState, e: ev.AdoptToolCallId, notes: Notes) -> None:
    """Apply ``AdoptToolCallId`` (:class:`streamfold.events.AdoptToolCallId`): the sender revealed
    the real id of a call known so far under a synthesized id."""
    call = get_call(state, e.run_id, e.call_id, notes)
    new = e.new_call_id
    run = get_run(state, e.run_id, notes)
    if (e.run_id, new) in state.calls:
        state.diagnose(
            ev.Diagnose(
                "tool_call_id_conflict",
                f"cannot rename {e.call_id!r} to {new!r}: that call exists",
                run_id=e.run_id,
            ),
            notes,
        )
        return
    old = call.call_id
    call.call_id = new
    tool_calls = run.tool_calls
    if next(reversed(tool_calls)) == old:  # the usual case: the newest call is renamed
        del tool_calls[old]
        tool_calls[new] = call
    else:  # keep the order of the calls
        run.tool_calls = {(new if k == old else k): v for k, v in tool_calls.items()}
    del state.calls[(e.run_id, old)]
    state.calls[(e.run_id, new)] = call
    if state.latest_call.get(old) is call:
        del state.latest_call[old]
    state.latest_call[new] = call
    # A result part of the call sits in the call's own message (apply_set_tool_result puts it
    # there); the index finds it without a walk of the run's messages.
    if call.message_id is not None:
        keyed = state.keyed_parts
        part = keyed.pop((call.message_id, RESULT_PART, old), None)
        if type(part) is ToolResultPart:
            part.call_id = new
            keyed[(call.message_id, RESULT_PART, new)] = part
    notes.append(ToolCallIdChanged(e.run_id, old, new, call))


def apply_request_approval(state: FoldState, e: ev.RequestApproval, notes: Notes) -> None:
    """Apply ``RequestApproval`` (:class:`streamfold.events.RequestApproval`): tool call ``call_id``
    needs the user's approval: its state becomes ``approval-requested``."""
    call = get_call(state, e.run_id, e.call_id, notes)
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    approval_input = e.input if e.input is not UNSET else call.input
    call.approval = Approval(
        e.approval_id, None, None if approval_input is UNSET else approval_input
    )
    state.set_tool_state(call, ToolCallState.APPROVAL_REQUESTED, notes)


def apply_request_client_tool(state: FoldState, e: ev.RequestClientTool, notes: Notes) -> None:
    """Apply ``RequestClientTool`` (:class:`streamfold.events.RequestClientTool`): the sender asks
    the client to execute a tool call itself."""
    call = get_call(state, e.run_id, e.call_id, notes)
    if call.name is None and e.name is not None:
        call.name = e.name
    if e.input is not UNSET and call.input is UNSET:
        call.input = e.input
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    call.client_tool = True
    if e.request_id is not None:
        call.interrupt_id = e.request_id
    value = e.input if e.input is not UNSET else call.input
    notes.append(
        ClientToolRequested(
            e.run_id, call.call_id, call.name, None if value is UNSET else value, call
        )
    )


def apply_respond_approval(state: FoldState, e: ev.RespondApproval, notes: Notes) -> None:
    """Apply ``RespondApproval`` (:class:`streamfold.events.RespondApproval`): the user answered the
    approval of ``call_id``: ``approved`` moves the call to ``approval-responded``, a denial to
    ``denied``."""
    call = get_call(state, e.run_id, e.call_id, notes)
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    if call.approval is None:
        call.approval = Approval()
    call.approval.approved = e.approved
    new = ToolCallState.APPROVAL_RESPONDED if e.approved else ToolCallState.DENIED
    state.set_tool_state(call, new, notes)


def apply_start_tool_execution(state: FoldState, e: ev.StartToolExecution, notes: Notes) -> None:
    """Apply ``StartToolExecution`` (:class:`streamfold.events.StartToolExecution`): tool call
    ``call_id`` started executing: state ``executing``."""
    call = get_call(state, e.run_id, e.call_id, notes)
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    state.set_tool_state(call, ToolCallState.EXECUTING, notes)


def apply_append_tool_output(state: FoldState, e: ev.AppendToolOutput, notes: Notes) -> None:
    """Apply ``AppendToolOutput`` (:class:`streamfold.events.AppendToolOutput`): append ``delta`` to
    the output a running tool streams."""
    call = get_call(state, e.run_id, e.call_id, notes)
    delta = e.delta
    buffer = call.output_buffer
    if state.text_check:
        delta = stream_text(state, buffer, delta, e.run_id, "output", call, None, notes)
    if buffer.chars + len(delta) > state.max_text_chars:
        delta = state.truncate(buffer, delta, e.run_id, e.call_id, "output", notes)
    buffer.append(delta)
    if not call.state.is_terminal and call.state is not ToolCallState.EXECUTING:
        state.set_tool_state(call, ToolCallState.EXECUTING, notes)
    notes.append(ToolOutputDelta(e.run_id, e.call_id, delta, call))


def apply_set_tool_result(state: FoldState, e: ev.SetToolResult, notes: Notes) -> None:
    """Apply ``SetToolResult`` (:class:`streamfold.events.SetToolResult`): the tool finished."""
    call = get_call(state, e.run_id, e.call_id, notes)
    if call.state in INPUT_OPEN:
        state.complete_input(call, notes)
    content = e.content
    if state.text_check:
        if state.halves:
            flush_halves(state, notes, owner=call)
        if content:
            content = set_text(state, None, content, e.run_id, e.call_id, "output", notes)
    call.result = content
    call.result_value = e.value
    if e.raw_result is not None:
        call.raw_result = e.raw_result
    call.error = e.error if e.is_error else None
    if e.is_error and call.error is None:
        call.error = content
    message_id = call.message_id
    if e.add_result_part and message_id is not None:
        message = state.messages.get(message_id)
        if message is not None:
            # The message's result part for this call, found by the index (a scan of the parts
            # made every result O(parts): 3 ms per frame at 16,000 results in one message).
            key = (message_id, RESULT_PART, call.call_id)
            existing = state.keyed_parts.get(key)
            if type(existing) is ToolResultPart:
                existing.content = content
                existing.is_error = e.is_error
                existing.error = call.error
            else:
                part = ToolResultPart(call.call_id, content, e.is_error, call.error)
                message.parts.append(part)
                state.keyed_parts[key] = part
    state.set_tool_state(call, ToolCallState.ERROR if e.is_error else ToolCallState.COMPLETE, notes)

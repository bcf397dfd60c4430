"""Messages snapshots: ``ReplaceMessages`` makes a session's message list the snapshot's.

Known messages keep their identity and run and get the snapshot's parts; unknown ones are
created in the event's run; the session's messages the snapshot leaves out are removed. Tool
calls keep their state: a call the snapshot mentions is re-homed into its snapshot message and
only moved forward (``docs/model.md``).
"""

from __future__ import annotations

from .. import events as ev
from ..model import (
    ActivityPart,
    Message,
    Part,
    ReasoningPart,
    TextBuffer,
    TextPart,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
)
from ..notifications import MessagesReplaced
from .apply_runs import get_run
from .apply_tools import apply_start_tool_call
from .state import INPUT_OPEN, FoldState, Notes, parse_json

__all__ = ["apply_replace_messages"]


def apply_replace_messages(state: FoldState, e: ev.ReplaceMessages, notes: Notes) -> None:
    """Apply ``ReplaceMessages`` (:class:`streamfold.events.ReplaceMessages`): a messages snapshot:
    the session's message list becomes ``messages``, in this order."""
    run = get_run(state, e.run_id, notes)
    wanted = {m.message_id for m in e.messages}
    removed: list[str] = []
    holders = state.message_runs.get(run.session_id)
    # Only the session's runs that hold messages are visited (state.message_runs), so a long
    # session of runs that each send a snapshot does not make every snapshot walk every run.
    for other in list(holders.values()) if holders else ():
        if any(m.message_id not in wanted for m in other.messages):
            kept = []
            for old in other.messages:
                if old.message_id in wanted:
                    kept.append(old)
                else:
                    removed.append(old.message_id)
                    state.forget_message(old)
            other.messages = kept
            if not kept and holders is not None:
                del holders[other.run_id]
    for snap in e.messages:
        found = state.messages.get(snap.message_id)
        if found is not None:
            message = found
            state.unindex_parts(message)
            state.seq += 1
            message.seq = state.seq
        else:
            message = state.new_message(run, snap.message_id, snap.role, notes, completed=True)
        message.role = snap.role
        if snap.metadata is not None:
            message.metadata = dict(snap.metadata)
        message.parts = [_snapshot_part(state, message, part, notes) for part in snap.parts]
        state.index_parts(message)
    notes.append(
        MessagesReplaced(
            run.run_id,
            run.session_id,
            tuple(m.message_id for m in e.messages),
            tuple(removed),
        )
    )


def _snapshot_part(state: FoldState, message: Message, part: ev.SnapshotPart, notes: Notes) -> Part:
    run_id = message.run_id or ""
    if type(part) is ev.SnapshotText:
        return TextPart(TextBuffer(part.text))
    if type(part) is ev.SnapshotReasoning:
        return ReasoningPart(TextBuffer(part.text), part.step_id, part.signature, part.encrypted)
    if type(part) is ev.SnapshotActivity:
        return ActivityPart(part.activity_type, part.content)
    if type(part) is ev.SnapshotToolCall:
        call = state.calls.get((run_id, part.call_id)) or state.latest_call.get(part.call_id)
        if call is None:
            apply_start_tool_call(
                state,
                ev.StartToolCall(run_id, part.call_id, part.name, None, None, part.metadata),
                notes,
            )
            call = state.calls[(run_id, part.call_id)]
        elif call.name is None and part.name is not None:
            call.name = part.name
        if part.arguments is not None and part.arguments != call.arguments:
            call.arguments_buffer.replace(part.arguments)
            call.input = parse_json(part.arguments)
        if call.state in INPUT_OPEN:
            state.complete_input(call, notes)
        call.message_id = message.message_id
        return ToolCallPart(call)
    assert type(part) is ev.SnapshotToolResult
    call = state.calls.get((run_id, part.call_id)) or state.latest_call.get(part.call_id)
    if call is not None and call.result is None and not call.state.is_terminal:
        if call.state in INPUT_OPEN:
            state.complete_input(call, notes)
        call.result = part.content
        call.result_value = part.value
        call.error = (part.error or part.content) if part.is_error else None
        new = ToolCallState.ERROR if part.is_error else ToolCallState.COMPLETE
        state.set_tool_state(call, new, notes)
    return ToolResultPart(part.call_id, part.content, part.is_error, part.error)

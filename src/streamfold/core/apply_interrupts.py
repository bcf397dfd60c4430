"""Interrupts and activities: ``RaiseInterrupt``, ``ResolveInterrupt``, ``SetActivity``,
``PatchActivity`` (docs/model.md; the events say what each one means)."""

from __future__ import annotations

from typing import Any

from .. import events as ev
from ..model import ActivityPart, Interrupt, Message, Severity
from ..model.values import _appended
from ..notifications import ActivityUpdated, InterruptRaised, InterruptResolved
from .apply_runs import get_run
from .state import FoldState, Notes

__all__ = [
    "apply_patch_activity",
    "apply_raise_interrupt",
    "apply_resolve_interrupt",
    "apply_set_activity",
]


def apply_raise_interrupt(state: FoldState, e: ev.RaiseInterrupt, notes: Notes) -> None:
    """Add the interrupt to its run's ``interrupts`` (or update the one with its id) and
    announce it (``InterruptRaised``)."""
    run = get_run(state, e.run_id, notes)
    found: Interrupt | None = None
    if e.interrupt_id is not None:
        # A run raises a handful of interrupts: the scan is over those, not the stream.
        for known in run.interrupts:
            if known.interrupt_id == e.interrupt_id:
                found = known
                break
    if found is None:
        found = Interrupt(e.interrupt_id)
        run._interrupts = _appended(run._interrupts, found)
    for name in ("reason", "message", "tool_call_id", "response_schema", "expires_at"):
        value = getattr(e, name)
        if value is not None:
            setattr(found, name, value)
    if e.subagent_run_id is not None:
        found.subagent_run_id = e.subagent_run_id
    if e.value is not None:
        found.value = e.value
    if e.metadata:
        found.metadata.update(e.metadata)
    notes.append(InterruptRaised(run.run_id, found.interrupt_id, found.reason, found))


def find_interrupt(state: FoldState, run_id: str, interrupt_id: str) -> Interrupt | None:
    """The interrupt ``interrupt_id`` of ``run_id``, else of the latest run that raised it."""
    run = state.runs.get(run_id)
    for interrupt in run.interrupts if run is not None else ():
        if interrupt.interrupt_id == interrupt_id:
            return interrupt
    for session in reversed(state.conversation.sessions.values()):
        for other in reversed(session.runs):
            for interrupt in other.interrupts:
                if interrupt.interrupt_id == interrupt_id:
                    return interrupt
    return None


def apply_resolve_interrupt(state: FoldState, e: ev.ResolveInterrupt, notes: Notes) -> None:
    """Record the client's answer (``status``, ``response``); an unknown id is an
    ``unknown_interrupt`` diagnostic."""
    interrupt = find_interrupt(state, e.run_id, e.interrupt_id)
    if interrupt is None:
        state.diagnose(
            ev.Diagnose(
                "unknown_interrupt",
                f"answer to unknown interrupt {e.interrupt_id!r}; ignored",
                run_id=e.run_id,
            ),
            notes,
        )
        return
    interrupt.status = e.status
    interrupt.response = e.payload
    notes.append(InterruptResolved(e.run_id, e.interrupt_id, e.status, interrupt))


def _activity(
    state: FoldState, run_id: str, message_id: str, activity_type: str, notes: Notes
) -> tuple[Message, ActivityPart, bool]:
    """The activity message ``message_id`` and its part (created when unknown), and whether
    it existed with content already."""
    message = state.messages.get(message_id)
    if message is None:
        run = get_run(state, run_id, notes)
        message = state.new_message(run, message_id, "activity", notes)
    part = message.parts[0] if len(message.parts) == 1 else None
    existed = type(part) is ActivityPart
    if type(part) is not ActivityPart:
        if message.parts or message.role != "activity":
            state.diagnose(
                ev.Diagnose(
                    "activity_conflict",
                    f"activity for message {message_id!r}, which is a {message.role} message; "
                    "it becomes an activity message",
                    run_id=run_id,
                ),
                notes,
            )
        part = ActivityPart(activity_type)
        state.unindex_parts(message)
        message.parts = [part]
        message.role = "activity"
    part.activity_type = activity_type
    return message, part, existed


def apply_set_activity(state: FoldState, e: ev.SetActivity, notes: Notes) -> None:
    """Set an activity message's content (made when unknown; ``replace=False`` keeps the
    content of one that exists)."""
    message, part, existed = _activity(state, e.run_id, e.message_id, e.activity_type, notes)
    if existed and not e.replace:  # replace=False: the content there is kept
        return
    content: Any = e.content if e.content is not None else {}
    part.content = content
    notes.append(ActivityUpdated(e.run_id, message.message_id, part.activity_type, content, part))


def apply_patch_activity(state: FoldState, e: ev.PatchActivity, notes: Notes) -> None:
    """JSON-Patch an activity message's content (``activity_patch_failed`` when it does not
    apply: the content is unchanged)."""
    import jsonpatch

    message, part, _ = _activity(state, e.run_id, e.message_id, e.activity_type, notes)
    try:
        part.content = jsonpatch.apply_patch(part.content, e.patch)
    except Exception as exc:  # jsonpatch raises several unrelated types on bad patches
        state.diagnose(
            ev.Diagnose(
                "activity_patch_failed",
                f"JSON Patch for activity {e.message_id!r} not applied: {exc}",
                Severity.WARNING,
                run_id=e.run_id,
            ),
            notes,
        )
        return
    notes.append(
        ActivityUpdated(e.run_id, message.message_id, part.activity_type, part.content, part)
    )

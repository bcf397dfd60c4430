"""Messages, text, reasoning and metadata: ``StartMessage``, ``AppendText``, ``ReplaceText``,
``AppendReasoning``, ``SetReasoningSignature``, ``EndMessage``, ``MergeMetadata``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import events as ev
from ..model import Message, ReasoningPart, Severity, TextBuffer, TextPart
from ..notifications import MessageCompleted, ReasoningDelta, TextDelta, TextReplaced
from .apply_runs import get_run
from .state import REASONING_PART, FoldState, Notes
from .text import flush_halves, set_text, stream_text

__all__ = [
    "apply_append_reasoning",
    "apply_append_text",
    "apply_end_message",
    "apply_merge_metadata",
    "apply_replace_text",
    "apply_set_reasoning_signature",
    "apply_start_message",
    "get_message",
]


def get_message(state: FoldState, run_id: str, message_id: str, notes: Notes) -> Message:
    """The message ``message_id``, started in ``run_id`` when it is unknown (senders often
    stream text without announcing the message)."""
    message = state.messages.get(message_id)
    if message is None:
        apply_start_message(state, ev.StartMessage(run_id, message_id), notes)
        message = state.messages[message_id]
    return message


def apply_start_message(state: FoldState, e: ev.StartMessage, notes: Notes) -> None:
    """Apply ``StartMessage`` (:class:`streamfold.events.StartMessage`): start message
    ``message_id`` in run ``run_id`` with ``role``, optionally inside span ``span_id`` and with
    initial ``text``."""
    if e.message_id in state.messages:
        state.diagnose(
            ev.Diagnose(
                "duplicate_message",
                f"message {e.message_id!r} already started",
                Severity.INFO,
                run_id=e.run_id,
            ),
            notes,
        )
        return
    run = get_run(state, e.run_id, notes)
    metadata = dict(e.metadata) if e.metadata else {}
    text = e.text
    if text and state.text_check:
        text = set_text(state, None, text, e.run_id, e.message_id, "text", notes)
    state.new_message(
        run, e.message_id, e.role, notes, span_id=e.span_id, metadata=metadata, text=text
    )


def apply_append_text(state: FoldState, e: ev.AppendText, notes: Notes) -> None:
    """Apply ``AppendText`` (:class:`streamfold.events.AppendText`): append to the message's last
    text part, or start a text part after a non-text part."""
    # The hottest applier (one call per text delta): written out, not factored.
    message = state.messages.get(e.message_id) or get_message(state, e.run_id, e.message_id, notes)
    parts = message.parts
    part = parts[-1] if parts else None
    if type(part) is not TextPart:
        part = TextPart(TextBuffer())
        parts.append(part)
        state.stamp_first_token(message)
    buffer = part.buffer
    delta = e.delta
    if state.text_check:  # input may hold surrogate halves (core/text.py; docs/model.md)
        delta = stream_text(state, buffer, delta, e.run_id, "text", message, part, notes)
    size = buffer.chars + len(delta)
    if size > state.max_text_chars:
        delta = state.truncate(buffer, delta, e.run_id, e.message_id, "text", notes)
        buffer.append(delta)
    elif delta:
        # TextBuffer.append inlined: the one call fewer is ~4% of a text delta's cost. A
        # buffer with a piece list has no cached text, so only ``chars`` changes.
        pieces = buffer._pieces
        if pieces is not None:
            pieces.append(delta)
            buffer.chars = size
            if len(pieces) >= buffer._compact_at:
                buffer._compact()  # every _CHUNK_PIECES deltas
        else:
            buffer.append(delta)  # the first or second piece: makes the list
    notes.append(TextDelta(e.run_id, e.message_id, delta, part))


def apply_replace_text(state: FoldState, e: ev.ReplaceText, notes: Notes) -> None:
    """Apply ``ReplaceText`` (:class:`streamfold.events.ReplaceText`): replace the message's current
    text segment (snapshot / replace stream semantics)."""
    message = get_message(state, e.run_id, e.message_id, notes)
    parts = message.parts
    part = parts[-1] if parts else None
    if type(part) is not TextPart:
        part = TextPart(TextBuffer())
        parts.append(part)
        state.stamp_first_token(message)
    text = e.text
    if state.text_check:  # a text still streaming: its last half may pair later
        stream = (message, part)
        text = set_text(
            state, part.buffer, text, e.run_id, e.message_id, "text", notes, stream=stream
        )
    part.buffer.replace(text)
    notes.append(TextReplaced(e.run_id, e.message_id, text, part))


def _reasoning_part(state: FoldState, message: Message, step_id: str | None) -> ReasoningPart:
    """The reasoning part for ``step_id``: the last part when it is that step's, else the
    message's part of that step (an index lookup, no scan), else a new part at the end."""
    parts = message.parts
    last = parts[-1] if parts else None
    if type(last) is ReasoningPart and last.step_id == step_id:
        return last
    key = (message.message_id, REASONING_PART, step_id) if step_id is not None else None
    if key is not None:
        found = state.keyed_parts.get(key)
        if type(found) is ReasoningPart:
            return found
    part = ReasoningPart(step_id=step_id)
    parts.append(part)
    state.stamp_first_token(message)
    if key is not None:
        state.keyed_parts[key] = part
    return part


def apply_append_reasoning(state: FoldState, e: ev.AppendReasoning, notes: Notes) -> None:
    """Apply ``AppendReasoning`` (:class:`streamfold.events.AppendReasoning`): append reasoning
    text; parts are keyed by ``step_id`` (one reasoning part per step)."""
    message = state.messages.get(e.message_id) or get_message(state, e.run_id, e.message_id, notes)
    part = _reasoning_part(state, message, e.step_id)
    delta = e.delta
    if state.text_check:
        delta = stream_text(state, part.buffer, delta, e.run_id, "reasoning", message, part, notes)
    if part.buffer.chars + len(delta) > state.max_text_chars:
        delta = state.truncate(part.buffer, delta, e.run_id, e.message_id, "reasoning", notes)
    part.buffer.append(delta)
    notes.append(ReasoningDelta(e.run_id, e.message_id, delta, part))


def apply_set_reasoning_signature(
    state: FoldState, e: ev.SetReasoningSignature, notes: Notes
) -> None:
    """Apply ``SetReasoningSignature`` (:class:`streamfold.events.SetReasoningSignature`): attach a
    provider signature (``signature``) or encrypted reasoning (``encrypted``) to the message's
    reasoning part for ``step_id``."""
    message = get_message(state, e.run_id, e.message_id, notes)
    part = _reasoning_part(state, message, e.step_id)
    if e.signature is not None:
        part.signature = e.signature
    if e.encrypted is not None:
        part.encrypted = e.encrypted


def apply_end_message(state: FoldState, e: ev.EndMessage, notes: Notes) -> None:
    """Apply ``EndMessage`` (:class:`streamfold.events.EndMessage`): message ``message_id`` is
    complete."""
    message = state.messages.get(e.message_id)
    if message is None:
        state.diagnose(
            ev.Diagnose("unknown_message", f"end of unknown message {e.message_id!r}"), notes
        )
        return
    if state.halves:
        flush_halves(state, notes, owner=message)
    if not message.completed:
        message.completed = True
        state.stamp_end(message)
        notes.append(MessageCompleted(e.run_id, e.message_id, message))


def apply_merge_metadata(state: FoldState, e: ev.MergeMetadata, notes: Notes) -> None:
    """Apply ``MergeMetadata`` (:class:`streamfold.events.MergeMetadata`): merge ``metadata`` into a
    message's (``message_id``) or a tool call's (``call_id``) metadata: top-level keys replace,
    except that two mappings under the same key are merged one level deep."""
    target: dict[str, Any] | None = None
    if e.message_id is None and e.call_id is None:
        run = state.runs.get(e.run_id)
        target = run.metadata if run is not None else None
    elif e.message_id is not None:
        message = state.messages.get(e.message_id)
        target = message.metadata if message is not None else None
    elif e.call_id is not None:
        call = state.calls.get((e.run_id, e.call_id)) or state.latest_call.get(e.call_id)
        target = call.metadata if call is not None else None
    if target is None:
        state.diagnose(
            ev.Diagnose(
                "unknown_metadata_target",
                "metadata for an unknown message or tool call; ignored",
                Severity.INFO,
                run_id=e.run_id,
            ),
            notes,
        )
        return
    _merge(target, e.metadata)


def _merge(target: dict[str, Any], incoming: Mapping[str, Any]) -> None:
    """Top-level keys replace; two mappings under one key merge one level deep."""
    for key, value in incoming.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            target[key] = {**current, **value}
        else:
            target[key] = value

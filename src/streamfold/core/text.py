"""The text integrity rule: text streams survive a cut between the halves of a surrogate pair.

JavaScript senders cut strings by UTF-16 code units, so one emoji can arrive as ``"\\ud83d"``
at the end of one delta and ``"\\ude80…"`` at the start of the next (``docs/model.md``, "Text
integrity"). A *text stream* is one :class:`~streamfold.model.TextBuffer`: a message's text
part, a reasoning part, a tool call's arguments or its output. For each one:

* a high surrogate at the end of a delta is held back as the stream's *pending half*
  (:class:`PendingHalf`, kept in :attr:`FoldState.halves`, never in the buffer's text) and
  joined with a low surrogate that starts the stream's next delta (a message's text or
  reasoning is one stream even when its next delta starts a new part);
* any other lone surrogate becomes U+FFFD with an ``unpaired_surrogate`` diagnostic;
* a pending half whose stream moves on (its next delta does not start with the low half, the
  call's output starts after its arguments, the message or tool step or run ends,
  ``close()``) becomes one U+FFFD with the same diagnostic, announced as a delta of the part or
  call that holds it.

So the model never holds a lone surrogate at rest; an open stream's pending half is invisible in
its text (and in every export) until its pair arrives. Text set whole (``ReplaceText``, complete
tool arguments, a message started with text) is made well formed (:func:`set_text`).

Cost: the appliers call in here only when :attr:`FoldState.text_check` is set: input that may
hold lone surrogates was seen (a frame parsed on the reducer's fallback path, a dict given to
``Reducer.feed``, events given to ``Reducer.apply``). orjson never produces a lone surrogate,
so a stream that never needs the rule pays one attribute test per delta.
"""

from __future__ import annotations

from typing import Literal

import attrs

from .. import events as ev
from ..model import Message, Severity, TextBuffer, ToolCall
from ..model.text import REPLACEMENT, has_surrogate, well_formed
from ..model.tree import Part
from ..notifications import (
    Notification,
    ReasoningDelta,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolOutputDelta,
)
from .state import FoldState, Notes

__all__ = ["PendingHalf", "StreamKind", "flush_halves", "set_text", "stream_text"]

StreamKind = Literal["text", "reasoning", "arguments", "output"]


@attrs.define(slots=True, eq=False)
class PendingHalf:
    """A high surrogate held back at the end of a text stream until its low half arrives."""

    code: int
    """The held code unit (0xD800–0xDBFF), an int so that snapshots stay JSON-safe."""
    buffer: TextBuffer
    run_id: str
    kind: StreamKind
    owner: Message | ToolCall
    """The message (text, reasoning) or tool call (arguments, output) of the stream."""
    part: Part | None = None
    """The message part the buffer belongs to (text, reasoning)."""


def _is_high(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


def stream_text(
    state: FoldState,
    buffer: TextBuffer,
    delta: str,
    run_id: str,
    kind: StreamKind,
    owner: Message | ToolCall,
    part: Part | None,
    notes: Notes,
) -> str:
    """The part of ``delta`` to append to ``buffer`` under the text integrity rule (see the
    module docstring); the stream's pending half is joined, held or replaced here."""
    halves = state.halves
    pending: PendingHalf | None = None
    if halves:
        for half in list(halves):
            if half.owner is owner and half.kind == kind:
                pending = half  # the same stream (its next fragment may start a new part)
            elif half.owner is owner and half.kind in _MOVES_ON[kind]:
                _replace_half(state, half, notes)  # a stream that ended when this one grew
        if pending is not None:
            if not delta:
                return delta
            halves.remove(pending)
            delta = chr(pending.code) + delta
    if (pending is None and delta.isascii()) or not has_surrogate(delta):
        return delta
    held: int | None = None
    if _is_high(delta[-1]):
        held = ord(delta[-1])
        delta = delta[:-1]
    delta, replaced = well_formed(delta)
    if replaced:
        _diagnose(state, replaced, run_id, _name(owner), kind, notes)
    if held is not None:
        state.halves.append(PendingHalf(held, buffer, run_id, kind, owner, part))
    return delta


def _name(owner: Message | ToolCall) -> str:
    return owner.message_id if isinstance(owner, Message) else owner.call_id


_MOVES_ON: dict[str, frozenset[str]] = {
    # The streams of the same owner that end when a stream grows: a call's arguments once
    # its output streams. A message's text and reasoning may interleave, so neither ends the
    # other.
    "text": frozenset(),
    "reasoning": frozenset(),
    "arguments": frozenset(),
    "output": frozenset({"arguments"}),
}


def set_text(
    state: FoldState,
    buffer: TextBuffer | None,
    text: str,
    run_id: str,
    owner: str,
    kind: StreamKind,
    notes: Notes,
    *,
    stream: tuple[Message | ToolCall, Part | None] | None = None,
) -> str:
    """``text`` made well formed, for text that replaces a stream's whole text: the stream's
    pending half (of ``buffer``) is superseded and dropped. With ``stream`` (the owner and
    part of a stream that goes on, e.g. a snapshot of a text still streaming) a high
    surrogate at the end is held as the stream's pending half, as :func:`stream_text` does."""
    halves = state.halves
    if halves and buffer is not None:
        state.halves = [half for half in halves if half.buffer is not buffer]
    held: int | None = None
    if stream is not None and buffer is not None and text and _is_high(text[-1]):
        held, text = ord(text[-1]), text[:-1]
        state.halves.append(PendingHalf(held, buffer, run_id, kind, stream[0], stream[1]))
    fixed, replaced = well_formed(text)
    if replaced:
        _diagnose(state, replaced, run_id, owner, kind, notes)
    return fixed


def flush_halves(
    state: FoldState,
    notes: Notes,
    *,
    run_id: str | None = None,
    owner: Message | ToolCall | None = None,
    kind: StreamKind | None = None,
) -> None:
    """The streams that ended (all, or those of ``run_id`` / ``owner`` / ``kind``): each pending
    half becomes U+FFFD (``unpaired_surrogate``)."""
    halves = state.halves
    if not halves:
        return
    for half in list(halves):
        if (
            (run_id is None or half.run_id == run_id)
            and (owner is None or half.owner is owner)
            and (kind is None or half.kind == kind)
        ):
            _replace_half(state, half, notes)


def _replace_half(state: FoldState, half: PendingHalf, notes: Notes) -> None:
    state.halves.remove(half)
    owner = half.owner
    _diagnose(state, 1, half.run_id, _name(owner), half.kind, notes)
    buffer = half.buffer
    if buffer.chars >= state.max_text_chars:
        buffer.dropped += 1
        return
    buffer.append(REPLACEMENT)
    note: Notification
    if isinstance(owner, Message):
        assert half.part is not None
        kind = TextDelta if half.kind == "text" else ReasoningDelta
        note = kind(half.run_id, owner.message_id, REPLACEMENT, half.part)
    elif half.kind == "arguments":
        note = ToolCallArgumentsDelta(half.run_id, owner.call_id, REPLACEMENT, owner)
    else:
        note = ToolOutputDelta(half.run_id, owner.call_id, REPLACEMENT, owner)
    notes.append(note)


def _diagnose(
    state: FoldState, count: int, run_id: str, owner: str, kind: str, notes: Notes
) -> None:
    what = "a lone surrogate" if count == 1 else f"{count} lone surrogates"
    state.diagnose(
        ev.Diagnose(
            "unpaired_surrogate",
            f"{kind} of {owner!r}: {what} (half of a UTF-16 pair) replaced by U+FFFD",
            Severity.WARNING,
            run_id=run_id,
        ),
        notes,
    )

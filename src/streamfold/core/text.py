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

from ..model import Message, TextBuffer, ToolCall
from ..model.text import has_surrogate, well_formed
from ..model.tree import Part
from .state import FoldState, Notes, PendingHalf, StreamKind, _name

__all__ = ["PendingHalf", "StreamKind", "flush_halves", "set_text", "stream_text"]


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
                state.replace_half(half, notes)  # a stream that ended when this one grew
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
        state.surrogates_replaced(replaced, run_id, _name(owner), kind, notes)
    if held is not None:
        state.halves.append(PendingHalf(held, buffer, run_id, kind, owner, part))
    return delta


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
        state.surrogates_replaced(replaced, run_id, owner, kind, notes)
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
    half becomes U+FFFD (``unpaired_surrogate``); :meth:`FoldState.flush_halves`."""
    state.flush_halves(notes, run_id=run_id, owner=owner, kind=kind)

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

from functools import cache
from typing import Any

import attrs
import orjson

from .. import events as ev
from ..model import Message, TextBuffer, ToolCall
from ..model.text import has_surrogate, well_formed
from ..model.tree import Part
from .state import FoldState, Notes, PendingHalf, StreamKind, _name

__all__ = [
    "PendingHalf",
    "StreamKind",
    "clean_fields",
    "flush_halves",
    "may_hold_surrogates",
    "set_text",
    "stream_text",
]


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


# ------------------------------------------------------------------ ids, names and values
# The fields the appliers pass through stream_text / set_text above (a text stream's deltas
# and whole texts, whose halves may pair across events); every other string an event carries
# (ids, names, roles, metadata, values, snapshots) is made well formed by clean_fields.
_TEXT_FIELDS: dict[type[Any], frozenset[str]] = {
    ev.StartMessage: frozenset({"text"}),
    ev.AppendText: frozenset({"delta"}),
    ev.ReplaceText: frozenset({"text"}),
    ev.AppendReasoning: frozenset({"delta"}),
    ev.AppendToolArguments: frozenset({"delta"}),
    ev.SetToolArguments: frozenset({"arguments"}),
    ev.AppendToolOutput: frozenset({"delta"}),
    ev.SetToolResult: frozenset({"content"}),
}


@cache
def _checked_fields(kind: type[Any]) -> tuple[str, ...]:
    keep = _TEXT_FIELDS.get(kind, frozenset())
    return tuple(f.name for f in attrs.fields(kind) if f.name not in keep)


def may_hold_surrogates(frame: Any) -> bool:
    """Whether a frame given as a Python object holds a lone surrogate anywhere (a string, a
    dict key, at any depth). orjson answers for most frames (it refuses lone surrogates); for
    a frame it refuses for another reason (too deep, an integer past 64 bits, a non-JSON
    type) an iterative walk does. O(frame)."""
    try:
        orjson.dumps(frame)
    except orjson.JSONEncodeError as exc:
        if "surrogates" in str(exc):
            return True
    except TypeError:
        pass
    else:
        return False
    stack = [frame]
    while stack:
        value = stack.pop()
        if type(value) is str:
            if has_surrogate(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


_MAX_DEPTH = 200
"""How deep :func:`_clean` looks: values nested deeper keep their strings as they are (the
JSON encoders replace what is left, docs/model.md)."""


def _clean(value: Any, depth: int = 0) -> tuple[Any, int]:
    """``value`` with every lone surrogate in it (strings, dict keys, lists, tuples, attrs
    objects such as snapshot parts) replaced by U+FFFD, and how many were; containers are
    copied where something changed (the caller's objects are never modified)."""
    kind = type(value)
    if kind is str:
        return well_formed(value)
    count = 0
    depth += 1
    if depth > _MAX_DEPTH:
        return value, 0
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key, n_key = _clean(key, depth)
            new_item, n_item = _clean(item, depth)
            out[new_key] = new_item
            count += n_key + n_item
        return (out, count) if count else (value, 0)
    if kind is list or kind is tuple:
        items = []
        for item in value:
            new, n = _clean(item, depth)
            items.append(new)
            count += n
        if not count:
            return value, 0
        return (items, count) if kind is list else (tuple(items), count)
    if attrs.has(kind):
        changes: dict[str, Any] = {}
        for name in _checked_fields(kind):
            new, n = _clean(getattr(value, name), depth)
            if n:
                changes[name] = new
                count += n
        return (attrs.evolve(value, **changes), count) if count else (value, 0)
    return value, 0


def clean_fields(state: FoldState, event: ev.Event, notes: Notes) -> ev.Event:
    """``event`` with the text rule applied to every field that is not a text stream's (see
    :data:`_TEXT_FIELDS`): each lone surrogate in an id, a name, metadata or a value becomes
    U+FFFD, with one ``unpaired_surrogate`` diagnostic per event (docs/model.md, "Text
    integrity"). The event itself when nothing changed; a new event otherwise. Called for
    input that may hold lone surrogates only (``Reducer.feed`` of a dict, ``Reducer.apply``)."""
    fixed, count = _clean(event)
    if count:
        run_id = getattr(fixed, "run_id", None)
        owner = next(
            (
                value
                for name in ("call_id", "message_id", "span_id", "run_id", "session_id")
                if isinstance(value := getattr(fixed, name, None), str)
            ),
            "",
        )
        where = f"{type(event).__name__} field"
        state.surrogates_replaced(
            count, run_id if isinstance(run_id, str) else None, owner, where, notes
        )
    return fixed  # type: ignore[no-any-return]

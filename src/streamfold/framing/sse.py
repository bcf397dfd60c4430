"""Server-Sent Events framing: byte chunks in, dispatched events out.

Sans-IO like :mod:`streamfold.framing.lines` (whose :class:`LineSplitter` it uses for the lines
of events begun in one chunk and ended in another), with the same bounds. Also the one place
that knows SSE's conventional end-of-stream marker, ``data: [DONE]`` (:func:`is_done`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import repeat
from typing import Final

import attrs

from .lines import DEFAULT_MAX_LINE_BYTES, LineSplitter, LineSplitterState, OversizedLine

__all__ = ["DONE", "SSEEvent", "SSESplitter", "SSESplitterState", "is_done"]

DONE: Final = "[DONE]"
"""The data of the event that ends an OpenAI-style SSE stream (``data: [DONE]``; the legacy
TanStack terminator, docs/tanstack.md)."""


def is_done(data: str) -> bool:
    """Whether an SSE event's data is the ``[DONE]`` end marker (surrounding whitespace
    allowed). Cheap on every event: long data is rejected by its length alone."""
    return len(data) < 64 and data.strip() == DONE


@attrs.frozen(slots=True)
class SSEEvent:
    """One dispatched Server-Sent Event.

    ``data`` is the event's data lines joined with ``\\n`` (the SSE standard); ``last_event_id``
    is the stream's resume cursor after this event (the last ``id:`` seen; ``""`` after an empty
    ``id:`` reset it); ``event`` the ``event:`` type when given.
    """

    data: str
    event: str | None = None
    last_event_id: str | None = None


# Building the events of a chunk in bulk: attrs' frozen __init__ is a Python call per event that
# sets each slot through object.__setattr__ (~250 ns); _new_events sets the same three slots in
# loops run by C (map over the slot descriptors), ~120 ns per event. The result is the same only
# while SSEEvent.__init__ does nothing more (no default factory, validator, converter or
# __attrs_post_init__): tests/framing/test_sse.py checks it.
_Setter = Callable[[object, str | None], None]
_SET_DATA: Final[_Setter] = SSEEvent.__dict__["data"].__set__
_SET_EVENT: Final[_Setter] = SSEEvent.__dict__["event"].__set__
_SET_ID: Final[_Setter] = SSEEvent.__dict__["last_event_id"].__set__


def _new_events(data: list[str], last_event_id: str | None) -> list[SSEEvent | OversizedLine]:
    """``[SSEEvent(d, None, last_event_id) for d in data]``, faster."""
    if len(data) < 4:  # below this, the four maps cost more than the __init__ calls
        return [SSEEvent(d, None, last_event_id) for d in data]
    events: list[SSEEvent | OversizedLine] = list(map(object.__new__, repeat(SSEEvent, len(data))))
    deque(map(_SET_DATA, events, data), maxlen=0)  # (a deque of size 0 runs the map in C)
    deque(map(_SET_EVENT, events, repeat(None)), maxlen=0)
    deque(map(_SET_ID, events, repeat(last_event_id)), maxlen=0)
    return events


@attrs.frozen(slots=True)
class SSESplitterState:
    """What an :class:`SSESplitter` holds between two chunks (docs/snapshot.md)."""

    lines: LineSplitterState = LineSplitterState(blank=True)  # noqa: RUF009 (frozen: shared safely)
    """The partial line."""
    data: tuple[str, ...] = ()
    """The ``data:`` lines of the event being read."""
    event: str | None = None
    """Its ``event:`` type."""
    last_event_id: str | None = None
    """The last ``id:`` seen."""
    cr: bool = False
    """The previous chunk ended with ``\\r`` (a ``\\n`` starting the next one pairs with it)."""
    retry: int | None = None
    """The last ``retry:`` value."""


class SSESplitter:
    """Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation").

    * Lines end with ``\\n``, ``\\r\\n`` or ``\\r``; a UTF-8 BOM at the start is dropped.
    * ``data:`` lines accumulate (one leading space removed) and are joined with ``\\n`` when a
      blank line dispatches the event. Events with no data are not dispatched.
    * ``id:`` sets the resume cursor (kept across events; an id containing NUL is ignored);
      ``event:`` names the event; ``retry:`` is read into :attr:`retry` when it is ASCII digits
      only, as the standard says (``²`` is a digit to Python, not to SSE), and under 10^15
      ms; ``:`` lines are
      comments (keep-alives); unknown fields are ignored, as the standard says.
    * A line that is a bare JSON object (``{`` first), outside any event, is dispatched as an
      event of its own: TanStack's client accepts such lines (docs/tanstack.md).
    * Bounded like :class:`LineSplitter`: a line over ``max_line_bytes`` is skipped and reported
      as :class:`OversizedLine`; an event whose data grows past it is dropped the same way.
    """

    __slots__ = ("_cr", "_data", "_data_len", "_event", "_last_id", "_lines", "_max", "retry")

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._lines = LineSplitter(max_line_bytes)
        self._max = max_line_bytes
        self._data: list[str] = []
        self._data_len = 0
        self._event: str | None = None
        self._last_id: str | None = None
        self._cr = False  # the previous chunk ended with \r: a \n starting this one pairs with it
        self.retry: int | None = None
        """The last ``retry:`` value in milliseconds, if any."""

    @property
    def last_event_id(self) -> str | None:
        """The resume cursor: the last ``id:`` field seen (``""`` after an empty ``id:``, ``None``
        before any); send it back as ``Last-Event-ID`` when reconnecting."""
        return self._last_id

    def feed(self, data: bytes) -> list[SSEEvent | OversizedLine]:
        """The events dispatched by ``data`` (a chunk of an SSE byte stream, split anywhere; ``\r``,
        ``\n`` and ``\r\n`` end lines as the standard says), in order; an oversized line or event is
        an :class:`OversizedLine`. O(len(data))."""
        if not data:
            return []  # (and keep _cr: an empty chunk between \r and \n must not split them)
        if type(data) is not bytes:
            data = bytes(data)
        # \r alone also ends a line in SSE; normalise it so LineSplitter sees \n, minding a
        # \r\n pair split across two chunks.
        if self._cr and data[:1] == b"\n":
            data = data[1:]
        self._cr = data[-1:] == b"\r"
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        # The chunk's whole events, its blocks up to its last blank line, are parsed together
        # by _blocks (a few C calls for all of them, no line buffer). Before them, the end of
        # an event begun in an earlier chunk, and after them, the start of the next one, take
        # the line-by-line path (LineSplitter, then _process).
        last = data.rfind(b"\n\n") + 2
        if last < 2:  # no blank line: no whole event
            return self._process(self._lines.feed_raw(data))
        out: list[SSEEvent | OversizedLine]
        if self._pending():
            first = data.find(b"\n\n") + 2
            out = self._process(self._lines.feed_raw(data[:first]))
            # A blank line was the last line read: now nothing is pending.
        else:
            first = 0
            out = []
        if first < last:
            body = data[first:last]
            if len(body) <= self._max:
                out += self._blocks(body)
            else:  # it may hold an oversized line: let the line splitter find it
                out += self._process(self._lines.feed_raw(body))
        if last < len(data):
            out += self._process(self._lines.feed_raw(data[last:]))
        return out

    def state(self) -> SSESplitterState:
        """The state between two chunks, to resume with :meth:`from_state`."""
        return SSESplitterState(
            self._lines.state(),
            tuple(self._data),
            self._event,
            self._last_id,
            self._cr,
            self.retry,
        )

    @classmethod
    def from_state(cls, state: SSESplitterState, max_line_bytes: int) -> SSESplitter:
        """A splitter that continues where the one that gave ``state`` stopped. Raises
        :class:`ValueError` when ``state`` is not one a splitter of ``max_line_bytes`` can be in.
        """
        splitter = cls(max_line_bytes)
        data_len = sum(len(line) + 1 for line in state.data)
        if data_len > max_line_bytes:
            raise ValueError("event data longer than max_line_bytes")
        if state.retry is not None and state.retry < 0:
            raise ValueError("negative retry")
        splitter._lines = LineSplitter.from_state(state.lines, max_line_bytes)
        splitter._data = list(state.data)
        splitter._data_len = data_len
        splitter._event = state.event
        splitter._last_id = state.last_event_id
        splitter._cr = state.cr
        splitter.retry = state.retry
        return splitter

    def _pending(self) -> bool:
        """Whether the next byte is not the start of a new event: a partial line or an event is
        pending, or the stream just began (the BOM is decided by the line splitter)."""
        lines = self._lines
        return (
            bool(lines._buf)
            or lines._discarding
            or not lines._started
            or bool(self._data)
            or self._event is not None
        )

    def close(self) -> list[SSEEvent | OversizedLine]:
        """End of stream: an event whose blank line never came is dispatched anyway (the standard
        drops it; streamfold keeps it so that a truncated stream loses nothing)."""
        out = self._process(self._lines.close_raw())
        # The standard discards an event that was not terminated by a blank line; we dispatch
        # it instead so that a truncated stream loses nothing (the reducer reports truncation).
        if self._data:
            out.append(self._dispatch())
        return out

    def _dispatch(self) -> SSEEvent:
        event = SSEEvent("\n".join(self._data), self._event, self._last_id)
        self._data = []
        self._data_len = 0
        self._event = None
        return event

    def _blocks(self, body: bytes) -> list[SSEEvent | OversizedLine]:
        """The events of ``body``: whole blocks, each ended by a blank line (so ``body`` ends with
        ``\\n\\n``), read right after a blank line (no event pending), without \\r (normalised)
        and no longer than ``max_line_bytes`` (so no line, and no event's data, is oversized).

        Equal to ``self._process(body.split(b"\\n")[:-1])``; several times faster when all the
        blocks are the common ones, a single ``data: `` line each, optionally after an
        ``event: `` line.
        """
        # All blocks are single data lines iff the body is "data: " V0 "\n\ndata: " V1 ...
        # "\n\n" with no \n in any V: split at the separators, then check that they and the
        # final blank line hold all the body's \n. Two passes in C over the bytes (counting
        # one byte is about twice as fast as searching for "\n\n" would be).
        if body.startswith(b"data: "):
            values = body[6:-2].split(b"\n\ndata: ")
            if body.count(b"\n") == 2 * len(values):
                # Decoded line by line as _process does (a decode never spans an ASCII \n).
                if len(values) == 1:  # live streams often bring one event per chunk
                    return [SSEEvent(values[0].decode("utf-8", "replace"), None, self._last_id)]
                text = [value.decode("utf-8", "replace") for value in values]
                return _new_events(text, self._last_id)
        # The same for blocks "event: NAME\ndata: VALUE" (the next most common shape): the
        # count shows that the blocks hold as many \n as there are blocks, the partition that
        # each one has a "\ndata: ", so each one has exactly one.
        elif body.startswith(b"event: "):
            blocks = body[7:-2].split(b"\n\nevent: ")
            if body.count(b"\n") == 3 * len(blocks):
                events: list[SSEEvent | OversizedLine] = []
                last_id = self._last_id
                for block in blocks:
                    name, data_line, value = block.partition(b"\ndata: ")
                    if not data_line:
                        break
                    events.append(
                        SSEEvent(
                            value.decode("utf-8", "replace"),
                            name.decode("utf-8", "replace"),
                            last_id,
                        )
                    )
                else:
                    return events
        # Other blocks (id: lines, comments, multi-line data, runs of blank lines, ...): line by
        # line, still without the line buffer.
        lines: list[bytes | OversizedLine] = [*body.split(b"\n")]
        lines.pop()  # the empty piece after the last \n
        return self._process(lines)

    def _process(self, lines: list[bytes | OversizedLine]) -> list[SSEEvent | OversizedLine]:
        out: list[SSEEvent | OversizedLine] = []
        for raw in lines:
            if isinstance(raw, OversizedLine):
                out.append(raw)
                continue
            if not raw:
                if self._data:
                    out.append(self._dispatch())
                else:
                    self._event = None
                continue
            if raw.startswith(b"data: "):  # the common line, without the general parsing below
                field, value = "data", raw[6:].decode("utf-8", "replace")
            else:
                line = raw.decode("utf-8", "replace")
                first = line[0]
                if first == ":":
                    continue
                if first == "{":
                    if self._data:
                        out.append(self._dispatch())
                    out.append(SSEEvent(line, None, self._last_id))
                    continue
                field, colon, value = line.partition(":")
                if not colon:
                    continue
                if value[:1] == " ":
                    value = value[1:]
            if field == "data":
                self._data_len += len(value) + 1
                if self._data_len > self._max:
                    out.append(OversizedLine(self._data_len, self._data[0][:4096].encode()))
                    self._data = []
                    self._data_len = 0
                    continue
                self._data.append(value)
            elif field == "id":
                if "\0" not in value:
                    self._last_id = value
            elif field == "event":
                self._event = value
            elif field == "retry" and value.isascii() and value.isdigit() and len(value) < 16:
                self.retry = int(value)
        return out

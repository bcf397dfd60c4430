"""The framing code as it was before the bytes-level fast paths (streamfold 761bdde), kept
verbatim as the oracle of the differential tests in ``test_framing.py``: the optimised splitters
must return exactly what these return, for any stream and any chunking."""

from __future__ import annotations

from streamfold.framing import DEFAULT_MAX_LINE_BYTES, OversizedLine, SSEEvent

_BOM = b"\xef\xbb\xbf"


class LineSplitter:
    """Split a byte stream into lines (NDJSON framing).

    * ``\\n`` ends a line; a trailing ``\\r`` is removed (``\\r\\n`` files).
    * A UTF-8 byte order mark at the very start of the stream is dropped.
    * Blank lines (only whitespace) are skipped; they are legal between NDJSON records.
    * Lines longer than ``max_line_bytes`` come out as :class:`OversizedLine`.

    Raises :class:`ValueError` only for a non-positive ``max_line_bytes`` (a caller error).
    """

    __slots__ = (
        "_blank",
        "_buf",
        "_discarding",
        "_head",
        "_keep",
        "_max",
        "_scan",
        "_skipped",
        "_started",
    )

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, keep: int = 4096) -> None:
        if max_line_bytes <= 0:
            raise ValueError("max_line_bytes must be positive")
        self._max = max_line_bytes
        self._buf = bytearray()
        self._scan = 0
        self._started = False
        self._discarding = False
        self._skipped = 0
        self._head = b""
        self._keep = keep
        self._blank = False  # keep blank lines (SSE framing needs them)

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete line."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | OversizedLine]:
        out: list[bytes | OversizedLine] = []
        if not data:
            return out
        if not self._started:
            # The BOM may itself arrive split: wait until 3 bytes are there to decide.
            self._buf += data
            if len(self._buf) < 3 and _BOM.startswith(bytes(self._buf)):
                return out
            self._started = True
            if self._buf.startswith(_BOM):
                del self._buf[:3]
            data = bytes(self._buf)
            self._buf.clear()
            self._scan = 0
        start = 0
        if self._discarding:
            nl = data.find(b"\n")
            if nl < 0:
                self._skipped += len(data)
                return out
            self._skipped += nl
            out.append(OversizedLine(self._skipped, self._head))
            self._discarding = False
            start = nl + 1
        buf = self._buf
        if buf:
            # Join the pending partial line with the new data; search only the new bytes.
            buf += data[start:] if start else data
            pos = 0
            scan = self._scan
        else:
            # Fast path: nothing pending, search the chunk itself without copying it.
            buf = data  # type: ignore[assignment]
            pos = start
            scan = start
        while True:
            nl = buf.find(b"\n", scan)
            if nl < 0:
                break
            line = bytes(buf[pos:nl])
            pos = scan = nl + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self._max:
                out.append(OversizedLine(len(line), line[: self._keep]))
            elif self._blank or line.strip():
                out.append(line)
        rest = len(buf) - pos
        if rest > self._max:
            self._discarding = True
            self._skipped = rest
            self._head = bytes(buf[pos : pos + self._keep])
            self._buf = bytearray()
            self._scan = 0
        else:
            if buf is self._buf:
                del buf[:pos]
                self._scan = len(buf)
            else:
                self._buf = bytearray(buf[pos:])
                self._scan = len(self._buf)
        return out

    def feed_raw(self, data: bytes) -> list[bytes | OversizedLine]:
        """Like :meth:`feed`, but blank lines are returned too (as ``b""`` or whitespace)."""
        self._blank = True
        return self.feed(data)

    def close_raw(self) -> list[bytes | OversizedLine]:
        self._blank = True
        return self.close()

    def close(self) -> list[bytes | OversizedLine]:
        """End of stream: the unterminated last line, if any (a file without a final newline)."""
        out: list[bytes | OversizedLine] = []
        if not self._started and self._buf:
            self._started = True
            if self._buf.startswith(_BOM):
                del self._buf[:3]
        if self._discarding:
            out.append(OversizedLine(self._skipped, self._head))
            self._discarding = False
        elif self._buf:
            line = bytes(self._buf)
            if line.endswith(b"\r"):
                line = line[:-1]
            if self._blank or line.strip():
                out.append(line)
        self._buf = bytearray()
        self._scan = 0
        return out


class SSESplitter:
    """Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation").

    * Lines end with ``\\n``, ``\\r\\n`` or ``\\r``; a UTF-8 BOM at the start is dropped.
    * ``data:`` lines accumulate (one leading space removed) and are joined with ``\\n`` when a
      blank line dispatches the event. Events with no data are not dispatched.
    * ``id:`` sets the resume cursor (kept across events; an id containing NUL is ignored);
      ``event:`` names the event; ``retry:`` is read into :attr:`retry`; ``:`` lines are
      comments (keep-alives); unknown fields are ignored, as the standard says.
    * A line that is a bare JSON object (``{`` first), outside any event, is dispatched as an
      event of its own: TanStack's client accepts such lines (notes/tanstack.md §3).
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
        return self._last_id

    def feed(self, data: bytes) -> list[SSEEvent | OversizedLine]:
        # \r alone also ends a line in SSE; normalise it so LineSplitter sees \n, minding a
        # \r\n pair split across two chunks.
        if self._cr and data[:1] == b"\n":
            data = data[1:]
        self._cr = data[-1:] == b"\r"
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return self._process(self._lines.feed_raw(data))

    def close(self) -> list[SSEEvent | OversizedLine]:
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
            elif field == "retry" and value.isdigit():
                self.retry = int(value)
        return out

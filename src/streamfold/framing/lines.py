"""NDJSON framing: byte chunks in, complete lines out.

Sans-IO, like h11's receive buffer: ``feed(data)`` takes any byte chunk (a line may be split
anywhere, including inside a multi-byte UTF-8 character, since lines are split as bytes and
decoded whole) and returns the frames completed by it; ``close()`` returns what an unterminated
last line held. Work per call is proportional to the chunk: only the new bytes are searched.

Speed: a chunk is split by a few passes in C over its bytes (``bytes.split``, ``count``), not
line by line in Python; per-line Python work is left for the lines that need it (a ``\r``, an
oversized line, a line continued from the previous chunk, SSE fields other than ``data:``).

Memory is bounded: a line longer than ``max_line_bytes`` is not buffered whole. Its first
``keep`` bytes are kept for the diagnostic and the rest is skipped up to the next newline; the
splitter then returns an :class:`OversizedLine` in its place.
"""

from __future__ import annotations

import attrs

__all__ = ["DEFAULT_MAX_LINE_BYTES", "LineSplitter", "LineSplitterState", "OversizedLine"]

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
"""16 MiB: far above any real frame (a Loom ``values`` frame carries the whole graph state)."""

_BOM = b"\xef\xbb\xbf"


@attrs.frozen(slots=True)
class OversizedLine:
    """Stands in for a line that exceeded ``max_line_bytes`` (``size`` is its full length in
    bytes, without the newline; ``head`` its first bytes)."""

    size: int
    head: bytes


@attrs.frozen(slots=True)
class LineSplitterState:
    """What a :class:`LineSplitter` holds between two chunks (the framing section of a resume
    snapshot, docs/snapshot.md): the partial line, and the skipping of an oversized one."""

    pending: bytes = b""
    """The start of the next line (at most ``max_line_bytes``; before the stream's first 3
    bytes, a prefix of a UTF-8 byte order mark)."""
    started: bool = False
    """Whether the stream's first bytes were seen (the byte order mark decided)."""
    discarding: bool = False
    """Whether an oversized line is being skipped up to its newline."""
    skipped: int = 0
    """Bytes of that line skipped so far."""
    head: bytes = b""
    """Its first bytes, kept for the diagnostic."""
    blank: bool = False
    """Whether blank lines are returned (SSE framing)."""


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
        self._scan = 0  # bytes of _buf searched for \n: all between calls (snapshots keep it)
        self._started = False
        self._discarding = False
        self._skipped = 0
        self._head = b""
        self._keep = keep
        self._blank = False  # keep blank lines (SSE framing needs them)

    @property
    def max_line_bytes(self) -> int:
        """The longest line accepted, in bytes; a longer one is an :class:`OversizedLine`."""
        return self._max

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete line."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | OversizedLine]:
        """The complete lines in ``data`` (split anywhere; ``\n`` or ``\r\n`` ends a line, a UTF-8
        BOM at the start is dropped), blank lines skipped; a line over ``max_line_bytes`` is skipped
        without being buffered whole and returned as an :class:`OversizedLine` (docs/recording.md).
        O(len(data))."""
        if not data:
            return []
        if type(data) is not bytes:
            data = bytes(data)  # a bytearray or memoryview: the lines are bytes all the same
        buf = self._buf
        if not self._started:
            # The BOM may itself arrive split: wait until 3 bytes are there to decide.
            buf += data
            if len(buf) < 3 and _BOM.startswith(buf):
                return []
            self._started = True
            if buf.startswith(_BOM):
                del buf[:3]
            data = bytes(buf)
            buf.clear()
        out: list[bytes | OversizedLine] = []
        if self._discarding:
            nl = data.find(b"\n")
            if nl < 0:
                self._skipped += len(data)
                return out
            self._skipped += nl
            out.append(OversizedLine(self._skipped, self._head))
            self._discarding = False
            data = data[nl + 1 :]
        # One split in C finds all the chunk's lines: a find() and a slice per line in Python
        # cost about as much as the rest of the line's framing. The last piece is the start of
        # the next line (b"" when the chunk ends at a line end).
        lines = data.split(b"\n")
        rest = lines.pop()
        if lines:
            # Only the first line can be longer than the chunk (the buffered part): when neither
            # is over the limit and no line ends with \r, the only work per line is the blank-
            # line filter, a loop in C (bytes.strip returns the line itself when there is
            # nothing to strip).
            check = len(data) > self._max or b"\r" in data
            if buf:  # the pending partial line is the first line's start
                buf += lines[0]
                first = lines[0] = bytes(buf)
                buf.clear()
                check = check or len(first) > self._max or first[-1:] == b"\r"
            if check:
                out += self._careful(lines)
            elif self._blank:
                out += lines
            else:
                nonblank = filter(bytes.strip, lines)
                out += nonblank
        if rest:
            buf += rest
            if len(buf) > self._max:
                self._discarding = True
                self._skipped = len(buf)
                self._head = bytes(buf[: self._keep])
                buf.clear()
        self._scan = len(buf)
        return out

    def state(self) -> LineSplitterState:
        """The state between two chunks, to resume with :meth:`from_state`."""
        return LineSplitterState(
            bytes(self._buf),
            self._started,
            self._discarding,
            self._skipped,
            self._head,
            self._blank,
        )

    @classmethod
    def from_state(cls, state: LineSplitterState, max_line_bytes: int) -> LineSplitter:
        """A splitter that continues where the one that gave ``state`` stopped. Raises
        :class:`ValueError` when ``state`` is not one a splitter of ``max_line_bytes`` can be in.
        """
        splitter = cls(max_line_bytes)
        pending = state.pending
        if len(pending) > max_line_bytes or len(state.head) > splitter._keep:
            raise ValueError("partial line longer than max_line_bytes")
        if not state.started and (len(pending) >= 3 or not _BOM.startswith(pending)):
            raise ValueError("bytes held before the stream started that are not a BOM prefix")
        if state.discarding and pending:
            raise ValueError("a partial line held while skipping an oversized line")
        if not 0 <= state.skipped < 1 << 63:
            raise ValueError("skipped byte count out of range")
        splitter._buf = bytearray(pending)
        splitter._scan = len(pending)
        splitter._started = state.started
        splitter._discarding = state.discarding
        splitter._skipped = state.skipped
        splitter._head = state.head
        splitter._blank = state.blank
        return splitter

    def _careful(self, lines: list[bytes]) -> list[bytes | OversizedLine]:
        """Complete lines as :meth:`feed` returns them, checked one by one: trailing \\r removed,
        oversized lines replaced, blank lines dropped (kept for SSE)."""
        out: list[bytes | OversizedLine] = []
        for raw in lines:
            line = raw[:-1] if raw[-1:] == b"\r" else raw
            if len(line) > self._max:
                out.append(OversizedLine(len(line), line[: self._keep]))
            elif self._blank or line.strip():
                out.append(line)
        return out

    def feed_raw(self, data: bytes) -> list[bytes | OversizedLine]:
        """Like :meth:`feed`, but blank lines are returned too (as ``b""`` or whitespace)."""
        self._blank = True
        return self.feed(data)

    def close_raw(self) -> list[bytes | OversizedLine]:
        """Like :meth:`close`, blank lines included (what the SSE splitter needs at end of
        stream)."""
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

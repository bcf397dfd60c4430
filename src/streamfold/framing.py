"""Incremental framing: byte chunks in, complete frames out.

Sans-IO, like h11's receive buffer: ``feed(data)`` takes any byte chunk (a line may be split
anywhere, including inside a multi-byte UTF-8 character, since lines are split as bytes and
decoded whole) and returns the frames completed by it; ``close()`` returns what an unterminated
last line held. Work per call is proportional to the chunk: the buffer is searched only from
where the previous search stopped.

Memory is bounded: a line longer than ``max_line_bytes`` is not buffered whole. Its first
``keep`` bytes are kept for the diagnostic and the rest is skipped up to the next newline; the
splitter then returns an :class:`OversizedLine` in its place.
"""

from __future__ import annotations

import attrs

__all__ = ["DEFAULT_MAX_LINE_BYTES", "LineSplitter", "OversizedLine"]

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
"""16 MiB: far above any real frame (a Loom ``values`` frame carries the whole graph state)."""

_BOM = b"\xef\xbb\xbf"


@attrs.frozen(slots=True)
class OversizedLine:
    """Stands in for a line that exceeded ``max_line_bytes`` (``size`` is its full length in
    bytes, without the newline; ``head`` its first bytes)."""

    size: int
    head: bytes


class LineSplitter:
    """Split a byte stream into lines (NDJSON framing).

    * ``\\n`` ends a line; a trailing ``\\r`` is removed (``\\r\\n`` files).
    * A UTF-8 byte order mark at the very start of the stream is dropped.
    * Blank lines (only whitespace) are skipped; they are legal between NDJSON records.
    * Lines longer than ``max_line_bytes`` come out as :class:`OversizedLine`.

    Raises :class:`ValueError` only for a non-positive ``max_line_bytes`` (a caller error).
    """

    __slots__ = ("_buf", "_discarding", "_head", "_keep", "_max", "_scan", "_skipped", "_started")

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
            elif line.strip():
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
            if line.strip():
                out.append(line)
        self._buf = bytearray()
        self._scan = 0
        return out

"""A streamfold recording's lines → frames (the reading side of docs/recording.md).

The recording format is NDJSON: a header line, then one record per frame::

    {"streamfold_recording":1,"framing":"ndjson","created_at":"2026-…Z","clock":"monotonic"}
    {"t":0.0123,"frame":"{\\"type\\":\\"node_enter\\",\\"id\\":\\"think\\"}"}

A record holds the frame text (``frame``, or ``b64`` when it is not UTF-8), its arrival time
``t``, for SSE recordings the ``id`` cursor (written only when it changes) and ``event`` type,
and ``oversized`` for a line that was too long. A damaged recording is never fatal: bad lines and
a truncated last line (the writer was interrupted) become :class:`RecordingProblem` entries;
only a header from a newer format version raises :class:`~streamfold.errors.RecordingError`.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any, Final

import orjson

from ..errors import RecordingError
from .detect import HEADER_KEY
from .frame import Frame, FrameKind, RecordingProblem
from .lines import LineSplitter, OversizedLine

__all__ = ["RECORDING_VERSION", "RecordReader"]

RECORDING_VERSION: Final = 1
"""The recording format version streamfold writes and the newest it reads."""
_PROBLEM_RAW: Final = 200


class RecordReader:
    """Cut a recording's bytes into its frames; the header and the problems are collected.

    ``max_line_bytes`` bounds a frame (a record holds it JSON-escaped, so a record may be up to
    about six times longer). :attr:`kind` is ``"sse"`` once an SSE recording's header is read.
    """

    __slots__ = ("_cursor", "_header_seen", "_line_no", "_lines", "header", "kind", "problems")

    def __init__(self, max_line_bytes: int) -> None:
        self._lines = LineSplitter(max_line_bytes * 6 + 4096)
        self.header: dict[str, Any] = {}
        """The recording's header (empty until it is read, or when there is none)."""
        self.problems: list[RecordingProblem] = []
        self.kind: FrameKind = "line"
        self._cursor: str | None = None
        self._header_seen = False
        self._line_no = 0

    def feed(self, data: bytes) -> list[Frame]:
        """The frames of the records completed by ``data`` (bytes split anywhere)."""
        return self._records(self._lines.feed(data), final=False)

    def close(self) -> list[Frame]:
        """End of the file: the last record, or a ``truncated_record`` problem when it was cut
        off."""
        return self._records(self._lines.close(), final=True)

    def _problem(self, code: str, message: str, raw: bytes | None = None) -> None:
        text = raw.decode("utf-8", "replace") if raw is not None else None
        if text is not None and len(text) > _PROBLEM_RAW:
            text = text[:_PROBLEM_RAW] + "…"
        self.problems.append(RecordingProblem(code, message, self._line_no or None, text))

    def _records(self, lines: list[bytes | OversizedLine], *, final: bool) -> list[Frame]:
        out: list[Frame] = []
        last = len(lines) - 1
        for i, line in enumerate(lines):
            self._line_no += 1
            if isinstance(line, OversizedLine):
                self._problem("record_too_long", f"record of {line.size} bytes skipped", line.head)
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                self._header_seen = True
                if final and i == last:
                    self._problem(
                        "truncated_record",
                        "the last line is incomplete (the recording was interrupted)",
                        line,
                    )
                else:
                    self._problem("bad_record", "line is not JSON", line)
                continue
            if not self._header_seen:
                self._header_seen = True
                if isinstance(record, dict) and HEADER_KEY in record:
                    self._read_header(record, line)
                    continue
                self._problem("missing_header", "the first line is not a recording header", line)
            frame = self._record_frame(record)
            if frame is None:
                self._problem("bad_record", "not a frame record", line)
            else:
                out.append(frame)
        return out

    def _read_header(self, record: dict[str, Any], line: bytes) -> None:
        version = record.get(HEADER_KEY)
        if type(version) is not int or version < 1:
            self._problem("bad_header", f"recording version {version!r} is not valid", line)
        elif version > RECORDING_VERSION:
            raise RecordingError(
                f"recording format version {version} is newer than this streamfold reads "
                f"({RECORDING_VERSION})"
            )
        self.header = record
        self.kind = "sse" if record.get("framing") == "sse" else "line"

    def _record_frame(self, record: object) -> Frame | None:
        if not isinstance(record, dict):
            return None
        t = record.get("t")
        if t is not None and (type(t) not in (int, float) or not math.isfinite(t)):
            return None
        data: str | bytes | None = record.get("frame")
        if data is None:
            b64 = record.get("b64")
            if not isinstance(b64, str):
                return None
            try:
                data = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                return None
        elif not isinstance(data, str):
            return None
        oversized = record.get("oversized")
        if oversized is not None and type(oversized) is not int:
            return None
        if self.kind == "sse":
            if "id" in record:
                cursor = record["id"]
                self._cursor = cursor if isinstance(cursor, str) else None
            event = record.get("event")
            return Frame(
                data,
                None if t is None else float(t),
                "sse",
                self._cursor,
                event if isinstance(event, str) else None,
                oversized,
            )
        return Frame(data, None if t is None else float(t), oversized=oversized)

"""What every framing yields: a :class:`Frame`, and a :class:`RecordingProblem` for what a
recording file got wrong without stopping the reading.

A *frame* is the unit the reducer consumes: one NDJSON line, one SSE event, one chunk of a
TanStack ``ChunkRecording``, one parsed object. :class:`Frame` keeps the frame's raw text and,
when known, its arrival time ``t`` (seconds since the stream started), so that a frame can be
recorded, replayed and applied exactly as it arrived (``Reducer.feed_frame``, docs/recording.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

__all__ = ["Frame", "FrameKind", "RecordingProblem", "encode_sse"]

FrameKind = Literal["line", "sse"]
"""How a frame is applied: ``"line"`` — a JSON text (NDJSON line, chunk, parsed object);
``"sse"`` — the data of one SSE event (``data: [DONE]`` and the ``id:`` cursor matter)."""


@attrs.frozen(slots=True)
class Frame:
    """One frame as it arrived.

    ``data`` is the raw frame text (``bytes`` when it came off the wire that way; a recording
    keeps it as ``str`` unless it is not valid UTF-8). ``t`` is the arrival time in seconds since
    the stream started, ``None`` when unknown. For SSE frames ``sse_id`` is the stream's resume
    cursor after this event and ``sse_event`` its ``event:`` type. ``oversized`` is set (to the
    original size in bytes) when the line was longer than ``max_line_bytes``: ``data`` is then
    only its first bytes and the reducer reports it as ``line_too_long``. ``value`` optionally
    carries the already-parsed JSON object (not compared, not recorded).
    """

    data: str | bytes
    t: float | None = None
    kind: FrameKind = "line"
    sse_id: str | None = None
    sse_event: str | None = None
    oversized: int | None = None
    value: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def text(self) -> str:
        """``data`` as text (invalid UTF-8 replaced)."""
        data = self.data
        return data if isinstance(data, str) else data.decode("utf-8", "replace")


@attrs.frozen(slots=True)
class RecordingProblem:
    """Something wrong with a recording file that did not stop the reading.

    ``code``: ``truncated_record`` (the last line is incomplete — the writer was interrupted),
    ``bad_record`` (a line that is not a frame record), ``record_too_long``, ``missing_header``,
    ``document_too_large`` (a ChunkRecording over the size bound), ``bad_header``
    (docs/recording.md). ``line`` is the 1-based line number (blank lines not counted) when
    there is one; ``raw`` the line's first characters.
    """

    code: str
    message: str
    line: int | None = None
    raw: str | None = None


def encode_sse(frame: Frame) -> bytes:
    """The SSE event for an ``"sse"`` frame, in canonical form (``id:``, ``event:``, one
    ``data:`` line per line of data, blank line)."""
    out: list[str] = []
    if frame.sse_id is not None:
        out.append(f"id: {frame.sse_id}\n")
    if frame.sse_event is not None:
        out.append(f"event: {frame.sse_event}\n")
    for line in frame.text.split("\n"):
        out.append(f"data: {line}\n")
    out.append("\n")
    return "".join(out).encode()

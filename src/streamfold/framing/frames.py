"""One splitter for every framing: a byte stream in, :class:`~streamfold.framing.frame.Frame`
objects out.

:class:`FrameSplitter` cuts ``"ndjson"``, ``"sse"``, ``"chunk-recording"`` and ``"recording"``
streams (split anywhere; bounded buffers), the framing given or decided from the first bytes by
:mod:`streamfold.framing.detect`. ``Reducer.feed_frame`` applies each frame exactly as the
reducer's own ``feed_bytes`` / ``feed_sse`` would have; ``streamfold.io.recording`` writes and
reads them with their arrival times.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from .chunk_recording import MAX_DOCUMENT_BYTES, ChunkDocument
from .detect import Framing, FramingDetector, check_framing
from .frame import Frame, FrameKind, RecordingProblem
from .lines import DEFAULT_MAX_LINE_BYTES, LineSplitter, OversizedLine
from .records import RecordReader
from .sse import SSEEvent, SSESplitter

__all__ = ["FrameSplitter", "frames_of_events", "frames_of_lines"]


class FrameSplitter:
    """Cut a byte stream into :class:`Frame` objects.

    ``framing=None`` detects it from the first bytes (``name`` is a file name hint). Frames of
    NDJSON and SSE streams get the ``t`` passed to :meth:`feed`; frames of recordings keep their
    recorded times, and ChunkRecording frames get their chunk timestamps (relative, in seconds).
    Problems with a recording are collected in :attr:`problems`. Raises
    :class:`~streamfold.errors.UsageError` for an unknown framing or a non-positive bound, and
    :class:`~streamfold.errors.RecordingError` for a recording header from a newer version.
    """

    def __init__(
        self,
        framing: Framing | None = None,
        *,
        name: str = "",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        if framing is not None:
            framing = check_framing(framing)
        if max_line_bytes <= 0 or max_document_bytes <= 0:
            raise UsageError("max_line_bytes and max_document_bytes must be positive")
        self.name = name
        self.max_line_bytes = max_line_bytes
        self.max_document_bytes = max_document_bytes
        self.framing: Framing | None = None
        """The framing in use (``None`` while detection still waits for bytes)."""
        self._problems: list[RecordingProblem] = []
        self._detector: FramingDetector | None = FramingDetector(name)
        self._lines: LineSplitter | None = None
        self._sse: SSESplitter | None = None
        self._records: RecordReader | None = None
        self._document: ChunkDocument | None = None
        self._closed = False
        if framing is not None:
            self._start(framing)

    @property
    def frame_kind(self) -> FrameKind:
        """How this stream's frames are applied (``"sse"`` for SSE and SSE recordings)."""
        if self._sse is not None:
            return "sse"
        return self._records.kind if self._records is not None else "line"

    @property
    def header(self) -> dict[str, Any]:
        """A recording's header (empty for other framings or until it is read)."""
        return self._records.header if self._records is not None else {}

    @property
    def problems(self) -> list[RecordingProblem]:
        """What was wrong with a recording (or a ChunkRecording) but did not stop the reading."""
        records = self._records
        return records.problems if records is not None else self._problems

    def _start(self, framing: Framing) -> None:
        self.framing = framing
        self._detector = None
        if framing == "ndjson":
            self._lines = LineSplitter(self.max_line_bytes)
        elif framing == "sse":
            self._sse = SSESplitter(self.max_line_bytes)
        elif framing == "recording":
            self._records = RecordReader(self.max_line_bytes)
        else:
            self._document = ChunkDocument(self.max_document_bytes)

    def feed(self, data: bytes, t: float | None = None) -> list[Frame]:
        """Frames completed by ``data`` (arriving at time ``t``)."""
        if self._closed:
            raise UsageError("feed after close()")
        detector = self._detector
        if detector is not None:
            framing = detector.feed(data)
            if framing is None:
                return []
            self._start(framing)
            data = detector.take()
        return self._feed(data, t)

    def close(self, t: float | None = None) -> list[Frame]:
        """End of stream: frames still buffered (an unterminated last line or event; the whole
        ChunkRecording document). Idempotent."""
        if self._closed:
            return []
        out: list[Frame] = []
        detector = self._detector
        if detector is not None:
            self._start(detector.close())
            out += self._feed(detector.take(), t)
        self._closed = True
        if self._lines is not None:
            out += frames_of_lines(self._lines.close(), t)
        elif self._sse is not None:
            out += frames_of_events(self._sse.close(), t)
        elif self._records is not None:
            out += self._records.close()
        elif self._document is not None:
            frames, problem = self._document.close()
            if problem is not None:
                self._problems.append(problem)
            out += frames
        return out

    def _feed(self, data: bytes, t: float | None) -> list[Frame]:
        if self._lines is not None:
            return frames_of_lines(self._lines.feed(data), t)
        if self._sse is not None:
            return frames_of_events(self._sse.feed(data), t)
        if self._records is not None:
            return self._records.feed(data)
        assert self._document is not None
        self._document.feed(data)  # parsed whole at close (bounded)
        return []


def frames_of_lines(lines: list[bytes | OversizedLine], t: float | None = None) -> list[Frame]:
    """NDJSON lines from a :class:`LineSplitter` as frames arriving at ``t``."""
    out: list[Frame] = []
    for line in lines:
        if isinstance(line, OversizedLine):
            out.append(Frame(line.head, t, oversized=line.size))
        else:
            out.append(Frame(line, t))
    return out


def frames_of_events(events: list[SSEEvent | OversizedLine], t: float | None = None) -> list[Frame]:
    """SSE events from an :class:`SSESplitter` as frames arriving at ``t``."""
    out: list[Frame] = []
    for event in events:
        if isinstance(event, OversizedLine):
            out.append(Frame(event.head, t, "sse", oversized=event.size))
        else:
            out.append(Frame(event.data, t, "sse", event.last_event_id, event.event))
    return out

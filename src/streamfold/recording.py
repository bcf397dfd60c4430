"""Frames with arrival times: cutting byte streams into frames, writing and reading recordings.

A *frame* is the unit the reducer consumes: one NDJSON line, one SSE event, one chunk of a
TanStack ``ChunkRecording``, one parsed object. :class:`Frame` keeps the frame's raw text and,
when known, its arrival time ``t`` (seconds since the stream started). Everything here is sync and
sans-IO except :class:`RecordingWriter` / :func:`read_recording`, which touch files.

* :class:`FrameSplitter` cuts a byte stream into frames for every input framing — ``"ndjson"``,
  ``"sse"``, ``"chunk-recording"`` and ``"recording"`` (this module's format) — chosen explicitly
  or detected from the first bytes (:func:`detect_stream_framing`).
* :func:`feed_frame` applies one frame to a :class:`~streamfold.reducer.Reducer` exactly as the
  reducer's own ``feed_bytes`` / ``feed_sse`` would have.
* :class:`RecordingWriter` appends frames to a recording (one JSON line per frame, flushed before
  the reducer sees the frame); :func:`read_recording` reads a recording, a ChunkRecording or a
  plain NDJSON / SSE file (without timing) into a :class:`Recording`.

The recording format (``docs/recording.md``) is NDJSON: a header line, then one line per frame::

    {"streamfold_recording":1,"framing":"ndjson","created_at":"2026-…Z","clock":"monotonic"}
    {"t":0.0123,"frame":"{\\"type\\":\\"node_enter\\",\\"id\\":\\"think\\"}"}
    {"t":0.0311,"frame":"{\\"type\\":\\"message_chunk\\",\\"content\\":\\"Hi\\"}"}

A damaged recording is never fatal: a truncated last line (the process died mid-write) and bad
lines become :class:`RecordingProblem` entries; only a header from a newer format version raises
:class:`RecordingError`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any, Final, Literal, cast

import attrs
import orjson

from .errors import StreamfoldError, UsageError
from .framing import DEFAULT_MAX_LINE_BYTES, LineSplitter, OversizedLine, SSEEvent, SSESplitter
from .notifications import Notification
from .reducer import Reducer
from .sources import detect_framing

__all__ = [
    "DETECT_LIMIT",
    "HEADER_KEY",
    "MAX_DOCUMENT_BYTES",
    "RECORDING_VERSION",
    "Frame",
    "FrameKind",
    "FrameSplitter",
    "InputFraming",
    "Recording",
    "RecordingError",
    "RecordingProblem",
    "RecordingWriter",
    "detect_stream_framing",
    "encode_sse",
    "feed_frame",
    "read_recording",
    "worth_detecting",
]

RECORDING_VERSION: Final = 1
"""The recording format version this module writes and the newest it reads."""
HEADER_KEY: Final = "streamfold_recording"
"""The key that marks a recording's header line (its value is the format version)."""
DETECT_LIMIT: Final = 64 * 1024
"""Detection decides at the latest after this many bytes."""
MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
"""Default bound on a ChunkRecording JSON document (it must be read whole to be parsed)."""
_PROBLEM_RAW: Final = 200

FrameKind = Literal["line", "sse"]
"""How a frame is fed: ``"line"`` — a JSON text (NDJSON line, chunk, parsed object);
``"sse"`` — the data of one SSE event (``data: [DONE]`` and the ``id:`` cursor matter)."""
InputFraming = Literal["ndjson", "sse", "chunk-recording", "recording"]
"""How a byte stream is cut into frames (``"recording"`` is this module's format)."""

_SSE_FIELDS: Final = (b"data:", b"id:", b"event:", b"retry:", b":")


class RecordingError(StreamfoldError):
    """A recording cannot be read at all (a header from a newer format version)."""


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
    ``document_too_large`` (a ChunkRecording over the size bound), ``bad_header``.
    ``line`` is the 1-based line number (blank lines not counted) when there is one; ``raw`` the
    line's first characters.
    """

    code: str
    message: str
    line: int | None = None
    raw: str | None = None


# ----------------------------------------------------------------------------------- feeding


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


def _feed_oversized(
    reducer: Reducer, head: bytes, size: int, at: float | None = None
) -> list[Notification]:
    return reducer.feed_framed(OversizedLine(size, head), at=at)


def _feed_sse(reducer: Reducer, frame: Frame) -> list[Notification]:
    return reducer.feed_sse_event(SSEEvent(frame.text, frame.sse_event, frame.sse_id), at=frame.t)


def feed_frame(reducer: Reducer, frame: Frame) -> list[Notification]:
    """Apply one frame to ``reducer`` and return its notifications.

    Gives the same result as feeding the frame's original bytes through ``feed_bytes`` (lines)
    or ``feed_sse`` (SSE events): ``[DONE]`` and the SSE ``id:`` cursor included. The frame's
    arrival time ``t`` is its ``at`` (``docs/transcript.md``, "Time").
    """
    if frame.oversized is not None:
        data = frame.data
        head = data.encode() if isinstance(data, str) else data
        return _feed_oversized(reducer, head, frame.oversized, frame.t)
    if frame.kind == "sse":
        return _feed_sse(reducer, frame)
    if frame.value is not None:
        return reducer.feed(frame.value, raw=frame.data, at=frame.t)
    return reducer.feed_line(frame.data, at=frame.t)


# --------------------------------------------------------------------------------- detection


def detect_stream_framing(
    head: bytes, name: str = "", *, final: bool = False
) -> InputFraming | None:
    """The framing of a stream from its first bytes, or ``None`` when more bytes are needed.

    Decides once the first non-blank line is complete (two lines when the first is a lone
    ``{``, as in a pretty-printed ChunkRecording), after :data:`DETECT_LIMIT` bytes, or when
    ``final`` (the stream ended). A first line that is a recording header means
    ``"recording"``; a one-line JSON object with a ``"chunks"`` list a ``"chunk-recording"``;
    otherwise :func:`streamfold.sources.detect_framing` decides (SSE fields, ChunkRecording
    keys, the ``.sse`` / ``.json`` name).
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    decided = final or len(head) >= DETECT_LIMIT
    if not text:
        if not decided:
            return None
        return "sse" if name.endswith(".sse") else "ndjson"
    lines = text.split(b"\n", 2)
    if not decided:
        if text.startswith(_SSE_FIELDS):
            return "sse"
        if len(lines) < 2 or (lines[0].strip() in (b"{", b"[") and len(lines) < 3):
            return None
    first = lines[0].strip()
    if first.startswith(b"{") and first.endswith(b"}"):
        try:
            doc = orjson.loads(first)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            if HEADER_KEY in doc:
                return "recording"
            if isinstance(doc.get("chunks"), list) and "type" not in doc:
                return "chunk-recording"
    return detect_framing(head, name)


def worth_detecting(head: bytes | bytearray, new: bytes) -> bool:
    """Whether :func:`detect_stream_framing` can decide differently now that ``new`` arrived
    (a line ended, the head is still short, or it reached the limit): calling it only then
    keeps detection linear however small the chunks."""
    return b"\n" in new or len(head) <= 16 or len(head) >= DETECT_LIMIT


# ------------------------------------------------------------------------------- the splitter


class FrameSplitter:
    """Cut a byte stream into :class:`Frame` objects (split anywhere; bounded buffers).

    ``framing=None`` detects it from the first bytes (:func:`detect_stream_framing`; ``name``
    is a file name hint). Frames of NDJSON and SSE streams get the ``t`` passed to
    :meth:`feed`; frames of recordings keep their recorded times, and ChunkRecording frames get
    their chunk timestamps (relative, in seconds). Problems with a recording are collected in
    :attr:`problems`. A recording header from a newer version raises :class:`RecordingError`.
    """

    def __init__(
        self,
        framing: InputFraming | None = None,
        *,
        name: str = "",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        if framing not in (None, "ndjson", "sse", "chunk-recording", "recording"):
            raise UsageError(f"unknown framing {framing!r}")
        if max_line_bytes <= 0 or max_document_bytes <= 0:
            raise UsageError("max_line_bytes and max_document_bytes must be positive")
        self.name = name
        self.max_line_bytes = max_line_bytes
        self.max_document_bytes = max_document_bytes
        self.framing: InputFraming | None = None
        """The framing in use (``None`` while detection still waits for bytes)."""
        self.header: dict[str, Any] = {}
        """A recording's header (empty for other framings or until it is read)."""
        self.problems: list[RecordingProblem] = []
        self._head = bytearray()
        self._lines: LineSplitter | None = None
        self._sse: SSESplitter | None = None
        self._doc = bytearray()
        self._doc_size = 0
        self._line_no = 0
        self._kind: FrameKind = "line"
        self._cursor: str | None = None
        self._header_seen = False
        self._closed = False
        if framing is not None:
            self._start(framing)

    @property
    def frame_kind(self) -> FrameKind:
        """How this stream's frames are fed (``"sse"`` for SSE and SSE recordings)."""
        return self._kind

    def _start(self, framing: InputFraming) -> None:
        self.framing = framing
        if framing == "ndjson":
            self._lines = LineSplitter(self.max_line_bytes)
        elif framing == "sse":
            self._sse = SSESplitter(self.max_line_bytes)
            self._kind = "sse"
        elif framing == "recording":
            # A record holds a JSON-escaped frame: allow for escaping (bounded all the same).
            self._lines = LineSplitter(self.max_line_bytes * 6 + 4096)

    def feed(self, data: bytes, t: float | None = None) -> list[Frame]:
        """Frames completed by ``data`` (arriving at time ``t``)."""
        if self._closed:
            raise UsageError("feed after close()")
        if self.framing is None:
            self._head += data
            if not worth_detecting(self._head, data):
                return []
            framing = detect_stream_framing(bytes(self._head), self.name)
            if framing is None:
                return []
            self._start(framing)
            data = bytes(self._head)
            self._head.clear()
        return self._feed(data, t)

    def close(self, t: float | None = None) -> list[Frame]:
        """End of stream: frames still buffered (an unterminated last line or event; the whole
        ChunkRecording document). Idempotent."""
        if self._closed:
            return []
        out: list[Frame] = []
        if self.framing is None:
            head = bytes(self._head)
            self._head.clear()
            self._start(detect_stream_framing(head, self.name, final=True) or "ndjson")
            out += self._feed(head, t)
        self._closed = True
        framing = self.framing
        if framing == "ndjson":
            assert self._lines is not None
            out += self._lines_to_frames(self._lines.close(), t)
        elif framing == "sse":
            assert self._sse is not None
            out += self._events_to_frames(self._sse.close(), t)
        elif framing == "recording":
            assert self._lines is not None
            out += self._records(self._lines.close(), final=True)
        elif framing == "chunk-recording":
            out += self._chunk_document()
        return out

    # -- per framing

    def _feed(self, data: bytes, t: float | None) -> list[Frame]:
        framing = self.framing
        if framing == "ndjson":
            assert self._lines is not None
            return self._lines_to_frames(self._lines.feed(data), t)
        if framing == "sse":
            assert self._sse is not None
            return self._events_to_frames(self._sse.feed(data), t)
        if framing == "recording":
            assert self._lines is not None
            return self._records(self._lines.feed(data), final=False)
        # chunk-recording: the document is parsed whole at close (bounded).
        self._doc_size += len(data)
        if self._doc_size <= self.max_document_bytes:
            self._doc += data
        elif self._doc:
            self._doc = self._doc[:4096]
        return []

    @staticmethod
    def _lines_to_frames(lines: list[bytes | OversizedLine], t: float | None) -> list[Frame]:
        out: list[Frame] = []
        for line in lines:
            if isinstance(line, OversizedLine):
                out.append(Frame(line.head, t, oversized=line.size))
            else:
                out.append(Frame(line, t))
        return out

    @staticmethod
    def _events_to_frames(events: list[SSEEvent | OversizedLine], t: float | None) -> list[Frame]:
        out: list[Frame] = []
        for event in events:
            if isinstance(event, OversizedLine):
                out.append(Frame(event.head, t, "sse", oversized=event.size))
            else:
                out.append(Frame(event.data, t, "sse", event.last_event_id, event.event))
        return out

    def _problem(self, code: str, message: str, raw: bytes | str | None = None) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
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
        self._kind = "sse" if record.get("framing") == "sse" else "line"

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
        if self._kind == "sse":
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

    def _chunk_document(self) -> list[Frame]:
        if self._doc_size > self.max_document_bytes:
            self._problem(
                "document_too_large",
                f"ChunkRecording of {self._doc_size} bytes exceeds max_document_bytes",
                bytes(self._doc[:_PROBLEM_RAW]),
            )
            return [Frame(bytes(self._doc[:4096]), oversized=self._doc_size)]
        document = bytes(self._doc)
        self._doc = bytearray()
        if not document.strip():
            return []
        try:
            doc = orjson.loads(document)
        except orjson.JSONDecodeError:
            doc = None
        entries = doc.get("chunks") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            # Not a recording: one frame, which the reducer keeps as a diagnostic.
            return [Frame(document)]
        assert isinstance(doc, dict)
        stamps = [_stamp(e.get("timestamp")) if isinstance(e, dict) else None for e in entries]
        known = [s for s in stamps if s is not None]
        base = _stamp(doc.get("timestamp"))
        if known and (base is None or base > known[0]):
            base = known[0]
        out: list[Frame] = []
        for entry, stamp in zip(entries, stamps, strict=True):
            t = None if stamp is None or base is None else (stamp - base) / 1000.0
            chunk = entry.get("chunk") if isinstance(entry, dict) else None
            if isinstance(chunk, dict):
                out.append(Frame(orjson.dumps(chunk).decode(), t, value=chunk))
            else:
                out.append(Frame(orjson.dumps(entry).decode(), t))
        return out


def _stamp(value: object) -> float | None:
    if type(value) in (int, float) and math.isfinite(cast(float, value)):
        return float(cast(float, value))
    return None


# ---------------------------------------------------------------------------------- reading


@attrs.frozen
class Recording:
    """A whole recording in memory (see :func:`read_recording`).

    ``framing`` is the file's framing (``"recording"`` for this module's format); ``header`` a
    recording's header (empty otherwise); ``problems`` what was wrong but skipped.
    """

    frames: tuple[Frame, ...]
    framing: InputFraming
    header: Mapping[str, Any] = attrs.field(factory=dict)
    problems: tuple[RecordingProblem, ...] = ()

    @property
    def timed(self) -> bool:
        """Whether the frames carry arrival times."""
        return any(frame.t is not None for frame in self.frames)

    @property
    def duration(self) -> float:
        """The last known arrival time (0 for an untimed recording)."""
        return max((f.t for f in self.frames if f.t is not None), default=0.0)

    @property
    def truncated(self) -> RecordingProblem | None:
        """The ``truncated_record`` problem when the last line was cut off, else ``None``."""
        for problem in self.problems:
            if problem.code == "truncated_record":
                return problem
        return None

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)


def read_recording(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    framing: InputFraming | None = None,
    name: str = "",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Recording:
    """Read a recording, a TanStack ChunkRecording or a plain NDJSON / SSE file.

    ``source`` is a path, the file's bytes or a binary file object. The framing is detected
    unless given (the path's name is a hint). Plain NDJSON and SSE files have no timing (every
    ``t`` is ``None``). Raises :class:`OSError` when a path cannot be read and
    :class:`RecordingError` for a recording of a newer format version; anything else wrong is in
    ``Recording.problems``.
    """
    if isinstance(source, bytes):
        chunks: Iterable[bytes] = (source,)
        return _read(chunks, framing, name, max_line_bytes)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return _read(_chunks(fh), framing, name or os.fspath(source), max_line_bytes)
    return _read(_chunks(source), framing, name or str(getattr(source, "name", "")), max_line_bytes)


def _chunks(fh: IO[bytes]) -> Iterable[bytes]:
    return iter(lambda: fh.read(256 * 1024), b"")


def _read(
    chunks: Iterable[bytes], framing: InputFraming | None, name: str, max_line_bytes: int
) -> Recording:
    splitter = FrameSplitter(framing, name=name, max_line_bytes=max_line_bytes)
    frames: list[Frame] = []
    for chunk in chunks:
        frames += splitter.feed(chunk)
    frames += splitter.close()
    assert splitter.framing is not None
    return Recording(tuple(frames), splitter.framing, splitter.header, tuple(splitter.problems))


# ---------------------------------------------------------------------------------- writing


class RecordingWriter:
    """Append frames to a recording (``docs/recording.md``).

    ``fh`` is a binary file object the writer does not own (use :meth:`open` for a path). The
    header line is written with the first frame (or at :meth:`close` for an empty recording);
    ``framing`` (``"ndjson"`` or ``"sse"``) defaults to the first frame's kind. ``meta`` adds
    keys to the header (e.g. the source URL). With ``autoflush`` every :meth:`write` is flushed
    to the operating system at once, so a frame survives the process being killed; batch writers
    call :meth:`write_many` (one flush per batch) instead. ``fsync`` also asks the OS to put it
    on disk (survives a power cut; slow).
    """

    def __init__(
        self,
        fh: IO[bytes],
        *,
        framing: Literal["ndjson", "sse"] | None = None,
        created_at: datetime | None = None,
        meta: Mapping[str, Any] | None = None,
        autoflush: bool = True,
        fsync: bool = False,
        t_offset: float = 0.0,
        _header_written: bool = False,
    ) -> None:
        if framing not in (None, "ndjson", "sse"):
            raise UsageError(f"a recording's framing is 'ndjson' or 'sse', not {framing!r}")
        self._fh = fh
        self._owns = False
        self.framing: Literal["ndjson", "sse"] | None = framing
        self.created_at = created_at or datetime.now(UTC)
        self.meta = dict(meta or {})
        self.autoflush = autoflush
        self.fsync = fsync
        self.t_offset = t_offset
        """Added to every frame's ``t`` (a resumed recording continues its timeline)."""
        self.frames_written = 0
        self.recovered: RecordingProblem | None = None
        """When :meth:`open` resumed a file whose last line was cut off: what was removed."""
        self._header_written = _header_written
        self._cursor: str | None = None
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        framing: Literal["ndjson", "sse"] | None = None,
        append: bool = False,
        **options: Any,
    ) -> RecordingWriter:
        """Open ``path`` for recording (the writer owns and closes the file).

        With ``append=True`` an existing recording is continued: a truncated last line (the
        previous process died mid-write) is cut off and reported in :attr:`recovered`, and new
        frames' times continue after the last recorded one. The framing must match the file's.
        """
        if not append or not os.path.exists(path) or os.path.getsize(path) == 0:
            writer = cls(open(path, "wb"), framing=framing, **options)  # noqa: SIM115
            writer._owns = True
            return writer
        with open(path, "rb") as fh:
            data = fh.read()
        recording = read_recording(data, framing="recording")
        file_framing = recording.header.get("framing")
        if file_framing not in ("ndjson", "sse"):
            file_framing = "ndjson"
        if framing is not None and framing != file_framing:
            raise UsageError(
                f"{os.fspath(path)!r} records {file_framing!r} frames, not {framing!r}"
            )
        fh2 = open(path, "r+b")  # noqa: SIM115 (the writer owns it)
        end = len(data)
        truncated = recording.truncated
        if truncated is not None:
            end = data.rfind(b"\n") + 1
        fh2.seek(end)
        fh2.truncate()
        if end and data[end - 1 : end] != b"\n":
            fh2.write(b"\n")  # a complete last record without its newline
        header_written = bool(recording.header)
        writer = cls(
            fh2,
            framing=cast(Literal["ndjson", "sse"], file_framing),
            t_offset=recording.duration,
            _header_written=header_written,
            **options,
        )
        writer._owns = True
        writer.recovered = truncated
        if recording.frames:
            writer._cursor = recording.frames[-1].sse_id
        return writer

    def header(self) -> dict[str, Any]:
        """The header record this writer writes."""
        return {
            HEADER_KEY: RECORDING_VERSION,
            "framing": self.framing or "ndjson",
            "created_at": self.created_at.isoformat(),
            "clock": "monotonic",
            **self.meta,
        }

    def encode(self, frame: Frame) -> bytes:
        """One frame's record line (updates the SSE cursor state)."""
        record: dict[str, Any] = {}
        if frame.t is not None:
            record["t"] = round(frame.t + self.t_offset, 6)
        data = frame.data
        if isinstance(data, bytes):
            try:
                record["frame"] = data.decode()
            except UnicodeDecodeError:
                record["b64"] = base64.b64encode(data).decode()
        else:
            record["frame"] = data
        if frame.kind == "sse":
            if frame.sse_id != self._cursor:
                record["id"] = frame.sse_id
                self._cursor = frame.sse_id
            if frame.sse_event is not None:
                record["event"] = frame.sse_event
        if frame.oversized is not None:
            record["oversized"] = frame.oversized
        return orjson.dumps(record) + b"\n"

    def _check(self, frame: Frame) -> None:
        if self._closed:
            raise UsageError("write after close()")
        want: Literal["ndjson", "sse"] = "sse" if frame.kind == "sse" else "ndjson"
        if self.framing is None:
            self.framing = want
        elif self.framing != want:
            raise UsageError(f"a {frame.kind!r} frame in a {self.framing!r} recording")
        if not self._header_written:
            self._fh.write(orjson.dumps(self.header()) + b"\n")
            self._header_written = True

    def write(self, frame: Frame) -> None:
        """Append one frame (flushed at once when ``autoflush``)."""
        self._check(frame)
        self._fh.write(self.encode(frame))
        self.frames_written += 1
        if self.autoflush:
            self.flush()

    def write_many(self, frames: Sequence[Frame]) -> None:
        """Append frames and flush once (a batch: e.g. the frames of one network read)."""
        if not frames:
            return
        lines = []
        for frame in frames:
            self._check(frame)
            lines.append(self.encode(frame))
        self._fh.write(b"".join(lines))
        self.frames_written += len(frames)
        self.flush()

    def flush(self) -> None:
        self._fh.flush()
        if self.fsync:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Write the header if nothing was written yet, flush, and close an owned file."""
        if self._closed:
            return
        if not self._header_written:
            self._fh.write(orjson.dumps(self.header()) + b"\n")
            self._header_written = True
        self.flush()
        self._closed = True
        if self._owns:
            self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

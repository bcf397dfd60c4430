"""Recordings: frames with arrival times, written to and read from files (docs/recording.md).

* :class:`RecordingWriter` appends frames to a recording (one JSON line per frame, flushed
  before the reducer sees the frame);
* :func:`read_recording` reads a recording, a TanStack ChunkRecording or a plain NDJSON / SSE
  file (without timing) into a :class:`Recording`.

The recording format is NDJSON: a header line, then one line per frame::

    {"streamfold_recording":1,"framing":"ndjson","created_at":"2026-…Z","clock":"monotonic"}
    {"t":0.0123,"frame":"{\\"type\\":\\"node_enter\\",\\"id\\":\\"think\\"}"}
    {"t":0.0311,"frame":"{\\"type\\":\\"message_chunk\\",\\"content\\":\\"Hi\\"}"}

Reading is :class:`~streamfold.framing.FrameSplitter`'s job (sans-IO, every framing); this
module touches the files. A damaged recording is never fatal: a truncated last line (the
process died mid-write) and bad lines become :class:`~streamfold.framing.RecordingProblem`
entries; only a header from a newer format version raises
:class:`~streamfold.errors.RecordingError`. ``Reducer.feed_frame`` applies a frame.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any, cast

import attrs

from ..errors import UsageError
from ..framing.detect import HEADER_KEY, Framing, WireFraming
from ..framing.frame import Frame, RecordingProblem
from ..framing.frames import FrameSplitter
from ..framing.lines import DEFAULT_MAX_LINE_BYTES
from ..framing.records import RECORDING_VERSION
from ..model.text import dumps

__all__ = ["Recording", "RecordingWriter", "read_recording"]


@attrs.frozen
class Recording:
    """A whole recording in memory (see :func:`read_recording`).

    ``framing`` is the file's framing (``"recording"`` for this module's format); ``header`` a
    recording's header (empty otherwise); ``problems`` what was wrong but skipped.
    """

    frames: tuple[Frame, ...]
    framing: Framing
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
    framing: Framing | None = None,
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
    chunks: Iterable[bytes], framing: Framing | None, name: str, max_line_bytes: int
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
        framing: WireFraming | None = None,
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
        self.framing: WireFraming | None = framing
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
        framing: WireFraming | None = None,
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
            framing=cast(WireFraming, file_framing),
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
        return dumps(record) + b"\n"

    def _check(self, frame: Frame) -> None:
        if self._closed:
            raise UsageError("write after close()")
        want: WireFraming = "sse" if frame.kind == "sse" else "ndjson"
        if self.framing is None:
            self.framing = want
        elif self.framing != want:
            raise UsageError(f"a {frame.kind!r} frame in a {self.framing!r} recording")
        if not self._header_written:
            self._fh.write(dumps(self.header()) + b"\n")
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
        """Flush the file; with ``fsync=True`` also ask the operating system to write it to disk
        (errors of ``fsync`` itself are ignored: not every file has one)."""
        self._fh.flush()
        if self.fsync:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Write the header if nothing was written yet, flush, and close an owned file."""
        if self._closed:
            return
        if not self._header_written:
            self._fh.write(dumps(self.header()) + b"\n")
            self._header_written = True
        self.flush()
        self._closed = True
        if self._owns:
            self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

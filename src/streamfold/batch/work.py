"""The units of work both engines run: fold one file; route a log's frames; fold sessions.

Everything here is plain Python on plain data (picklable), so the local process pool and Dask
run the same code and give the same rows (docs/batch.md).

* :func:`fold_path` — one file, in one reducer, into rows; never raises (a file that cannot be
  read becomes a ``file_error`` row).
* :class:`LogRouter` — the ``--log`` router: the files' bytes as ONE stream through one frame
  splitter (a line or an SSE event split across two files is whole again), each frame given
  its log index and its session key (:mod:`streamfold.batch.routing`). Its state is small and
  picklable, so Dask can carry it from one file's task to the next.
* :class:`SessionFolder` — folds routed frames, one reducer per session key, in log order, and
  gives rows whose frame indexes are the log's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

from ..collector import FreezeSettled
from ..reducer import Reducer
from ..tables.rows import Rows, conversation_rows, empty_rows
from .frames import (
    Frame,
    FrameSplitter,
    RecordingError,
    RecordingProblem,
    close_at,
    feed_at,
)
from .routing import PENDING, SessionRouter

__all__ = [
    "READ_SIZE",
    "FileResult",
    "FrameRecord",
    "LogRouter",
    "SessionFolder",
    "error_row",
    "fold_path",
    "frame_of",
    "read_chunks",
]

READ_SIZE: Final = 1 << 20
"""Bytes read from a file at a time (memory per file in flight is about this plus the model)."""

_HOLD_LIMIT: Final = 10_000  # frames held for a key before they go to the default session
FrameRecord = tuple[str, int, tuple[Any, ...]]
"""A routed frame: ``(session key, log frame index, frame fields)`` (see :func:`frame_of`)."""


@attrs.define
class FileResult:
    """What folding one file gave: rows and counters."""

    rows: Rows
    frames: int = 0
    bytes: int = 0


def error_row(source: str, message: str, code: str = "file_error") -> dict[str, Any]:
    """A ``diagnostics`` row for a problem with a whole input (docs/batch.md "Diagnostics")."""
    return {
        "source": source,
        "session_id": None,
        "run_id": None,
        "code": code,
        "severity": "error",
        "message": message,
        "dropped": True,
        "frame_index": None,
        "event_id": None,
        "raw": None,
    }


def _problem_row(source: str, problem: RecordingProblem) -> dict[str, Any]:
    row = error_row(source, problem.message, problem.code)
    row["severity"] = "warning"
    row["raw"] = problem.raw
    return row


def read_chunks(path: str) -> Iterator[bytes]:
    """The file's bytes in :data:`READ_SIZE` chunks (``OSError`` when it cannot be read)."""
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_SIZE):
            yield chunk


def fold_path(path: str, source: str | None = None) -> FileResult:
    """Fold one file (framing and formats detected) into rows. Never raises for the file's
    content or an unreadable file: those become ``diagnostics`` rows. The model is kept out of
    full collections while it grows (:class:`~streamfold.collector.FreezeSettled`)."""
    source = path if source is None else source
    reducer = Reducer()
    splitter = FrameSplitter(name=os.fspath(path))
    size = 0
    try:
        with FreezeSettled() as settle:
            for chunk in read_chunks(path):
                size += len(chunk)
                for frame in splitter.feed(chunk):
                    reducer.feed_frame(frame)
                settle.reached(reducer.frames_in)
            for frame in splitter.close():
                reducer.feed_frame(frame)
            reducer.close()
    except (OSError, RecordingError) as exc:
        rows = empty_rows()
        rows["diagnostics"].append(error_row(source, _describe(exc)))
        return FileResult(rows, reducer.frames_in, size)
    except Exception as exc:  # a bug must cost one file, never the job
        rows = empty_rows()
        rows["diagnostics"].append(error_row(source, _describe(exc), "internal_error"))
        return FileResult(rows, reducer.frames_in, size)
    rows = conversation_rows(reducer.conversation, source)
    rows["diagnostics"].extend(_problem_row(source, p) for p in splitter.problems)
    return FileResult(rows, reducer.frames_in, size)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def frame_of(fields: tuple[Any, ...]) -> Frame:
    """The :class:`Frame` of a record's fields (``(data, kind, sse_id, sse_event, oversized)``)."""
    data, kind, sse_id, sse_event, oversized = fields
    return Frame(data, None, kind, sse_id, sse_event, oversized)


def _fields(frame: Frame) -> tuple[Any, ...]:
    return (frame.data, frame.kind, frame.sse_id, frame.sse_event, frame.oversized)


@attrs.define
class LogRouter:
    """The ``--log`` router's state (picklable): feed each file's bytes in log order with
    :meth:`route_file`; the records come out in log order, indexed from 0."""

    name: str = ""
    """The first file's name: a hint for framing detection (``.sse``)."""
    splitter: FrameSplitter | None = None
    router: SessionRouter = attrs.field(factory=SessionRouter)
    frames: int = 0
    """Frames routed so far: the next frame's log index."""
    nbytes: int = 0
    """Bytes routed so far."""
    errors: list[dict[str, Any]] = attrs.field(factory=list)
    """``diagnostics`` rows for files that could not be read (the log goes on without them)."""
    source: str = ""

    held: list[FrameRecord] = attrs.field(factory=list)
    """Frames waiting for their session key (:data:`~streamfold.batch.routing.PENDING`)."""

    def _route(self, frames: Iterable[Frame], out: list[FrameRecord]) -> None:
        key = self.router.key
        for frame in frames:
            k = key(frame)
            if k is PENDING:
                self.held.append(("", self.frames, _fields(frame)))
                if len(self.held) >= _HOLD_LIMIT:
                    self._release(out, final=True)
            else:
                if self.held:
                    self._release(out)
                out.append((k, self.frames, _fields(frame)))
            self.frames += 1

    def _release(self, out: list[FrameRecord], *, final: bool = False) -> None:
        k = self.router.pending_key(final=final)
        if k is not None:
            out.extend((k, index, fields) for _, index, fields in self.held)
            self.held.clear()

    def route_bytes(self, data: bytes, out: list[FrameRecord]) -> None:
        """Route the frames completed by ``data`` (the log's next bytes) into ``out``."""
        if self.splitter is None:
            self.splitter = FrameSplitter(name=self.name)
        self.nbytes += len(data)
        self._route(self.splitter.feed(data), out)

    def route_file(self, path: str, *, last: bool = False) -> list[FrameRecord]:
        """Route one file's frames (and, when ``last``, what the splitter still holds)."""
        out: list[FrameRecord] = []
        try:
            for chunk in read_chunks(path):
                self.route_bytes(chunk, out)
        except (OSError, RecordingError) as exc:
            self.errors.append(error_row(self.source or path, f"{path}: {_describe(exc)}"))
        if last:
            out += self.finish()
        return out

    def finish(self) -> list[FrameRecord]:
        """End of the log: the frames the splitter still held (an unterminated last line)."""
        out: list[FrameRecord] = []
        if self.splitter is not None:
            try:
                self._route(self.splitter.close(), out)
            except RecordingError as exc:
                self.errors.append(error_row(self.source, _describe(exc)))
            self.errors.extend(_problem_row(self.source, p) for p in self.splitter.problems)
            self.splitter.problems.clear()
        if self.held:
            self._release(out, final=True)
        return out


class SessionFolder:
    """Folds routed frames: one :class:`Reducer` per session key, frames in log order, each
    numbered with its log index (:func:`~streamfold.batch.frames.feed_at`).

    Memory: the folded models of the sessions it holds, kept out of full collections until
    :meth:`rows` (:class:`~streamfold.collector.FreezeSettled`).
    """

    def __init__(self) -> None:
        self._sessions: dict[str, Reducer] = {}
        self._settle = FreezeSettled()
        self.frames = 0

    def feed(self, record: FrameRecord) -> None:
        """Fold one routed frame into its session's reducer (records in log order)."""
        key, index, fields = record
        reducer = self._sessions.get(key)
        if reducer is None:
            reducer = self._sessions[key] = Reducer()
        feed_at(reducer, frame_of(fields), index)
        self.frames += 1
        self._settle.reached(self.frames)

    def feed_many(self, records: Iterable[FrameRecord]) -> None:
        """:meth:`feed` each record, in order."""
        for record in records:
            self.feed(record)

    def rows(self, source: str, log_frames: int) -> Rows:
        """Close every session at the log's end (frame index ``log_frames``, where a reducer
        fed the whole log would close) and return the rows."""
        rows = empty_rows()
        for key in sorted(self._sessions):
            reducer = self._sessions[key]
            close_at(reducer, log_frames)
            conversation_rows(reducer.conversation, source, into=rows)
        self._sessions.clear()
        self._settle.close()
        return rows

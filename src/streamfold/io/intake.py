"""The shared sans-IO intake: source items → frames → reducer, with a recorder tee.

Both twins use it — the sync :class:`~streamfold.io.sync.Reduction` (and ``fold``) and the async
:class:`~streamfold.aio.AsyncReduction` — the way httpx's ``iter_lines`` and ``aiter_lines``
share one ``LineDecoder``. It owns no I/O and no time source: the caller hands it items and a
function that says how long the stream has been running.

A stream's framing is given or decided by :mod:`streamfold.framing.detect` from its first
bytes. Without a recorder, NDJSON and SSE bytes go straight to the reducer's own splitters
(``feed_bytes`` / ``feed_sse``, or ``feed_stream`` when notifications are not kept: the sync
core, nothing added). With a recorder, or for the file framings, a
:class:`~streamfold.framing.FrameSplitter` cuts frames first; each batch is written (and
flushed) before the reducer sees it, so a frame whose notifications were seen is never missing
from the file; ``Reducer.feed_frame`` applies them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from ..errors import UsageError
from ..framing.detect import Framing, FramingDetector, check_framing
from ..framing.frame import Frame, RecordingProblem
from ..framing.frames import FrameSplitter
from ..framing.lines import DEFAULT_MAX_LINE_BYTES
from ..model import Conversation
from ..model.text import dumps
from ..notifications import Notification
from ..reducer import Reducer

if TYPE_CHECKING:
    from .recording import RecordingWriter

__all__ = ["Intake", "Item", "ReductionState", "distinct", "make_reducer"]

Item: TypeAlias = bytes | bytearray | memoryview | str | Mapping[str, Any]
"""What a source may yield: bytes (split anywhere), complete text lines, or parsed frames."""


class Intake:
    """Sans-IO: source items in, notifications out, frames recorded on the way.

    ``framing`` ``None`` detects it from the first bytes (``name``, a file name, is a hint).
    ``elapsed()`` gives the arrival time of the frames being cut (seconds since the stream
    started; recorded frames carry it). ``direct=False`` always cuts frames here, so that a
    partial frame never stays in the reducer's own splitters (a reducer fed by several sources
    in turn). ``keep=False`` drops every frame's notifications as soon as it is applied and
    returns none (for a caller that only wants the model). Raises :class:`UsageError` for an
    unknown framing or item type.
    """

    def __init__(
        self,
        reducer: Reducer,
        framing: Framing | None = None,
        *,
        name: str = "",
        recorder: RecordingWriter | None = None,
        elapsed: Callable[[], float] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        direct: bool = True,
        keep: bool = True,
    ) -> None:
        self.reducer = reducer
        self.recorder = recorder
        self.name = name
        self.framing: Framing | None = None
        """The framing in use (``None`` until detection decides)."""
        self._elapsed = elapsed
        self._max_line_bytes = max_line_bytes
        self._allow_direct = direct and recorder is None
        self._keep = keep
        self._direct: Callable[[bytes], list[Notification]] | None = None
        self._splitter: FrameSplitter | None = None
        self._detector: FramingDetector | None = None
        if framing is None:
            self._detector = FramingDetector(name)
        else:
            self._choose(check_framing(framing))

    @property
    def problems(self) -> tuple[RecordingProblem, ...]:
        """What was wrong with a recording source (a truncated last record, bad lines…)."""
        splitter = self._splitter
        return tuple(splitter.problems) if splitter is not None else ()

    def _choose(self, framing: Framing) -> None:
        self.framing = framing
        self._detector = None
        reducer = self.reducer
        # The direct paths hold the reducer, never the intake: a bound method of the intake kept
        # on the intake would be a reference cycle, and the reducer with its whole model would
        # then outlive the caller's last reference until a full collection.
        if self._allow_direct and framing == "ndjson":
            self._direct = reducer.feed_bytes if self._keep else partial(_drain, reducer, "ndjson")
        elif self._allow_direct and framing == "sse":
            self._direct = reducer.feed_sse if self._keep else partial(_drain, reducer, "sse")
        else:
            self._splitter = FrameSplitter(
                framing, name=self.name, max_line_bytes=self._max_line_bytes
            )

    def feed(self, item: Item) -> list[Notification]:
        """Take one source item; returns the notifications of the frames it completed."""
        if isinstance(item, bytes):
            data = item
        elif isinstance(item, str):
            data = item.encode() + b"\n"
        elif isinstance(item, bytearray | memoryview):
            data = bytes(item)
        elif isinstance(item, Mapping):
            return self._feed_object(item)
        else:
            raise UsageError(f"cannot reduce a {type(item).__name__} (bytes, str or a mapping)")
        direct = self._direct
        if direct is not None:
            return direct(data)
        detector = self._detector
        if detector is not None:
            framing = detector.feed(data)
            if framing is None:
                return []
            self._choose(framing)
            return self._route(detector.take())
        return self._route(data)

    def _route(self, data: bytes) -> list[Notification]:
        direct = self._direct
        if direct is not None:
            return direct(data)
        splitter = self._splitter
        assert splitter is not None
        t = self._now()
        return self._apply(splitter.feed(data, t), t)

    def _now(self) -> float | None:
        elapsed = self._elapsed
        return elapsed() if elapsed is not None else None

    def _feed_object(self, obj: Mapping[str, Any]) -> list[Notification]:
        if self.recorder is not None:
            text = dumps(obj, default=str).decode()
            self.recorder.write_many([Frame(text, self._now(), value=obj)])
        notes = self.reducer.feed(obj)
        return notes if self._keep else []

    def _apply(self, frames: list[Frame], t: float | None) -> list[Notification]:
        """Record (arrival time ``t``), then apply. Frames cut from plain bytes already carry
        ``t``; a recording's frames carry their recorded times and are re-stamped."""
        if not frames:
            return []
        recorder = self.recorder
        if recorder is not None:
            recorder.write_many([f if f.t == t else attrs.evolve(f, t=t) for f in frames])
        feed_frame = self.reducer.feed_frame
        notes: list[Notification] = []
        if self._keep:
            for frame in frames:
                notes += feed_frame(frame)
        else:
            for frame in frames:
                feed_frame(frame)
        return notes

    def finish(self, close_reducer: bool) -> list[Notification]:
        """End of the source: frames still buffered, then (optionally) ``reducer.close()``."""
        notes: list[Notification] = []
        detector = self._detector
        if detector is not None:
            self._choose(detector.close())
            notes += self._route(detector.take())
        if self._splitter is not None:
            t = self._now()
            notes += self._apply(self._splitter.close(t), t)
        if close_reducer and not self.reducer.closed:
            closing = self.reducer.close()
            if self._keep:
                notes += closing
        return notes


def make_reducer(
    reducer: Reducer | None, options: Mapping[str, Any], *, max_line_bytes: int | None = None
) -> Reducer:
    """``reducer``, or a new one made with ``options`` (and ``max_line_bytes`` when given);
    raises :class:`UsageError` for both a reducer and options."""
    if reducer is not None:
        if options:
            raise UsageError("pass Reducer options or a reducer, not both")
        return reducer
    if max_line_bytes is not None:
        return Reducer(max_line_bytes=max_line_bytes, **options)
    return Reducer(**options)


def distinct(*objs: object) -> list[object]:
    """The objects that are not ``None``, each once (by identity), in order."""
    out: list[object] = []
    for obj in objs:
        if obj is not None and all(obj is not seen for seen in out):
            out.append(obj)
    return out


class ReductionState:
    """What the sync and async reductions share: the reducer, the intake and the read-only
    view of their progress."""

    reducer: Reducer
    recorder: RecordingWriter | None
    _intake: Intake
    _buffer: deque[Notification]
    _close_reducer: bool
    _done: bool
    _stopped: bool

    def _begin(
        self,
        reducer: Reducer | None,
        reducer_options: Mapping[str, Any],
        *,
        framing: Framing | None,
        name: str,
        recorder: RecordingWriter | None,
        close_reducer: bool,
        max_line_bytes: int,
    ) -> None:
        """Set up what both twins hold: the reducer (given, or made with ``reducer_options``),
        the intake (cutting frames itself unless the reducer is closed at the end, so that a
        partial frame never stays behind for the next source), the buffer of notifications."""
        self.reducer = make_reducer(reducer, reducer_options, max_line_bytes=max_line_bytes)
        self.recorder = recorder
        self._close_reducer = close_reducer
        self._intake = Intake(
            self.reducer,
            framing,
            name=name,
            recorder=recorder,
            elapsed=self._elapsed,
            max_line_bytes=max_line_bytes,
            direct=close_reducer,
        )
        self._buffer = deque()
        self._done = False
        self._stopped = False

    def _elapsed(self) -> float:
        """Seconds since the source started (the arrival time of the frames being cut)."""
        raise NotImplementedError

    @property
    def conversation(self) -> Conversation:
        """The live model (``reducer.conversation``)."""
        return self.reducer.conversation

    @property
    def framing(self) -> Framing | None:
        """The framing in use (detected after the first bytes); ``None`` before."""
        return self._intake.framing

    @property
    def done(self) -> bool:
        """The source ended, failed or was closed."""
        return self._done

    @property
    def problems(self) -> tuple[RecordingProblem, ...]:
        """What was wrong with a recording source (a truncated last record, bad lines…): the
        frames around them were reduced; see :class:`~streamfold.framing.RecordingProblem`."""
        return self._intake.problems

    @property
    def pending(self) -> tuple[Notification, ...]:
        """Notifications already applied to the model but not yet handed out by iteration."""
        return tuple(self._buffer)


def _drain(reducer: Reducer, framing: Literal["ndjson", "sse"], data: bytes) -> list[Notification]:
    """Apply ``data`` keeping no notifications (``Reducer.feed_stream``)."""
    reducer.feed_stream((data,), framing=framing)
    return []

"""The sync edge: reduce and fold plain iterables and files (the twin of :mod:`streamfold.aio`).

* :func:`fold` / :func:`fold_file` — a byte stream or a file in, the final
  :class:`~streamfold.model.Conversation` out (notifications are not kept);
* :class:`Reduction` / :func:`reduce_sync` — iterate the notifications of any iterable source
  (bytes split anywhere, text lines, parsed frames), optionally recording every frame;
* :func:`convert` / :func:`convert_file` — fold, then export (``streamfold convert``);
  :func:`convert_file_to_agui` — fold a file and re-emit it as AG-UI events as it is read.

All of them go through the one intake, :class:`~streamfold.io.intake.Intake`: the framings are
``"ndjson"``, ``"sse"``, ``"chunk-recording"`` and ``"recording"``, given or detected from the
first bytes (:mod:`streamfold.framing.detect`, docs/recording.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..collector import FREEZE_EVERY, FreezeSettled
from ..export.tanstack import render_converted
from ..framing.detect import Framing
from ..framing.lines import DEFAULT_MAX_LINE_BYTES
from ..model import Conversation
from ..notifications import Notification
from ..reducer import Reducer
from .intake import Intake, Item, ReductionState, distinct, make_reducer
from .recording import RecordingWriter, read_recording

__all__ = [
    "CHUNK_SIZE",
    "Reduction",
    "convert",
    "convert_file",
    "convert_file_to_agui",
    "fold",
    "fold_file",
    "reduce_sync",
]

CHUNK_SIZE = 64 * 1024
"""How much of a file :func:`fold_file` reads at a time."""


# ------------------------------------------------------------------------------------ fold


def fold(
    chunks: Iterable[bytes],
    reducer: Reducer | None = None,
    *,
    framing: Framing | None = "ndjson",
    name: str = "",
    freeze_every: int | None = FREEZE_EVERY,
    **options: Any,
) -> Conversation:
    """Fold a byte stream given as chunks of any size and return the final model.

    ``framing`` is one of ``"ndjson"`` (the default), ``"sse"``, ``"chunk-recording"``,
    ``"recording"``, or ``None`` to detect it from the first bytes (``name``, a file name, is a
    hint). ``options`` are :class:`~streamfold.reducer.Reducer` arguments (``format``,
    ``strict``, limits); pass a ``reducer`` instead to keep access to its counters (a partial
    frame it was already fed through ``feed_bytes`` / ``feed_sse`` is continued). Frames are
    applied as they are split and their notifications dropped at once
    (``Reducer.feed_stream``). The reducer is closed at the end, which ends runs that never
    received their terminal frame. Raises :class:`~streamfold.errors.UsageError` for an unknown
    ``framing`` or for both a ``reducer`` and ``options``.

    ``freeze_every`` (frames, or ``None`` for never): while the fold runs, what it has built is
    frozen out of CPython's full collections every that many frames and unfrozen at the end
    (:class:`~streamfold.collector.FreezeSettled`; it stands aside when the collector is
    disabled or the application freezes objects itself). Full collections then stop walking
    what is already folded (docs/performance.md#many-sessions-and-the-collector).
    """
    reducer = make_reducer(reducer, options)
    intake = Intake(reducer, framing, name=name, max_line_bytes=reducer.max_line_bytes, keep=False)
    feed = intake.feed
    with FreezeSettled(freeze_every) as settle:
        for chunk in chunks:
            feed(chunk)
            settle.reached(reducer.frames_in)
        intake.finish(close_reducer=True)
    return reducer.conversation


def fold_file(
    path: str | os.PathLike[str],
    reducer: Reducer | None = None,
    *,
    framing: Framing | None = None,
    freeze_every: int | None = FREEZE_EVERY,
    **options: Any,
) -> Conversation:
    """Fold a file and return the final model, the framing detected when not given: NDJSON,
    SSE, a ChunkRecording or a streamfold recording (docs/recording.md). Otherwise as
    :func:`fold` (``freeze_every`` included).

    Raises :class:`OSError` when the file cannot be read; the content itself never raises in
    lenient mode.
    """
    with open(path, "rb") as fh:
        chunks = iter(lambda: fh.read(CHUNK_SIZE), b"")
        return fold(
            chunks,
            reducer,
            framing=framing,
            name=os.fspath(path),
            freeze_every=freeze_every,
            **options,
        )


def convert(
    chunks: Iterable[bytes],
    to: str = "tanstack-ui-messages",
    *,
    framing: Framing | None = "ndjson",
    format: str | None = None,
    session_id: str | None = None,
) -> str:
    """Fold a byte stream (chunks of any size) and return it converted, as JSON text (shaped
    as :func:`~streamfold.export.tanstack.render_converted` says: an object keyed by session,
    or one session's array).

    ``to`` is one of :data:`streamfold.export.tanstack.CONVERT_TARGETS`; ``framing`` and
    ``format`` are as for :func:`fold`. Raises :class:`~streamfold.errors.UsageError` for an
    unknown target, framing, format or session.
    """
    return render_converted(fold(chunks, framing=framing, format=format), to, session_id)


def convert_file(
    path: str | os.PathLike[str],
    to: str = "tanstack-ui-messages",
    *,
    format: str | None = None,
    framing: Framing | None = None,
    session_id: str | None = None,
) -> str:
    """Fold a file and return it converted, as JSON text (``streamfold convert``).

    Like :func:`convert`, with the framing detected from the file when ``None``. Raises
    :class:`OSError` when the file cannot be read.
    """
    conversation = fold_file(path, framing=framing, format=format)
    return render_converted(conversation, to, session_id)


def convert_file_to_agui(
    path: str | os.PathLike[str],
    to: str = "agui-sse",
    *,
    thread_id: str | None = None,
) -> Iterator[str]:
    """A recording file (any format and framing streamfold reads) as AG-UI 1.0 text: SSE
    frames (``"agui-sse"``) or NDJSON lines (``"agui-ndjson"``), one string per event,
    produced as the file is read (``streamfold convert FILE --to agui-sse``,
    ``docs/agui-out.md``). Raises :class:`~streamfold.errors.UsageError` for an unknown target
    and :class:`OSError` when the file cannot be read."""
    from ..export.agui import convert_to_agui  # the AG-UI encoder only when it is asked for

    return convert_to_agui(_notes_of_file(path), to, thread_id=thread_id)


def _notes_of_file(path: str | os.PathLike[str]) -> Iterator[list[Notification]]:
    """Each frame's notifications, then those of ``close()``, of a recording file."""
    recording = read_recording(path)
    reducer = Reducer()
    for frame in recording.frames:
        yield reducer.feed_frame(frame)
    yield reducer.close()


# ------------------------------------------------------------------------------- reduction


class Reduction(ReductionState):
    """Reduce a plain iterable of items (the sync twin of :class:`AsyncReduction`).

    Iterate it for notifications, or call :meth:`run`. ``conversation`` / ``reducer`` are live.
    """

    def __init__(
        self,
        source: Iterable[Item],
        *,
        reducer: Reducer | None = None,
        framing: Framing | None = None,
        name: str = "",
        recorder: RecordingWriter | None = None,
        clock: Callable[[], float] = time.monotonic,
        close_reducer: bool = True,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        **reducer_options: Any,
    ) -> None:
        self._source = source
        self._iter: Iterator[Item] | None = None
        self._clock = clock
        self._start = 0.0
        self._begin(
            reducer,
            reducer_options,
            framing=framing,
            name=name,
            recorder=recorder,
            close_reducer=close_reducer,
            max_line_bytes=max_line_bytes,
        )

    def _elapsed(self) -> float:
        return self._clock() - self._start

    def __iter__(self) -> Reduction:
        return self

    def __next__(self) -> Notification:
        if self._stopped:
            raise StopIteration
        buffer = self._buffer
        while not buffer:
            if self._done:
                raise StopIteration
            self._pull()
        return buffer.popleft()

    def _pull(self) -> None:
        if self._iter is None:
            self._iter = iter(self._source)
            self._start = self._clock()
        try:
            try:
                item = next(self._iter)
            except StopIteration:
                self._buffer.extend(self._intake.finish(self._close_reducer))
                self._done = True
                self._close_source()
                return
            self._buffer.extend(self._intake.feed(item))
        except BaseException:
            self._done = self._stopped = True
            self._close_source()
            raise

    def _close_source(self) -> None:
        for obj in distinct(self._iter, self._source):
            close = getattr(obj, "close", None)
            if callable(close):
                close()

    def run(self) -> Conversation:
        """Consume the whole source; returns the conversation."""
        for _ in self:
            pass
        return self.conversation

    def close(self) -> None:
        """Stop early: close the source (the reducer stays open; iteration ends). Idempotent."""
        if not self._done:
            self._done = self._stopped = True
            self._close_source()

    def __enter__(self) -> Reduction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reduce_sync(source: Iterable[Item], **options: Any) -> Reduction:
    """``for note in reduce_sync(chunks, framing="sse"): …`` — see :class:`Reduction`."""
    return Reduction(source, **options)

"""What defines a reducer between two frames, read for a snapshot and restored from one.

:func:`resume_state` reads a :class:`~streamfold.reducer.Reducer` into a
:class:`~streamfold.snapshot.state.ResumeState` (its options, the core's
:class:`~streamfold.core.FoldState`, counters, lifecycle, decoders and framing), and
:func:`restore` builds a reducer in such a state. These two functions are the only code outside
the reducer that touches its private attributes, through the :class:`Resumable` protocol, so
that the snapshot codec (:mod:`streamfold.snapshot`) never imports the reducer
(``docs/snapshot.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from .core import FoldState
from .errors import SnapshotError, UsageError
from .formats import Decoder
from .framing import LineSplitter, SSESplitter
from .lifecycle import Lifecycle
from .model import Diagnostic

if TYPE_CHECKING:  # the codec is imported when a snapshot is made (not with the reducer)
    from .snapshot.state import ResumeState

__all__ = ["Resumable", "restore", "resume_state"]


class Resumable(Protocol):
    """The reducer as :func:`resume_state` and :func:`restore` see it."""

    format: str | None
    frames_in: int
    frames_dropped: int
    sse_last_event_id: str | None
    _state: FoldState
    _lifecycle: Lifecycle
    _failure: Diagnostic | None
    _decoders: dict[str, Decoder]
    _last_decoder: tuple[str, Decoder] | None
    _splitter: LineSplitter
    _sse: SSESplitter

    @property
    def max_line_bytes(self) -> int:
        """The longest NDJSON or SSE line accepted (bytes)."""
        ...

    @property
    def max_json_depth(self) -> int:
        """The deepest a frame may nest (levels)."""
        ...

    @property
    def strict(self) -> bool:
        """Strict mode (the first WARNING or ERROR raises)."""
        ...

    @strict.setter
    def strict(self, value: bool) -> None: ...

    def _decoder_for(self, name: str) -> Decoder: ...


R = TypeVar("R", bound=Resumable)


def resume_state(reducer: Resumable) -> ResumeState:
    """Everything that defines ``reducer`` between two frames (docs/snapshot.md)."""
    from .snapshot.schema import ReducerOptions
    from .snapshot.state import ResumeState

    state, last = reducer._state, reducer._last_decoder
    maxlen = state.conversation.diagnostics.maxlen or 1
    options = ReducerOptions(
        reducer.format, reducer.strict, reducer.max_line_bytes, maxlen, state.max_raw_chars,
        state.max_text_chars, state.max_open_runs, state.max_sessions, reducer.max_json_depth
    )  # fmt: skip
    failed = reducer._lifecycle is Lifecycle.FAILED
    return ResumeState(
        options, state, reducer.frames_in, reducer.frames_dropped,
        reducer._lifecycle is Lifecycle.CLOSED, reducer._failure if failed else None,
        reducer.sse_last_event_id, reducer._decoders, None if last is None else last[0],
        reducer._splitter, reducer._sse
    )  # fmt: skip


def restore(cls: type[R], resume: ResumeState) -> R:
    """A reducer of class ``cls`` in ``resume``: made by the constructor (which checks the
    options; a refused option raises :class:`~streamfold.errors.SnapshotError` at
    ``reducer.options``), then given the restored core state, framing and decoders."""
    o = resume.options
    try:
        reducer = cls(**attrs.asdict(o, recurse=False))  # its fields are the parameters
    except (UsageError, ValueError) as exc:
        raise SnapshotError(str(exc), "reducer.options") from None
    reducer._state = resume.fold
    reducer.strict = o.strict  # the restored core calls this reducer in strict mode
    reducer.frames_in, reducer.frames_dropped = resume.frames_in, resume.frames_dropped
    if resume.failure is not None:
        reducer._lifecycle, reducer._failure = Lifecycle.FAILED, resume.failure
    elif resume.closed:
        reducer._lifecycle = Lifecycle.CLOSED
    reducer._decoders, name = resume.decoders, resume.last_decoder
    reducer._state.decoders = reducer._decoders
    if name is not None:
        reducer._last_decoder = (name, resume.decoders[name])
    elif o.format is not None:
        reducer._last_decoder = (o.format, reducer._decoder_for(o.format))
    reducer._state.use_decoder(reducer._last_decoder and reducer._last_decoder[1])
    reducer._splitter, reducer._sse = resume.ndjson, resume.sse
    reducer.sse_last_event_id = resume.sse_last_event_id
    return reducer

"""The Loom decoder's state as a snapshot cursor (the ``decoders.loom`` section of a resume
snapshot, docs/snapshot.md).

Plain values only: each open run inline in its session (a run belongs to one session), event ids
with their types as pairs, a span's message as ``[span_id, message_id]``. :func:`load` rebuilds
a :class:`~streamfold.formats.loom.LoomDecoder` and checks what the decoder relies on (session
keys, the last session); ids inside a run (queued call ids) are taken as they are, as the
decoder keeps them (a stale one is what the uninterrupted decoder would hold too).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

import attrs

from ...errors import SnapshotError
from .decoder import LoomDecoder
from .seen import SeenIds
from .state import _Call, _Run, _Session

__all__ = [
    "CURSOR",
    "DECODER",
    "VERSION",
    "LoomCall",
    "LoomCursor",
    "LoomRun",
    "LoomSession",
    "load",
    "save",
]

VERSION: Final = 1
DECODER: Final = LoomDecoder


@attrs.frozen
class LoomCall:
    """A tool call of an open run (the decoder's ``_Call``)."""

    call_id: str
    name: str | None
    started: bool = False
    span_id: str | None = None
    synthetic: bool = False


@attrs.frozen
class LoomRun:
    """An open run (see the decoder's ``_Run``)."""

    run_id: str
    session_id: str
    seq: int
    last_event_id: int | None = None
    seen: list[tuple[int, str]] = attrs.Factory(list)
    """``[event_id, type]`` of single events seen in the run (written empty since
    ``seen_ranges``; read for older snapshots)."""
    stack: list[tuple[str, str]] = attrs.Factory(list)
    """Open spans, outermost first: ``[span_id, node name]``."""
    span_seq: int = 0
    node_id: str | None = None
    messages: list[tuple[str | None, str]] = attrs.Factory(list)
    """``[span_id, message_id]``: the assistant message of each span."""
    calls: dict[str, LoomCall] = attrs.Factory(dict)
    current_call: str | None = None
    anon_seq: int = 0
    awaiting_args: dict[str, list[str]] = attrs.Factory(dict)
    awaiting_start: dict[str, list[str]] = attrs.Factory(dict)
    running: list[str] = attrs.Factory(list)
    approval_pending: bool = False
    cancelled: bool = False
    error: str | None = None
    seen_ranges: list[tuple[int, int, str]] = attrs.Factory(list)
    """``[first event_id, last event_id, type]``: the events seen in the run, as ranges of
    consecutive ids of one type, in id order (for duplicates, docs/loom.md A3)."""


@attrs.frozen
class LoomSession:
    """A session: its open run, if any, and how many runs it had."""

    session_id: str
    run: LoomRun | None = None
    runs: int = 0


@attrs.frozen
class LoomCursor:
    """The ``decoders.loom`` section (its ``"v"`` is :data:`VERSION`)."""

    sessions: list[LoomSession] = attrs.Factory(list)
    last_session: str | None = None
    run_ids: list[str] = attrs.Factory(list)
    activity: dict[str, int] = attrs.Factory(dict)
    """Open run id → the index of its last frame (reply routing)."""
    last_reply: list[Any] | None = None
    """The key of the last reply line: ``[session_id, event_id, node_id, text]`` as sent."""


CURSOR: Final = LoomCursor


def save(decoder: LoomDecoder) -> LoomCursor:
    """The decoder's state between two frames, as its cursor."""
    last = decoder._last_session
    return LoomCursor(
        sessions=[
            LoomSession(s.session_id, None if s.run is None else _save_run(s.run), s.runs)
            for s in decoder._sessions.values()
        ],
        last_session=None if last is None else last.session_id,
        run_ids=sorted(decoder._run_ids),
        activity=dict(decoder._activity),
        last_reply=None if decoder._last_reply is None else list(decoder._last_reply),
    )


def _save_run(run: _Run) -> LoomRun:
    return LoomRun(
        run.run_id,
        run.session_id,
        run.seq,
        run.last_event_id,
        [],
        list(run.stack),
        run.span_seq,
        run.node_id,
        list(run.messages.items()),
        {
            key: LoomCall(c.call_id, c.name, c.started, c.span_id, c.synthetic)
            for key, c in run.calls.items()
        },
        run.current_call,
        run.anon_seq,
        {name: list(queue) for name, queue in run.awaiting_args.items()},
        {name: list(queue) for name, queue in run.awaiting_start.items()},
        list(run.running),
        run.approval_pending,
        run.cancelled,
        run.error,
        list(run.seen.ranges()),
    )


def load(cursor: LoomCursor) -> LoomDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    decoder = LoomDecoder()
    for saved in cursor.sessions:
        if saved.session_id in decoder._sessions:
            raise SnapshotError(f"session {saved.session_id!r} twice", "decoders.loom.sessions")
        run = None if saved.run is None else _load_run(saved.run, saved.session_id)
        decoder._sessions[saved.session_id] = _Session(saved.session_id, run, saved.runs)
        if run is not None:
            decoder._open[saved.session_id] = decoder._sessions[saved.session_id]
    if cursor.last_session is not None:
        last = decoder._sessions.get(cursor.last_session)
        if last is None:
            raise SnapshotError("last session is not a session", "decoders.loom.last_session")
        decoder._last_session = last
    decoder._run_ids = set(cursor.run_ids)
    decoder._activity = dict(cursor.activity)
    reply = cursor.last_reply
    if reply is not None and len(reply) != 4:
        raise SnapshotError("the last reply key has 4 items", "decoders.loom.last_reply")
    decoder._last_reply = None if reply is None else tuple(reply)
    return decoder


def _load_run(saved: LoomRun, session_id: str) -> _Run:
    where = f"decoders.loom.sessions[{session_id!r}].run"
    if saved.session_id != session_id:
        raise SnapshotError("the run is in another session", where)
    calls: dict[str, _Call] = {}
    for key, c in saved.calls.items():
        calls[key] = _Call(c.call_id, c.name, c.started, c.span_id, c.synthetic)
    try:
        seen = SeenIds(saved.seen_ranges)
    except ValueError as exc:
        raise SnapshotError(str(exc), f"{where}.seen_ranges") from None
    for event_id, kind in saved.seen:  # (a snapshot written before seen_ranges)
        seen.add(event_id, kind)
    return _Run(
        saved.run_id,
        saved.session_id,
        saved.seq,
        saved.last_event_id,
        seen,
        [(span_id, name) for span_id, name in saved.stack],
        saved.span_seq,
        saved.node_id,
        dict(saved.messages),
        calls,
        saved.current_call,
        saved.anon_seq,
        {name: deque(queue) for name, queue in saved.awaiting_args.items()},
        {name: deque(queue) for name, queue in saved.awaiting_start.items()},
        list(saved.running),
        saved.approval_pending,
        saved.cancelled,
        saved.error,
    )

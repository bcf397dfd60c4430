"""The TanStack decoder's state as a snapshot cursor (the ``decoders.tanstack`` section of a
resume snapshot, docs/snapshot.md).

The decoder's routing objects are shared: an open run is in ``_runs`` and in ``_open``, and may
be ``_last_run``, ``_legacy`` or ``_last_finished``; a live message may also be the pending
reasoning message or a straggler. The cursor writes each run, message and call once, in a list,
and every other place refers to it by its position in that list; :func:`load` links them back
to one object each. Texts kept for the cumulative-content fallback are written joined (the
decoder only ever reads them joined).
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from ...errors import SnapshotError
from ...model import TextBuffer
from .decoder import TanStackDecoder
from .state import _Call, _FinishedCall, _FinishedMsg, _Msg, _Run
from .vocab import _MAX_PENDING, _RUNLESS

__all__ = [
    "CURSOR",
    "DECODER",
    "VERSION",
    "FinishedCall",
    "FinishedMessage",
    "TanStackCall",
    "TanStackCursor",
    "TanStackMessage",
    "TanStackRun",
    "load",
    "save",
]

VERSION: Final = 1
DECODER: Final = TanStackDecoder


@attrs.frozen
class TanStackRun:
    """A run the decoder holds (the decoder's ``_Run``)."""

    run_id: str
    session_id: str
    wire_id: str | None
    legacy: bool = False
    open_messages: int = 0
    message_ids: list[str] = attrs.Factory(list)
    call_ids: list[str] = attrs.Factory(list)
    steps: dict[str, str] = attrs.Factory(dict)
    span_ids: list[str] = attrs.Factory(list)
    step_suffix: dict[str, int] = attrs.Factory(dict)
    message_id: str | None = None
    finish_reason: str | None = None
    last_was_done: bool = False
    done_seen: bool = False
    open_calls: list[str] = attrs.Factory(list)
    interrupted: bool = False
    parent_id: str | None = None
    """The parent run of a sub-agent's run (docs/agui.md, "Sub-agents")."""


@attrs.frozen
class TanStackMessage:
    """A live message (``_Msg``); its segment and thinking texts joined."""

    message_id: str
    run_id: str
    role: str
    open: bool = True
    segment: str = ""
    step: str | None = None
    thinking: list[tuple[str | None, str]] = attrs.Factory(list)


@attrs.frozen
class TanStackCall:
    """A live tool call (``_Call``); its argument text joined."""

    call_id: str
    run_id: str
    message_id: str | None
    args: str = ""
    ended: bool = False


@attrs.frozen
class FinishedMessage:
    """A retired message of a finished run."""

    message_id: str
    run_id: str
    role: str
    segment: str
    step: str | None
    thinking: list[tuple[str | None, str]]


@attrs.frozen
class FinishedCall:
    """A retired tool call of a finished run."""

    call_id: str
    run_id: str
    message_id: str | None
    args: str
    ended: bool


@attrs.frozen
class TanStackCursor:
    """The ``decoders.tanstack`` section (its ``"v"`` is :data:`VERSION`)."""

    runs: list[TanStackRun] = attrs.Factory(list)
    """Every run object the decoder holds, each once; the fields below refer to positions."""
    live_runs: list[int] = attrs.Factory(list)
    open: list[int] = attrs.Factory(list)
    last_run: int | None = None
    legacy: int | None = None
    last_finished: int | None = None
    messages: list[TanStackMessage] = attrs.Factory(list)
    live_messages: list[int] = attrs.Factory(list)
    reasoning: int | None = None
    calls: list[TanStackCall] = attrs.Factory(list)
    live_calls: list[int] = attrs.Factory(list)
    stragglers: list[tuple[str, int]] = attrs.Factory(list)
    """``["message" | "call", position]``, in the order they became live again."""
    finished_messages: list[FinishedMessage] = attrs.Factory(list)
    finished_calls: list[FinishedCall] = attrs.Factory(list)
    run_sessions: dict[str, str] = attrs.Factory(dict)
    by_wire: dict[str, str] = attrs.Factory(dict)
    run_suffix: dict[str, int] = attrs.Factory(dict)
    legacy_count: int = 0
    implicit_count: int = 0
    session_messages: dict[str, list[str]] = attrs.Factory(dict)
    active: list[str] = attrs.Factory(list)
    pending_step: str | None = None
    chunk_message: str | None = None
    chunk_call: str | None = None
    seen_reasoning: bool = False
    session: str = "default"
    pending: list[dict[str, Any]] = attrs.Factory(list)
    """Frames that arrived before the first run and wait for it (at most 256)."""
    pending_index: list[int] = attrs.Factory(list)
    """The frame index of each pending frame (for its diagnostics; ``-1`` where unknown)."""
    synth: int = 0
    resume_cursor: str | None = None
    subagents: dict[str, int] = attrs.Factory(dict)
    """Open sub-agent invocations: wire ``subagentRunId`` → position of its run."""
    result_messages: dict[str, str] = attrs.Factory(dict)
    """``TOOL_CALL_RESULT`` message id → the call it answers."""
    last_result: tuple[str, str] | None = None
    unknown_fields: list[tuple[str, str]] = attrs.Factory(list)
    """(event type, field) pairs already reported as ``unknown_field``."""


CURSOR: Final = TanStackCursor


class _Positions:
    """Objects numbered by first sight (identity)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._ids: dict[int, int] = {}

    def __call__(self, obj: Any) -> int:
        known = self._ids.get(id(obj))
        if known is None:
            known = self._ids[id(obj)] = len(self.items)
            self.items.append(obj)
        return known

    def optional(self, obj: Any | None) -> int | None:
        return None if obj is None else self(obj)


def save(decoder: TanStackDecoder) -> TanStackCursor:
    """The decoder's state between two frames, as its cursor."""
    runs, messages, calls = _Positions(), _Positions(), _Positions()
    live_runs = [runs(run) for run in decoder._runs.values()]
    live_messages = [messages(m) for m in decoder._messages.values()]
    live_calls = [calls(c) for c in decoder._calls.values()]
    subagents = {wire: runs(run) for wire, run in decoder._subagents.items()}
    stragglers = [
        ("message", messages(item)) if isinstance(item, _Msg) else ("call", calls(item))
        for item in decoder._stragglers
    ]
    return TanStackCursor(
        live_runs=live_runs,
        open=[runs(run) for run in decoder._open],
        last_run=runs.optional(decoder._last_run),
        legacy=runs.optional(decoder._legacy),
        last_finished=runs.optional(decoder._last_finished),
        runs=[_save_run(run) for run in runs.items],
        live_messages=live_messages,
        reasoning=messages.optional(decoder._reasoning),
        messages=[_save_message(m) for m in messages.items],
        live_calls=live_calls,
        calls=[
            TanStackCall(c.call_id, c.run_id, c.message_id, c.args.text, c.ended)
            for c in calls.items
        ],
        stragglers=stragglers,
        finished_messages=[
            FinishedMessage(message_id, run_id, role, text, step, list(thinking))
            for message_id, (run_id, role, text, step, thinking) in (
                decoder._finished_messages.items()
            )
        ],
        finished_calls=[
            FinishedCall(call_id, *done) for call_id, done in decoder._finished_calls.items()
        ],
        run_sessions=dict(decoder._run_sessions),
        by_wire=dict(decoder._by_wire),
        run_suffix=dict(decoder._run_suffix),
        legacy_count=decoder._legacy_count,
        implicit_count=decoder._implicit_count,
        session_messages={k: list(v) for k, v in decoder._session_messages.items()},
        active=list(decoder._active),
        pending_step=decoder._pending_step,
        chunk_message=decoder._chunk_message,
        chunk_call=decoder._chunk_call,
        seen_reasoning=decoder._seen_reasoning,
        session=decoder._session,
        pending=[dict(frame) for frame in decoder._pending],
        pending_index=list(decoder._pending_index),
        synth=decoder._synth,
        resume_cursor=decoder.resume_cursor,
        subagents=subagents,
        result_messages=dict(decoder._result_messages),
        last_result=decoder._last_result,
        unknown_fields=sorted(decoder._unknown_fields),
    )


def _save_run(run: _Run) -> TanStackRun:
    return TanStackRun(
        run.run_id,
        run.session_id,
        run.wire_id,
        run.legacy,
        run.open_messages,
        list(run.message_ids),
        list(run.call_ids),
        dict(run.steps),
        sorted(run.span_ids),
        dict(run.step_suffix),
        run.message_id,
        run.finish_reason,
        run.last_was_done,
        run.done_seen,
        list(run.open_calls),
        run.interrupted,
        run.parent_id,
    )


def _save_message(m: _Msg) -> TanStackMessage:
    thinking = [(step, buffer.text) for step, buffer in m.thinking.items()]
    return TanStackMessage(m.message_id, m.run_id, m.role, m.open, m.segment.text, m.step, thinking)


_WHERE: Final = "decoders.tanstack"


def _pick(items: list[Any], position: int | None, field: str) -> Any:
    if position is None:
        return None
    if not 0 <= position < len(items):
        raise SnapshotError(f"position {position} is not in the list", f"{_WHERE}.{field}")
    return items[position]


def _keyed(items: list[Any], positions: list[int], key: str, field: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for position in positions:
        item = _pick(items, position, field)
        name = getattr(item, key)
        if name in out:
            raise SnapshotError(f"{name!r} twice", f"{_WHERE}.{field}")
        out[name] = item
    return out


def load(cursor: TanStackCursor) -> TanStackDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    runs = [
        _Run(
            r.run_id,
            r.session_id,
            r.wire_id,
            r.legacy,
            r.open_messages,
            list(r.message_ids),
            list(r.call_ids),
            dict(r.steps),
            set(r.span_ids),
            dict(r.step_suffix),
            r.message_id,
            r.finish_reason,
            r.last_was_done,
            r.done_seen,
            list(r.open_calls),
            r.interrupted,
            r.parent_id,
        )
        for r in cursor.runs
    ]
    messages = [
        _Msg(
            m.message_id,
            m.run_id,
            m.role,
            m.open,
            TextBuffer(m.segment),
            m.step,
            {step: TextBuffer(text) for step, text in m.thinking},
        )
        for m in cursor.messages
    ]
    calls = [
        _Call(c.call_id, c.run_id, c.message_id, TextBuffer(c.args), c.ended) for c in cursor.calls
    ]
    if len(cursor.pending) > _MAX_PENDING or any(
        frame.get("type") not in _RUNLESS for frame in cursor.pending
    ):
        raise SnapshotError("pending frames are not run-less frames", f"{_WHERE}.pending")
    decoder = TanStackDecoder()
    decoder._runs = _keyed(runs, cursor.live_runs, "run_id", "live_runs")
    decoder._open = [_pick(runs, i, "open") for i in cursor.open]
    decoder._last_run = _pick(runs, cursor.last_run, "last_run")
    decoder._legacy = _pick(runs, cursor.legacy, "legacy")
    decoder._last_finished = _pick(runs, cursor.last_finished, "last_finished")
    decoder._messages = _keyed(messages, cursor.live_messages, "message_id", "live_messages")
    decoder._reasoning = _pick(messages, cursor.reasoning, "reasoning")
    decoder._calls = _keyed(calls, cursor.live_calls, "call_id", "live_calls")
    stragglers: list[_Msg | _Call] = []
    for kind, position in cursor.stragglers:
        if kind not in ("message", "call"):
            raise SnapshotError(f"unknown straggler kind {kind!r}", f"{_WHERE}.stragglers")
        stragglers.append(_pick(messages if kind == "message" else calls, position, "stragglers"))
    decoder._stragglers = stragglers
    finished_messages: dict[str, _FinishedMsg] = {}
    for f in cursor.finished_messages:
        finished_messages[f.message_id] = (f.run_id, f.role, f.segment, f.step, tuple(f.thinking))
    decoder._finished_messages = finished_messages
    finished_calls: dict[str, _FinishedCall] = {}
    for c in cursor.finished_calls:
        finished_calls[c.call_id] = (c.run_id, c.message_id, c.args, c.ended)
    decoder._finished_calls = finished_calls
    decoder._run_sessions = dict(cursor.run_sessions)
    decoder._by_wire = dict(cursor.by_wire)
    decoder._run_suffix = dict(cursor.run_suffix)
    decoder._legacy_count = cursor.legacy_count
    decoder._implicit_count = cursor.implicit_count
    decoder._session_messages = {k: dict.fromkeys(v) for k, v in cursor.session_messages.items()}
    decoder._active = dict.fromkeys(cursor.active)
    decoder._pending_step = cursor.pending_step
    decoder._chunk_message = cursor.chunk_message
    decoder._chunk_call = cursor.chunk_call
    decoder._seen_reasoning = cursor.seen_reasoning
    decoder._session = cursor.session
    decoder._pending = [dict(frame) for frame in cursor.pending]
    known = cursor.pending_index[: len(cursor.pending)]
    decoder._pending_index = known + [-1] * (len(cursor.pending) - len(known))
    decoder._synth = cursor.synth
    decoder.resume_cursor = cursor.resume_cursor
    decoder._subagents = {
        wire: _pick(runs, position, "subagents") for wire, position in cursor.subagents.items()
    }
    decoder._result_messages = dict(cursor.result_messages)
    last = cursor.last_result
    decoder._last_result = (str(last[0]), str(last[1])) if last else None
    decoder._unknown_fields = {(kind, name) for kind, name in cursor.unknown_fields}
    return decoder

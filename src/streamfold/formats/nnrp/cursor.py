"""The NNRP decoder's state as a snapshot cursor (the ``decoders.nnrp`` section of a resume
snapshot, docs/snapshot.md).

The decoder's options travel with it and are validated by its constructor; each lane is its
:class:`~streamfold.formats.nnrp.reassembly.ReassemblerState` (held chunks, the UTF-8
decoder's pending bytes, the range-mode decision). Operations waiting for a deferred terminal
are written as the keys of open operations, so that :func:`load` links them to the same
objects.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

import attrs

from ...errors import SnapshotError, UsageError
from ...model import RunStatus
from .._common import IdMap
from .._openai_events import Terminal
from .decoder import NnrpDecoder
from .reassembly import RangeMode, ReassemblerState, SequenceReassembler
from .state import _Ended, _Op

__all__ = [
    "CURSOR",
    "DECODER",
    "VERSION",
    "NnrpCursor",
    "NnrpEnded",
    "NnrpOperation",
    "NnrpOptions",
    "NnrpTerminal",
    "load",
    "save",
]

VERSION: Final = 1
DECODER: Final = NnrpDecoder
_LIMIT: Final = 1 << 48
"""Bound on every count and window size read from a cursor (nothing is allocated from them,
but a value no sender can reach is refused)."""


@attrs.frozen
class NnrpOptions:
    """The decoder's options (checked again by its constructor on restore)."""

    range_mode: str = "auto"
    first_sequence: int | None = None
    max_held_chunks: int = 64
    max_held_bytes: int = 1 << 20
    gap_marker: str | None = None
    terminal_grace_frames: int = 64
    max_ended_operations: int = 4096


@attrs.frozen
class NnrpTerminal:
    """What ends an operation (a deferred or pending terminal)."""

    status: RunStatus = RunStatus.COMPLETED
    finish_reason: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    error_code: str | None = None


@attrs.frozen
class NnrpOperation:
    """An open operation (the decoder's ``_Op``)."""

    session: str
    frame: str
    run_id: str
    session_id: str
    frame_id: str
    operation_id: int | None = None
    lanes: dict[str, ReassemblerState] = attrs.Factory(dict)
    messages: list[tuple[str, int, str]] = attrs.Factory(list)
    """``[view, index, message_id]``."""
    preview4: bool = False
    result_sequence: int | None = None
    calls: dict[str, bool] = attrs.Factory(dict)
    pending: NnrpTerminal | None = None
    reply: bool = False
    text_seen: bool = False
    stop_reason: str | None = None
    result_status: str | None = None
    quality: list[str] = attrs.Factory(list)
    frames: int = 0
    retransmits: int = 0
    duplicate_results: int = 0
    flow_frames: int = 0
    flow_credit_delta: int = 0
    flow_scopes: list[str] = attrs.Factory(list)
    control: dict[str, int] = attrs.Factory(dict)
    noted: list[str] = attrs.Factory(list)
    deferred: NnrpTerminal | None = None
    deferred_at: int = 0
    view: str = "0x0000"
    """The lane's view: an operation is keyed by ``(session, frame, view)``."""


@attrs.frozen
class NnrpEnded:
    """A recently ended operation, for late-frame detection."""

    session: str
    frame: str
    run_id: str
    status: RunStatus
    cancelled: bool
    view: str = "0x0000"


@attrs.frozen
class NnrpCursor:
    """The ``decoders.nnrp`` section (its ``"v"`` is :data:`VERSION`)."""

    options: NnrpOptions = NnrpOptions()
    operations: list[NnrpOperation] = attrs.Factory(list)
    deferred: list[tuple[str, str, str]] = attrs.Factory(list)
    """Keys (session, frame, view) of the operations waiting for their deferred terminal, in
    order."""
    ended: list[NnrpEnded] = attrs.Factory(list)
    """Recently ended operations, oldest first."""
    run_ids: list[str] = attrs.Factory(list)
    """Every run id issued."""
    run_id_suffix: dict[str, int] = attrs.Factory(dict)
    """Per base id, the last ``#n`` given to it."""
    index: int = 0


CURSOR: Final = NnrpCursor


def save(decoder: NnrpDecoder) -> NnrpCursor:
    """The decoder's state between two frames, as its cursor."""
    return NnrpCursor(
        options=NnrpOptions(
            decoder.range_mode,
            decoder.first_sequence,
            decoder.max_held_chunks,
            decoder.max_held_bytes,
            decoder.gap_marker,
            decoder.terminal_grace_frames,
            decoder.max_ended_operations,
        ),
        operations=[_save_op(op) for op in decoder._ops.values()],
        deferred=list(decoder._deferred),
        ended=[
            NnrpEnded(key[0], key[1], e.run_id, e.status, e.cancelled, key[2])
            for key, e in decoder._ended.items()
        ],
        run_ids=sorted(decoder._run_ids.issued),
        run_id_suffix=dict(decoder._run_ids.suffix),
        index=decoder._index,
    )


def _terminal(term: Terminal | None) -> NnrpTerminal | None:
    if term is None:
        return None
    return NnrpTerminal(
        term.status, term.finish_reason, term.stop_reason, term.error, term.error_code
    )


def _save_op(op: _Op) -> NnrpOperation:
    pending = None
    if op.pending is not None:
        status, finish_reason, error, error_code = op.pending
        pending = NnrpTerminal(status, finish_reason, None, error, error_code)
    return NnrpOperation(
        op.key[0],
        op.key[1],
        op.run_id,
        op.session_id,
        op.frame_id,
        op.operation_id,
        {view: lane.get_state() for view, lane in op.lanes.items()},
        [(view, index, message_id) for (view, index), message_id in op.messages.items()],
        op.preview4,
        op.result_sequence,
        dict(op.calls),
        pending,
        op.reply,
        op.text_seen,
        op.stop_reason,
        op.result_status,
        list(op.quality),
        op.frames,
        op.retransmits,
        op.duplicate_results,
        op.flow_frames,
        op.flow_credit_delta,
        list(op.flow_scopes),
        dict(op.control),
        sorted(op.noted),
        _terminal(op.deferred),
        op.deferred_at,
        op.key[2],
    )


_WHERE: Final = "decoders.nnrp"


def _options(options: NnrpOptions) -> NnrpDecoder:
    sizes = (
        options.max_held_chunks,
        options.max_held_bytes,
        options.terminal_grace_frames,
        options.max_ended_operations,
    )
    if any(size >= _LIMIT for size in sizes):
        raise SnapshotError("a window or limit out of range", f"{_WHERE}.options")
    mode: RangeMode
    if options.range_mode == "auto":
        mode = "auto"
    elif options.range_mode == "inclusive":
        mode = "inclusive"
    elif options.range_mode == "half_open":
        mode = "half_open"
    else:
        raise SnapshotError(f"unknown range_mode {options.range_mode!r}", f"{_WHERE}.options")
    try:
        return NnrpDecoder(
            range_mode=mode,
            first_sequence=options.first_sequence,
            max_held_chunks=options.max_held_chunks,
            max_held_bytes=options.max_held_bytes,
            gap_marker=options.gap_marker,
            terminal_grace_frames=options.terminal_grace_frames,
            max_ended_operations=options.max_ended_operations,
        )
    except (UsageError, ValueError) as exc:
        raise SnapshotError(str(exc), f"{_WHERE}.options") from None


def load(cursor: NnrpCursor) -> NnrpDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    decoder = _options(cursor.options)
    for position, saved in enumerate(cursor.operations):
        key = (saved.session, saved.frame, saved.view)
        if key in decoder._ops:
            raise SnapshotError(f"operation {key!r} twice", f"{_WHERE}.operations")
        decoder._ops[key] = _load_op(saved, f"{_WHERE}.operations[{position}]")
    for key in cursor.deferred:
        op = decoder._ops.get(key)
        if op is None or op.deferred is None:
            raise SnapshotError(f"{key!r} is not a deferred operation", f"{_WHERE}.deferred")
        decoder._deferred[key] = op
    if len(cursor.ended) > decoder.max_ended_operations:
        raise SnapshotError("more ended operations than max_ended_operations", _WHERE)
    decoder._ended = OrderedDict(
        ((e.session, e.frame, e.view), _Ended(e.run_id, e.status, e.cancelled))
        for e in cursor.ended
    )
    decoder._run_ids = IdMap(set(cursor.run_ids), dict(cursor.run_id_suffix))
    decoder._index = cursor.index
    return decoder


def _load_op(saved: NnrpOperation, where: str) -> _Op:
    lanes: dict[str, SequenceReassembler] = {}
    for view, state in saved.lanes.items():
        if state.max_held_chunks >= _LIMIT or state.max_held_bytes >= _LIMIT:
            raise SnapshotError("a reorder window out of range", f"{where}.lanes[{view!r}]")
        try:
            lanes[view] = SequenceReassembler.from_state(state)
        except (UsageError, ValueError) as exc:
            raise SnapshotError(str(exc), f"{where}.lanes[{view!r}]") from None
    pending = saved.pending
    deferred = saved.deferred
    return _Op(
        (saved.session, saved.frame, saved.view),
        saved.run_id,
        saved.session_id,
        saved.frame_id,
        saved.operation_id,
        lanes,
        {(view, index): message_id for view, index, message_id in saved.messages},
        saved.preview4,
        saved.result_sequence,
        dict(saved.calls),
        None
        if pending is None
        else (pending.status, pending.finish_reason, pending.error, pending.error_code),
        saved.reply,
        saved.text_seen,
        saved.stop_reason,
        saved.result_status,
        list(saved.quality),
        saved.frames,
        saved.retransmits,
        saved.duplicate_results,
        saved.flow_frames,
        saved.flow_credit_delta,
        list(saved.flow_scopes),
        dict(saved.control),
        set(saved.noted),
        None
        if deferred is None
        else Terminal(
            deferred.status,
            deferred.finish_reason,
            deferred.stop_reason,
            deferred.error,
            deferred.error_code,
        ),
        saved.deferred_at,
        saved.view,
    )

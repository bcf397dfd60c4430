"""Operations: ids, the operation table, late frames, messages per lane, terminals, flow
metrics and reassembler notices as diagnostics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendText,
    Diagnose,
    EndRun,
    Event,
    MarkMissing,
    RecordCustom,
    ReplaceText,
    StartMessage,
    StartRun,
)
from ...model import RunStatus, Severity
from .._common import drop, warn
from .._openai_events import Terminal
from .reassembly import NoticeKind, Outcome, SequenceReassembler
from .state import _Ended, _NnrpState, _once, _Op
from .vocab import _CANCEL_TYPES, _FLOW_SCOPES, _NOTICE_CODES
from .wire import _CACHE_LIMIT, _ids_cache, _int_id, _norm_id, _str_id, _vocab

__all__: list[str] = []  # the decoder's internals: nothing here is public API

_MAIN_VIEW = "0x0000"


def _view_label(view: str) -> str:
    return "" if view == _MAIN_VIEW else f" view {view}"


class _Operations(_NnrpState):
    """Operations: keyed by lane, (session, frame, view); one run each (``docs/nnrp.md``)."""

    def _ids(
        self, header: Mapping[str, Any], out: list[Event], *, need_frame: bool = True
    ) -> tuple[str, str, str] | None:
        """(session, frame, view) of a header, normalised; ``None`` (dropped) when an
        operation message has no usable frame id."""
        raw_session = header.get("session_id")
        raw_frame = header.get("frame_id")
        raw_view = header.get("view_id")
        if (
            type(raw_session) is str
            and type(raw_frame) is str
            and (type(raw_view) is str or raw_view is None)
        ):
            # The frames of an operation repeat their id strings: one lookup for the three
            # ids (−0.5 µs/frame on the NNRP bench stream). Non-empty strings normalise
            # without diagnostics, whatever need_frame says.
            key = (raw_session, raw_frame, raw_view)
            ids = _ids_cache.get(key)
            if ids is None and raw_session and raw_frame:
                if len(_ids_cache) >= _CACHE_LIMIT:
                    _ids_cache.clear()
                view = _str_id(raw_view, 4) if raw_view else "0x0000"
                ids = _ids_cache[key] = (_str_id(raw_session, 8), _str_id(raw_frame, 8), view)
            if ids is not None:
                return ids
        session = _norm_id(raw_session, 8)
        if session is None:
            if raw_session is not None:
                out.append(warn("invalid_field", "session_id is not an id; taken as 0"))
            session = "0x00000000"
        frame = _norm_id(raw_frame, 8)
        if frame is None and need_frame:
            out.append(drop("missing_field", "operation message without a usable frame_id"))
            return None
        view = _norm_id(raw_view, 4) or "0x0000"
        return session, frame or "0x00000000", view

    def _any_ids(self, header: Mapping[str, Any], out: list[Event]) -> tuple[str, str, str]:
        """:meth:`_ids` of a message that may name no frame (``0x00000000`` then)."""
        ids = self._ids(header, out, need_frame=False)
        assert ids is not None  # need_frame=False never drops
        return ids

    def _frame_lanes(self, session: str, frame: str, view: str) -> list[tuple[str, str, str]]:
        """The open lanes of a frame (a frame-scoped control message ends every view of it),
        else the header's own lane. O(open operations); control messages are rare."""
        keys = [key for key in self._ops if key[0] == session and key[1] == frame]
        return keys or [(session, frame, view)]

    def _op(
        self,
        session: str,
        frame: str,
        view: str,
        kind: str,
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
        *,
        metadata: dict[str, Any] | None = None,
        input_text: str | None = None,
        fresh: bool = False,
    ) -> _Op | None:
        """The open operation for the key, started if new; ``None`` (and a late-frame
        diagnostic) if the key ended already. ``fresh`` starts a new run even then."""
        key = (session, frame, view)
        op = self._ops.get(key)
        if op is not None:
            if fresh:
                out.append(
                    Diagnose(
                        "duplicate_submit",
                        f"FRAME_SUBMIT for operation {frame}, which is already running",
                        Severity.WARNING,
                        session_id=session,
                        run_id=op.run_id,
                    )
                )
            self._check_operation_id(op, meta, out)
            return op
        ended = self._ended.get(key)
        if ended is not None and not fresh:
            self._ended.move_to_end(key)
            out.append(
                Diagnose(
                    "late_frame",
                    f"{kind} for operation {frame}{_view_label(view)} after its terminal "
                    f"({ended.status}); ignored",
                    # Results after a cancel are expected, and so is a cancel racing the end.
                    Severity.INFO if ended.cancelled or kind in _CANCEL_TYPES else Severity.WARNING,
                    dropped=True,
                    session_id=session,
                    run_id=ended.run_id,
                )
            )
            return None
        run_id = self._run_ids.issue(
            f"nnrp:{session}:{frame}" + ("" if view == _MAIN_VIEW else f":{view}")
        )
        op = self._ops[key] = _Op(key, run_id, session, frame, view_id=view)
        op.operation_id = _int_id(meta.get("operation_id"))
        md: dict[str, Any] = {
            "format": "nnrp",
            "session_id": session,
            "frame_id": frame,
            "view_id": view,
            "operation_id": op.operation_id,
            "first_message_type": kind,
        }
        for field, digits in (("route_id", 4), ("trace_id", 16)):
            value = header.get(field)
            if value is not None:
                md[field] = value if type(value) is str else _norm_id(value, digits)
        if metadata:
            md.update(metadata)
        out.append(StartRun(session, run_id, input_text=input_text, metadata=md))
        return op

    def _check_operation_id(self, op: _Op, meta: Mapping[str, Any], out: list[Event]) -> None:
        raw = meta.get("operation_id")
        if raw is None:
            return
        operation_id = _int_id(raw)
        if op.operation_id is None:
            op.operation_id = operation_id
        elif operation_id != op.operation_id:
            out.append(
                Diagnose(
                    "operation_id_mismatch",
                    f"operation_id {raw!r} differs from {op.operation_id} for frame {op.frame_id}",
                    Severity.WARNING,
                    session_id=op.session_id,
                    run_id=op.run_id,
                )
            )

    def _message(self, op: _Op, view: str, index: int, out: list[Event]) -> str:
        message_id = op.messages.get((view, index))
        if message_id is None:
            main = (op.view_id, 0)
            if (view, index) != main and main not in op.messages:
                self._message(op, *main, out)  # the lane's main message comes first in the run
            message_id = f"{op.run_id}/{view}" + (f"/{index}" if index else "")
            op.messages[(view, index)] = message_id
            md: dict[str, Any] = {"view_id": view}
            if index:
                md["index"] = index
            out.append(StartMessage(op.run_id, message_id, "assistant", metadata=md))
        return message_id

    def _lane(self, op: _Op, view: str) -> SequenceReassembler:
        lane = op.lanes.get(view)
        if lane is None:
            lane = op.lanes[view] = SequenceReassembler(options=self.reassembly)
        return lane

    def _end(self, op: _Op, term: Terminal, out: list[Event]) -> None:
        missing = False
        for view, lane in op.lanes.items():
            message_id = self._message(op, view, 0, out)
            self._emit(op, message_id, lane.finish(), out, may_drop=False)
            for start, end in lane.missing:
                missing = True
                out.append(MarkMissing(op.run_id, start, end, "token_seq"))
        status = term.status
        if missing and status is RunStatus.COMPLETED:
            status = RunStatus.INCOMPLETE
        out.append(RecordCustom(op.run_id, "nnrp.operation", op.summary()))
        out.append(
            EndRun(
                op.run_id,
                status,
                finish_reason=term.finish_reason,
                stop_reason=term.stop_reason,
                error=term.error,
                error_code=term.error_code,
            )
        )
        del self._ops[op.key]
        self._deferred.pop(op.key, None)
        if self.max_ended_operations:
            self._ended[op.key] = _Ended(op.run_id, status, status is RunStatus.CANCELLED)
            self._ended.move_to_end(op.key)
            while len(self._ended) > self.max_ended_operations:
                self._ended.popitem(last=False)

    def _emit(
        self, op: _Op, message_id: str, outcome: Outcome, out: list[Event], *, may_drop: bool
    ) -> None:
        run_id = op.run_id
        for piece in outcome.pieces:
            if piece.replace:
                out.append(ReplaceText(run_id, message_id, piece.text))
            else:
                out.append(AppendText(run_id, message_id, piece.text))
        for notice in outcome.notices:
            code, severity, drops = _NOTICE_CODES[notice.kind]
            if notice.retransmit and notice.kind is NoticeKind.DUPLICATE:
                severity = Severity.INFO
            this_frame = notice.tag == self._index
            where = "" if notice.start is None else f" [{notice.start}, {notice.end})"
            origin = "" if this_frame or notice.tag is None else f" (chunk of frame {notice.tag})"
            detail = f": {notice.detail}" if notice.detail else ""
            retransmit = " (retransmit)" if notice.retransmit else ""
            out.append(
                Diagnose(
                    code,
                    f"{notice.kind.value}{retransmit}{where}{origin}{detail}",
                    severity,
                    dropped=drops and may_drop and this_frame,
                    session_id=op.session_id,
                    run_id=run_id,
                )
            )

    def _expire_deferred(self, out: list[Event]) -> None:
        limit = self._index - self.terminal_grace_frames
        for op in [op for op in self._deferred.values() if op.deferred_at < limit]:
            assert op.deferred is not None
            self._end(op, op.deferred, out)

    def _flow(self, op: _Op, meta: Mapping[str, Any], out: list[Event]) -> None:
        scope = meta.get("flow_scope")
        delta = meta.get("flow_credit_delta")
        if scope is None and delta is None:
            return
        op.flow_frames += 1
        if scope is not None:
            name = _vocab(scope, _FLOW_SCOPES)
            if name not in op.flow_scopes:
                op.flow_scopes.append(name)
        if delta is not None:
            if type(delta) is int:
                op.flow_credit_delta += delta
            else:
                _once(op, out, "flow", "invalid_field", "flow_credit_delta is not an int")

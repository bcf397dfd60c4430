"""The token profile: chunks through the lane's reassembler into text events, replace semantics,
and what makes a result frame a terminal (``docs/nnrp.md``, "Token profile").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendText,
    Diagnose,
    Event,
)
from ...model import RunStatus, Severity
from .._openai_events import Terminal
from .operations import _Operations
from .reassembly import Chunk
from .state import _once, _Op
from .vocab import (
    _APPEND_SEMANTICS,
    _DESC_PARTIAL,
    _DESC_STOP_REASON,
    _DESC_TERMINAL,
    _FINAL_STATUSES,
    _FLAG_EOS,
    _PARTIAL_STATUSES,
    _QUALITY_STATUSES,
    _REPLACE_SEMANTICS,
    _RESULT_CLASSES,
    _SEMANTICS_CODES,
    _STATUS_NAMES,
    _STOP_TO_FINISH,
    DESCRIPTOR_FLAGS,
)
from .wire import _flags, _status_terminal, _vocab

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _TokenProfile(_Operations):
    """Token chunks and token terminals."""

    def _token_terminal(
        self,
        kind: str,
        op: _Op,
        flags: int,
        meta: Mapping[str, Any],
        descriptor: Mapping[str, Any],
        token: Mapping[str, Any],
        frame: Mapping[str, Any],
        out: list[Event],
    ) -> Terminal | None:
        """Whether this result frame ends the operation (docs/nnrp.md#decision-7 to #decision-9)."""
        reasons: list[str] = []
        raw_dflags = descriptor.get("descriptor_flags")
        dflags = 0
        if raw_dflags is not None:
            dflags = _flags(raw_dflags, DESCRIPTOR_FLAGS, "descriptor_flags", op, out)
        if dflags & _DESC_TERMINAL:
            reasons.append("descriptor flag terminal")
        terminal_field = token.get("terminal")
        if terminal_field is True:
            reasons.append("terminal")
        elif terminal_field not in (None, False):
            _once(op, out, "terminal", "invalid_field", f"terminal {terminal_field!r} not a bool")
        if flags & _FLAG_EOS:
            reasons.append("EOS header flag")
        status_raw = meta.get("result_status")
        if status_raw is None and "result_status" not in meta:
            status_raw = meta.get("result_class")
        status: str | None = None
        if status_raw is not None:
            if type(status_raw) is str and status_raw in _STATUS_NAMES:
                status = status_raw  # spelt as the vocabulary spells it
            else:
                status = _vocab(status_raw, _RESULT_CLASSES).lower()
            op.result_status = status
            if status in _FINAL_STATUSES:
                reasons.append(f"result_status {status}")
            elif status in _QUALITY_STATUSES:
                reasons.append(f"result_status {status}")
                if status not in op.quality:
                    op.quality.append(status)
            elif status not in _PARTIAL_STATUSES:
                _once(
                    op,
                    out,
                    f"result_status:{status}",
                    "unknown_value",
                    f"unknown result_status {status!r}; kept, taken as non-terminal",
                    Severity.INFO,
                )
        preview4_push = (
            kind == "RESULT_PUSH" and op.preview4 and "event" not in frame and "body" not in frame
        )
        stop_raw = token.get("stop_reason")
        stop: str | None = None
        if stop_raw is not None:
            stop = stop_raw if type(stop_raw) is str else str(stop_raw)
            if stop.lower() == "none" or stop == "":
                stop = None
            elif isinstance(raw_dflags, list) and not (dflags & _DESC_STOP_REASON):
                # Only a name list can say stop_reason_present (the flag has no wire bit).
                _once(
                    op,
                    out,
                    "stop_reason_unflagged",
                    "stop_reason_unflagged",
                    f"stop_reason {stop!r} without the stop_reason_present flag; used",
                    Severity.INFO,
                )
        if not reasons and not preview4_push:
            if stop is not None:
                _once(
                    op,
                    out,
                    "early_stop_reason",
                    "early_stop_reason",
                    f"stop_reason {stop!r} on a non-terminal chunk; ignored",
                    Severity.INFO,
                )
            return None
        partial = status in _PARTIAL_STATUSES or bool(dflags & _DESC_PARTIAL)
        if partial and reasons:
            out.append(
                Diagnose(
                    "terminal_conflict",
                    f"frame is marked partial and terminal ({', '.join(reasons)}); terminal wins",
                    Severity.INFO,
                    run_id=op.run_id,
                )
            )
        op.stop_reason = stop
        if preview4_push and not reasons:
            # The preview4 single terminal: its outcome is the pending profile event or the
            # status_code (docs/nnrp.md#operations-runs-and-messages).
            return _status_terminal(meta, op)
        finish = "stop" if stop is None else _STOP_TO_FINISH.get(stop.lower(), stop)
        return Terminal(RunStatus.COMPLETED, finish, stop)

    def _chunk(
        self,
        op: _Op,
        view: str,
        data: str | bytes | None,
        descriptor: Mapping[str, Any],
        token: Mapping[str, Any],
        retransmit: bool,
        terminal: bool,
        out: list[Event],
    ) -> None:
        start, end = token.get("sequence_start"), token.get("sequence_end")
        if start is not None or end is not None:
            if type(start) is not int or type(end) is not int:
                out.append(
                    Diagnose(
                        "invalid_field",
                        "sequence_start/sequence_end are not both integers; chunk taken in "
                        "arrival order",
                        Severity.WARNING,
                        run_id=op.run_id,
                    )
                )
                start = end = None
            offset = descriptor.get("offset")
            if start is not None and type(offset) is int and offset != start:
                _once(
                    op,
                    out,
                    "offset_mismatch",
                    "offset_mismatch",
                    f"descriptor offset {offset} != sequence_start {start}; "
                    "offset/length are treated as opaque",
                    Severity.INFO,
                )
        replace = self._replace_semantics(op, descriptor, out)
        lane = op.lanes.get(view)
        if lane is None:
            message_id = self._message(op, view, 0, out)
            lane = self._lane(op, view)
        else:  # a lane's message is started with it
            message_id = op.messages[(view, 0)]
        if data is None:
            data = ""
        if data:
            op.text_seen = True
        if type(data) is str and start is not None and end is not None and not replace:
            text = lane.append_next(data, start, end)
            if text is not None:  # applied in order: the one piece push() would give
                if text:
                    out.append(AppendText(op.run_id, message_id, text))
                return
        outcome = lane.push(
            Chunk(data, start, end, replace=replace, retransmit=retransmit, tag=self._index)
        )
        self._emit(op, message_id, outcome, out, may_drop=not terminal)

    def _replace_semantics(self, op: _Op, descriptor: Mapping[str, Any], out: list[Event]) -> bool:
        raw = descriptor.get("stream_semantics")
        if raw is None:
            return False
        if type(raw) is str and raw in _APPEND_SEMANTICS:  # spelt as the vocabulary spells it
            return False
        name = _vocab(raw, _SEMANTICS_CODES).lower()
        if name in _APPEND_SEMANTICS:
            return False
        if name in _REPLACE_SEMANTICS:
            return True
        _once(
            op,
            out,
            f"stream_semantics:{name}",
            "unknown_value",
            f"stream_semantics {raw!r} is not a token semantics; appended",
        )
        return False

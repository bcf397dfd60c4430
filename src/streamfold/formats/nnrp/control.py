"""Control messages: ``FRAME_SUBMIT``, ``RESULT_DROP``, ``ERROR``, cancels and flow metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    Diagnose,
    Event,
)
from ...model import RunStatus, Severity
from .._openai_events import Terminal, error_body
from .operations import _Operations
from .vocab import _CANCEL_SCOPES, _CANCELLING_DROPS, _ERROR_SCOPES, DROP_REASONS, ERROR_CODES
from .wire import _event_object, _input_text, _norm_id, _text_field, _vocab

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Control(_Operations):
    """Control messages that start, end or shape an operation."""

    def _submit(
        self,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out)
        if ids is None:
            return
        session, frame_id, view = ids
        request = _event_object(frame, None, out)
        metadata: dict[str, Any] = {}
        input_text: str | None = None
        if request is not None:
            for field in ("operation", "request_id", "schema_version"):
                if type(request.get(field)) is str:
                    metadata[field] = request[field]
            inner = request.get("body", request)
            if isinstance(inner, Mapping):
                if type(inner.get("model")) is str:
                    metadata["model"] = inner["model"]
                input_text = _input_text(inner)
        self._op(
            session,
            frame_id,
            view,
            "FRAME_SUBMIT",
            header,
            meta,
            out,
            metadata=metadata,
            input_text=input_text,
            fresh=True,
        )

    def _result_drop(
        self,
        kind: str,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out)
        if ids is None:
            return
        for key in self._frame_lanes(*ids):
            self._drop_lane(key, kind, frame, header, meta, out)

    def _drop_lane(
        self,
        key: tuple[str, str, str],
        kind: str,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        op = self._op(*key, kind, header, meta, out)
        if op is None:
            return
        raw = meta.get("drop_reason", meta.get("reason_code", meta.get("reason")))
        reason = _vocab(raw, DROP_REASONS) if raw is not None else None
        detail = _text_field(frame, "diagnostic")
        status = (
            RunStatus.CANCELLED
            if reason is not None and reason.lower() in _CANCELLING_DROPS
            else RunStatus.FAILED
        )
        error = f"result dropped ({reason or 'no reason given'})" + (
            f": {detail}" if detail else ""
        )
        self._end(op, Terminal(status, "dropped", op.stop_reason, error, reason), out)

    def _error(
        self,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._any_ids(header, out)
        session = _norm_id(meta.get("related_session_id"), 8) or ids[0]
        related_frame = _norm_id(meta.get("related_frame_id"), 8)
        frame_id = related_frame if related_frame not in (None, "0x00000000") else ids[1]
        scope_raw = meta.get("error_scope")
        if scope_raw is not None:
            scope = _vocab(scope_raw, _ERROR_SCOPES).lower()
        elif frame_id != "0x00000000":
            scope = "frame"
        elif session != "0x00000000":
            scope = "session"
        else:
            scope = "connection"
        if scope == "frame" and frame_id == "0x00000000":
            scope = "session"  # a frame-scoped error that names no frame
        fatal_raw = meta.get("is_fatal")
        code_raw = meta.get("error_code")
        code = _vocab(code_raw, ERROR_CODES) if code_raw is not None else "error"
        detail = _text_field(frame, "diagnostic") or error_body(frame.get("event"))[0] or code
        if scope == "frame" and (fatal_raw is None or fatal_raw):
            targets = self._frame_lanes(session, frame_id, ids[2])
        elif scope != "frame" and fatal_raw:
            targets = [key for key in self._ops if scope == "connection" or key[0] == session]
        else:
            targets = []
        if not targets:
            out.append(
                Diagnose(
                    "sender_error",
                    f"{'fatal' if fatal_raw else 'non-fatal'} {scope} ERROR {code}: {detail}"
                    + ("" if fatal_raw else "; no operation ended"),
                    Severity.WARNING,
                    session_id=session,
                )
            )
            return
        status = RunStatus.CANCELLED if code == "frame_cancelled" else RunStatus.FAILED
        for key in targets:
            op = self._op(*key, "ERROR", header, meta, out)
            if op is None:
                continue
            term = Terminal(status, "error", op.stop_reason, detail, code)
            if status is RunStatus.CANCELLED:
                term.finish_reason = "cancelled"
            self._end(op, term, out)

    def _cancel(
        self, kind: str, header: Mapping[str, Any], meta: Mapping[str, Any], out: list[Event]
    ) -> None:
        ids = self._any_ids(header, out)
        session, frame_id, view = ids
        scope_raw = meta.get("cancel_scope")
        scope = _vocab(scope_raw, _CANCEL_SCOPES).lower() if scope_raw is not None else None
        if scope == "session" or frame_id == "0x00000000":
            targets = [key for key in self._ops if key[0] == session]
        else:
            targets = self._frame_lanes(session, frame_id, view)
        if not targets:
            out.append(
                Diagnose(
                    "ignored_message",
                    f"{kind} for session {session}, which has no open operation",
                    Severity.INFO,
                    session_id=session,
                )
            )
            return
        reason_raw = meta.get("reason_code", meta.get("reason"))
        reason = _vocab(reason_raw, DROP_REASONS) if reason_raw is not None else None
        finish = "superseded" if kind == "SUPERSEDE" else "cancelled"
        for key in targets:
            op = self._op(*key, kind, header, meta, out)
            if op is None:
                continue
            error = f"{kind}" + (f" ({reason})" if reason else "")
            self._end(
                op,
                Terminal(RunStatus.CANCELLED, finish, op.stop_reason, error, kind.lower()),
                out,
            )

    def _metric(
        self, kind: str, header: Mapping[str, Any], meta: Mapping[str, Any], out: list[Event]
    ) -> None:
        session = _norm_id(header.get("session_id"), 8) or "0x00000000"
        frame_id = _norm_id(header.get("frame_id"), 8)
        view = _norm_id(header.get("view_id"), 4) or "0x0000"
        op = self._ops.get((session, frame_id, view)) if frame_id is not None else None
        if op is None:
            out.append(
                Diagnose(
                    "ignored_message",
                    f"{kind} outside an open operation; not applied (flow and pressure "
                    "messages are metrics only)",
                    Severity.INFO,
                    session_id=session,
                )
            )
            return
        op.control[kind] = op.control.get(kind, 0) + 1
        self._flow(op, meta, out)

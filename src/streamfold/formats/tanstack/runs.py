"""Runs: routing frames to runs, continuation runs, run start / finish / error, interrupts, and
ending legacy runs; the run-less frames that wait for the first run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...events import (
    CloseSpan,
    Diagnose,
    EndRun,
    Event,
    MergeMetadata,
    RaiseInterrupt,
    RecordCustom,
    ReportUsage,
    RequestApproval,
    RequestClientTool,
    SetToolArguments,
    StartRun,
)
from ...model import UNSET, RunStatus, Session, Severity
from .state import _Run, _TanStackState
from .vocab import _DEFAULT_SESSION
from .wire import (
    extra,
    is_mapping,
    json_text,
    str_or_none,
    tanstack_meta,
    usage_entries,
    usage_from_wire,
)

__all__: list[str] = []  # the decoder's internals: nothing here is public API

# Interrupt reasons and TanStack metadata kinds that mean "approve this tool call" / "run this
# tool in the client" (docs/agui.md, "Interrupts": TanStack, pydantic-ai, AG-UI 1.0).
_APPROVAL_REASONS = frozenset({"approval_required", "tool_call"})
_CLIENT_TOOL_REASONS = frozenset({"client_tool_input", "tanstack:client_tool_execution"})


class _Runs(_TanStackState):
    """Run routing and the run lifecycle."""

    def _start_run(
        self,
        out: list[Event],
        wire_id: str | None,
        session_id: str,
        *,
        parent: str | None = None,
        metadata: dict[str, Any] | None = None,
        thread_id: str | None = None,
    ) -> _Run:
        if wire_id is None:
            self._implicit_count += 1
            run_id = self._new_run_id(f"tanstack-run#{self._implicit_count}")
        else:
            run_id = self._new_run_id(wire_id)
        run = _Run(run_id, session_id, wire_id)
        self._runs[run_id] = run
        self._run_sessions[run_id] = session_id
        self._open.append(run)
        if wire_id is not None:
            self._by_wire[wire_id] = run_id
        self._last_run = run
        self._session = session_id
        out.append(
            StartRun(
                session_id, run_id, thread_id=thread_id, parent_run_id=parent, metadata=metadata
            )
        )
        self._flush_pending(out)
        return run

    def _continuation(self, out: list[Event]) -> _Run:
        """A run for events that arrive when no run is open (see the module docstring)."""
        last = self._last_run
        if last is None:
            return self._start_run(out, None, self._session, metadata={"implicit": True})
        return self._start_run(
            out,
            last.wire_id,
            last.session_id,
            parent=last.run_id,
            metadata={"implicit": True, "continues": last.run_id},
            thread_id=None if last.session_id == _DEFAULT_SESSION else last.session_id,
        )

    def _current_run(self, out: list[Event]) -> _Run:
        if self._route is not None:  # the frame names a sub-agent's run
            return self._route
        if self._open:
            return self._open[-1]
        if self._legacy is not None:
            return self._legacy
        return self._continuation(out)

    def _run_for_message(self, out: list[Event]) -> _Run:
        if self._route is not None:  # the frame names a sub-agent's run
            return self._route
        open_runs = self._open
        if len(open_runs) == 1:
            return open_runs[0]
        for run in open_runs:
            if run.open_messages == 0:
                return run
        if open_runs:
            return open_runs[-1]
        return self._continuation(out)

    def session_evicted(self, session: Session) -> None:
        """The session left the model (``max_sessions``): its runs, messages and calls are
        forgotten here too, so that a long job's memory stays bounded (a later ``runId`` or
        message id that equals one of them starts afresh)."""
        for message_id in self._session_messages.pop(session.session_id, ()):
            self._finished_messages.pop(message_id, None)
        for run in session.runs:
            run_id = run.run_id
            self._run_sessions.pop(run_id, None)
            self._run_suffix.pop(run_id, None)
            for call_id in run.tool_calls:
                self._finished_calls.pop(call_id, None)
            wire = run_id.rpartition("#")[0] or run_id
            for key in (run_id, wire):
                if self._by_wire.get(key) == run_id:
                    del self._by_wire[key]

    def _flush_pending(self, out: list[Event]) -> None:
        """Apply the frames that waited for a run (to the current run, created if need be)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        indexes, self._pending_index = self._pending_index, []
        self._current_run(out)
        for position, frame in enumerate(pending):
            start = len(out)
            handler = self._handlers[frame["type"]]
            handler(self, frame, out)
            for k in range(start, len(out)):  # a diagnostic names the held frame, not this one
                event = out[k]
                if type(event) is Diagnose and event.frame_index is None:
                    index = indexes[position] if position < len(indexes) else -1
                    out[k] = attrs.evolve(event, frame_index=index, raw=json_text(frame))

    def _end_run(
        self,
        run: _Run,
        out: list[Event],
        status: RunStatus,
        *,
        finish_reason: str | None = None,
        error: str | None = None,
        error_code: str | None = None,
    ) -> None:
        if run.legacy:  # a RUN_ERROR / RUN_FINISHED inside a legacy stream
            run.finish_reason = finish_reason or run.finish_reason
            self._end_legacy(run, status, out, error=error, error_code=error_code)
            return
        if self._subagents:  # sub-agents the sender never finished end with their parent
            for wire, child in list(self._subagents.items()):
                if child.parent_id == run.run_id and self._subagents.get(wire) is child:
                    del self._subagents[wire]
                    out.append(_unfinished(child.run_id))
                    self._end_run(child, out, RunStatus.INCOMPLETE)
        for span_id in run.steps.values():
            out.append(CloseSpan(run.run_id, span_id, unclosed=True))
        run.steps.clear()
        if run in self._open:
            self._open.remove(run)
        for message_id in run.message_ids:
            self._active.pop(message_id, None)
            message = self._messages.get(message_id)
            if message is not None:
                message.open = False
        if self._reasoning is not None and self._reasoning.run_id == run.run_id:
            self._reasoning = None
        self._release(run)
        out.append(
            EndRun(
                run.run_id,
                status,
                finish_reason=finish_reason,
                error=error,
                error_code=error_code,
            )
        )

    def _run_started(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("runId"))
        thread = str_or_none(frame.get("threadId")) or str_or_none(extra(frame, "threadId"))
        session = thread or self._session
        known = self._by_wire.get(wire_id) if wire_id is not None else None
        if known is not None and known in self._runs:
            out.append(
                Diagnose(
                    "duplicate_run_started",
                    f"RUN_STARTED for run {wire_id!r}, which is already running; ignored",
                    Severity.INFO,
                    run_id=known,
                )
            )
            return
        for run in list(self._open):
            if run.wire_id is None:  # an implicit run the stream never announced
                self._end_run(run, out, RunStatus.COMPLETED)
        parent_wire = str_or_none(frame.get("parentRunId"))
        parent = self._by_wire.get(parent_wire, parent_wire) if parent_wire is not None else None
        model = extra(frame, "model")
        metadata: dict[str, Any] | None = {"model": model} if type(model) is str else None
        for key in ("protocolVersion", "input"):  # AG-UI 1.0: kept on the run as sent
            if frame.get(key) is not None:
                metadata = {**(metadata or {}), key: frame[key]}
        if known is not None:
            metadata = {**(metadata or {}), "resumes": known}
        self._start_run(out, wire_id, session, parent=parent, metadata=metadata, thread_id=thread)

    def _ended_run_for(self, frame: Mapping[str, Any], out: list[Event]) -> _Run:
        """The run a RUN_FINISHED / RUN_ERROR with a ``runId`` ends."""
        wire_id = str_or_none(frame.get("runId")) or str_or_none(tanstack_meta(frame).get("runId"))
        if wire_id is None:
            return self._current_run(out)
        parent = self._by_wire.get(wire_id)  # its latest canonical run
        if parent is None:  # never started
            session = str_or_none(frame.get("threadId")) or self._session
            thread = session
        else:
            run = self._runs.get(parent)
            if run is not None:  # open: this frame ends it
                return run
            # Finished already (TanStack's second RUN_FINISHED per runId).
            thread = self._run_sessions[parent]
            session = str_or_none(frame.get("threadId")) or thread
        metadata = {"implicit": True, "continues": parent} if parent else {"implicit": True}
        return self._start_run(
            out,
            wire_id,
            session,
            parent=parent,
            metadata=metadata,
            thread_id=None if thread == _DEFAULT_SESSION else thread,
        )

    def _run_finished(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._ended_run_for(frame, out)
        self._report_usage(run, frame, out)
        status = self._outcome(run, frame.get("outcome"), out)
        result = frame.get("result")
        if result is not None:
            out.append(RecordCustom(run.run_id, "result", result))
        reason = extra(frame, "finishReason")
        self._end_run(run, out, status, finish_reason=reason if type(reason) is str else None)

    def _report_usage(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire = frame.get("usage")
        usage = usage_from_wire(wire, tanstack_meta(frame).get("usage"))
        if usage is not None:
            out.append(ReportUsage(run.run_id, usage, mode="set"))
        entries = usage_entries(wire)
        if entries:  # the AG-UI per-provider/model split, as sent (docs/agui.md, "Usage")
            out.append(MergeMetadata(run.run_id, {"usage": entries}))

    def _outcome(self, run: _Run, outcome: Any, out: list[Event]) -> RunStatus:
        """The run's status from ``RUN_FINISHED.outcome`` (docs/agui.md, "Run outcomes")."""
        if outcome is None:
            return RunStatus.INTERRUPTED if run.interrupted else RunStatus.COMPLETED
        kind = outcome.get("type") if is_mapping(outcome) else None
        if kind == "interrupt":
            return self._interrupts(run, outcome.get("interrupts"), out)
        if kind == "cancelled":
            return RunStatus.CANCELLED
        if kind == "success":
            pending = outcome.get("pendingToolCallIds")
            for call_id in pending if isinstance(pending, list) else ():
                if type(call_id) is str:  # owed by the client, in the next input
                    out.append(RequestClientTool(self._call_run(call_id, run), call_id))
            return RunStatus.INTERRUPTED if run.interrupted else RunStatus.COMPLETED
        out.append(
            Diagnose(
                "unknown_outcome",
                f"RUN_FINISHED outcome {json_text(outcome)} is not an AG-UI 1.0 outcome; read as "
                "success (the schema's rule) and kept as the custom event 'outcome'",
                Severity.WARNING,
                run_id=run.run_id,
            )
        )
        out.append(RecordCustom(run.run_id, "outcome", outcome))
        return RunStatus.INTERRUPTED if run.interrupted else RunStatus.COMPLETED

    def _interrupts(self, run: _Run, interrupts: Any, out: list[Event]) -> RunStatus:
        """One :class:`RaiseInterrupt` per interrupt, and the approvals and client tools they
        ask for (docs/agui.md, "Interrupts")."""
        status = RunStatus.INTERRUPTED
        for interrupt in interrupts if isinstance(interrupts, list) else ():
            if not isinstance(interrupt, Mapping):
                continue
            meta = interrupt.get("metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            kind, reason = meta.get("kind"), interrupt.get("reason")
            call_id = str_or_none(interrupt.get("toolCallId"))
            interrupt_id = str_or_none(interrupt.get("id"))
            expires = interrupt.get("expiresAt")
            out.append(
                RaiseInterrupt(
                    run.run_id,
                    interrupt_id,
                    str_or_none(reason),
                    str_or_none(interrupt.get("message")),
                    call_id,
                    interrupt.get("responseSchema"),
                    expires if type(expires) is str else None,
                    str_or_none(interrupt.get("subagentRunId")),
                    dict(meta) if meta else None,
                )
            )
            if call_id is None:
                continue
            if kind == "client_tool" or (kind is None and reason in _CLIENT_TOOL_REASONS):
                out.append(
                    RequestClientTool(
                        self._call_run(call_id, run),
                        call_id,
                        str_or_none(meta.get("toolName")),
                        meta.get("input", {}),
                        interrupt_id,
                    )
                )
            elif kind == "approval" or (kind is None and reason in _APPROVAL_REASONS):
                value = meta.get("input", {} if kind else UNSET)
                out.append(
                    RequestApproval(self._call_run(call_id, run), call_id, interrupt_id, value)
                )
                status = RunStatus.AWAITING_APPROVAL
        return status

    def _run_error(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = frame.get("message")
        code = frame.get("code")
        error = frame.get("error")
        if isinstance(error, Mapping):  # era B: {error: {message, code}}
            message = message if type(message) is str else error.get("message")
            code = code if code is not None else error.get("code")
        text = message if type(message) is str and message else "An error occurred"
        code_text = None if code is None else code if type(code) is str else json_text(code)
        has_id = frame.get("runId") is not None or tanstack_meta(frame).get("runId") is not None
        runs = [self._ended_run_for(frame, out)] if has_id or not self._open else list(self._open)
        for run in runs:
            self._report_usage(run, frame, out)
            self._end_run(run, out, RunStatus.FAILED, error=text, error_code=code_text)

    def _complete_legacy_calls(self, run: _Run, out: list[Event]) -> None:
        for call_id in run.open_calls:
            call = self._calls[call_id]
            call.ended = True
            out.append(SetToolArguments(call.run_id, call_id))
        run.open_calls.clear()

    def _end_legacy(
        self,
        run: _Run,
        status: RunStatus,
        out: list[Event],
        *,
        error: str | None = None,
        error_code: str | None = None,
    ) -> None:
        self._complete_legacy_calls(run, out)
        if self._legacy is run:
            self._legacy = None
        self._release(run)
        out.append(
            EndRun(
                run.run_id,
                status,
                finish_reason=run.finish_reason,
                error=error,
                error_code=error_code,
            )
        )


def _unfinished(run_id: str) -> Diagnose:
    return Diagnose(
        "run_not_finished",
        f"the stream ended before run {run_id!r} finished",
        Severity.WARNING,
        run_id=run_id,
    )

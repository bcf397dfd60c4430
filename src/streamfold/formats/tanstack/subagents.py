"""AG-UI 1.0 sub-agents: ``SUBAGENT_STARTED`` / ``FINISHED`` / ``ERROR`` and the routing of frames
that carry ``subagentRunId`` (docs/agui.md, "Sub-agents").

Each sub-agent invocation is a child run of the run it was started from (``parent_run_id``; a
nested sub-agent's parent is the sub-agent named by ``parentSubagentRunId``), with the wire's
``subagentRunId`` as its run id (made unique like any run id). It is never one of the decoder's
*open* runs: only frames naming it reach it, so its messages never merge into its parent's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import Diagnose, Event, RaiseInterrupt, RecordCustom, StartRun
from ...model import RunStatus, Severity
from .._common import drop
from .state import _Run
from .tools import _Tools
from .vocab import _DEFAULT_SESSION
from .wire import is_mapping, json_text, str_or_none

__all__: list[str] = []  # a mixin of TanStackDecoder: nothing public here


class _Subagents(_Tools):
    """Sub-agent runs."""

    def _subagent(self, wire_id: str, out: list[Event], *, implicit: bool = True) -> _Run:
        """The open child run for ``wire_id``; one is started (under the current run) when a
        frame names a sub-agent that never started, with a ``unknown_subagent`` diagnostic."""
        run = self._subagents.get(wire_id)
        if run is None:
            if implicit:
                out.append(
                    Diagnose(
                        "unknown_subagent",
                        f"frame for sub-agent {wire_id!r}, which never started (or already "
                        "ended); a child run is started for it",
                        Severity.WARNING,
                    )
                )
            run = self._start_subagent(wire_id, None, {}, out)
        return run

    def _start_subagent(
        self,
        wire_id: str,
        parent_wire: str | None,
        frame: Mapping[str, Any],
        out: list[Event],
    ) -> _Run:
        parent = self._subagents.get(parent_wire) if parent_wire is not None else None
        if parent is None:
            saved, self._route = self._route, None
            parent = self._current_run(out)
            self._route = saved
        run_id = self._new_run_id(wire_id)
        run = _Run(run_id, parent.session_id, wire_id, parent_id=parent.run_id)
        self._runs[run_id] = run
        self._run_sessions[run_id] = parent.session_id
        self._subagents[wire_id] = run
        metadata: dict[str, Any] = {"subagentRunId": wire_id}
        for key in ("description", "parentToolCallId", "parentMessageId", "metadata"):
            if frame.get(key) is not None:
                metadata[key] = frame[key]
        out.append(
            StartRun(
                parent.session_id,
                run_id,
                thread_id=None if parent.session_id == _DEFAULT_SESSION else parent.session_id,
                agent=str_or_none(frame.get("name")),
                parent_run_id=parent.run_id,
                metadata=metadata,
            )
        )
        return run

    def _subagent_started(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("subagentRunId"))
        if wire_id is None:
            out.append(drop("invalid_field", "SUBAGENT_STARTED without a subagentRunId"))
            return
        if wire_id in self._subagents:
            out.append(
                Diagnose(
                    "duplicate_run_started",
                    f"SUBAGENT_STARTED for sub-agent {wire_id!r}, which is running; ignored",
                    Severity.INFO,
                    run_id=self._subagents[wire_id].run_id,
                )
            )
            return
        self._route = None  # the frame's own subagentRunId is the child, not its parent
        self._start_subagent(wire_id, str_or_none(frame.get("parentSubagentRunId")), frame, out)

    def _subagent_finished(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("subagentRunId"))
        if wire_id is None:
            out.append(drop("invalid_field", "SUBAGENT_FINISHED without a subagentRunId"))
            return
        run = self._subagent(wire_id, out)
        result = frame.get("result")
        if result is not None:
            out.append(RecordCustom(run.run_id, "result", result))
        outcome = frame.get("outcome")
        kind = outcome.get("type") if is_mapping(outcome) else None
        status = RunStatus.COMPLETED
        if kind == "suspended":
            status = RunStatus.INTERRUPTED
            ids = outcome.get("interruptIds") if is_mapping(outcome) else None
            for interrupt_id in ids if isinstance(ids, list) else ():
                if type(interrupt_id) is str:  # the parent's RUN_FINISHED says what they are
                    out.append(RaiseInterrupt(run.run_id, interrupt_id, subagent_run_id=wire_id))
        elif outcome is not None and kind != "success":
            out.append(
                Diagnose(
                    "unknown_outcome",
                    f"SUBAGENT_FINISHED outcome {json_text(outcome)} is not an AG-UI 1.0 "
                    "outcome; read as success and kept as the custom event 'outcome'",
                    Severity.WARNING,
                    run_id=run.run_id,
                )
            )
            out.append(RecordCustom(run.run_id, "outcome", outcome))
        del self._subagents[wire_id]
        self._end_run(run, out, status)

    def _subagent_error(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("subagentRunId"))
        if wire_id is None:
            out.append(drop("invalid_field", "SUBAGENT_ERROR without a subagentRunId"))
            return
        run = self._subagent(wire_id, out)
        message = frame.get("message")
        code = frame.get("code")
        del self._subagents[wire_id]
        self._end_run(
            run,
            out,
            RunStatus.FAILED,
            error=message if type(message) is str and message else "An error occurred",
            error_code=None if code is None else code if type(code) is str else json_text(code),
        )

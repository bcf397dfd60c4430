"""``MESSAGES_SNAPSHOT``, ``STATE_SNAPSHOT`` / ``STATE_DELTA``, ``ACTIVITY_*``, ``CUSTOM``,
``RAW``, and seeding the decoder with a conversation's history (:meth:`_Snapshots.seed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...events import (
    Event,
    PatchActivity,
    PatchState,
    RaiseInterrupt,
    RecordCustom,
    ReplaceMessages,
    RequestApproval,
    RequestClientTool,
    RespondApproval,
    SetActivity,
    SetState,
    SetToolResult,
    SnapshotMessage,
    SnapshotText,
    SnapshotToolResult,
    StartRun,
)
from ...model import RunStatus, TextBuffer
from .._common import drop
from .state import _Msg, _Run
from .subagents import _Subagents
from .vocab import _DEFAULT_SESSION
from .wire import (
    is_mapping,
    json_text,
    snapshot_messages,
    str_or_none,
    tanstack_meta,
)

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Snapshots(_Subagents):
    """Snapshot, state and custom frames."""

    def _messages_snapshot(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        messages = frame.get("messages")
        if not isinstance(messages, list):
            out.append(drop("invalid_field", "MESSAGES_SNAPSHOT without a messages list"))
            return
        run = self._open[-1] if self._open else self._last_run or self._current_run(out)
        snapshot = snapshot_messages(
            messages, self._known_call, lambda: self._synthetic_id("message")
        )
        out.append(ReplaceMessages(run.run_id, snapshot))
        self._mirror_snapshot(run, snapshot)

    def _mirror_snapshot(self, run: _Run, snapshot: tuple[SnapshotMessage, ...]) -> None:
        """Mirror what the reducer holds after a snapshot: the session's other messages are
        gone. The work is proportional to the session's messages (the snapshot's size plus
        those it removes)."""
        wanted = {m.message_id for m in snapshot}
        kept: dict[str, None] = {}
        for message_id in self._session_messages.get(run.session_id, ()):
            if message_id in wanted:
                kept[message_id] = None
            elif self._messages.pop(message_id, None) is None:
                self._finished_messages.pop(message_id, None)
        self._session_messages[run.session_id] = kept
        self._active.clear()
        self._reasoning = None
        self._pending_step = None
        for snap in snapshot:
            message = self._message(snap.message_id)
            if message is None:
                message = _Msg(snap.message_id, run.run_id, snap.role, open=False)
                self._add_message(run, message)
            last = snap.parts[-1] if snap.parts else None
            # A later TEXT_MESSAGE_CONTENT for it continues its last text part, as the
            # reference's ensureAssistantMessage does for a message it did not stream.
            text = last.text if type(last) is SnapshotText else ""
            message.segment = TextBuffer(text)
            for part in snap.parts:
                call_id = getattr(part, "call_id", None)
                if call_id is not None and not self._known_call(call_id):
                    self._add_call(call_id, message.run_id, message.message_id, ended=True)

    def _state_snapshot(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._current_run(out)
        state = frame.get("snapshot", frame.get("state"))
        out.append(SetState(run.run_id, state, "snapshot"))

    def _state_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._current_run(out)
        patch = frame.get("delta")
        if not isinstance(patch, list):
            out.append(drop("invalid_field", "STATE_DELTA delta is not a JSON Patch list"))
            return
        out.append(PatchState(run.run_id, patch))

    def _custom_run(self, frame: Mapping[str, Any], out: list[Event]) -> _Run:
        wire_id = str_or_none(tanstack_meta(frame).get("runId"))
        run_id = self._by_wire.get(wire_id) if wire_id is not None else None
        run = self._runs.get(run_id) if run_id is not None else None
        return run if run is not None else self._current_run(out)

    def _custom(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        name = frame.get("name")
        value = frame["value"] if "value" in frame else frame.get("data")
        if name in ("tool-input-available", "approval-requested") and isinstance(value, Mapping):
            self._tool_request(str(name), value, self._custom_run(frame, out), out)
            return
        run = self._custom_run(frame, out)
        out.append(RecordCustom(run.run_id, name if type(name) is str else None, value))
        if name == "on_interrupt":
            # ag-ui-langgraph's default interrupt: the interrupt() payload as JSON text, its id
            # only in rawEvent.id; the RUN_FINISHED after it has no outcome (docs/agui.md).
            raw = frame.get("rawEvent")
            raw = raw if is_mapping(raw) else {}
            out.append(
                RaiseInterrupt(
                    run.run_id,
                    str_or_none(raw.get("id")),
                    "langgraph:interrupt",
                    response_schema=raw.get("response_schema"),
                    value=value,
                )
            )
            run.interrupted = True

    def _activity_snapshot(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId"))
        if message_id is None:
            out.append(drop("invalid_field", f"{frame.get('type')} without a messageId"))
            return
        run = self._current_run(out)
        kind = str_or_none(frame.get("activityType")) or ""
        content = frame.get("content")
        replace = frame.get("replace") is not False  # absent: overwrite (AG-UI 1.0)
        out.append(SetActivity(run.run_id, message_id, kind, content, replace))

    def _activity_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId"))
        patch = frame.get("patch")
        if message_id is None or not isinstance(patch, list):
            text = "ACTIVITY_DELTA without a messageId or a JSON Patch list"
            out.append(drop("invalid_field", text))
            return
        run = self._current_run(out)
        kind = str_or_none(frame.get("activityType")) or ""
        out.append(PatchActivity(run.run_id, message_id, kind, patch))

    def _raw(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._current_run(out)
        value = {k: v for k, v in frame.items() if k != "type"}
        out.append(RecordCustom(run.run_id, "RAW", value))

    def _ignore(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """REASONING_START/… markers: nothing to apply (they only switch off STEP thinking)."""

    # ------------------------------------------------------------------------ hydration

    def seed(
        self,
        messages: Sequence[Any],
        *,
        session_id: str | None = None,
        state: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Event]:
        """Events that seed a conversation with the history a new stream continues
        (docs/how-to/hydrate.md): ``messages`` — TanStack ``UIMessage`` s (with ``parts``) or
        AG-UI messages (``RunAgentInput.messages``), in thread order — become the messages of a
        completed *history* run (``run.metadata["history"]``) in session ``session_id``
        (default ``"default"``), whose id is ``"history"`` (``"history#n"`` when taken). Tool
        calls keep what the history says of them: results (a ``role: "tool"`` message, a
        ``tool-result`` part, a client tool's ``output``), approval requests and responses
        (``approval: {id, approved}``). The decoder then knows those messages and calls, so
        the new stream continues them where TanStack's ``StreamProcessor`` seeded with
        ``initialMessages`` does: a frame naming a history message continues it, a result for
        a history call completes it. ``state`` (``RunAgentInput.state``) becomes the history
        run's state when not ``None``; ``metadata`` is added to the run's.
        """
        out: list[Event] = []
        session = session_id or _DEFAULT_SESSION
        run_id = self._new_run_id("history")
        run = _Run(run_id, session, None)
        self._runs[run_id] = run
        self._run_sessions[run_id] = session
        self._session = session
        run_metadata = {"history": True, **(metadata or {})}
        thread = None if session == _DEFAULT_SESSION else session
        out.append(StartRun(session, run_id, thread_id=thread, metadata=run_metadata))
        items = [m for m in messages if isinstance(m, Mapping)]
        snapshot = snapshot_messages(items, self._known_call, lambda: self._synthetic_id("message"))
        out.append(ReplaceMessages(run_id, snapshot))
        self._mirror_snapshot(run, snapshot)
        results = {p.call_id for m in snapshot for p in m.parts if type(p) is SnapshotToolResult}
        for item in items:
            parts = item.get("parts")
            for part in parts if isinstance(parts, list) else ():
                if isinstance(part, Mapping) and part.get("type") == "tool-call":
                    self._seed_call(run_id, part, part["id"] in results, out)
        if state is not None:
            out.append(SetState(run_id, state, "snapshot"))
        self._end_run(run, out, RunStatus.COMPLETED)
        return out

    def _seed_call(
        self, run_id: str, part: Mapping[str, Any], has_result: bool, out: list[Event]
    ) -> None:
        """What a UIMessage tool-call part says beyond its arguments: its approval (request and
        answer) and a client tool's ``output``."""
        call_id = part.get("id")
        if type(call_id) is not str:
            return
        approval = part.get("approval")
        if is_mapping(approval):
            out.append(RequestApproval(run_id, call_id, str_or_none(approval.get("id"))))
            approved = approval.get("approved")
            if type(approved) is bool:
                out.append(RespondApproval(run_id, call_id, approved))
        if "output" in part:  # a client tool the client answered (its addToolResult)
            out.append(RequestClientTool(run_id, call_id, str_or_none(part.get("name"))))
        if "output" in part and not has_result:
            output = part["output"]
            text = output if type(output) is str else json_text(output)
            out.append(SetToolResult(run_id, call_id, text, value=output, add_result_part=False))

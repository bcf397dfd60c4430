"""Loom agent stream decoder.

Accepts both the spec (``../shared/specs/loom-streaming-protocol.md``) and what the real emitter
sends (``../shared/notes/loom.md`` §1-2, decisions A1-A14). References below are to those notes.

Theory of operation
-------------------
Frames are grouped by their envelope ``session_id`` (A2; a frame without one belongs to the
session seen last, or to ``"default"``). Each session has at most one open run:

* A run starts at ``run_start`` (spec only, never emitted by the real code) or at the first
  event of a session that has no open run (A1). Run ids are ``"<session_id>#<n>"`` (n from 1)
  unless ``run_start`` names one.
* A run ends at its reply line, or when a new one begins in the same session (``run_start``, or
  ``event_id`` falling back to 0/1 after a reply), or at end of input (A1). Without a reply it
  ends ``awaiting_approval`` if a tool approval is pending, ``cancelled`` if a node failed with
  "run cancelled", else ``failed`` (A9).
* The reply line's ``session_id`` is the CLI *thread* id, not the events' (A2). It is routed to
  the open run of that session if there is one; else to the open run whose last event_id is
  ``reply.event_id - 1`` (the reply does not advance the counter, §2.2); else to the most
  recently active open run. Its ``session_id`` becomes the run's ``thread_id``.
* Spans: ``node_enter`` pushes a span on the run's stack; ``node_exit`` closes the innermost span
  whose *name* (payload ``id``) matches, never matching on the sticky envelope node_id (A4).
  Spans skipped over are closed as ``unclosed``. Events belong to the innermost open span. A span
  entered while a tool call is executing is a sub-agent span: its ``parent_tool_call_id`` is that
  call (A14).
* Text: ``message_chunk`` goes to one assistant message per span (created lazily) as ordered
  parts; ``thought_chunk`` is reasoning in the same message (A5). The reply is kept as the run's
  authoritative answer; the streamed text is not compared with it.
* Tool calls (A6-A8): a ``tool_call_chunk`` with a call_id makes that call "current"; chunks
  with a null call_id append to the current call (or to an anonymous pending call). ``tool_call``
  replaces the arguments with its complete ones; with a null call_id it matches the oldest
  pending call of the same name (FIFO, the telegram-bot pattern) or makes a new ``name#n`` call.
  ``tool_start``/``tool_output``/``tool_end`` with a null call_id use the oldest call of that name
  not yet started / running. Any of them may arrive without a prior tool_call (created on demand).
* ``event_id`` (A3): a frame whose event_id was already seen in the open run *with the same
  type* is a duplicate (a replayed line) and is dropped with a ``duplicate_event`` diagnostic,
  except that event_id 0/1 after the run got past 2 is a restart (a new EnvelopeState, A1). A
  jump forward records an ``event_id_gap`` and marks the run lossy; a frame without event_id is
  taken in arrival order. A reply line identical to the previous one, arriving when no run is
  open, is a duplicate too.

Decoder state per session is small: the open run's span stack, call maps and a set of the
event_ids seen in the open run (one entry per event, released when the run ends).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import orjson

from ...events import (
    AdoptToolCallId,
    AppendReasoning,
    AppendText,
    AppendToolArguments,
    AppendToolOutput,
    CloseSpan,
    Diagnose,
    EndMessage,
    EndRun,
    Event,
    KeepUnknown,
    MarkMissing,
    OpenSpan,
    RecordCustom,
    RecordSearch,
    ReportUsage,
    RequestApproval,
    SaveCheckpoint,
    SetReply,
    SetState,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
    StartToolExecution,
)
from ...model import UNSET, RunStatus, Severity, Usage

__all__ = ["LOOM_EVENT_TYPES", "LoomDecoder"]

_ENVELOPE: Final = frozenset({"session_id", "node_id", "event_id"})

# Payload keys per type (besides "type" and the envelope), spec §4.2 plus notes §1.1 additions.
LOOM_EVENT_TYPES: Final[dict[str, frozenset[str]]] = {
    "run_start": frozenset({"run_id", "message", "agent"}),
    "node_enter": frozenset({"id"}),
    "node_exit": frozenset({"id", "result"}),
    "message_chunk": frozenset({"content", "id"}),
    "thought_chunk": frozenset({"content", "id"}),
    "usage": frozenset({"prompt_tokens", "completion_tokens", "total_tokens"}),
    "values": frozenset({"state"}),
    "updates": frozenset({"id", "state"}),
    "custom": frozenset({"value"}),
    "checkpoint": frozenset(
        {"checkpoint_id", "timestamp", "step", "state", "thread_id", "checkpoint_ns"}
    ),
    "tot_expand": frozenset({"candidates"}),
    "tot_evaluate": frozenset({"chosen", "scores"}),
    "tot_backtrack": frozenset({"reason", "to_depth"}),
    "got_plan": frozenset({"node_count", "edge_count", "node_ids"}),
    "got_node_start": frozenset({"id"}),
    "got_node_complete": frozenset({"id", "result_summary"}),
    "got_node_failed": frozenset({"id", "error"}),
    "got_expand": frozenset({"nodes_added", "edges_added"}),
    "tool_call_chunk": frozenset({"call_id", "name", "arguments_delta"}),
    "tool_call": frozenset({"call_id", "name", "arguments"}),
    "tool_start": frozenset({"call_id", "name"}),
    "tool_output": frozenset({"call_id", "name", "content"}),
    "tool_end": frozenset({"call_id", "name", "result", "is_error", "raw_result"}),
    "tool_approval": frozenset({"call_id", "name", "arguments"}),
    "_error": frozenset({"_serialize_error"}),
}
_TYPE_NAMES: Final[dict[str, str]] = {kind: kind for kind in LOOM_EVENT_TYPES}

# Every key a frame of each type may carry without being reported as an unknown field.
_ALLOWED: Final[dict[str, frozenset[str]]] = {
    kind: keys | _ENVELOPE | {"type"} for kind, keys in LOOM_EVENT_TYPES.items()
}
# The serve WebSocket wrapper (notes §2.1 sink 2), accepted when traffic is logged wrapped.
_WRAPPER_TYPES: Final = frozenset({"run_stream_event", "run_end"})


@attrs.define(slots=True, eq=False)
class _Call:
    call_id: str
    name: str | None
    started: bool = False  # tool_start seen
    span_id: str | None = None
    synthetic: bool = False  # the id is ours (the sender gave none yet)


@attrs.define(slots=True, eq=False)
class _Run:
    run_id: str
    session_id: str
    seq: int
    last_event_id: int | None = None
    seen: dict[int, str] = attrs.field(factory=dict)  # event_id → type, for duplicates
    stack: list[tuple[str, str]] = attrs.field(factory=list)  # (span_id, node name)
    span_seq: int = 0
    node_id: str | None = None
    messages: dict[str | None, str] = attrs.field(factory=dict)  # span_id → message_id
    calls: dict[str, _Call] = attrs.field(factory=dict)
    current_call: str | None = None  # target of null-id tool_call_chunk (A6)
    anon_seq: int = 0
    # FIFO queues per tool name for null call_id reconciliation (A6, A7).
    awaiting_args: dict[str, deque[str]] = attrs.field(factory=dict)
    awaiting_start: dict[str, deque[str]] = attrs.field(factory=dict)
    running: list[str] = attrs.field(factory=list)  # call ids between tool_start and tool_end
    approval_pending: bool = False
    cancelled: bool = False
    error: str | None = None


@attrs.define(slots=True, eq=False)
class _Session:
    session_id: str
    run: _Run | None = None
    runs: int = 0


class LoomDecoder:
    """Decode Loom NDJSON frames (parsed JSON objects) into canonical events.

    Detects: a frame whose ``type`` is a Loom event type, or a reply line (``reply`` and no
    ``type``), or the serve WebSocket wrapper (``run_stream_event`` / ``run_end``).
    """

    name: ClassVar[str] = "loom"
    cursor_module: ClassVar[str | None] = "streamfold.formats.loom.cursor"
    default_session_id: ClassVar[str] = "default"

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._last_session: _Session | None = None
        self._run_ids: set[str] = set()
        self._activity: dict[str, int] = {}  # run_id → last frame index (reply routing)
        self._last_reply: tuple[Any, ...] | None = None

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> bool:
        kind = frame.get("type")
        if kind is None:
            return "reply" in frame
        return type(kind) is str and (kind in LOOM_EVENT_TYPES or kind in _WRAPPER_TYPES)

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        kind = frame.get("type")
        if type(kind) is not str:
            if kind is None:
                if "reply" in frame:
                    return self._reply(frame, frame_index)
                return [_drop("missing_type", "frame has neither 'type' nor 'reply'")]
            return [_drop("invalid_field", "'type' is not a string")]
        if kind in _WRAPPER_TYPES:
            if kind == "run_end":
                return self._reply(frame, frame_index)
            inner = frame.get("event")
            if not isinstance(inner, Mapping):
                return [_drop("invalid_field", "run_stream_event without an 'event' object")]
            return self.decode(inner, frame_index)
        out: list[Event] = []
        # Most frames belong to the session of the frame before: that check is inlined here.
        session = self._last_session
        session_id = frame.get("session_id")
        if session is None or (session_id != session.session_id and type(session_id) is str):
            session = self._session_for(frame)
        event_id = frame.get("event_id")
        if event_id is not None and type(event_id) is not int:
            out.append(_warn("invalid_field", "event_id is not an integer; ignored"))
            event_id = None
        run = session.run
        if (
            run is not None
            and event_id is not None
            and event_id == (run.last_event_id or 0) + 1
            and kind != "run_start"
        ):
            run.last_event_id = event_id  # the next event of the open run: the common case
        else:
            checked = self._sequence(session, run, kind, frame, event_id, out)
            if checked is None:
                return out  # a duplicate, dropped with its diagnostic
            run = checked
        if event_id is not None:
            # The type string from the table, not the frame's own copy: one shared object per
            # type instead of a new string kept per event (~60 B per frame in a long run).
            run.seen[event_id] = _TYPE_NAMES.get(kind, "?")
        node_id = frame.get("node_id")
        if type(node_id) is str and kind != "got_expand":
            run.node_id = node_id
        self._activity[run.run_id] = frame_index
        handler = _HANDLERS.get(kind)
        if handler is None:
            out.append(
                Diagnose(
                    "unknown_event_type",
                    f"unknown Loom event type {kind!r}; kept verbatim on the run",
                    Severity.INFO,
                    run_id=run.run_id,
                )
            )
            out.append(KeepUnknown(run.run_id, dict(frame)))
            return out
        handler(self, run, frame, out)
        allowed = _ALLOWED[kind]
        if not allowed.issuperset(frame):  # 25% cheaper than keys() <= allowed
            extra = ", ".join(sorted(frame.keys() - allowed))
            out.append(
                Diagnose(
                    "unknown_fields",
                    f"{kind} has fields not in the spec ({extra}); frame kept verbatim",
                    Severity.INFO,
                    run_id=run.run_id,
                )
            )
            out.append(KeepUnknown(run.run_id, dict(frame)))
        return out

    def _sequence(
        self,
        session: _Session,
        run: _Run | None,
        kind: str,
        frame: Mapping[str, Any],
        event_id: int | None,
        out: list[Event],
    ) -> _Run | None:
        """The run a frame belongs to, when it is not simply the open run's next event_id:
        starts and restarts runs (A1), reports gaps, reordering and reuse of event_ids; None
        for a duplicate (dropped, its diagnostic in ``out``)."""
        if kind == "run_start":
            if run is not None:
                self._finish_run(session, run, out)
            run = self._start_run(session, frame, out)
        elif run is None:
            run = self._start_run(session, None, out)
        elif event_id is not None and (last := run.last_event_id) is not None:
            if event_id <= last:
                seen = run.seen.get(event_id)
                restart = event_id <= 1 and last > 2
                if seen == _TYPE_NAMES.get(kind, "?") and not restart:
                    out.append(
                        Diagnose(
                            "duplicate_event",
                            f"event_id {event_id} ({kind}) already seen in this run; dropped",
                            Severity.WARNING,
                            dropped=True,
                            session_id=session.session_id,
                            run_id=run.run_id,
                            event_id=event_id,
                        )
                    )
                    return None
                if event_id <= 1:
                    # A fresh EnvelopeState in the same session: a new run (A1).
                    self._finish_run(session, run, out)
                    run = self._start_run(session, None, out)
                else:
                    code = "event_id_reused" if seen is not None else "event_out_of_order"
                    out.append(
                        _warn(
                            code,
                            f"event_id {event_id} ({kind}) after {last}",
                            run_id=run.run_id,
                            event_id=event_id,
                        )
                    )
            elif event_id > last + 1:
                out.append(
                    _warn(
                        "event_id_gap",
                        f"event_ids {last + 1}..{event_id - 1} missing",
                        run_id=run.run_id,
                        event_id=event_id,
                    )
                )
                out.append(MarkMissing(run.run_id, last + 1, event_id))
        if event_id is not None and (run.last_event_id is None or event_id > run.last_event_id):
            run.last_event_id = event_id
        return run

    def finish(self) -> list[Event]:
        out: list[Event] = []
        for session in self._sessions.values():
            if session.run is not None:
                self._finish_run(session, session.run, out)
        return out

    # ----------------------------------------------------------------------- sessions, runs

    def _session_for(self, frame: Mapping[str, Any]) -> _Session:
        session_id = frame.get("session_id")
        if type(session_id) is not str:
            last = self._last_session
            if last is not None:
                return last
            session_id = self.default_session_id
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = _Session(session_id)
        self._last_session = session
        return session

    def _start_run(
        self, session: _Session, run_start: Mapping[str, Any] | None, out: list[Event]
    ) -> _Run:
        session.runs += 1
        wanted = run_start.get("run_id") if run_start is not None else None
        run_id = wanted if type(wanted) is str and wanted not in self._run_ids else None
        if run_id is None:
            run_id = f"{session.session_id}#{session.runs}"
            while run_id in self._run_ids:
                run_id += "'"
        self._run_ids.add(run_id)
        run = _Run(run_id, session.session_id, session.runs)
        session.run = run
        agent = _str(run_start.get("agent")) if run_start is not None else None
        message = _str(run_start.get("message")) if run_start is not None else None
        metadata = {"run_id": wanted} if wanted is not None and wanted != run_id else None
        out.append(
            StartRun(
                session.session_id,
                run_id,
                agent=agent,
                input_text=message,
                metadata=metadata,
            )
        )
        return run

    def _finish_run(self, session: _Session, run: _Run, out: list[Event]) -> None:
        """End a run that got no reply line (A1, A9)."""
        self._close_stack(run, 0, out)
        if run.approval_pending:
            status, error = RunStatus.AWAITING_APPROVAL, run.error
        elif run.cancelled:
            status, error = RunStatus.CANCELLED, run.error
        else:
            status = RunStatus.FAILED
            error = run.error or "the stream ended without a reply line"
        out.append(EndRun(run.run_id, status, error=error))
        self._drop_run(session, run)

    def _drop_run(self, session: _Session, run: _Run) -> None:
        session.run = None
        self._activity.pop(run.run_id, None)

    def _close_stack(self, run: _Run, depth: int, out: list[Event]) -> None:
        while len(run.stack) > depth:
            span_id, _ = run.stack.pop()
            self._end_message(run, span_id, out)
            out.append(CloseSpan(run.run_id, span_id, unclosed=True))

    @staticmethod
    def _end_message(run: _Run, span_id: str, out: list[Event]) -> None:
        """A span's message is complete when the span closes (one LLM turn per think span)."""
        message_id = run.messages.get(span_id)
        if message_id is not None:
            out.append(EndMessage(run.run_id, message_id))

    # ----------------------------------------------------------------------------- reply

    def _reply(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        text = frame.get("reply")
        if type(text) is not str:
            return [_drop("invalid_field", "reply is not a string")]
        event_id = frame.get("event_id")
        session, run = self._route_reply(frame)
        thread_id = _str(frame.get("session_id"))
        out: list[Event] = []
        key = (frame.get("session_id"), event_id, frame.get("node_id"), text)
        if run is None:
            if key == self._last_reply:
                return [
                    Diagnose(
                        "duplicate_event",
                        "reply line repeated after its run ended; dropped",
                        dropped=True,
                        session_id=_str(key[0]),
                        event_id=_int(event_id),
                    )
                ]
            # A reply with no open run (e.g. a run whose events were all lost): its own run.
            session = self._session_for(frame)
            run = self._start_run(session, None, out)
            out.append(
                _warn("reply_without_events", "reply line with no open run", run_id=run.run_id)
            )
        self._last_reply = key
        assert session is not None
        if thread_id == run.session_id:
            thread_id = None
        last = run.last_event_id
        if type(event_id) is int and last is not None and event_id > last + 1:
            out.append(
                _warn(
                    "event_id_gap",
                    f"event_ids {last + 1}..{event_id - 1} missing before the reply",
                    run_id=run.run_id,
                    event_id=event_id,
                )
            )
            out.append(MarkMissing(run.run_id, last + 1, event_id))
        stop_reason = _str(frame.get("stop_reason"))
        reasoning = _str(frame.get("reasoning_content"))
        self._close_stack(run, 0, out)
        out.append(SetReply(run.run_id, text, reasoning, thread_id))
        status = RunStatus.COMPLETED
        if stop_reason == "cancelled" or (run.cancelled and not text):
            status = RunStatus.CANCELLED
        out.append(EndRun(run.run_id, status, stop_reason=stop_reason))
        self._drop_run(session, run)
        return out

    def _route_reply(self, frame: Mapping[str, Any]) -> tuple[_Session | None, _Run | None]:
        session_id = frame.get("session_id")
        session = self._sessions.get(session_id) if type(session_id) is str else None
        if session is not None and session.run is not None:
            return session, session.run
        open_runs = [s for s in self._sessions.values() if s.run is not None]
        if not open_runs:
            return session, None
        event_id = frame.get("event_id")
        node_id = frame.get("node_id")
        if type(event_id) is int:
            matches = [
                s
                for s in open_runs
                if s.run is not None
                and s.run.last_event_id == event_id - 1
                and (node_id is None or s.run.node_id == node_id)
            ]
            if len(matches) == 1:
                return matches[0], matches[0].run
        latest = max(open_runs, key=lambda s: self._activity.get(s.run.run_id if s.run else "", -1))
        return latest, latest.run

    # ------------------------------------------------------------------------ frame kinds

    def _run_start(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        """Nothing more to do: decode() began the run with run_start's fields."""

    def _node_enter(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        name = frame.get("id")
        if type(name) is not str:
            out.append(_warn("invalid_field", "node_enter without a string 'id'", run.run_id))
            name = "?"
        run.span_seq += 1
        span_id = f"{run.run_id}/{run.span_seq}"
        parent = run.stack[-1][0] if run.stack else None
        parent_call = None
        if run.running:
            call = run.calls.get(run.running[-1])
            if call is not None and call.span_id == parent:
                parent_call = call.call_id
        event_id = frame.get("event_id")
        out.append(
            OpenSpan(
                run.run_id,
                span_id,
                name,
                parent,
                parent_call,
                _str(frame.get("node_id")),
                event_id if type(event_id) is int else None,
            )
        )
        run.stack.append((span_id, name))

    def _node_exit(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        name = frame.get("id")
        stack = run.stack
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][1] == name:
                break
        else:
            out.append(
                Diagnose(
                    "unmatched_node_exit",
                    f"node_exit {name!r} matches no open span; dropped",
                    Severity.ERROR,
                    dropped=True,
                    run_id=run.run_id,
                )
            )
            return
        self._close_stack(run, depth + 1, out)
        span_id, _ = stack.pop()
        self._end_message(run, span_id, out)
        error = _node_error(frame.get("result"), out, run.run_id)
        if error is not None:
            run.error = error
            if "run cancelled" in error:
                run.cancelled = True
        out.append(CloseSpan(run.run_id, span_id, error))

    def _message_for(self, run: _Run, out: list[Event]) -> str:
        span_id = run.stack[-1][0] if run.stack else None
        message_id = run.messages.get(span_id)
        if message_id is None:
            message_id = f"{span_id}/message" if span_id else f"{run.run_id}/message"
            run.messages[span_id] = message_id
            out.append(StartMessage(run.run_id, message_id, "assistant", span_id))
        return message_id

    def _message_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(_drop("invalid_field", "message_chunk content is not a string", run.run_id))
            return
        message_id = run.messages.get(run.stack[-1][0] if run.stack else None)
        if message_id is None:
            message_id = self._message_for(run, out)
        out.append(AppendText(run.run_id, message_id, content))

    def _thought_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(_drop("invalid_field", "thought_chunk content is not a string", run.run_id))
            return
        out.append(AppendReasoning(run.run_id, self._message_for(run, out), content))

    def _usage(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        counts = [frame.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
        if not all(type(c) is int for c in counts if c is not None):
            out.append(_drop("invalid_field", "usage counts are not integers", run.run_id))
            return
        prompt, completion, total = (c or 0 for c in counts)
        if counts[2] is None:
            total = prompt + completion
        usage = Usage(prompt, completion, total, reports=1)
        out.append(ReportUsage(run.run_id, usage, run.stack[-1][0] if run.stack else None))

    def _values(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(SetState(run.run_id, frame.get("state"), "values"))

    def _updates(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(SetState(run.run_id, frame.get("state"), "updates"))

    def _custom(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        out.append(RecordCustom(run.run_id, None, frame.get("value")))

    def _checkpoint(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        data = {k: v for k, v in frame.items() if k not in _ENVELOPE and k != "type"}
        checkpoint_id = frame.get("checkpoint_id")
        out.append(SaveCheckpoint(run.run_id, _str(checkpoint_id), data))

    def _search(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        kind = frame["type"]
        data = {k: v for k, v in frame.items() if k != "type" and k not in _ENVELOPE}
        if kind == "got_expand" and "node_id" in frame:
            data["node_id"] = frame["node_id"]  # the GoT task id, not the envelope (A10)
        out.append(RecordSearch(run.run_id, kind, data))

    # -------------------------------------------------------------------------- tool calls

    def _new_call(
        self, run: _Run, call_id: str | None, name: str | None, out: list[Event], *, message: bool
    ) -> _Call:
        synthetic = call_id is None
        if call_id is None:
            run.anon_seq += 1
            call_id = f"{name or 'tool'}#{run.anon_seq}"
            while call_id in run.calls:
                call_id += "'"
        span_id = run.stack[-1][0] if run.stack else None
        call = run.calls[call_id] = _Call(call_id, name, span_id=span_id, synthetic=synthetic)
        message_id = self._message_for(run, out) if message else None
        out.append(StartToolCall(run.run_id, call_id, name, message_id, span_id))
        if name is not None:
            run.awaiting_start.setdefault(name, deque()).append(call_id)
        return call

    def _tool_call_chunk(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id, name = _str(frame.get("call_id")), _str(frame.get("name"))
        delta = frame.get("arguments_delta")
        if delta is not None and type(delta) is not str:
            out.append(_drop("invalid_field", "arguments_delta is not a string", run.run_id))
            return
        if call_id is not None:
            call = run.calls.get(call_id)
            if call is None:
                call = self._new_call(run, call_id, name, out, message=True)
                if name is not None:
                    run.awaiting_args.setdefault(name, deque()).append(call_id)
            run.current_call = call_id
        elif run.current_call is not None:
            call = run.calls[run.current_call]
        else:
            call = self._new_call(run, None, name, out, message=True)
            run.current_call = call.call_id
            if name is not None:
                run.awaiting_args.setdefault(name, deque()).append(call.call_id)
        if delta:
            out.append(AppendToolArguments(run.run_id, call.call_id, delta))

    def _tool_call(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id, name = _str(frame.get("call_id")), _str(frame.get("name"))
        call = run.calls.get(call_id) if call_id is not None else None
        if call is None and call_id is None and name is not None:
            queue = run.awaiting_args.get(name)
            if queue:
                call = run.calls.get(queue.popleft())
        named = False
        if call is None and call_id is None and run.current_call is not None:
            # Anonymous chunks streamed before the name was known.
            pending = run.calls[run.current_call]
            if pending.name is None:
                call = pending
                pending.name = name
                named = name is not None
                if name is not None:
                    run.awaiting_start.setdefault(name, deque()).append(call.call_id)
        if call is None:
            call = self._new_call(run, call_id, name, out, message=True)
        elif call_id is not None and name is not None:
            queue = run.awaiting_args.get(name)
            if queue and call_id in queue:
                queue.remove(call_id)
        if run.current_call == call.call_id:
            run.current_call = None
        arguments, value = _arguments(frame.get("arguments"))
        out.append(
            SetToolArguments(run.run_id, call.call_id, arguments, value, name if named else None)
        )

    def _resolve_started(
        self, run: _Run, frame: Mapping[str, Any], out: list[Event], *, starting: bool
    ) -> _Call:
        """The call a tool_start/_output/_end/_approval refers to (A6/A7)."""
        call_id, name = _str(frame.get("call_id")), _str(frame.get("name"))
        if call_id is not None:
            call = run.calls.get(call_id)
            if call is None:
                call = self._adopt(run, call_id, name, out)
            if call is None:
                call = self._new_call(run, call_id, name, out, message=False)
            return call
        if name is not None:
            if starting:
                queue = run.awaiting_start.get(name)
                while queue:
                    candidate = run.calls[queue.popleft()]
                    if not candidate.started:
                        return candidate
            else:
                for running_id in run.running:
                    candidate = run.calls[running_id]
                    if candidate.name == name:
                        return candidate
                queue = run.awaiting_start.get(name)
                if queue:
                    return run.calls[queue[0]]
        return self._new_call(run, None, name, out, message=False)

    def _adopt(self, run: _Run, call_id: str, name: str | None, out: list[Event]) -> _Call | None:
        """An id-less call of this name waiting to start takes the sender's id (Loom fills
        ``call_<uuid>`` into tool_start when the provider gave none, notes §2.4)."""
        queue = run.awaiting_start.get(name) if name is not None else None
        if not queue:
            return None
        call = run.calls[queue[0]]
        if not call.synthetic or call.started:
            return None
        old = call.call_id
        out.append(AdoptToolCallId(run.run_id, old, call_id))
        del run.calls[old]
        run.calls[call_id] = call
        call.call_id, call.synthetic = call_id, False
        queue[0] = call_id
        if run.current_call == old:
            run.current_call = call_id
        return call

    def _tool_start(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=True)
        call.started = True
        call.span_id = run.stack[-1][0] if run.stack else None
        if call.name is not None:
            queue = run.awaiting_start.get(call.name)
            if queue and call.call_id in queue:
                queue.remove(call.call_id)
        run.running.append(call.call_id)
        run.approval_pending = False
        out.append(StartToolExecution(run.run_id, call.call_id))

    def _tool_output(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        content = frame.get("content")
        if type(content) is not str:
            out.append(_drop("invalid_field", "tool_output content is not a string", run.run_id))
            return
        call = self._resolve_started(run, frame, out, starting=False)
        out.append(AppendToolOutput(run.run_id, call.call_id, content))

    def _tool_end(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=False)
        if call.call_id in run.running:
            run.running.remove(call.call_id)
        result = frame.get("result")
        is_error = frame.get("is_error") is True
        raw_result = _str(frame.get("raw_result"))
        if type(result) is not str:
            result = "" if result is None else orjson.dumps(result).decode()
        out.append(
            SetToolResult(
                run.run_id,
                call.call_id,
                result,
                is_error=is_error,
                error=result if is_error else None,
                value=_result_value(result),
                raw_result=raw_result,
            )
        )

    def _tool_approval(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        call = self._resolve_started(run, frame, out, starting=True)
        if call.name is not None:
            queue = run.awaiting_start.get(call.name)
            if queue and call.call_id in queue:
                queue.remove(call.call_id)
        value: Any = UNSET
        if "arguments" in frame:
            arguments, value = _arguments(frame.get("arguments"))
            out.append(SetToolArguments(run.run_id, call.call_id, arguments, value))
        run.approval_pending = True
        out.append(RequestApproval(run.run_id, call.call_id, None, value))

    def _serialize_error(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = frame.get("_serialize_error")
        out.append(
            Diagnose(
                "sender_error",
                f"the sender could not serialize an event: {message}",
                Severity.WARNING,
                run_id=run.run_id,
            )
        )


_Handler = Any
_HANDLERS: Final[dict[str, _Handler]] = {
    "run_start": LoomDecoder._run_start,
    "node_enter": LoomDecoder._node_enter,
    "node_exit": LoomDecoder._node_exit,
    "message_chunk": LoomDecoder._message_chunk,
    "thought_chunk": LoomDecoder._thought_chunk,
    "usage": LoomDecoder._usage,
    "values": LoomDecoder._values,
    "updates": LoomDecoder._updates,
    "custom": LoomDecoder._custom,
    "checkpoint": LoomDecoder._checkpoint,
    "tot_expand": LoomDecoder._search,
    "tot_evaluate": LoomDecoder._search,
    "tot_backtrack": LoomDecoder._search,
    "got_plan": LoomDecoder._search,
    "got_node_start": LoomDecoder._search,
    "got_node_complete": LoomDecoder._search,
    "got_node_failed": LoomDecoder._search,
    "got_expand": LoomDecoder._search,
    "tool_call_chunk": LoomDecoder._tool_call_chunk,
    "tool_call": LoomDecoder._tool_call,
    "tool_start": LoomDecoder._tool_start,
    "tool_output": LoomDecoder._tool_output,
    "tool_end": LoomDecoder._tool_end,
    "tool_approval": LoomDecoder._tool_approval,
    "_error": LoomDecoder._serialize_error,
}


# ----------------------------------------------------------------------------------- helpers


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _drop(code: str, message: str, run_id: str | None = None) -> Diagnose:
    return Diagnose(code, message, Severity.ERROR, dropped=True, run_id=run_id)


def _warn(
    code: str, message: str, run_id: str | None = None, *, event_id: int | None = None
) -> Diagnose:
    return Diagnose(code, message, Severity.WARNING, run_id=run_id, event_id=event_id)


def _node_error(result: Any, out: list[Event], run_id: str) -> str | None:
    """``"Ok"`` → None; ``{"Err": text}`` → text (spec §4.2; notes A9)."""
    if result == "Ok" or (isinstance(result, Mapping) and "Ok" in result):
        return None
    if isinstance(result, Mapping) and "Err" in result:
        err = result["Err"]
        return err if type(err) is str else orjson.dumps(err).decode()
    if result is None:
        out.append(_warn("invalid_field", "node_exit without a result; taken as Ok", run_id))
        return None
    out.append(_warn("invalid_field", f"node_exit result {result!r} is neither Ok nor Err", run_id))
    return result if type(result) is str else orjson.dumps(result).decode()


def _arguments(arguments: Any) -> tuple[str, Any]:
    """Complete tool arguments: an object (normal) or a JSON *string* when the model's text did
    not parse (notes §2.3 step 3). Returns the text and the parsed value (or UNSET)."""
    if type(arguments) is str:
        try:
            return arguments, orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return arguments, UNSET
    if arguments is None:
        return "", UNSET
    return orjson.dumps(arguments).decode(), arguments


def _result_value(result: str) -> Any:
    """tool_end.result may be JSON-quoted text or a diff object as text on dev (A8)."""
    if result[:1] in ('"', "{"):
        try:
            value = orjson.loads(result)
        except orjson.JSONDecodeError:
            return UNSET
        if type(value) is str or (type(value) is dict and value.get("type") == "diff"):
            return value
    return UNSET

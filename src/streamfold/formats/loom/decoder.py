"""Loom agent stream decoder.

Accepts both the spec (Loom's ``docs/protocol_spec.md`` at b84eedb, summarised in ``docs/loom.md``)
and what the real emitter
sends (docs/loom.md#what-the-real-emitter-sends, decisions A1-A14). A1-A14 below are the rules in
``docs/loom.md#rules``.

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
  ``reply.event_id - 1`` (the reply does not advance the counter, docs/loom.md#envelope); else to
  the most
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

Decoder state per session is small: the open run's span stack, call maps and the event_ids seen
in the open run as ranges of one type (:mod:`.seen`: one entry per change of type, not per event;
released when the run ends). A session that leaves the model takes its state along
(``session_evicted``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ...events import (
    Diagnose,
    EndRun,
    Event,
    MarkMissing,
    SetReply,
    StartRun,
)
from ...model import RunStatus, Session, Severity
from .. import DecoderBase
from .._common import drop, int_or_none, keep_unknown_fields, keep_unknown_type, str_or_none, warn
from .handlers import _Handlers
from .repl import repl_line
from .search import search_events
from .sessions import LoomSessions
from .state import _ENVELOPE, _Run, _Session
from .tools import _Tools

__all__ = ["LOOM_EVENT_TYPES", "LoomDecoder"]


# Payload keys per type (besides "type" and the envelope), spec §4.2 plus
# docs/loom.md#spec-differences additions.
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


# The serve WebSocket wrapper (docs/loom.md#transports sink 2), accepted when traffic is logged
# wrapped.
_WRAPPER_TYPES: Final = frozenset({"run_stream_event", "run_end"})

# Loom type names that are common words other formats may use too: lower confidence alone.
_COMMON_NAMES: Final = frozenset(
    {"run_start", "usage", "values", "updates", "custom", "checkpoint", "tool_call"}
)
_OWN_NAMES: Final = frozenset((*LOOM_EVENT_TYPES, *_WRAPPER_TYPES)) - _COMMON_NAMES


class LoomDecoder(_Handlers, _Tools, DecoderBase):
    """Decode Loom NDJSON frames (parsed JSON objects) into canonical events.

    Detects: a frame whose ``type`` is a Loom event type, or a reply line (``reply`` and no
    ``type``), or the serve WebSocket wrapper (``run_stream_event`` / ``run_end``).
    """

    name: ClassVar[str] = "loom"
    cursor_module: ClassVar[str | None] = "streamfold.formats.loom.cursor"
    default_session_id: ClassVar[str] = "default"

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        """How sure Loom is that ``frame`` is its own (``docs/write-a-format.md``): 1 for a
        Loom-only type name (``node_enter``, ``message_chunk``, …), 0.9 for a reply line
        (``reply`` and no ``type``), 0.5 for a Loom type that is a common word (``tool_call``,
        ``usage``, …) unless the frame has Loom's ``event_id`` (then 1), else 0."""
        kind = frame.get("type")
        if type(kind) is str:
            if kind in _OWN_NAMES:  # the frames of a Loom stream: one set lookup, as before
                return 1.0
            if kind in _COMMON_NAMES:
                return 1.0 if "event_id" in frame else 0.5
            return 0.0
        return 0.9 if kind is None and "reply" in frame else 0.0

    @staticmethod
    def non_json(text: str) -> Diagnose | None:
        """The REPL's prompts and goodbye are INFO ``repl_output`` (:mod:`.repl`)."""
        return repl_line(text)

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one Loom frame (spec or emitter shape, docs/loom.md): the session
        from the envelope (A2), the run from ``run_start`` or the first event (A1), event_id checks
        (gaps, duplicates, reuse: A3), then the type's handler; unknown types and fields are kept
        verbatim (A11). Never raises on sender input."""
        kind = frame.get("type")
        if type(kind) is not str:
            if kind is None:
                if "reply" in frame:
                    return self._reply(frame, frame_index)
                return [drop("missing_type", "frame has neither 'type' nor 'reply'")]
            return [drop("invalid_field", "'type' is not a string")]
        if kind in _WRAPPER_TYPES:
            if kind == "run_end":
                return self._reply(frame, frame_index)
            inner = frame.get("event")
            if not isinstance(inner, Mapping):
                return [drop("invalid_field", "run_stream_event without an 'event' object")]
            return self.decode(inner, frame_index)
        out: list[Event] = []
        # Most frames belong to the session of the frame before: that check is inlined here.
        session = self._last_session
        session_id = frame.get("session_id")
        if session is None or (session_id != session.session_id and type(session_id) is str):
            session = self._session_for(frame)
        event_id = frame.get("event_id")
        if event_id is not None and type(event_id) is not int:
            out.append(warn("invalid_field", "event_id is not an integer; ignored"))
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
            name = _TYPE_NAMES.get(kind, "?")
            seen = run.seen
            if seen.tail_kind is name and seen.tail_end == event_id - 1:
                seen.tail_end = event_id  # the next event of the same type (SeenIds.add)
            else:
                seen.add(event_id, name)
        node_id = frame.get("node_id")
        if type(node_id) is str and kind != "got_expand":
            run.node_id = node_id
        self._activity[run.run_id] = frame_index
        handler = _HANDLERS.get(kind)
        if handler is None:
            message = f"unknown Loom event type {kind!r}; kept verbatim on the run"
            keep_unknown_type(out, run.run_id, frame, message)
            return out
        handler(self, run, frame, out)
        allowed = _ALLOWED[kind]
        if not allowed.issuperset(frame):  # 25% cheaper than keys() <= allowed
            keep_unknown_fields(out, run.run_id, frame, kind, allowed)
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
                        warn(
                            code,
                            f"event_id {event_id} ({kind}) after {last}",
                            run_id=run.run_id,
                            event_id=event_id,
                        )
                    )
            elif event_id > last + 1:
                out.append(
                    warn(
                        "event_id_gap",
                        f"event_ids {last + 1}..{event_id - 1} missing",
                        run_id=run.run_id,
                        event_id=event_id,
                    )
                )
                out.append(MarkMissing(run.run_id, last + 1, event_id, "event_id"))
        if event_id is not None and (run.last_event_id is None or event_id > run.last_event_id):
            run.last_event_id = event_id
        return run

    def finish(self) -> list[Event]:
        """End of input: every run still open ends without a reply line — ``failed``, or
        ``awaiting_approval`` / ``cancelled`` when the stream said so (docs/loom.md, A1 and A9) —
        after its open spans close as unclosed."""
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
        self._open[session.session_id] = session
        agent = str_or_none(run_start.get("agent")) if run_start is not None else None
        message = str_or_none(run_start.get("message")) if run_start is not None else None
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

    @staticmethod
    def session_keys() -> LoomSessions:
        """Loom's session keys for a log: the envelope ``session_id``, reply lines routed as
        the decoder routes them (:mod:`.sessions`)."""
        return LoomSessions()

    def run_evicted(self, session_id: str, run_id: str) -> None:
        """The reducer ended the run to stay within ``max_open_runs``: it is no longer the
        session's open run, so later frames of the session start a new run (docs/loom.md)."""
        session = self._sessions.get(session_id)
        if session is not None and session.run is not None and session.run.run_id == run_id:
            self._drop_run(session, session.run)

    def session_evicted(self, session: Session) -> None:
        """The session left the model (``max_sessions``): everything kept for it goes too."""
        mine = self._sessions.pop(session.session_id, None)
        self._open.pop(session.session_id, None)
        if mine is not None and mine is self._last_session:
            self._last_session = None
        for run in session.runs:
            self._run_ids.discard(run.run_id)
            self._activity.pop(run.run_id, None)

    def _drop_run(self, session: _Session, run: _Run) -> None:
        session.run = None
        self._open.pop(session.session_id, None)
        self._activity.pop(run.run_id, None)

    # ----------------------------------------------------------------------------- reply

    def _reply(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        text = frame.get("reply")
        if type(text) is not str:
            return [drop("invalid_field", "reply is not a string")]
        event_id = frame.get("event_id")
        session, run = self._route_reply(frame)
        thread_id = str_or_none(frame.get("session_id"))
        out: list[Event] = []
        key = (frame.get("session_id"), event_id, frame.get("node_id"), text)
        if run is None:
            if key == self._last_reply:
                return [
                    Diagnose(
                        "duplicate_event",
                        "reply line repeated after its run ended; dropped",
                        dropped=True,
                        session_id=str_or_none(key[0]),
                        event_id=int_or_none(event_id),
                    )
                ]
            # A reply with no open run (e.g. a run whose events were all lost): its own run.
            session = self._session_for(frame)
            run = self._start_run(session, None, out)
            out.append(
                warn("reply_without_events", "reply line with no open run", run_id=run.run_id)
            )
        self._last_reply = key
        assert session is not None
        if thread_id == run.session_id:
            thread_id = None
        last = run.last_event_id
        if type(event_id) is int and last is not None and event_id > last + 1:
            out.append(
                warn(
                    "event_id_gap",
                    f"event_ids {last + 1}..{event_id - 1} missing before the reply",
                    run_id=run.run_id,
                    event_id=event_id,
                )
            )
            out.append(MarkMissing(run.run_id, last + 1, event_id, "event_id"))
        stop_reason = str_or_none(frame.get("stop_reason"))
        reasoning = str_or_none(frame.get("reasoning_content"))
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
        open_runs = list(self._open.values())
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

    def _search(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        """ToT / GoT frames → typed search events, their fields checked (``search.py``)."""
        search_events(run.run_id, frame, out)


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

"""TanStack AI and AG-UI stream decoder: three wire eras, one set of canonical events.

Accepts what TanStack AI servers have sent over time, auto-detected per frame
(``../shared/notes/tanstack.md`` §2; references below are to that file), and any spec AG-UI
server:

* **A. legacy chunks** (``@tanstack/ai`` ≤ 0.2): ``content``, ``thinking``, ``tool_call``,
  ``tool-input-available``, ``approval-requested``, ``tool_result``, ``done``, ``error``
  (``../shared/specs/tanstack-ai-chunk-definitions.txt``);
* **B. TanStack-flavoured AG-UI** (0.3–0.10): AG-UI names with TanStack fields — cumulative
  ``content``/``args``, ``toolName``, ``STEP_FINISHED.delta`` thinking, ``TOOL_CALL_END.result``,
  ``CUSTOM.data``, ``RUN_ERROR.error{}``;
* **C. spec AG-UI** (0.11+; since 0.48 TanStack extras ride in ``metadata.tanstack``), including
  the convenience events TanStack never sends (``TEXT_MESSAGE_CHUNK``, ``TOOL_CALL_CHUNK``,
  ``REASONING_MESSAGE_CHUNK``, ``THINKING_*``, ``RAW``) and the durable NDJSON envelope
  ``{"id": offset, "chunk": {...}}`` (``id`` is kept in :attr:`TanStackDecoder.resume_cursor`).

Theory of operation
-------------------
Identity. AG-UI frames say which run they end (``runId``) but not which run a message or tool
call belongs to, so the decoder keeps the routing the wire leaves implicit:

* **Sessions** are AG-UI ``threadId`` s (``"default"`` when a stream never names one).
* **Runs.** ``RUN_STARTED`` opens run ``runId``. Each ``RUN_FINISHED`` / ``RUN_ERROR`` ends
  exactly one canonical run. TanStack's agent loop sends one ``RUN_FINISHED`` per *model call*
  under one ``runId`` (the first with ``finishReason: tool_calls``); events after it that need a
  run open an implicit **continuation run** ``"<runId>#2"`` (``parent_run_id`` = the first),
  which the next ``RUN_FINISHED`` for ``runId`` ends. So every canonical run is one model call,
  with its own finish reason and usage. A ``RUN_STARTED`` for a finished ``runId`` (a resumed
  run) gets ``"<runId>#n"`` the same way. Frames that need no run and arrive before any
  (``CUSTOM run.accepted`` of durable streams) wait for the first run (bounded).
* **Messages** keep the wire ``messageId``. A new message joins the earliest open run that has
  no unfinished message, else the latest open run (concurrent runs interleave their messages
  without saying which is whose), else a continuation run. Routing follows the reference
  client: ``TOOL_CALL_START`` goes to ``parentMessageId``, else to the *active* assistant
  message (the last one started and not yet finalized by its run's end); ``TEXT_MESSAGE_START``
  for a known id continues that message; role ``tool``/``developer`` is kept as sent (the
  exporter shows them as ``assistant``, as TanStack does).
* **Reasoning** (``REASONING_MESSAGE_CONTENT``, ``STEP_FINISHED`` thinking) goes into the active
  assistant message as a reasoning part keyed by the current step (``STEP_STARTED.stepName``,
  else the reasoning ``messageId``). With no active assistant message it opens a message of role
  ``"reasoning"`` (the AG-UI reasoning message), which the TanStack exporter folds into the next
  assistant message, as the reference folds reasoning messages (§1.8).
* **Tool calls** are keyed by ``toolCallId`` only (``index`` is not identity). A result arrives
  in the run that owns the call, whenever it comes. ``TOOL_CALL_ARGS`` / ``END`` / ``RESULT`` for
  an unknown id are *kept* (the reducer records the call with an ``unknown_tool_call``
  diagnostic; the reference client drops them); a later ``TOOL_CALL_START`` for it attaches the
  call to its message. A second ``START`` for a known id is a no-op with a diagnostic. Arguments
  become ``input`` at ``TOOL_CALL_END`` (or the run's end) only when they are complete JSON;
  ``END.input`` (top-level or ``metadata.tanstack.input``) is authoritative and back-fills empty
  arguments (#839).

Text. Only non-empty ``delta`` s are appended. When a frame has an empty or missing ``delta`` but
a cumulative ``content`` (eras A/B; ``args`` for tool arguments), the era-B fallback applies
against the text of the current segment ``cur`` (the segment restarts when a tool call is added
to the message): ``content`` extends ``cur`` → append the rest; ``cur`` extends ``content`` →
nothing; unrelated → append ``content`` whole. The segment is a list of the deltas already
sent (joined only when a fallback needs it), so the hot path stays O(delta).

Legacy chunks (era A) have no runs and a fresh random ``id`` per chunk in real servers. A legacy
run (``"tanstack-legacy#n"``, session ``"default"``) spans one HTTP response: it opens at the
first legacy chunk and ends at ``data: [DONE]``, an ``error`` chunk or end of input. It has one
assistant message whose id is the ``id`` of the stream's first chunk. ``done`` closes a model
call: it completes the tool calls' input and adds the call's usage (``mode="add"``); the legacy
Anthropic adapter sends a second ``done`` right after the first (always ``stop``), which is
reported as ``duplicate_done`` and does not override the first one's finish reason. A
``content`` chunk also completes open tool calls (the reference does the same).

Usage. ``RUN_FINISHED.usage`` (the spec list or TanStack's ``TokenUsage``) is final for its
(canonical) run: ``mode="set"``. Legacy ``done.usage`` is per model call: ``mode="add"``.

Runs end as: ``RUN_FINISHED`` → completed, or ``awaiting_approval`` / ``interrupted`` when its
``outcome`` is an interrupt (approval interrupts become approval requests, client-tool
interrupts :class:`~streamfold.events.RequestClientTool`); ``RUN_ERROR`` → failed (a run-less
``RUN_ERROR`` fails every open run); ``data: [DONE]`` → completed (finish reason ``stop``, as the
reference client synthesizes); end of input → ``incomplete`` with a ``run_not_finished``
diagnostic.

``MESSAGES_SNAPSHOT`` becomes :class:`~streamfold.events.ReplaceMessages` (tool state kept);
``STATE_SNAPSHOT`` / ``STATE_DELTA`` set and JSON-Patch the run state; ``CUSTOM`` (``value``, or
pre-0.6 ``data``) is recorded, except the legacy-compatible ``tool-input-available`` and
``approval-requested``; ``RAW`` is recorded as custom event ``"RAW"``; ``STEP_*`` are spans.

State of finished runs. Frames can still address a run's messages and calls after it ended (a
``TOOL_CALL_RESULT`` after the intermediate ``RUN_FINISHED``, replayed or late frames), so the
decoder cannot forget them; but a long stream has thousands of finished runs, and every object
kept alive makes CPython's full garbage collections slower, for the decoder and everything
around it. So once a run has ended and the next run has ended too (the tool results that follow
an intermediate ``RUN_FINISHED`` come in between), its ``_Msg`` / ``_Call`` objects are
*retired*: each becomes one tuple of strings (:data:`_FinishedMsg`, :data:`_FinishedCall`: the
run, the joined text a cumulative-``content`` fallback would need, …), which the collector stops
tracking. A frame that addresses a retired message or call brings it back as an object with the
same content (``_message`` / ``_call``; the delta fast paths see only live ones and leave the
rest to the handlers); such stragglers are retired again when the next run ends. What stays of
a finished run is strings: its id → session (run ids stay unique; ``MESSAGES_SNAPSHOT`` prunes
by session) and its AG-UI ``runId`` → latest canonical id (resumes, ``parentRunId``, a second
``RUN_FINISHED``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from ...events import (
    AppendReasoning,
    AppendText,
    AppendToolArguments,
    CloseSpan,
    Diagnose,
    EndMessage,
    EndRun,
    Event,
    KeepUnknown,
    MergeMetadata,
    OpenSpan,
    PatchState,
    RecordCustom,
    ReplaceMessages,
    ReportUsage,
    RequestApproval,
    RequestClientTool,
    SetReasoningSignature,
    SetState,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import UNSET, RunStatus, Severity
from .wire import (
    extra,
    is_mapping,
    json_text,
    parse_json,
    snapshot_messages,
    str_or_none,
    tanstack_meta,
    tool_error_text,
    usage_from_wire,
)

__all__ = ["AGUI_EVENT_TYPES", "LEGACY_CHUNK_TYPES", "TanStackDecoder"]

AGUI_EVENT_TYPES: Final = frozenset(
    {
        "RUN_STARTED",
        "RUN_FINISHED",
        "RUN_ERROR",
        "STEP_STARTED",
        "STEP_FINISHED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "TEXT_MESSAGE_CHUNK",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "TOOL_CALL_CHUNK",
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_MESSAGE_CHUNK",
        "REASONING_END",
        "REASONING_ENCRYPTED_VALUE",
        "THINKING_START",
        "THINKING_END",
        "THINKING_TEXT_MESSAGE_START",
        "THINKING_TEXT_MESSAGE_CONTENT",
        "THINKING_TEXT_MESSAGE_END",
        "STATE_SNAPSHOT",
        "STATE_DELTA",
        "MESSAGES_SNAPSHOT",
        "ACTIVITY_SNAPSHOT",
        "ACTIVITY_DELTA",
        "RAW",
        "CUSTOM",
    }
)
"""Every AG-UI event type (``@ag-ui/core`` ``EventType``)."""

LEGACY_CHUNK_TYPES: Final = frozenset(
    {
        "content",
        "thinking",
        "tool_call",
        "tool-input-available",
        "approval-requested",
        "tool_result",
        "done",
        "error",
    }
)

_REASONING_MARKERS: Final = frozenset(
    {
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_MESSAGE_CHUNK",
        "REASONING_END",
        "THINKING_START",
        "THINKING_TEXT_MESSAGE_START",
        "THINKING_TEXT_MESSAGE_CONTENT",
    }
)
# Frames that need no run of their own: before the first run they wait for it.
_RUNLESS: Final = frozenset({"CUSTOM", "RAW", "STATE_SNAPSHOT", "STATE_DELTA"})
_MAX_PENDING: Final = 256
_DEFAULT_SESSION: Final = "default"


@attrs.define(slots=True, eq=False)
class _Run:
    run_id: str
    session_id: str
    wire_id: str | None
    legacy: bool = False
    open_messages: int = 0
    message_ids: list[str] = attrs.field(factory=list)
    call_ids: list[str] = attrs.field(factory=list)  # calls created in this run
    steps: dict[str, str] = attrs.field(factory=dict)  # open step name → span id
    # Every step span id given in this run (run ids are unique, so span ids are unique once
    # they are unique in their run), and the last "#n" given per repeated step name.
    span_ids: set[str] = attrs.field(factory=set)
    step_suffix: dict[str, int] = attrs.field(factory=dict)
    # legacy runs
    message_id: str | None = None
    finish_reason: str | None = None
    last_was_done: bool = False
    done_seen: bool = False
    open_calls: list[str] = attrs.field(factory=list)


@attrs.define(slots=True, eq=False)
class _Msg:
    message_id: str
    run_id: str
    role: str
    open: bool = True
    segment: list[str] = attrs.field(factory=list)  # deltas of the segment, for the fallback
    step: str | None = None  # current thinking step
    thinking: dict[str | None, list[str]] = attrs.field(factory=dict)


@attrs.define(slots=True, eq=False)
class _Call:
    call_id: str
    run_id: str
    message_id: str | None
    args: list[str] = attrs.field(factory=list)  # argument deltas, for the fallback
    ended: bool = False


# A retired message / call of a finished run (module docstring, "State of finished runs").
# Plain tuples of strings on purpose: CPython stops tracking such a tuple at its first
# collection, so retired state costs full collections nothing (a live _Msg is three tracked
# objects, a _Call two, and their piece lists are traversed item by item).
_FinishedMsg = tuple[str, str, str, str | None, tuple[tuple[str | None, str], ...]]
"""``(run_id, role, segment text, step, ((thinking step, text), ...))``."""
_FinishedCall = tuple[str, str | None, str, bool]
"""``(run_id, message_id, arguments text, ended)``."""


def _pack_message(message: _Msg) -> _FinishedMsg:
    thinking = message.thinking
    steps = tuple((step, "".join(pieces)) for step, pieces in thinking.items()) if thinking else ()
    return (message.run_id, message.role, "".join(message.segment), message.step, steps)


def _unpack_message(message_id: str, done: _FinishedMsg) -> _Msg:
    run_id, role, text, step, thinking = done
    return _Msg(
        message_id,
        run_id,
        role,
        open=False,  # its run has ended (`open` only counts a live run's unended messages)
        segment=[text] if text else [],
        step=step,
        thinking={name: [piece] if piece else [] for name, piece in thinking},
    )


def _pack_call(call: _Call) -> _FinishedCall:
    return (call.run_id, call.message_id, "".join(call.args), call.ended)


def _unpack_call(call_id: str, done: _FinishedCall) -> _Call:
    run_id, message_id, text, ended = done
    return _Call(call_id, run_id, message_id, [text] if text else [], ended)


class TanStackDecoder:
    """Decode TanStack AI / AG-UI frames (parsed JSON objects) into canonical events.

    Detects: an AG-UI event type (upper case, :data:`AGUI_EVENT_TYPES`); a legacy chunk
    (:data:`LEGACY_CHUNK_TYPES`) whose shape is TanStack's — ``tool_call`` only with a
    ``toolCall`` object (Loom's ``tool_call`` has ``call_id``/``arguments``), ``error`` only with
    an ``error`` object; or the durable envelope ``{"id", "chunk"}`` around either.
    """

    name: ClassVar[str] = "tanstack"
    cursor_module: ClassVar[str | None] = "streamfold.formats.tanstack.cursor"

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}  # canonical run id → run, while it is open
        self._open: list[_Run] = []  # open AG-UI runs, in start order
        # Kept for finished runs too (strings only): every run id → its session, and each
        # AG-UI runId → its latest canonical run id (module docstring, "State of finished runs").
        self._run_sessions: dict[str, str] = {}
        self._by_wire: dict[str, str] = {}
        self._run_suffix: dict[str, int] = {}  # run id → the last "#n" given to its reruns
        self._last_run: _Run | None = None  # the AG-UI run started last
        self._legacy: _Run | None = None  # the open legacy run
        self._legacy_count = 0
        self._implicit_count = 0
        self._messages: dict[str, _Msg] = {}  # messages of open runs, and stragglers
        self._finished_messages: dict[str, _FinishedMsg] = {}  # retired messages
        # session id → its message ids (live or retired), so that a MESSAGES_SNAPSHOT prunes
        # its own session without visiting every other session's messages.
        self._session_messages: dict[str, dict[str, None]] = {}
        self._active: dict[str, None] = {}  # active assistant message ids, in start order
        self._reasoning: _Msg | None = None  # reasoning message with no assistant to join
        self._pending_step: str | None = None
        self._calls: dict[str, _Call] = {}  # calls of open runs, and stragglers
        self._finished_calls: dict[str, _FinishedCall] = {}  # retired calls
        self._last_finished: _Run | None = None  # its messages and calls are not retired yet
        # Messages and calls of finished runs that are live again (addressed by a late frame, or
        # created in a finished run): retired when the next run ends.
        self._stragglers: list[_Msg | _Call] = []
        self._chunk_message: str | None = None  # TEXT_MESSAGE_CHUNK without messageId
        self._chunk_call: str | None = None  # TOOL_CALL_CHUNK without toolCallId
        self._seen_reasoning = False
        self._session = _DEFAULT_SESSION
        self._pending: list[Mapping[str, Any]] = []
        self._synth = 0
        self.resume_cursor: str | None = None
        """The ``id`` of the last durable NDJSON envelope (the offset to resume after)."""

    # ------------------------------------------------------------------------------ detect

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> bool:
        kind = frame.get("type")
        if type(kind) is not str:
            if kind is None and "id" in frame:
                chunk = frame.get("chunk")
                return isinstance(chunk, Mapping) and TanStackDecoder.detect(chunk)
            return False
        if kind in AGUI_EVENT_TYPES:
            return True
        if kind not in LEGACY_CHUNK_TYPES:
            return False
        if kind == "tool_call":
            return isinstance(frame.get("toolCall"), Mapping)
        if kind == "error":
            return isinstance(frame.get("error"), Mapping)
        if kind == "done":
            return "finishReason" in frame or "usage" in frame
        if kind in ("content", "thinking"):
            return "delta" in frame or "content" in frame
        return "toolCallId" in frame  # tool_result, tool-input-available, approval-requested

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        kind = frame.get("type")
        if kind is None and isinstance(frame.get("chunk"), Mapping):
            envelope_id = frame.get("id")
            if type(envelope_id) is str or type(envelope_id) is int:
                self.resume_cursor = str(envelope_id)
            frame = frame["chunk"]
            kind = frame.get("type")
        # The hot paths: the delta frames (one per token, >90% of a stream) in the shape
        # TanStack sends them, for a known message / a known call still streaming. They give
        # exactly what the handlers (_text_content, _tool_args) would, without their lookups
        # and calls; any other shape falls through to the handlers.
        if kind == "TEXT_MESSAGE_CONTENT":
            delta = frame.get("delta")
            if type(delta) is str and delta and "metadata" not in frame:
                message_id = frame.get("messageId")
                message = self._messages.get(message_id) if type(message_id) is str else None
                if message is not None:
                    message.segment.append(delta)
                    return [AppendText(message.run_id, message.message_id, delta)]
        elif kind == "TOOL_CALL_ARGS":
            delta = frame.get("delta")
            if type(delta) is str and delta:
                call_id = frame.get("toolCallId")
                call = self._calls.get(call_id) if type(call_id) is str else None
                if call is not None and not call.ended:
                    call.args.append(delta)
                    return [AppendToolArguments(call.run_id, call.call_id, delta)]
        elif type(kind) is not str:
            return [_drop("missing_type", "frame has no string 'type'")]
        out: list[Event] = []
        if kind in LEGACY_CHUNK_TYPES:
            self._decode_legacy(kind, frame, out)
            return out
        if kind in _REASONING_MARKERS:
            self._seen_reasoning = True
        if (
            kind in _RUNLESS
            and self._last_run is None
            and self._legacy is None
            and len(self._pending) < _MAX_PENDING
        ):
            self._pending.append(frame)
            return out
        handler = _HANDLERS.get(kind)
        if handler is None:
            run = self._current_run(out)
            out.append(
                Diagnose(
                    "unknown_event_type",
                    f"AG-UI event {kind!r} is not applied; kept verbatim on the run",
                    Severity.INFO,
                    run_id=run.run_id,
                )
            )
            out.append(KeepUnknown(run.run_id, dict(frame)))
            return out
        handler(self, frame, out)
        return out

    def stream_done(self, frame_index: int) -> list[Event]:
        """``data: [DONE]``: the stream is over. The legacy run ends (with its last ``done``'s
        finish reason); open AG-UI runs end completed with finish reason ``stop``, as the
        reference client synthesizes a ``RUN_FINISHED``."""
        out: list[Event] = []
        self._flush_pending(out)
        if self._legacy is not None:
            self._end_legacy(self._legacy, RunStatus.COMPLETED, out)
        for run in list(self._open):
            self._end_run(run, out, RunStatus.COMPLETED, finish_reason="stop")
        return out

    def finish(self) -> list[Event]:
        out: list[Event] = []
        self._flush_pending(out)
        if self._legacy is not None:
            legacy = self._legacy
            if legacy.done_seen:
                self._end_legacy(legacy, RunStatus.COMPLETED, out)
            else:
                out.append(_unfinished(legacy.run_id))
                self._end_legacy(legacy, RunStatus.INCOMPLETE, out)
        for run in list(self._open):
            out.append(_unfinished(run.run_id))
            self._end_run(run, out, RunStatus.INCOMPLETE)
        return out

    # ------------------------------------------------------------------------ runs

    def _new_run_id(self, wire_id: str) -> str:
        """``wire_id``, or ``"<wire_id>#n"`` with the smallest free ``n >= 2`` when it is taken.

        Run ids are never freed, so the search resumes after the last ``n`` given: O(1) for
        the ``#2``, ``#3``, … of an agent loop that sends one ``RUN_FINISHED`` per model call
        under a single ``runId`` (a scan from 2 made that quadratic)."""
        if wire_id not in self._run_sessions:
            return wire_id
        n = self._run_suffix.get(wire_id, 1) + 1
        while f"{wire_id}#{n}" in self._run_sessions:
            n += 1
        self._run_suffix[wire_id] = n
        return f"{wire_id}#{n}"

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
        if self._open:
            return self._open[-1]
        if self._legacy is not None:
            return self._legacy
        return self._continuation(out)

    def _run_for_message(self, out: list[Event]) -> _Run:
        open_runs = self._open
        if len(open_runs) == 1:
            return open_runs[0]
        for run in open_runs:
            if run.open_messages == 0:
                return run
        if open_runs:
            return open_runs[-1]
        return self._continuation(out)

    def _flush_pending(self, out: list[Event]) -> None:
        """Apply the frames that waited for a run (to the current run, created if need be)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._current_run(out)
        for frame in pending:
            handler = _HANDLERS[frame["type"]]
            handler(self, frame, out)

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

    # ------------------------------------------------------------ finished runs' state

    def _release(self, run: _Run) -> None:
        """The run has ended. Retire the messages and calls of the run that ended before it,
        and the stragglers (module docstring, "State of finished runs"); this run's stay live
        until the next run ends, as the frames after TanStack's intermediate
        ``RUN_FINISHED(tool_calls)`` (the tool results) address them. Active messages stay live
        (a message of a finished run is active again after a ``TEXT_MESSAGE_START`` for it)."""
        self._runs.pop(run.run_id, None)
        previous, self._last_finished = self._last_finished, run
        if previous is not None:
            for message_id in previous.message_ids:
                message = self._messages.get(message_id)
                if message is not None and message.run_id == previous.run_id:
                    self._retire_message(message)
            for call_id in previous.call_ids:
                call = self._calls.get(call_id)
                if call is not None and call.run_id == previous.run_id:
                    self._retire_call(call)
            previous.message_ids = []
            previous.call_ids = []
        stragglers, self._stragglers = self._stragglers, []
        for item in stragglers:
            if isinstance(item, _Msg):
                if self._messages.get(item.message_id) is item:  # not deleted by a snapshot
                    self._retire_message(item)
            elif self._calls.get(item.call_id) is item:
                self._retire_call(item)

    def _retire_message(self, message: _Msg) -> None:
        if message.message_id in self._active or message is self._reasoning:
            self._stragglers.append(message)  # still routed to: stays live
            return
        del self._messages[message.message_id]
        self._finished_messages[message.message_id] = _pack_message(message)

    def _retire_call(self, call: _Call) -> None:
        del self._calls[call.call_id]
        self._finished_calls[call.call_id] = _pack_call(call)

    def _message(self, message_id: str) -> _Msg | None:
        """The message with this id, brought back if it was retired."""
        message = self._messages.get(message_id)
        if message is None:
            done = self._finished_messages.pop(message_id, None)
            if done is not None:
                message = self._messages[message_id] = _unpack_message(message_id, done)
                self._stragglers.append(message)
        return message

    def _call(self, call_id: str) -> _Call | None:
        """The tool call with this id, brought back if it was retired."""
        call = self._calls.get(call_id)
        if call is None:
            done = self._finished_calls.pop(call_id, None)
            if done is not None:
                call = self._calls[call_id] = _unpack_call(call_id, done)
                self._stragglers.append(call)
        return call

    def _known_message(self, message_id: str) -> bool:
        return message_id in self._messages or message_id in self._finished_messages

    def _known_call(self, call_id: str) -> bool:
        return call_id in self._calls or call_id in self._finished_calls

    def _add_message(self, run: _Run, message: _Msg) -> None:
        self._messages[message.message_id] = message
        session_messages = self._session_messages.get(run.session_id)
        if session_messages is None:
            session_messages = self._session_messages[run.session_id] = {}
        session_messages[message.message_id] = None
        if run.run_id in self._runs:
            run.message_ids.append(message.message_id)
        else:  # a snapshot's message for a finished run
            self._stragglers.append(message)

    def _add_call(
        self, call_id: str, run_id: str, message_id: str | None, *, ended: bool = False
    ) -> _Call:
        call = self._calls[call_id] = _Call(call_id, run_id, message_id, ended=ended)
        run = self._runs.get(run_id)
        if run is not None:
            run.call_ids.append(call_id)
        else:  # a call placed in a finished run
            self._stragglers.append(call)
        return call

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
        metadata = {"model": model} if type(model) is str else None
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
        usage = usage_from_wire(frame.get("usage"), tanstack_meta(frame).get("usage"))
        if usage is not None:
            out.append(ReportUsage(run.run_id, usage, mode="set"))
        status = RunStatus.COMPLETED
        outcome = frame.get("outcome")
        if is_mapping(outcome) and outcome.get("type") == "interrupt":
            status = self._interrupts(run, outcome.get("interrupts"), out)
        result = frame.get("result")
        if result is not None:
            out.append(RecordCustom(run.run_id, "result", result))
        reason = extra(frame, "finishReason")
        self._end_run(run, out, status, finish_reason=reason if type(reason) is str else None)

    def _interrupts(self, run: _Run, interrupts: Any, out: list[Event]) -> RunStatus:
        status = RunStatus.INTERRUPTED
        for interrupt in interrupts if isinstance(interrupts, list) else ():
            if not isinstance(interrupt, Mapping):
                continue
            meta = interrupt.get("metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            kind, reason = meta.get("kind"), interrupt.get("reason")
            call_id = str_or_none(interrupt.get("toolCallId"))
            interrupt_id = str_or_none(interrupt.get("id"))
            value = meta.get("input", {})
            if call_id is not None and (kind == "approval" or reason == "approval_required"):
                out.append(
                    RequestApproval(self._call_run(call_id, run), call_id, interrupt_id, value)
                )
                status = RunStatus.AWAITING_APPROVAL
            elif call_id is not None and (kind == "client_tool" or reason == "client_tool_input"):
                out.append(
                    RequestClientTool(
                        self._call_run(call_id, run),
                        call_id,
                        str_or_none(meta.get("toolName")),
                        value,
                        interrupt_id,
                    )
                )
            else:
                out.append(RecordCustom(run.run_id, "interrupt", dict(interrupt)))
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
        usage = usage_from_wire(frame.get("usage"), tanstack_meta(frame).get("usage"))
        for run in runs:
            if usage is not None:
                out.append(ReportUsage(run.run_id, usage, mode="set"))
            self._end_run(run, out, RunStatus.FAILED, error=text, error_code=code_text)

    # ------------------------------------------------------------------------ messages

    def _synthetic_id(self, base: str) -> str:
        self._synth += 1
        candidate = f"{base}#{self._synth}"
        while self._known_message(candidate):
            self._synth += 1
            candidate = f"{base}#{self._synth}"
        return candidate

    def _new_message(
        self,
        message_id: str,
        role: str,
        out: list[Event],
        metadata: dict[str, Any] | None = None,
        run: _Run | None = None,
    ) -> _Msg:
        if run is None:
            run = self._run_for_message(out)
        message = _Msg(message_id, run.run_id, role)
        self._add_message(run, message)
        run.open_messages += 1
        if role not in ("user", "system", "reasoning"):
            self._active[message_id] = None
            self._adopt_pending_step(message)
        out.append(StartMessage(run.run_id, message_id, role, metadata=metadata))
        return message

    def _adopt_pending_step(self, message: _Msg) -> None:
        if self._pending_step is not None:
            message.step = self._pending_step
            self._pending_step = None

    def _active_message(self) -> _Msg | None:
        if self._active:
            return self._messages[next(reversed(self._active))]
        return None

    def _text_message(self, message_id: str | None, out: list[Event]) -> _Msg:
        """The message a text event addresses (created when unknown, as the reference does)."""
        if message_id is not None:
            message = self._message(message_id)
            if message is not None:
                return message
            return self._new_message(message_id, "assistant", out)
        active = self._active_message()
        if active is not None:
            return active
        return self._new_message(self._synthetic_id("message"), "assistant", out)

    def _append_text(self, message: _Msg, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is str and delta:
            message.segment.append(delta)
            out.append(AppendText(message.run_id, message.message_id, delta))
            return
        piece = _fallback(message.segment, frame.get("content"))
        if piece:
            message.segment.append(piece)
            out.append(AppendText(message.run_id, message.message_id, piece))

    def _text_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId"))
        if message_id is None:
            out.append(_drop("invalid_field", "TEXT_MESSAGE_START without a messageId"))
            return
        metadata = _message_metadata(frame)
        message = self._message(message_id)
        if message is not None:
            if message.role not in ("user", "system", "reasoning"):
                self._active.setdefault(message_id, None)
            if metadata:
                out.append(MergeMetadata(message.run_id, metadata, message_id=message_id))
            return
        role = frame.get("role")
        self._new_message(message_id, role if type(role) is str else "assistant", out, metadata)

    def _text_content(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = self._text_message(str_or_none(frame.get("messageId")), out)
        metadata = _message_metadata(frame)
        if metadata:
            out.append(MergeMetadata(message.run_id, metadata, message_id=message.message_id))
        self._append_text(message, frame, out)

    def _text_end(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = self._message(str_or_none(frame.get("messageId")) or "")
        if message is None:
            out.append(
                Diagnose(
                    "unknown_message",
                    f"TEXT_MESSAGE_END for unknown message {frame.get('messageId')!r}; ignored",
                    Severity.WARNING,
                    dropped=True,
                )
            )
            return
        metadata = _message_metadata(frame)
        if metadata:
            out.append(MergeMetadata(message.run_id, metadata, message_id=message.message_id))
        if message.open:
            message.open = False
            run = self._runs.get(message.run_id)
            if run is not None and run.open_messages > 0:
                run.open_messages -= 1
        out.append(EndMessage(message.run_id, message.message_id))

    def _text_chunk(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId")) or self._chunk_message
        message = self._message(message_id) if message_id is not None else None
        if message is None:
            role = frame.get("role")
            message_id = message_id or self._synthetic_id("message")
            message = self._new_message(message_id, role if type(role) is str else "assistant", out)
        self._chunk_message = message_id
        self._append_text(message, frame, out)

    # ----------------------------------------------------------------------- reasoning

    def _reasoning_message(
        self, wire_id: str | None, out: list[Event], *, any_current: bool = False
    ) -> _Msg:
        """Where reasoning goes: the active assistant message; else the open reasoning message
        (the one for ``wire_id``, or any when ``any_current``); else a new reasoning message."""
        active = self._active_message()
        if active is not None:
            self._adopt_pending_step(active)
            return active
        current = self._reasoning
        if current is not None and (
            any_current or wire_id is None or wire_id == current.message_id
        ):
            return current
        known = self._message(wire_id) if wire_id is not None else None
        if known is not None:
            return known
        message_id = self._synthetic_id("reasoning")
        if wire_id is not None:
            message_id = wire_id
        message = self._new_message(message_id, "reasoning", out)
        self._adopt_pending_step(message)
        self._reasoning = message
        return message

    def _reasoning_delta(
        self, message: _Msg, step: str | None, delta: Any, content: Any, out: list[Event]
    ) -> None:
        buffer = message.thinking.get(step)
        if buffer is None:
            buffer = message.thinking[step] = []
        if type(delta) is str and delta:
            piece: str | None = delta
        else:
            piece = _fallback(buffer, content)
        if piece:
            buffer.append(piece)
            out.append(AppendReasoning(message.run_id, message.message_id, piece, step))

    def _reasoning_content(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("messageId"))
        message = self._reasoning_message(wire_id, out)
        step = message.step or wire_id
        if message.step is None:
            message.step = step
        self._reasoning_delta(message, step, frame.get("delta"), None, out)

    def _encrypted_value(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        value = frame.get("encryptedValue")
        entity = str_or_none(frame.get("entityId"))
        if type(value) is not str or not value:
            return
        if frame.get("subtype") == "tool-call":
            call = self._call(entity or "")
            if call is not None:
                out.append(
                    MergeMetadata(call.run_id, {"thoughtSignature": value}, call_id=call.call_id)
                )
            return
        message = self._reasoning_message(entity, out, any_current=True)
        step = message.step or entity
        out.append(
            SetReasoningSignature(message.run_id, message.message_id, encrypted=value, step_id=step)
        )

    def _step_started(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        step = _step_name(frame)
        run = self._current_run(out)
        if step is None:
            step = self._synthetic_id("step")
        if step not in run.steps:
            span_id = base = f"{run.run_id}/step:{step}"
            if span_id in run.span_ids:
                # A repeated step name: the next "#n" after the last one given for it (not a
                # search from #2 each time, which made a run's repeated steps quadratic).
                n = run.step_suffix.get(base, 1) + 1
                span_id = f"{base}#{n}"
                while span_id in run.span_ids:  # a step literally named like that
                    n += 1
                    span_id = f"{base}#{n}"
                run.step_suffix[base] = n
            run.span_ids.add(span_id)
            run.steps[step] = span_id
            out.append(OpenSpan(run.run_id, span_id, step))
        active = self._active_message()
        if active is not None:
            active.step = step
            self._pending_step = None
        else:
            self._pending_step = step

    def _step_finished(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        step = _step_name(frame)
        for run in self._open:
            span_id = run.steps.pop(step, None) if step is not None else None
            if span_id is not None:
                out.append(CloseSpan(run.run_id, span_id))
                break
        delta, content = extra(frame, "delta"), extra(frame, "content")
        if not self._seen_reasoning and (delta or content):
            message = self._reasoning_message(None, out)
            if step is not None and message.step is None:
                message.step = step
            self._reasoning_delta(message, step or message.step, delta, content, out)
        signature = extra(frame, "signature")
        if type(signature) is str and signature:
            owner = self._active_message() or self._reasoning
            if owner is not None:
                out.append(
                    SetReasoningSignature(
                        owner.run_id,
                        owner.message_id,
                        signature=signature,
                        step_id=owner.step or step,
                    )
                )

    # ----------------------------------------------------------------------- tool calls

    def _call_run(self, call_id: str, fallback: _Run) -> str:
        call = self._call(call_id)
        return call.run_id if call is not None else fallback.run_id

    def _tool_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(_drop("invalid_field", "TOOL_CALL_START without a toolCallId"))
            return
        name = str_or_none(frame.get("toolCallName")) or str_or_none(frame.get("toolName"))
        metadata = frame.get("metadata")
        self._start_call(
            call_id,
            name,
            str_or_none(frame.get("parentMessageId")),
            dict(metadata) if is_mapping(metadata) else None,
            out,
        )

    def _start_call(
        self,
        call_id: str,
        name: str | None,
        parent_id: str | None,
        metadata: dict[str, Any] | None,
        out: list[Event],
    ) -> _Call:
        known = self._call(call_id)
        if known is not None and known.message_id is not None:
            # A duplicate START: the reducer keeps the first and records a diagnostic.
            out.append(StartToolCall(known.run_id, call_id, name, known.message_id))
            return known
        if parent_id is not None:
            message = self._message(parent_id) or self._new_message(parent_id, "assistant", out)
        else:
            message = self._active_message() or self._new_message(
                self._synthetic_id("message"), "assistant", out
            )
        message.segment = []  # text after a tool call is a new segment
        if known is not None:  # arguments arrived first: attach the kept call
            out.append(
                StartToolCall(known.run_id, call_id, name, message.message_id, None, metadata)
            )
            known.message_id = message.message_id
            return known
        run_id = message.run_id
        if run_id not in self._runs and self._open:  # the message's run has ended
            run_id = self._open[-1].run_id
        call = self._add_call(call_id, run_id, message.message_id)
        out.append(StartToolCall(run_id, call_id, name, message.message_id, None, metadata))
        return call

    def _known_or_orphan(self, call_id: str, out: list[Event]) -> _Call:
        call = self._call(call_id)
        if call is None:
            # Arguments for a call that never started: kept (the reducer records the call
            # with an unknown_tool_call diagnostic), outside any message until a START says
            # where it belongs.
            call = self._add_call(call_id, self._current_run(out).run_id, None)
        return call

    def _tool_args(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(_drop("invalid_field", "TOOL_CALL_ARGS without a toolCallId"))
            return
        self._append_args(
            self._known_or_orphan(call_id, out), frame.get("delta"), frame.get("args"), out
        )

    def _append_args(self, call: _Call, delta: Any, cumulative: Any, out: list[Event]) -> None:
        if type(delta) is str and delta:
            piece: str | None = delta
        else:
            piece = _fallback(call.args, cumulative)
        if not piece:
            return
        if call.ended:
            out.append(
                Diagnose(
                    "tool_args_after_end",
                    f"arguments for tool call {call.call_id!r} after its TOOL_CALL_END; appended",
                    Severity.WARNING,
                    run_id=call.run_id,
                )
            )
        call.args.append(piece)
        out.append(AppendToolArguments(call.run_id, call.call_id, piece))

    def _tool_end(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(_drop("invalid_field", "TOOL_CALL_END without a toolCallId"))
            return
        call = self._known_or_orphan(call_id, out)
        result = frame.get("result")
        if not call.ended:
            call.ended = True
            value = extra(frame, "input")
            name = str_or_none(frame.get("toolName")) or str_or_none(extra(frame, "toolCallName"))
            if value is None:
                out.append(SetToolArguments(call.run_id, call_id, name=name))
            elif not call.args:
                text = json_text(value)
                call.args.append(text)
                out.append(SetToolArguments(call.run_id, call_id, text, value, name=name))
            else:
                out.append(SetToolArguments(call.run_id, call_id, None, value, name=name))
        elif result is None:
            out.append(
                Diagnose(
                    "duplicate_tool_call_end",
                    f"second TOOL_CALL_END for tool call {call_id!r}; ignored",
                    Severity.INFO,
                    run_id=call.run_id,
                )
            )
        if result is not None:  # era B: the engine's END carries the executed tool's result
            self._result(call, result, False, out)

    def _result(self, call: _Call, content: Any, is_error: bool, out: list[Event]) -> None:
        text = content if type(content) is str else json_text(content)
        value = parse_json(text)
        out.append(
            SetToolResult(
                call.run_id,
                call.call_id,
                text,
                is_error=is_error,
                error=tool_error_text(value, text) if is_error else None,
                value=value,
            )
        )

    def _tool_result(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId"))
        if call_id is None:
            out.append(_drop("invalid_field", "TOOL_CALL_RESULT without a toolCallId"))
            return
        call = self._known_or_orphan(call_id, out)
        is_error = extra(frame, "state") == "output-error"
        self._result(call, frame.get("content", ""), is_error, out)

    def _tool_chunk(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = str_or_none(frame.get("toolCallId")) or self._chunk_call
        if call_id is None:
            out.append(_drop("invalid_field", "TOOL_CALL_CHUNK without a toolCallId"))
            return
        call = self._call(call_id)
        if call is None or call.message_id is None:
            name = str_or_none(frame.get("toolCallName")) or str_or_none(frame.get("toolName"))
            parent = str_or_none(frame.get("parentMessageId"))
            call = self._start_call(call_id, name, parent, None, out)
        self._chunk_call = call_id
        self._append_args(call, frame.get("delta"), None, out)

    # ------------------------------------------------------------------- snapshots, misc

    def _messages_snapshot(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        messages = frame.get("messages")
        if not isinstance(messages, list):
            out.append(_drop("invalid_field", "MESSAGES_SNAPSHOT without a messages list"))
            return
        run = self._open[-1] if self._open else self._last_run or self._current_run(out)
        snapshot = snapshot_messages(
            messages, self._known_call, lambda: self._synthetic_id("message")
        )
        out.append(ReplaceMessages(run.run_id, snapshot))
        # Mirror what the reducer now holds: the session's other messages are gone. The work is
        # proportional to the session's messages (the snapshot's size plus those it removes).
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
            out.append(_drop("invalid_field", "STATE_DELTA delta is not a JSON Patch list"))
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

    def _tool_request(
        self, kind: str, value: Mapping[str, Any], run: _Run, out: list[Event]
    ) -> None:
        call_id = str_or_none(value.get("toolCallId"))
        if call_id is None:
            out.append(_drop("invalid_field", f"{kind} without a toolCallId"))
            return
        run_id = self._call_run(call_id, run)
        tool_input = value.get("input", UNSET)
        if kind == "tool-input-available":
            name = str_or_none(value.get("toolName"))
            out.append(RequestClientTool(run_id, call_id, name, tool_input))
        else:
            approval = value.get("approval")
            approval_id = str_or_none(approval.get("id")) if isinstance(approval, Mapping) else None
            out.append(RequestApproval(run_id, call_id, approval_id, tool_input))

    def _raw(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._current_run(out)
        value = {k: v for k, v in frame.items() if k != "type"}
        out.append(RecordCustom(run.run_id, "RAW", value))

    def _ignore(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """REASONING_START/… markers: nothing to apply (they only switch off STEP thinking)."""

    def _keep(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._current_run(out)
        out.append(
            Diagnose(
                "unsupported_event",
                f"{frame.get('type')} is not modelled; kept verbatim on the run",
                Severity.INFO,
                run_id=run.run_id,
            )
        )
        out.append(KeepUnknown(run.run_id, dict(frame)))

    # --------------------------------------------------------------------------- legacy

    def _legacy_run(self, frame: Mapping[str, Any], out: list[Event]) -> _Run:
        run = self._legacy
        if run is None:
            self._legacy_count += 1
            run_id = self._new_run_id(f"tanstack-legacy#{self._legacy_count}")
            run = _Run(run_id, _DEFAULT_SESSION, None, legacy=True)
            self._runs[run_id] = run
            self._run_sessions[run_id] = _DEFAULT_SESSION
            self._legacy = run
            model = frame.get("model")
            out.append(
                StartRun(
                    _DEFAULT_SESSION,
                    run_id,
                    metadata={"model": model} if type(model) is str else None,
                )
            )
        return run

    def _legacy_message(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> _Msg:
        if run.message_id is not None:
            message = self._message(run.message_id)
            if message is not None:
                return message
            # A MESSAGES_SNAPSHOT left it out (and removed it): the text goes on in a new one.
            run.message_id = None
        wire_id = str_or_none(frame.get("id"))
        if wire_id is None or self._known_message(wire_id):
            wire_id = self._synthetic_id(wire_id or f"{run.run_id}/message")
        message = self._new_message(wire_id, "assistant", out, run=run)
        del self._active[wire_id]  # legacy routing is per run, not by the active message
        run.message_id = wire_id
        return message

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

    def _decode_legacy(self, kind: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        run = self._legacy_run(frame, out)
        was_done, run.last_was_done = run.last_was_done, kind == "done"
        if kind == "content":
            self._complete_legacy_calls(run, out)
            self._append_text(self._legacy_message(run, frame, out), frame, out)
        elif kind == "thinking":
            message = self._legacy_message(run, frame, out)
            self._reasoning_delta(message, None, frame.get("delta"), frame.get("content"), out)
        elif kind == "tool_call":
            self._legacy_tool_call(run, frame, out)
        elif kind == "tool_result":
            call_id = str_or_none(frame.get("toolCallId"))
            if call_id is None:
                out.append(_drop("invalid_field", "tool_result without a toolCallId"))
                return
            call = self._call(call_id)
            if call is None:
                call = self._add_call(call_id, run.run_id, None, ended=True)
            self._result(call, frame.get("content", ""), False, out)
        elif kind in ("tool-input-available", "approval-requested"):
            self._legacy_message(run, frame, out)
            self._tool_request(kind, frame, run, out)
        elif kind == "done":
            self._complete_legacy_calls(run, out)
            if was_done:
                out.append(
                    Diagnose(
                        "duplicate_done",
                        "a second 'done' right after the first (the legacy adapter sends two "
                        "per model call); its finish reason is not used",
                        Severity.INFO,
                        run_id=run.run_id,
                    )
                )
            else:
                reason = frame.get("finishReason")
                run.finish_reason = reason if type(reason) is str else None
            run.done_seen = True
            usage = usage_from_wire(frame.get("usage"))
            if usage is not None:
                out.append(ReportUsage(run.run_id, usage, mode="add"))
        else:  # error
            error = frame["error"]
            message = error.get("message")
            code = error.get("code")
            self._end_legacy(
                run,
                RunStatus.FAILED,
                out,
                error=message if type(message) is str else "An error occurred",
                error_code=None if code is None else str(code),
            )

    def _legacy_tool_call(self, run: _Run, frame: Mapping[str, Any], out: list[Event]) -> None:
        tool = frame["toolCall"]
        function = tool.get("function")
        function = function if isinstance(function, Mapping) else {}
        call_id = str_or_none(tool.get("id"))
        if call_id is None:
            index = frame.get("index")
            out.append(
                Diagnose(
                    "invalid_field",
                    "tool_call without toolCall.id; keyed by its index",
                    Severity.WARNING,
                    run_id=run.run_id,
                )
            )
            call_id = f"{run.run_id}/tool-index-{index}"
        name = str_or_none(function.get("name"))
        call = self._call(call_id)
        if call is None:
            message = self._legacy_message(run, frame, out)
            message.segment = []
            call = self._add_call(call_id, run.run_id, message.message_id)
            run.open_calls.append(call_id)
            out.append(StartToolCall(run.run_id, call_id, name, message.message_id))
        arguments = function.get("arguments")
        if type(arguments) is str and arguments:
            if call.ended:
                out.append(
                    Diagnose(
                        "tool_args_after_end",
                        f"arguments for tool call {call_id!r} after its input completed; appended",
                        Severity.WARNING,
                        run_id=run.run_id,
                    )
                )
            out.append(AppendToolArguments(call.run_id, call_id, arguments))


_Handler = Any
_HANDLERS: Final[dict[str, _Handler]] = {
    "RUN_STARTED": TanStackDecoder._run_started,
    "RUN_FINISHED": TanStackDecoder._run_finished,
    "RUN_ERROR": TanStackDecoder._run_error,
    "STEP_STARTED": TanStackDecoder._step_started,
    "STEP_FINISHED": TanStackDecoder._step_finished,
    "TEXT_MESSAGE_START": TanStackDecoder._text_start,
    "TEXT_MESSAGE_CONTENT": TanStackDecoder._text_content,
    "TEXT_MESSAGE_END": TanStackDecoder._text_end,
    "TEXT_MESSAGE_CHUNK": TanStackDecoder._text_chunk,
    "TOOL_CALL_START": TanStackDecoder._tool_start,
    "TOOL_CALL_ARGS": TanStackDecoder._tool_args,
    "TOOL_CALL_END": TanStackDecoder._tool_end,
    "TOOL_CALL_RESULT": TanStackDecoder._tool_result,
    "TOOL_CALL_CHUNK": TanStackDecoder._tool_chunk,
    "REASONING_START": TanStackDecoder._ignore,
    "REASONING_MESSAGE_START": TanStackDecoder._ignore,
    "REASONING_MESSAGE_CONTENT": TanStackDecoder._reasoning_content,
    "REASONING_MESSAGE_CHUNK": TanStackDecoder._reasoning_content,
    "REASONING_MESSAGE_END": TanStackDecoder._ignore,
    "REASONING_END": TanStackDecoder._ignore,
    "REASONING_ENCRYPTED_VALUE": TanStackDecoder._encrypted_value,
    "THINKING_START": TanStackDecoder._ignore,
    "THINKING_END": TanStackDecoder._ignore,
    "THINKING_TEXT_MESSAGE_START": TanStackDecoder._ignore,
    "THINKING_TEXT_MESSAGE_CONTENT": TanStackDecoder._reasoning_content,
    "THINKING_TEXT_MESSAGE_END": TanStackDecoder._ignore,
    "STATE_SNAPSHOT": TanStackDecoder._state_snapshot,
    "STATE_DELTA": TanStackDecoder._state_delta,
    "MESSAGES_SNAPSHOT": TanStackDecoder._messages_snapshot,
    "ACTIVITY_SNAPSHOT": TanStackDecoder._keep,
    "ACTIVITY_DELTA": TanStackDecoder._keep,
    "RAW": TanStackDecoder._raw,
    "CUSTOM": TanStackDecoder._custom,
}


# ----------------------------------------------------------------------------------- helpers


def _fallback(pieces: list[str], content: Any) -> str | None:
    """The era-B cumulative fallback (module docstring): what ``content`` adds to the text of
    ``pieces`` (joined here, once, and kept joined)."""
    if type(content) is not str or not content:
        return None
    cur = "".join(pieces)
    pieces[:] = [cur] if cur else []
    if content.startswith(cur):
        return content[len(cur) :]
    if cur.startswith(content):
        return None
    return content


def _message_metadata(frame: Mapping[str, Any]) -> dict[str, Any] | None:
    """Event metadata for the message, without the per-delta ``tanstack.content``/``args``
    leftovers (the reference's ``mergeMessageMetadata``)."""
    metadata = frame.get("metadata")
    if not is_mapping(metadata) or not metadata:
        return None
    result = dict(metadata)
    tanstack = result.get("tanstack")
    if is_mapping(tanstack) and ("content" in tanstack or "args" in tanstack):
        result["tanstack"] = {k: v for k, v in tanstack.items() if k not in ("content", "args")}
    return result


def _step_name(frame: Mapping[str, Any]) -> str | None:
    return (
        str_or_none(frame.get("stepName"))
        or str_or_none(frame.get("stepId"))
        or str_or_none(tanstack_meta(frame).get("stepId"))
    )


def _drop(code: str, message: str, run_id: str | None = None) -> Diagnose:
    return Diagnose(code, message, Severity.ERROR, dropped=True, run_id=run_id)


def _unfinished(run_id: str) -> Diagnose:
    return Diagnose(
        "run_not_finished",
        f"the stream ended before run {run_id!r} finished",
        Severity.WARNING,
        run_id=run_id,
    )

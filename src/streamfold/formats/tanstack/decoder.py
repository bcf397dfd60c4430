"""TanStack AI and AG-UI stream decoder: three wire eras, one set of canonical events.

Accepts what TanStack AI servers have sent over time, auto-detected per frame
(docs/tanstack.md; references below are to that file), and any spec AG-UI
server:

* **A. legacy chunks** (``@tanstack/ai`` ≤ 0.2): ``content``, ``thinking``, ``tool_call``,
  ``tool-input-available``, ``approval-requested``, ``tool_result``, ``done``, ``error``
  (TanStack AI's ``types.ts``, summarised in ``docs/tanstack.md``);
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
  assistant message, as the reference folds reasoning messages
  (docs/tanstack.md#run-end-and-errors).
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
from typing import TYPE_CHECKING, Any, ClassVar, Final

from ...events import (
    AppendText,
    AppendToolArguments,
    Diagnose,
    Event,
    KeepUnknown,
)
from ...model import RunStatus, Severity
from .. import DecoderBase
from .._common import drop, keep_unknown_type
from .legacy import _Legacy
from .runs import _unfinished
from .sessions import AguiSessions
from .snapshots import _Snapshots
from .vocab import (
    _MAX_PENDING,
    _REASONING_MARKERS,
    _RUNLESS,
    KNOWN_FIELDS,
    LEGACY_CHUNK_TYPES,
)
from .vocab import detect as _detect
from .wire_time import frame_time as _frame_time

__all__ = ["TanStackDecoder"]


class TanStackDecoder(_Snapshots, _Legacy, DecoderBase):
    """Decode TanStack AI / AG-UI frames (parsed JSON objects) into canonical events.

    Detects: an AG-UI event type (upper case, :data:`AGUI_EVENT_TYPES`); a legacy chunk
    (:data:`LEGACY_CHUNK_TYPES`) whose shape is TanStack's — ``tool_call`` only with a
    ``toolCall`` object (Loom's ``tool_call`` has ``call_id``/``arguments``), ``error`` only with
    an ``error`` object; or the durable envelope ``{"id", "chunk"}`` around either.
    """

    name: ClassVar[str] = "tanstack"
    cursor_module: ClassVar[str | None] = "streamfold.formats.tanstack.cursor"

    if TYPE_CHECKING:  # mypy does not see a staticmethod() assignment as a static method

        @staticmethod
        def detect(frame: Mapping[str, Any]) -> float: ...

    else:
        detect = staticmethod(_detect)  # vocab.detect itself: no extra call per frame

    frame_time = staticmethod(_frame_time)  # the wire's timestamp (docs/transcript.md, "Time")

    # ------------------------------------------------------------------------------ entry

    @staticmethod
    def session_keys() -> AguiSessions:
        """AG-UI's session keys for a log: the thread, followed through run, message and tool
        call ids for frames that do not name it (:mod:`.sessions`)."""
        return AguiSessions()

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one TanStack / AG-UI frame (docs/tanstack.md, docs/agui.md): AG-UI
        1.0 events, the legacy chunks of every era and the durable ``{"id", "chunk"}`` envelope;
        text and argument deltas take a fast path; frames that come before any run wait for one.
        Never raises on sender input."""
        kind = frame.get("type")
        if kind is None and isinstance(frame.get("chunk"), Mapping):
            envelope_id = frame.get("id")
            if type(envelope_id) is str or type(envelope_id) is int:
                self.resume_cursor = str(envelope_id)
            frame = frame["chunk"]
            kind = frame.get("type")
        # The hot paths: the delta frames (one per token, >90% of a stream) in the shape
        # TanStack sends them (type, id, delta and at most a timestamp; any other field goes to
        # the handlers, which check for unknown fields), for a known message / a known call
        # still streaming. They give exactly what the handlers (_text_content, _tool_args)
        # would, without their lookups and calls; any other shape falls through to them.
        if kind == "TEXT_MESSAGE_CONTENT":
            delta = frame.get("delta")
            if (
                type(delta) is str
                and delta
                and "metadata" not in frame
                and (len(frame) == 3 or (len(frame) == 4 and "timestamp" in frame))
            ):
                message_id = frame.get("messageId")
                message = self._messages.get(message_id) if type(message_id) is str else None
                if message is not None:
                    message.segment.append(delta)
                    return [AppendText(message.run_id, message.message_id, delta)]
        elif kind == "TOOL_CALL_ARGS":
            delta = frame.get("delta")
            if (
                type(delta) is str
                and delta
                and (len(frame) == 3 or (len(frame) == 4 and "timestamp" in frame))
            ):
                call_id = frame.get("toolCallId")
                call = self._calls.get(call_id) if type(call_id) is str else None
                if call is not None and not call.ended:
                    call.args.append(delta)
                    return [AppendToolArguments(call.run_id, call.call_id, delta)]
        elif type(kind) is not str:
            return [drop("missing_type", "frame has no string 'type'")]
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
            self._pending_index.append(frame_index)
            return out
        handler = _HANDLERS.get(kind)
        if handler is None:
            run = self._current_run(out)
            text = f"AG-UI event {kind!r} is not applied; kept verbatim on the run"
            keep_unknown_type(out, run.run_id, frame, text)
            return out
        subagent = frame.get("subagentRunId")
        if type(subagent) is str and kind not in _SUBAGENT_EVENTS:
            self._route = self._subagent(subagent, out)
        try:
            handler(self, frame, out)
        finally:
            self._route = None
        known = KNOWN_FIELDS.get(kind)
        if known is not None and not known.issuperset(frame):
            self._unknown_field(kind, frame, known, out)
        return out

    def _unknown_field(
        self, kind: str, frame: Mapping[str, Any], known: frozenset[str], out: list[Event]
    ) -> None:
        """Fields no AG-UI 1.0 or TanStack event has: the frame was applied without them; the
        first frame per (event type, field) is kept verbatim on the run with an
        ``unknown_field`` diagnostic (docs/agui.md, "Unknown input")."""
        new = [
            name for name in frame if name not in known and (kind, name) not in self._unknown_fields
        ]
        if not new:
            return
        self._unknown_fields.update((kind, name) for name in new)
        run = self._open[-1] if self._open else self._last_run or self._legacy
        names = ", ".join(repr(name) for name in new)
        out.append(
            Diagnose(
                "unknown_field",
                f"{kind} has fields no AG-UI 1.0 or TanStack event has: {names}; the frame is "
                "applied without them and kept verbatim on the run (reported once per event "
                "type and field)",
                Severity.INFO,
                run_id=run.run_id if run is not None else None,
            )
        )
        if run is not None:
            out.append(KeepUnknown(run.run_id, dict(frame)))

    def end_of_stream(self, frame_index: int) -> list[Event]:
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
        """End of input: frames still waiting for a run are applied; the legacy run ends
        ``completed`` if it had its ``done``, and every open run not finished by its sender ends
        ``incomplete`` with a ``run_not_finished`` warning."""
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
    "ACTIVITY_SNAPSHOT": TanStackDecoder._activity_snapshot,
    "ACTIVITY_DELTA": TanStackDecoder._activity_delta,
    "SUBAGENT_STARTED": TanStackDecoder._subagent_started,
    "SUBAGENT_FINISHED": TanStackDecoder._subagent_finished,
    "SUBAGENT_ERROR": TanStackDecoder._subagent_error,
    "RAW": TanStackDecoder._raw,
    "CUSTOM": TanStackDecoder._custom,
}
TanStackDecoder._handlers = _HANDLERS


_SUBAGENT_EVENTS: Final = frozenset({"SUBAGENT_STARTED", "SUBAGENT_FINISHED", "SUBAGENT_ERROR"})

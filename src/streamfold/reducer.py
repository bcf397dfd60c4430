"""The reducer: a sans-IO state machine that folds frames into one :class:`Conversation`.

Rules of this module (the h11 ``_state.py`` habit):

* Everything that changes the model happens here, in one ``_apply_*`` method per canonical
  event type. Decoders (:mod:`streamfold.formats`) say what a frame means; they never touch the
  model. The reducer never looks at a wire format.
* No I/O, no clock, no threads. Time and bytes enter only as arguments.
* Per frame, work is proportional to the frame: text and tool arguments are appended to
  :class:`~streamfold.model.TextBuffer` pieces, nothing accumulated is re-read.
* Nothing is lost. Every frame is either applied or kept in ``conversation.diagnostics`` with its
  raw text (``frames_applied + frames_dropped == frames_in`` at all times).
* Lenient by default: a bad frame becomes a :class:`~streamfold.model.Diagnostic` and reduction
  goes on. ``strict=True`` raises :class:`~streamfold.errors.ProtocolError` instead, before the
  offending frame is applied, and the reducer then refuses further input (like h11's ERROR state).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

import orjson

from . import events as ev
from .errors import FramingError, ProtocolError, UsageError
from .formats import Decoder, make_decoder
from .formats.select import non_json_rule, select_decoder
from .framing.detect import WireFraming
from .framing.frame import Frame
from .framing.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter, OversizedLine
from .framing.sse import DONE, SSEEvent, SSESplitter
from .model import (
    UNSET,
    Approval,
    Checkpoint,
    Conversation,
    CustomEvent,
    Diagnostic,
    Message,
    Part,
    ReasoningPart,
    Run,
    RunStatus,
    SearchTree,
    Session,
    Severity,
    Span,
    SpanStatus,
    TaskNode,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
    TotStep,
    Usage,
    _appended,
)
from .notifications import (
    CheckpointSaved,
    ClientToolRequested,
    CustomEventReceived,
    Evicted,
    MessageCompleted,
    MessagesReplaced,
    MessageStarted,
    Notification,
    ReasoningDelta,
    ReplyReceived,
    RunFinished,
    RunStarted,
    SearchTreeUpdated,
    SessionStarted,
    SpanEntered,
    SpanExited,
    StateUpdated,
    TextDelta,
    TextReplaced,
    ToolCallArgumentsDelta,
    ToolCallIdChanged,
    ToolCallStarted,
    ToolCallStateChanged,
    ToolOutputDelta,
    Truncated,
    UsageUpdated,
)

__all__ = ["Reducer"]

_Notes = list[Notification]

DEFAULT_MAX_TEXT_CHARS: Final = 16 * 1024 * 1024
DEFAULT_MAX_OPEN_RUNS: Final = 10_000

_S = ToolCallState
_F = TypeVar("_F")  # a frame as a splitter yields it: a line, an SSE event, an OversizedLine
_INPUT_OPEN: Final = frozenset({_S.AWAITING_INPUT, _S.INPUT_STREAMING})
_UNFINISHED_EXECUTION: Final = frozenset({_S.EXECUTING})


class Reducer:
    """Fold frames of one or more wire formats into a :class:`~streamfold.model.Conversation`.

    >>> r = Reducer()
    >>> notes = r.feed_line('{"type":"node_enter","id":"think"}')
    >>> [type(n).__name__ for n in notes]
    ['SessionStarted', 'RunStarted', 'SpanEntered']

    Parameters:
        format: a format name (``"loom"``, …; see :data:`streamfold.formats.FORMATS`) or
            ``None`` to detect the format of each frame. Unknown names raise
            :class:`~streamfold.errors.UsageError`.
        strict: raise :class:`~streamfold.errors.ProtocolError` on the first WARNING or ERROR
            diagnostic instead of recording it.
        max_line_bytes: NDJSON lines longer than this are skipped (not buffered whole) and
            reported as ``line_too_long``.
        max_diagnostics: how many diagnostics ``conversation.diagnostics`` keeps (a ring; older
            ones are counted in ``conversation.diagnostics_evicted``).
        max_raw_chars: how much of a frame's raw text a diagnostic keeps.
        decoders: ready-made decoders by format name, for formats with options (e.g.
            ``{"nnrp": NnrpDecoder(range_mode="inclusive")}``); other formats get defaults.
        max_text_chars: the most characters kept per text part, reasoning part, tool-call
            arguments and tool output (default 16 Mi); the rest is dropped with a
            :class:`~streamfold.notifications.Truncated` notification and a ``truncated``
            diagnostic, and counted in the buffer's ``dropped``.
        max_open_runs: the most runs open at once (default 10,000); starting one more ends the
            oldest open run as ``incomplete`` (a ``run_evicted`` diagnostic).
        max_sessions: keep at most this many sessions (default: no limit); when a new session
            would exceed it, the oldest *finished* session leaves the model with an
            :class:`~streamfold.notifications.Evicted` notification carrying it. For
            transcript jobs over logs larger than memory.
    """

    def __init__(
        self,
        format: str | None = None,
        *,
        strict: bool = False,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_diagnostics: int = 10_000,
        max_raw_chars: int = 4096,
        decoders: Mapping[str, Decoder] | None = None,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        max_open_runs: int = DEFAULT_MAX_OPEN_RUNS,
        max_sessions: int | None = None,
    ) -> None:
        if max_diagnostics < 1 or max_raw_chars < 0:
            raise UsageError("max_diagnostics must be >= 1 and max_raw_chars >= 0")
        if (
            max_text_chars < 1
            or max_open_runs < 1
            or (max_sessions is not None and max_sessions < 1)
        ):
            raise UsageError("max_text_chars, max_open_runs and max_sessions must be >= 1")
        self.max_text_chars = max_text_chars
        self.max_open_runs = max_open_runs
        self.max_sessions = max_sessions
        self._open_runs: dict[str, Run] = {}  # in start order: the oldest is evicted first
        self.format = format
        self.strict = strict
        self.max_raw_chars = max_raw_chars
        self.conversation = Conversation(diagnostics=deque(maxlen=max_diagnostics))
        # At most 29 instance attributes: past that, CPython 3.11 stops sharing the instance
        # dict's keys and every self.attribute on the hot path gets ~15% slower. Derived or
        # rarely read values are properties (frames_applied, max_line_bytes).
        self.frames_in = 0
        """Frames offered so far (lines, SSE events, records, parsed objects)."""
        self.frames_dropped = 0
        """Frames not applied; each one has a ``dropped`` diagnostic with its raw text."""
        self._decoders: dict[str, Decoder] = dict(decoders) if decoders else {}
        self._last_decoder: tuple[str, Decoder] | None = None
        if format is not None:
            self._last_decoder = (format, self._decoder_for(format))
        try:
            self._splitter = LineSplitter(max_line_bytes)
            self._sse = SSESplitter(max_line_bytes)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.sse_last_event_id: str | None = None
        """The SSE resume cursor: the last ``id:`` seen by :meth:`feed_sse` (send it back as
        ``Last-Event-ID`` when reconnecting)."""
        self._closed = False
        self._failed: ProtocolError | None = None
        self._runs: dict[str, Run] = {}
        self._spans: dict[str, Span] = {}
        self._messages: dict[str, Message] = {}
        self._calls: dict[tuple[str, str], ToolCall] = {}
        self._latest_call: dict[str, ToolCall] = {}
        self._usage_set: dict[str, Usage] = {}
        self._seq = 0  # Message.seq of the next message
        # Per-frame context, for diagnostics and timelines.
        self._index = -1
        self._frame: Mapping[str, Any] | None = None
        self._raw: bytes | str | None = None
        self._dropped = False
        self._apply = self._dispatch_table()

    def _dispatch_table(self) -> dict[type[Any], Callable[[Any, _Notes], None]]:
        """Canonical event type → the method that applies it (rebuilt after a restore)."""
        return {
            ev.StartRun: self._start_run,
            ev.EndRun: self._end_run,
            ev.SetReply: self._set_reply,
            ev.OpenSpan: self._open_span,
            ev.CloseSpan: self._close_span,
            ev.StartMessage: self._start_message,
            ev.AppendText: self._append_text,
            ev.ReplaceText: self._replace_text,
            ev.AppendReasoning: self._append_reasoning,
            ev.SetReasoningSignature: self._set_reasoning_signature,
            ev.EndMessage: self._end_message,
            ev.ReplaceMessages: self._replace_messages,
            ev.MergeMetadata: self._merge_metadata,
            ev.StartToolCall: self._start_tool_call,
            ev.AppendToolArguments: self._append_tool_arguments,
            ev.SetToolArguments: self._set_tool_arguments,
            ev.AdoptToolCallId: self._adopt_tool_call_id,
            ev.RequestApproval: self._request_approval,
            ev.RequestClientTool: self._request_client_tool,
            ev.RespondApproval: self._respond_approval,
            ev.StartToolExecution: self._start_tool_execution,
            ev.AppendToolOutput: self._append_tool_output,
            ev.SetToolResult: self._set_tool_result,
            ev.ReportUsage: self._report_usage,
            ev.SetState: self._set_state,
            ev.PatchState: self._patch_state,
            ev.SaveCheckpoint: self._save_checkpoint,
            ev.RecordCustom: self._record_custom,
            ev.RecordSearch: self._record_search,
            ev.KeepUnknown: self._keep_unknown,
            ev.MarkMissing: self._mark_missing,
            ev.Diagnose: self._diagnose,
        }

    # -------------------------------------------------------------------------- persistence

    _TRANSIENT: Final = frozenset({"_apply", "_frame", "_raw", "_dropped"})

    def _persistent_state(self) -> dict[str, Any]:
        """Everything that defines this reducer, for :mod:`streamfold.persist` (the per-frame
        context is left out: a snapshot is always taken between frames)."""
        return {k: v for k, v in vars(self).items() if k not in self._TRANSIENT}

    @classmethod
    def _from_persistent_state(cls, state: Mapping[str, Any]) -> Reducer:
        reducer = cls.__new__(cls)
        for name, value in state.items():  # setattr in __init__'s order keeps the dict's keys
            setattr(reducer, name, value)  # shared, as in a reducer built by __init__
        reducer._frame, reducer._raw, reducer._dropped = None, None, False
        reducer._apply = reducer._dispatch_table()
        return reducer

    def snapshot(self) -> dict[str, Any]:
        """This reducer's complete state as JSON-safe data; see :mod:`streamfold.persist`."""
        from .persist import snapshot

        return snapshot(self)

    @classmethod
    def from_snapshot(cls, data: Any) -> Reducer:
        """A reducer that continues exactly where the snapshotted one stopped.

        ``data`` is :meth:`snapshot` output or its JSON bytes. Raises
        :class:`~streamfold.persist.SnapshotError` for an unsupported version or damaged data.
        """
        from .persist import from_bytes, restore

        if isinstance(data, bytes | bytearray | memoryview):
            return from_bytes(bytes(data))
        return restore(data)

    # ------------------------------------------------------------------------- public API

    def feed(self, frame: Mapping[str, Any], *, raw: bytes | str | None = None) -> _Notes:
        """Apply one parsed frame (a JSON object) and return what changed.

        ``raw`` is the frame's text as received, kept in diagnostics; when omitted it is
        re-serialized from ``frame`` only if a diagnostic needs it.
        """
        # The body of the per-frame hot path: _check_usable and the decode step are inlined
        # (two calls fewer per frame, about 0.1 µs of a Loom text delta's 2.5 µs).
        if self._closed or self._failed is not None:
            self._check_usable()
        self._index += 1
        self.frames_in += 1
        self._frame, self._raw, self._dropped = frame, raw, False
        notes: _Notes = []
        received: object = frame  # typed as a Mapping, but callers may pass anything
        if type(received) is not dict and not isinstance(received, Mapping):
            self._reject(
                "not_an_object", f"frame is a {type(received).__name__}, not an object", notes
            )
            self.frames_dropped += 1
            return notes
        try:
            last = self._last_decoder
            if last is not None and (self.format is not None or last[1].detect(frame)):
                decoder: Decoder | None = last[1]
            else:
                decoder = self._pick_decoder(frame)
            if decoder is None:
                self._reject("unknown_format", "no known format accepts this frame", notes)
                self.frames_dropped += 1
                return notes
            events = decoder.decode(frame, self._index)
        except ProtocolError:
            raise
        except Exception as exc:  # a decoder bug must not take the caller down (never crash)
            self._reject("decoder_error", f"{type(exc).__name__}: {exc}", notes)
            self.frames_dropped += 1
            return notes
        if self.strict:
            for event in events:
                if isinstance(event, ev.Diagnose) and event.severity is not Severity.INFO:
                    self._fail(self._make_diagnostic(event))
        apply = self._apply
        for event in events:
            apply[type(event)](event, notes)
        if self._dropped:
            self.frames_dropped += 1
        return notes

    def feed_line(self, line: bytes | str) -> _Notes:
        """Parse one JSON text (an NDJSON line, an SSE data payload) and apply it.

        Text that is not JSON is kept as a ``not_json`` diagnostic, or as the stream's format
        records it (:meth:`~streamfold.formats.Decoder.non_json`; the Loom REPL's prompts are
        INFO ``repl_output``, ``docs/loom.md``). A line with text before its JSON object (a
        ``> `` prompt on the same stdout line) is applied from its first ``{`` with an INFO
        ``text_before_json`` diagnostic.
        """
        try:
            frame = orjson.loads(line)
        except orjson.JSONDecodeError:
            return self._feed_non_json(line)
        if type(frame) is dict:
            return self.feed(frame, raw=line)
        return self._feed_rejected(line, "not_an_object", "JSON value is not an object")

    def feed_bytes(self, data: bytes) -> _Notes:
        """Feed a chunk of an NDJSON byte stream (split anywhere). Complete lines are applied."""
        self._check_usable()
        notes: _Notes = []
        for line in self._splitter.feed(data):
            notes += self.feed_framed(line)
        return notes

    def feed_sse(self, data: bytes) -> _Notes:
        """Feed a chunk of a Server-Sent Events byte stream (split anywhere).

        Each dispatched event's data is applied as one JSON frame. ``data: [DONE]`` is recorded
        as an INFO ``sse_done`` diagnostic and handed to the current decoder's
        :meth:`~streamfold.formats.Decoder.end_of_stream` (TanStack ends the stream's open runs
        the way the reference client does, ``docs/tanstack.md``).
        """
        self._check_usable()
        notes: _Notes = []
        for event in self._sse.feed(data):
            notes += self.feed_sse_event(event)
        return notes

    def feed_sse_event(self, event: SSEEvent | OversizedLine) -> _Notes:
        """Apply one already-split SSE event (from :class:`~streamfold.framing.SSESplitter` or a
        recording): its data as a JSON frame, ``[DONE]`` as the stream's end marker."""
        if isinstance(event, OversizedLine):
            return self.feed_framed(event)
        self.sse_last_event_id = event.last_event_id
        data = event.data
        # framing.sse.is_done, inlined: no call, and no copy of every event's data.
        if len(data) < 64 and data.strip() == DONE:
            return self._feed_done(data)
        return self.feed_line(data)

    def feed_frame(self, frame: Frame) -> _Notes:
        """Apply one :class:`~streamfold.framing.Frame` (from a
        :class:`~streamfold.framing.FrameSplitter`, a recording or a replay) and return its
        notifications: the one entry for a frame split outside the reducer.

        Gives the same result as feeding the frame's original bytes through :meth:`feed_bytes`
        (``"line"`` frames) or :meth:`feed_sse` (``"sse"`` frames, ``[DONE]`` and the ``id:``
        cursor included); an ``oversized`` frame is a dropped ``line_too_long`` diagnostic; a
        frame that carries its parsed ``value`` is not parsed again (docs/recording.md).
        """
        oversized = frame.oversized
        if oversized is not None:
            data = frame.data
            head = data.encode() if isinstance(data, str) else data
            return self.feed_framed(OversizedLine(oversized, head))
        if frame.kind == "sse":
            return self.feed_sse_event(SSEEvent(frame.text, frame.sse_event, frame.sse_id))
        value = frame.value
        if value is not None:
            return self.feed(value, raw=frame.data)
        return self.feed_line(frame.data)

    def feed_stream(self, chunks: Iterable[bytes], *, framing: WireFraming = "ndjson") -> None:
        """Feed a whole byte stream given as chunks of any size, keeping no notifications: each
        frame is applied as it is split and its notifications are dropped at once (for a caller
        that wants only the model, such as :func:`streamfold.fold`).

        The frames are split by the reducer's own splitter, as :meth:`feed_bytes` (``"ndjson"``)
        or :meth:`feed_sse` (``"sse"``) would, so a partial frame fed through them before is
        continued. Does not :meth:`close`. Raises :class:`UsageError` for another framing, and
        as :meth:`feed_bytes` does after :meth:`close` or a strict-mode failure.

        Why not ``feed_bytes`` per chunk: it keeps a chunk's notifications (~400 in 64 KiB)
        until it returns; they survive young garbage collections, are promoted, and count
        towards CPython's trigger for full collections (docs/performance.md).
        """
        if framing not in ("ndjson", "sse"):
            raise UsageError(f"feed_stream splits 'ndjson' or 'sse', not {framing!r}")
        self._check_usable()
        if framing == "ndjson":
            _split_and_apply(chunks, self._splitter.feed, self.feed_framed)
        else:
            _split_and_apply(chunks, self._sse.feed, self.feed_sse_event)

    def _feed_done(self, raw: str) -> _Notes:
        self._check_usable()
        self._index += 1
        self.frames_in += 1
        self._frame, self._raw, self._dropped = None, raw, False
        notes: _Notes = []
        self._diagnose(ev.Diagnose("sse_done", "SSE [DONE] terminator", Severity.INFO), notes)
        last = self._last_decoder
        if last is not None:
            try:
                events = last[1].end_of_stream(self._index)
            except Exception as exc:  # a decoder bug must not take the caller down
                self._diagnose(
                    ev.Diagnose(
                        "decoder_error",
                        f"{last[0]} decoder failed at the end-of-stream marker: "
                        f"{type(exc).__name__}: {exc}",
                        Severity.ERROR,
                    ),
                    notes,
                )
                return notes
            apply = self._apply
            for event in events:
                apply[type(event)](event, notes)
        return notes

    def feed_lines(self, lines: Iterable[bytes | str]) -> _Notes:
        """Apply many lines (blank ones skipped); returns all notifications."""
        notes: _Notes = []
        for line in lines:
            if line.strip():
                notes += self.feed_line(line)
        return notes

    def close(self) -> _Notes:
        """End of input: flush an unterminated last line and end runs still open (a Loom run
        with no reply line ends failed, awaiting approval or cancelled, notes/loom.md A1/A9).
        Idempotent."""
        if self._closed:
            return []
        notes: _Notes = []
        for line in self._splitter.close():
            notes += self.feed_framed(line)
        for sse_event in self._sse.close():
            notes += self.feed_sse_event(sse_event)
        self._closed = True
        self._index += 1
        self._frame, self._raw, self._dropped = None, None, False
        apply = self._apply
        for name, decoder in self._decoders.items():
            try:
                events = decoder.finish()
            except Exception as exc:  # a decoder bug must not take the caller down
                self._diagnose(
                    ev.Diagnose(
                        "decoder_error",
                        f"{name} decoder failed at end of input: {type(exc).__name__}: {exc}",
                        Severity.ERROR,
                    ),
                    notes,
                )
                continue
            for event in events:
                apply[type(event)](event, notes)
        return notes

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def frames_applied(self) -> int:
        """Frames applied so far: ``frames_in - frames_dropped``."""
        return self.frames_in - self.frames_dropped

    @property
    def max_line_bytes(self) -> int:
        """The longest NDJSON line or SSE line accepted (the constructor's option)."""
        return self._splitter.max_line_bytes

    @property
    def decoders(self) -> Mapping[str, Decoder]:
        """The decoders this reducer created so far, by format name (read-only), e.g. to read
        ``decoders["tanstack"].resume_cursor`` (the offset of the last durable NDJSON
        envelope) when reconnecting."""
        return MappingProxyType(self._decoders)

    def run(self, run_id: str) -> Run:
        """The run with this id. Raises :class:`UsageError` if there is none."""
        try:
            return self._runs[run_id]
        except KeyError:
            raise UsageError(f"no run {run_id!r}") from None

    def tool_call(self, call_id: str, run_id: str | None = None) -> ToolCall | None:
        """The tool call ``call_id`` (in ``run_id`` when given, else the most recent one)."""
        if run_id is not None:
            return self._calls.get((run_id, call_id))
        return self._latest_call.get(call_id)

    def apply(self, events: Iterable[ev.Event]) -> _Notes:
        """Apply canonical events directly (client-side actions, tests, custom decoders).

        Allowed after :meth:`close` (client actions such as answering an approval come after
        the stream ended, :mod:`streamfold.actions`); refused after a strict-mode protocol
        error."""
        if self._failed is not None:
            self._check_usable()
        notes: _Notes = []
        apply = self._apply
        for event in events:
            apply[type(event)](event, notes)
        return notes

    # ------------------------------------------------------------------------ frame intake

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise UsageError(
                "this reducer stopped at a protocol error in strict mode "
                f"({self._failed.code} at frame {self._failed.diagnostic.frame_index})"
            )
        if self._closed:
            raise UsageError("feed after close()")

    def _decoder_for(self, name: str) -> Decoder:
        decoder = self._decoders.get(name)
        if decoder is None:
            decoder = self._decoders[name] = make_decoder(name)
        return decoder

    def _pick_decoder(self, frame: Mapping[str, Any]) -> Decoder | None:
        """The frames the inlined sticky check in :meth:`feed` did not settle
        (:mod:`streamfold.formats.select`)."""
        last = self._last_decoder
        if self.format is not None:
            return last[1] if last is not None else None
        chosen = self._last_decoder = select_decoder(frame, last, self._decoder_for)
        return chosen[1] if chosen is not None else None

    def feed_framed(self, line: bytes | OversizedLine) -> _Notes:
        """Apply one already-split NDJSON line; an :class:`~streamfold.framing.OversizedLine`
        becomes a dropped ``line_too_long`` diagnostic."""
        if isinstance(line, OversizedLine):
            return self._feed_rejected(
                line.head,
                "line_too_long",
                f"line of {line.size} bytes exceeds max_line_bytes; skipped",
                framing=True,
            )
        return self.feed_line(line)

    def _feed_non_json(self, line: bytes | str) -> _Notes:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        brace = text.find("{")
        if brace > 0:
            try:
                frame = orjson.loads(text[brace:])
            except orjson.JSONDecodeError:
                pass
            else:
                if type(frame) is dict:
                    self._check_usable()
                    notes = self.feed(frame, raw=line)
                    note = ev.Diagnose(
                        "text_before_json",
                        f"skipped {text[:brace]!r} before the JSON object",
                        Severity.INFO,
                    )
                    self._diagnose(note, notes)
                    return notes
        rule = non_json_rule(text, self._last_decoder)  # e.g. the Loom REPL's prompts
        if rule is None:
            return self._feed_rejected(
                line, "not_json", "line is not JSON", severity=Severity.WARNING
            )
        return self._feed_rejected(line, rule.code, rule.message, severity=rule.severity)

    def _feed_rejected(
        self,
        raw: bytes | str,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        framing: bool = False,
    ) -> _Notes:
        self._check_usable()
        self._index += 1
        self.frames_in += 1
        self._frame, self._raw, self._dropped = None, raw, False
        notes: _Notes = []
        self._reject(code, message, notes, severity=severity, framing=framing)
        self.frames_dropped += 1
        return notes

    def _reject(
        self,
        code: str,
        message: str,
        notes: _Notes,
        *,
        severity: Severity = Severity.ERROR,
        framing: bool = False,
    ) -> None:
        event = ev.Diagnose(code, message, severity, dropped=True)
        if self.strict and severity is not Severity.INFO:
            diagnostic = self._make_diagnostic(event)
            self._fail(diagnostic, framing=framing)
        self._diagnose(event, notes)

    def _fail(self, diagnostic: Diagnostic, *, framing: bool = False) -> None:
        error = FramingError(diagnostic) if framing else ProtocolError(diagnostic)
        self._failed = error
        raise error

    def _raw_text(self) -> str | None:
        raw = self._raw
        if raw is None:
            if self._frame is None:
                return None
            try:
                raw = orjson.dumps(self._frame, default=repr)
            except TypeError:
                raw = repr(self._frame)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        limit = self.max_raw_chars
        return text if len(text) <= limit else text[:limit] + "…"

    def _make_diagnostic(self, event: ev.Diagnose) -> Diagnostic:
        return Diagnostic(
            code=event.code,
            message=event.message,
            frame_index=self._index,
            raw=self._raw_text(),
            severity=event.severity,
            dropped=event.dropped,
            session_id=event.session_id,
            run_id=event.run_id,
            event_id=event.event_id,
        )

    # ----------------------------------------------------------------------- lookup helpers

    def _run(self, run_id: str, notes: _Notes) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            # Decoders start runs before using them; an unknown id is a decoder slip, not a
            # reason to lose data: keep it in an implicit run and say so.
            self._diagnose(
                ev.Diagnose("unknown_run", f"event for unknown run {run_id!r}", run_id=run_id),
                notes,
            )
            self._start_run(ev.StartRun(session_id="default", run_id=run_id), notes)
            run = self._runs[run_id]
        return run

    def _message(self, run_id: str, message_id: str, notes: _Notes) -> Message:
        message = self._messages.get(message_id)
        if message is None:
            self._start_message(ev.StartMessage(run_id, message_id), notes)
            message = self._messages[message_id]
        return message

    def _call(self, run_id: str, call_id: str, notes: _Notes, *, create: bool = True) -> ToolCall:
        call = self._calls.get((run_id, call_id)) or self._latest_call.get(call_id)
        if call is None:
            self._diagnose(
                ev.Diagnose(
                    "unknown_tool_call",
                    f"event for tool call {call_id!r} that never started; kept as a new call",
                    run_id=run_id,
                ),
                notes,
            )
            self._start_tool_call(ev.StartToolCall(run_id, call_id, None), notes)
            call = self._calls[(run_id, call_id)]
        return call

    def _set_tool_state(self, call: ToolCall, new: ToolCallState, notes: _Notes) -> None:
        old = call.state
        if old is new:
            return
        call.state = new
        call._record_state(new, self._index)
        notes.append(ToolCallStateChanged(call.run_id or "", call.call_id, old, new, call))

    # --------------------------------------------------------------------------- runs

    def _truncate(
        self, buffer: TextBuffer, delta: str, run_id: str, target: str, kind: str, notes: _Notes
    ) -> str:
        """The part of ``delta`` that fits under ``max_text_chars``; the first overflow of a
        text is announced (Truncated + a ``truncated`` diagnostic), later ones only counted."""
        limit = self.max_text_chars
        kept = delta[: max(limit - buffer.chars, 0)]
        first = buffer.dropped == 0
        buffer.dropped += len(delta) - len(kept)
        if first:
            notes.append(Truncated(run_id, target, kind, limit))
            self._diagnose(
                ev.Diagnose(
                    "truncated",
                    f"{kind} of {target!r} reached max_text_chars={limit}; the rest is not kept",
                    run_id=run_id,
                ),
                notes,
            )
        return kept

    def _limit_open_runs(self, notes: _Notes) -> None:
        while len(self._open_runs) > self.max_open_runs:
            oldest = next(iter(self._open_runs.values()))
            self._diagnose(
                ev.Diagnose(
                    "run_evicted",
                    f"more than max_open_runs={self.max_open_runs} runs open: "
                    f"{oldest.run_id!r} ended as incomplete",
                    run_id=oldest.run_id,
                ),
                notes,
            )
            self._end_run(
                ev.EndRun(oldest.run_id, RunStatus.INCOMPLETE, error="evicted: too many open runs"),
                notes,
            )

    def _limit_sessions(self, keep: str, notes: _Notes) -> None:
        sessions = self.conversation.sessions
        limit = self.max_sessions
        if limit is None or len(sessions) <= limit:
            return
        for session_id, session in sessions.items():
            if session_id != keep and all(run.status.is_terminal for run in session.runs):
                break
        else:
            return  # every other session is still running: nothing can leave yet
        del sessions[session_id]
        for run in session.runs:
            self._runs.pop(run.run_id, None)
            self._usage_set.pop(run.run_id, None)
            for span in run.walk_spans():
                self._spans.pop(span.span_id, None)
            for message in run.messages:
                self._messages.pop(message.message_id, None)
            for call_id, call in run.tool_calls.items():
                self._calls.pop((run.run_id, call_id), None)
                if self._latest_call.get(call_id) is call:
                    del self._latest_call[call_id]
        notes.append(Evicted(session_id, session))

    def _start_run(self, e: ev.StartRun, notes: _Notes) -> None:
        conversation = self.conversation
        session = conversation.sessions.get(e.session_id)
        if session is None:
            session = conversation.sessions[e.session_id] = Session(e.session_id)
            notes.append(SessionStarted(e.session_id, session))
            if self.max_sessions is not None:
                self._limit_sessions(e.session_id, notes)
        if e.run_id in self._runs:
            self._diagnose(
                ev.Diagnose("duplicate_run", f"run {e.run_id!r} already started", run_id=e.run_id),
                notes,
            )
            return
        run = Run(
            run_id=e.run_id,
            session_id=e.session_id,
            thread_id=e.thread_id,
            agent=e.agent,
            input_text=e.input_text,
            parent_run_id=e.parent_run_id,
            metadata=dict(e.metadata) if e.metadata else {},
            start_frame=self._index,
        )
        if e.thread_id and session.thread_id is None:
            session.thread_id = e.thread_id
        self._runs[e.run_id] = run
        self._open_runs[e.run_id] = run
        session.runs.append(run)
        notes.append(RunStarted(e.session_id, e.run_id, run))
        if len(self._open_runs) > self.max_open_runs:
            self._limit_open_runs(notes)
        if e.input_text is not None:
            self._start_message(
                ev.StartMessage(e.run_id, f"{e.run_id}/input", role="user", text=e.input_text),
                notes,
            )

    def _end_run(self, e: ev.EndRun, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        if run.status.is_terminal:
            self._diagnose(
                ev.Diagnose(
                    "run_already_ended",
                    f"run {e.run_id!r} already ended ({run.status})",
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        for span in run.walk_spans():
            if span.status is SpanStatus.OPEN:
                span.status = SpanStatus.UNCLOSED
                span.end_frame = self._index
                notes.append(SpanExited(run.run_id, span.span_id, span.name, False, None, span))
        for call in run.tool_calls.values():
            if call.state in _INPUT_OPEN:
                self._complete_input(call, notes)
            elif call.state in _UNFINISHED_EXECUTION:
                self._set_tool_state(call, ToolCallState.CANCELLED, notes)
        for message in run.messages:
            if not message.completed:
                message.completed = True
                notes.append(MessageCompleted(run.run_id, message.message_id, message))
        run.status = e.status
        self._open_runs.pop(run.run_id, None)
        run.finish_reason = e.finish_reason if e.finish_reason is not None else run.finish_reason
        run.stop_reason = e.stop_reason if e.stop_reason is not None else run.stop_reason
        run.error = e.error if e.error is not None else run.error
        run.error_code = e.error_code if e.error_code is not None else run.error_code
        run.end_frame = self._index
        notes.append(
            RunFinished(run.run_id, run.status, run.finish_reason, run.stop_reason, run.error, run)
        )

    def _set_reply(self, e: ev.SetReply, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run.reply = e.text
        if e.reasoning is not None:
            run.reasoning_content = e.reasoning
        if e.thread_id is not None:
            run.thread_id = e.thread_id
            session = self.conversation.sessions[run.session_id]
            session.thread_id = session.thread_id or e.thread_id
        notes.append(ReplyReceived(run.run_id, e.text, run))

    # -------------------------------------------------------------------------- spans

    def _open_span(self, e: ev.OpenSpan, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        parent = self._spans.get(e.parent_span_id) if e.parent_span_id else None
        span = Span(
            span_id=e.span_id,
            name=e.name,
            run_id=e.run_id,
            node_id=e.node_id,
            event_id=e.event_id,
            parent=parent,
            parent_tool_call_id=e.parent_tool_call_id,
            start_frame=self._index,
        )
        if parent is not None:
            parent._children = _appended(parent._children, span)
        else:
            run._spans = _appended(run._spans, span)
        self._spans[e.span_id] = span
        notes.append(SpanEntered(e.run_id, e.span_id, e.name, e.parent_span_id, span))

    def _close_span(self, e: ev.CloseSpan, notes: _Notes) -> None:
        span = self._spans.get(e.span_id)
        if span is None or span.status is not SpanStatus.OPEN:
            self._diagnose(
                ev.Diagnose(
                    "unknown_span",
                    f"close of unknown or closed span {e.span_id!r}",
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        if e.unclosed:
            span.status = SpanStatus.UNCLOSED
        else:
            span.status = SpanStatus.ERROR if e.error is not None else SpanStatus.OK
        span.error = e.error
        span.end_frame = self._index
        ok = span.status is SpanStatus.OK
        notes.append(SpanExited(e.run_id, e.span_id, span.name, ok, e.error, span))

    # ----------------------------------------------------------------------- messages

    def _start_message(self, e: ev.StartMessage, notes: _Notes) -> None:
        if e.message_id in self._messages:
            self._diagnose(
                ev.Diagnose(
                    "duplicate_message",
                    f"message {e.message_id!r} already started",
                    Severity.INFO,
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        run = self._run(e.run_id, notes)
        message = Message(
            message_id=e.message_id,
            role=e.role,
            run_id=e.run_id,
            span_id=e.span_id,
            metadata=dict(e.metadata) if e.metadata else {},
            seq=self._next_seq(),
        )
        if e.text is not None:
            message.parts.append(TextPart(TextBuffer(e.text)))
        run.messages.append(message)
        self._messages[e.message_id] = message
        if e.span_id is not None:
            span = self._spans.get(e.span_id)
            if span is not None:
                span._message_ids = _appended(span._message_ids, e.message_id)
        notes.append(MessageStarted(e.run_id, e.message_id, e.role, message))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _append_text(self, e: ev.AppendText, notes: _Notes) -> None:
        message = self._messages.get(e.message_id) or self._message(e.run_id, e.message_id, notes)
        parts = message.parts
        part = parts[-1] if parts else None
        if type(part) is not TextPart:
            part = TextPart(TextBuffer())
            parts.append(part)
        buffer = part.buffer
        delta = e.delta
        size = buffer.chars + len(delta)
        if size > self.max_text_chars:
            delta = self._truncate(buffer, delta, e.run_id, e.message_id, "text", notes)
            buffer.append(delta)
        elif delta:
            # TextBuffer.append inlined: the one call fewer is ~4% of a text delta's cost. A
            # buffer with a piece list has no cached text, so only ``chars`` changes.
            pieces = buffer._pieces
            if pieces is not None:
                pieces.append(delta)
                buffer.chars = size
                if len(pieces) >= buffer._compact_at:
                    buffer._compact()  # every _CHUNK_PIECES deltas
            else:
                buffer.append(delta)  # the first or second piece: makes the list
        notes.append(TextDelta(e.run_id, e.message_id, delta, part))

    def _replace_text(self, e: ev.ReplaceText, notes: _Notes) -> None:
        message = self._message(e.run_id, e.message_id, notes)
        parts = message.parts
        part = parts[-1] if parts else None
        if type(part) is TextPart:
            part.buffer.replace(e.text)
        else:
            part = TextPart(TextBuffer(e.text))
            parts.append(part)
        notes.append(TextReplaced(e.run_id, e.message_id, e.text, part))

    def _reasoning_part(self, message: Message, step_id: str | None) -> ReasoningPart:
        parts = message.parts
        last = parts[-1] if parts else None
        if type(last) is ReasoningPart and last.step_id == step_id:
            return last
        if step_id is not None:
            for part in parts:
                if type(part) is ReasoningPart and part.step_id == step_id:
                    return part
        part = ReasoningPart(step_id=step_id)
        parts.append(part)
        return part

    def _append_reasoning(self, e: ev.AppendReasoning, notes: _Notes) -> None:
        message = self._messages.get(e.message_id) or self._message(e.run_id, e.message_id, notes)
        part = self._reasoning_part(message, e.step_id)
        delta = e.delta
        if part.buffer.chars + len(delta) > self.max_text_chars:
            delta = self._truncate(part.buffer, delta, e.run_id, e.message_id, "reasoning", notes)
        part.buffer.append(delta)
        notes.append(ReasoningDelta(e.run_id, e.message_id, delta, part))

    def _set_reasoning_signature(self, e: ev.SetReasoningSignature, notes: _Notes) -> None:
        message = self._message(e.run_id, e.message_id, notes)
        part = self._reasoning_part(message, e.step_id)
        if e.signature is not None:
            part.signature = e.signature
        if e.encrypted is not None:
            part.encrypted = e.encrypted

    def _end_message(self, e: ev.EndMessage, notes: _Notes) -> None:
        message = self._messages.get(e.message_id)
        if message is None:
            self._diagnose(
                ev.Diagnose("unknown_message", f"end of unknown message {e.message_id!r}"), notes
            )
            return
        if not message.completed:
            message.completed = True
            notes.append(MessageCompleted(e.run_id, e.message_id, message))

    def _merge_metadata(self, e: ev.MergeMetadata, notes: _Notes) -> None:
        target: dict[str, Any] | None = None
        if e.message_id is None and e.call_id is None:
            run = self._runs.get(e.run_id)
            target = run.metadata if run is not None else None
        elif e.message_id is not None:
            message = self._messages.get(e.message_id)
            target = message.metadata if message is not None else None
        elif e.call_id is not None:
            call = self._calls.get((e.run_id, e.call_id)) or self._latest_call.get(e.call_id)
            target = call.metadata if call is not None else None
        if target is None:
            self._diagnose(
                ev.Diagnose(
                    "unknown_metadata_target",
                    "metadata for an unknown message or tool call; ignored",
                    Severity.INFO,
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        _merge_metadata(target, e.metadata)

    def _replace_messages(self, e: ev.ReplaceMessages, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        session = self.conversation.sessions[run.session_id]
        wanted = {m.message_id for m in e.messages}
        removed: list[str] = []
        for other in session.runs:
            if any(m.message_id not in wanted for m in other.messages):
                kept = []
                for old in other.messages:
                    if old.message_id in wanted:
                        kept.append(old)
                    else:
                        removed.append(old.message_id)
                        if self._messages.get(old.message_id) is old:
                            del self._messages[old.message_id]
                other.messages = kept
        for snap in e.messages:
            found = self._messages.get(snap.message_id)
            if found is not None:
                message = found
            else:
                message = Message(
                    message_id=snap.message_id,
                    role=snap.role,
                    run_id=run.run_id,
                    completed=True,
                )
                run.messages.append(message)
                self._messages[snap.message_id] = message
                notes.append(MessageStarted(run.run_id, snap.message_id, snap.role, message))
            message.role = snap.role
            message.seq = self._next_seq()
            if snap.metadata is not None:
                message.metadata = dict(snap.metadata)
            message.parts = [self._snapshot_part(message, part, notes) for part in snap.parts]
        notes.append(
            MessagesReplaced(
                run.run_id,
                run.session_id,
                tuple(m.message_id for m in e.messages),
                tuple(removed),
            )
        )

    def _snapshot_part(self, message: Message, part: ev.SnapshotPart, notes: _Notes) -> Part:
        run_id = message.run_id or ""
        if type(part) is ev.SnapshotText:
            return TextPart(TextBuffer(part.text))
        if type(part) is ev.SnapshotReasoning:
            return ReasoningPart(TextBuffer(part.text), part.step_id, part.signature)
        if type(part) is ev.SnapshotToolCall:
            call = self._calls.get((run_id, part.call_id)) or self._latest_call.get(part.call_id)
            if call is None:
                self._start_tool_call(
                    ev.StartToolCall(run_id, part.call_id, part.name, None, None, part.metadata),
                    notes,
                )
                call = self._calls[(run_id, part.call_id)]
            elif call.name is None and part.name is not None:
                call.name = part.name
            if part.arguments is not None and part.arguments != call.arguments:
                call.arguments_buffer.replace(part.arguments)
                call.input = _parse_json(part.arguments)
            if call.state in _INPUT_OPEN:
                self._complete_input(call, notes)
            call.message_id = message.message_id
            return ToolCallPart(call)
        assert type(part) is ev.SnapshotToolResult
        call = self._calls.get((run_id, part.call_id)) or self._latest_call.get(part.call_id)
        if call is not None and call.result is None and not call.state.is_terminal:
            if call.state in _INPUT_OPEN:
                self._complete_input(call, notes)
            call.result = part.content
            call.result_value = part.value
            call.error = (part.error or part.content) if part.is_error else None
            new = ToolCallState.ERROR if part.is_error else ToolCallState.COMPLETE
            self._set_tool_state(call, new, notes)
        return ToolResultPart(part.call_id, part.content, part.is_error, part.error)

    # --------------------------------------------------------------------- tool calls

    def _start_tool_call(self, e: ev.StartToolCall, notes: _Notes) -> None:
        key = (e.run_id, e.call_id)
        call = self._calls.get(key)
        if call is not None and call.message_id is None and e.message_id is not None:
            # The call was known without a message (arguments before its start): place it.
            call.message_id = e.message_id
            if call.name is None:
                call.name = e.name
            if e.metadata:
                call.metadata.update(e.metadata)
            self._message(e.run_id, e.message_id, notes).parts.append(ToolCallPart(call))
            self._diagnose(
                ev.Diagnose(
                    "late_tool_call_start",
                    f"tool call {e.call_id!r} started after its arguments; placed in its message",
                    Severity.INFO,
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        if call is not None:
            self._diagnose(
                ev.Diagnose(
                    "duplicate_tool_call_start",
                    f"tool call {e.call_id!r} already started; ignored",
                    Severity.INFO,
                    run_id=e.run_id,
                ),
                notes,
            )
            if call.name is None and e.name is not None:
                call.name = e.name
            return
        run = self._run(e.run_id, notes)
        call = ToolCall(
            call_id=e.call_id,
            name=e.name,
            run_id=e.run_id,
            message_id=e.message_id,
            span_id=e.span_id,
            metadata=dict(e.metadata) if e.metadata else {},
        )
        call._record_state(call.state, self._index)
        run.tool_calls[e.call_id] = call
        self._calls[key] = call
        self._latest_call[e.call_id] = call
        if e.message_id is not None:
            self._message(e.run_id, e.message_id, notes).parts.append(ToolCallPart(call))
        notes.append(ToolCallStarted(e.run_id, e.call_id, e.name, call))

    def _append_tool_arguments(self, e: ev.AppendToolArguments, notes: _Notes) -> None:
        call = self._calls.get((e.run_id, e.call_id)) or self._call(e.run_id, e.call_id, notes)
        delta = e.delta
        buffer = call.arguments_buffer
        if buffer.chars + len(delta) > self.max_text_chars:
            delta = self._truncate(buffer, delta, e.run_id, e.call_id, "arguments", notes)
        buffer.append(delta)
        if delta and call.state is ToolCallState.AWAITING_INPUT:
            self._set_tool_state(call, ToolCallState.INPUT_STREAMING, notes)
        notes.append(ToolCallArgumentsDelta(e.run_id, e.call_id, delta, call))

    def _complete_input(self, call: ToolCall, notes: _Notes) -> None:
        if call.input is UNSET and call.arguments_buffer:
            # Strict parse: invalid or truncated JSON leaves input unset; the text is kept.
            call.input = _parse_json(call.arguments)
        self._set_tool_state(call, ToolCallState.INPUT_COMPLETE, notes)

    def _set_tool_arguments(self, e: ev.SetToolArguments, notes: _Notes) -> None:
        call = self._calls.get((e.run_id, e.call_id)) or self._call(e.run_id, e.call_id, notes)
        if e.name is not None and call.name is None:
            call.name = e.name
        if e.arguments is not None and e.arguments != call.arguments:
            call.arguments_buffer.replace(e.arguments)
        if e.input is not UNSET:
            if e.arguments is None and call.arguments_buffer:
                self._check_input_override(call, e.input, notes)
            call.input = e.input
        elif e.arguments is not None:
            call.input = UNSET
        if call.state in _INPUT_OPEN:
            self._complete_input(call, notes)
        elif call.input is UNSET:
            call.input = _parse_json(call.arguments)

    def _check_input_override(self, call: ToolCall, value: Any, notes: _Notes) -> None:
        """The sender's parsed input replaces what the streamed arguments say: keep both, and
        say so when they disagree (notes/tanstack.md §1.6, TOOL_CALL_END ``input``)."""
        streamed = _parse_json(call.arguments)
        if streamed is UNSET or streamed != value:
            what = "are not valid JSON" if streamed is UNSET else "parse to a different value"
            self._diagnose(
                ev.Diagnose(
                    "tool_input_override",
                    f"tool call {call.call_id!r}: the streamed arguments {what}; the sender's "
                    "input is used and the argument text kept",
                    Severity.INFO,
                    run_id=call.run_id,
                ),
                notes,
            )

    def _adopt_tool_call_id(self, e: ev.AdoptToolCallId, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        new = e.new_call_id
        run = self._run(e.run_id, notes)
        if (e.run_id, new) in self._calls:
            self._diagnose(
                ev.Diagnose(
                    "tool_call_id_conflict",
                    f"cannot rename {e.call_id!r} to {new!r}: that call exists",
                    run_id=e.run_id,
                ),
                notes,
            )
            return
        old = call.call_id
        call.call_id = new
        run.tool_calls = {(new if k == old else k): v for k, v in run.tool_calls.items()}
        del self._calls[(e.run_id, old)]
        self._calls[(e.run_id, new)] = call
        if self._latest_call.get(old) is call:
            del self._latest_call[old]
        self._latest_call[new] = call
        for message in run.messages:
            for part in message.parts:
                if type(part) is ToolResultPart and part.call_id == old:
                    part.call_id = new
        notes.append(ToolCallIdChanged(e.run_id, old, new, call))

    def _request_approval(self, e: ev.RequestApproval, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        if call.state in _INPUT_OPEN:
            self._complete_input(call, notes)
        approval_input = e.input if e.input is not UNSET else call.input
        call.approval = Approval(
            e.approval_id, None, None if approval_input is UNSET else approval_input
        )
        self._set_tool_state(call, ToolCallState.APPROVAL_REQUESTED, notes)

    def _request_client_tool(self, e: ev.RequestClientTool, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        if call.name is None and e.name is not None:
            call.name = e.name
        if e.input is not UNSET and call.input is UNSET:
            call.input = e.input
        if call.state in _INPUT_OPEN:
            self._complete_input(call, notes)
        call.client_tool = True
        if e.request_id is not None:
            call.interrupt_id = e.request_id
        value = e.input if e.input is not UNSET else call.input
        notes.append(
            ClientToolRequested(
                e.run_id, call.call_id, call.name, None if value is UNSET else value, call
            )
        )

    def _respond_approval(self, e: ev.RespondApproval, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        if call.approval is None:
            call.approval = Approval()
        call.approval.approved = e.approved
        new = ToolCallState.APPROVAL_RESPONDED if e.approved else ToolCallState.DENIED
        self._set_tool_state(call, new, notes)

    def _start_tool_execution(self, e: ev.StartToolExecution, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        if call.state in _INPUT_OPEN:
            self._complete_input(call, notes)
        self._set_tool_state(call, ToolCallState.EXECUTING, notes)

    def _append_tool_output(self, e: ev.AppendToolOutput, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        delta = e.delta
        if call.output_buffer.chars + len(delta) > self.max_text_chars:
            delta = self._truncate(call.output_buffer, delta, e.run_id, e.call_id, "output", notes)
        call.output_buffer.append(delta)
        if not call.state.is_terminal and call.state is not ToolCallState.EXECUTING:
            self._set_tool_state(call, ToolCallState.EXECUTING, notes)
        notes.append(ToolOutputDelta(e.run_id, e.call_id, delta, call))

    def _set_tool_result(self, e: ev.SetToolResult, notes: _Notes) -> None:
        call = self._call(e.run_id, e.call_id, notes)
        if call.state in _INPUT_OPEN:
            self._complete_input(call, notes)
        call.result = e.content
        call.result_value = e.value
        if e.raw_result is not None:
            call.raw_result = e.raw_result
        call.error = e.error if e.is_error else None
        if e.is_error and call.error is None:
            call.error = e.content
        if e.add_result_part and call.message_id is not None:
            message = self._messages.get(call.message_id)
            if message is not None:
                part = ToolResultPart(call.call_id, e.content, e.is_error, call.error)
                for i, existing in enumerate(message.parts):
                    if type(existing) is ToolResultPart and existing.call_id == call.call_id:
                        message.parts[i] = part
                        break
                else:
                    message.parts.append(part)
        self._set_tool_state(
            call, ToolCallState.ERROR if e.is_error else ToolCallState.COMPLETE, notes
        )

    # ------------------------------------------------------------- usage, state, others

    def _report_usage(self, e: ev.ReportUsage, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        session = self.conversation.sessions[run.session_id]
        targets = [run.usage, session.usage, self.conversation.usage]
        if e.mode == "set":
            previous = self._usage_set.get(e.run_id)
            if previous is not None:
                for target in targets:
                    target.add(previous, -1)
            self._usage_set[e.run_id] = e.usage
        for target in targets:
            target.add(e.usage)
        if e.span_id is not None:
            span = self._spans.get(e.span_id)
            if span is not None:
                span.usage.add(e.usage)
        notes.append(UsageUpdated(e.run_id, e.span_id, e.usage, run.usage))

    def _set_state(self, e: ev.SetState, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run.state = e.state
        run.state_updates += 1
        notes.append(StateUpdated(e.run_id, e.source, e.state))

    def _patch_state(self, e: ev.PatchState, notes: _Notes) -> None:
        import jsonpatch

        run = self._run(e.run_id, notes)
        try:
            run.state = jsonpatch.apply_patch(run.state if run.state is not None else {}, e.patch)
        except Exception as exc:  # jsonpatch raises several unrelated types on bad patches
            self._diagnose(
                ev.Diagnose(
                    "state_patch_failed", f"JSON Patch not applied: {exc}", run_id=run.run_id
                ),
                notes,
            )
            return
        run.state_updates += 1
        notes.append(StateUpdated(e.run_id, "patch", run.state))

    def _save_checkpoint(self, e: ev.SaveCheckpoint, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run._checkpoints = _appended(
            run._checkpoints, Checkpoint(e.checkpoint_id, e.data, self._index)
        )
        notes.append(CheckpointSaved(e.run_id, e.checkpoint_id))

    def _record_custom(self, e: ev.RecordCustom, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run._custom_events = _appended(
            run._custom_events, CustomEvent(e.name, e.value, self._index)
        )
        notes.append(CustomEventReceived(e.run_id, e.name, e.value))

    def _record_search(self, e: ev.RecordSearch, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        tree = run.search
        if tree is None:
            tree = run.search = SearchTree()
        _fold_search(tree, e.kind, e.data)
        notes.append(SearchTreeUpdated(e.run_id, e.kind, e.data))

    def _keep_unknown(self, e: ev.KeepUnknown, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run._unknown_events = _appended(run._unknown_events, dict(e.frame))

    def _mark_missing(self, e: ev.MarkMissing, notes: _Notes) -> None:
        run = self._run(e.run_id, notes)
        run.lossy = True
        run._missing = _appended(run._missing, (e.start, e.end))

    def _diagnose(self, e: ev.Diagnose, notes: _Notes) -> None:
        conversation = self.conversation
        diagnostics = conversation.diagnostics
        if diagnostics.maxlen is not None and len(diagnostics) == diagnostics.maxlen:
            conversation.diagnostics_evicted += 1
        diagnostic = self._make_diagnostic(e)
        diagnostics.append(diagnostic)
        if e.dropped:
            self._dropped = True
        notes.append(diagnostic)


def _split_and_apply(
    chunks: Iterable[bytes], split: Callable[[bytes], list[_F]], apply: Callable[[_F], object]
) -> None:
    """Split every chunk and apply each frame at once, discarding its notifications."""
    for chunk in chunks:
        for frame in split(chunk):
            apply(frame)


def _parse_json(text: str) -> Any:
    """The JSON value of ``text``, or ``UNSET`` when it is not (complete, valid) JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return UNSET


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _merge_metadata(target: dict[str, Any], incoming: Mapping[str, Any]) -> None:
    """Top-level keys replace; two mappings under one key merge one level deep."""
    for key, value in incoming.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            target[key] = {**current, **value}
        else:
            target[key] = value


def _fold_search(tree: SearchTree, kind: str, data: Mapping[str, Any]) -> None:
    """Fold one ToT/GoT event into the run's search tree (notes/loom.md §2.7)."""
    if kind == "tot_expand":
        candidates = data.get("candidates")
        tree.tot_steps.append(TotStep([str(c) for c in candidates or []]))
    elif kind == "tot_evaluate":
        if not tree.tot_steps:
            tree.tot_steps.append(TotStep([]))
        step = tree.tot_steps[-1]
        scores = data.get("scores")
        step.scores = [float(s) for s in scores if isinstance(s, int | float)] if scores else []
        step.chosen = _int(data.get("chosen"))
    elif kind == "tot_backtrack":
        reason = str(data.get("reason", ""))
        tree.backtracks.append((reason, _int(data.get("to_depth"))))
        if tree.tot_steps:
            tree.tot_steps[-1].backtracked = reason
    elif kind == "got_plan":
        for node_id in data.get("node_ids") or []:
            tree.tasks.setdefault(str(node_id), TaskNode(str(node_id)))
        tree.planned_edges = _int(data.get("edge_count"))
    elif kind in ("got_node_start", "got_node_complete", "got_node_failed"):
        node_id = str(data.get("id"))
        task = tree.tasks.get(node_id)
        if task is None:
            task = tree.tasks[node_id] = TaskNode(node_id)
        if kind == "got_node_start":
            task.status = "running"
        elif kind == "got_node_complete":
            task.status = "complete"
            summary = data.get("result_summary")
            task.result_summary = summary if isinstance(summary, str) else None
        else:
            task.status = "failed"
            error = data.get("error")
            task.error = error if isinstance(error, str) else None
    elif kind == "got_expand":
        tree.expansions.append(dict(data))

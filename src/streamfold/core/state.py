"""``FoldState``: everything the core keeps between frames, and the primitives every applier uses.

The state is the model (:attr:`FoldState.conversation`) plus indexes over it that make each
event cost O(event) instead of a walk of the conversation, the limits, and the context of the
frame being applied. Every index can be rebuilt from the model with :meth:`FoldState.reindex`
(what a snapshot restore calls), except :attr:`FoldState.usage_set`, which is not in the model.

Fields (all public to :mod:`streamfold.core`; the reducer and the snapshot read them):

=================  ==========================================================================
``conversation``   the model the appliers change
``runs``           ``run_id → Run``, every run still in the model
``open_runs``      ``run_id → Run`` for runs not ended, in start order (the oldest is evicted
                   first when ``max_open_runs`` is exceeded)
``spans``          ``span_id → Span``
``messages``       ``message_id → Message``
``calls``          ``(run_id, call_id) → ToolCall``
``latest_call``    ``call_id → ToolCall``: the most recent call with that id in any run (a
                   result may arrive in a later run than its call)
``keyed_parts``    ``(message_id, kind, key) → part`` for the parts looked up by a key:
                   ``("tool-result", call_id)`` and ``("reasoning", step_id)`` — the first such
                   part of the message (so a result replaces it in O(1))
``message_runs``   ``session_id → {run_id: Run}``: the runs of a session that hold messages,
                   in first-message order (what a messages snapshot walks)
``usage_set``      ``run_id → Usage``: the last ``mode="set"`` usage report of each run (a new
                   one replaces it in the sums); not derivable from the model
``seq``            ``Message.seq`` of the last message numbered
``text_check``     input that may hold lone surrogates was seen: text appends follow the text
                   integrity rule (:mod:`streamfold.core.text`); sticky
``field_check``    a lone surrogate outside text streams may have been seen (a decoder may hold
                   it in its state): every event's other fields follow the text rule too
                   (:func:`streamfold.core.text.clean_fields`); sticky
``decoders``       the reducer's decoders by format name (the same dict), for
                   :meth:`FoldState.tell_decoders`
``strict_stop``    strict mode: called with a WARNING or ERROR diagnostic instead of keeping it
                   (the reducer's, which raises ``ProtocolError``); ``None`` when lenient
``halves``         the pending high surrogates of open text streams
                   (:class:`~streamfold.core.text.PendingHalf`; ``docs/model.md``)
limits             ``max_text_chars``, ``max_open_runs``, ``max_sessions``, ``max_raw_chars``
frame context      ``index`` (the frame's 0-based index), ``frame`` (the parsed frame),
                   ``raw`` (its text as received), ``dropped`` (a diagnostic said the frame
                   was not applied); set by the reducer before each frame; ``time``: the
                   arrival time last given (``feed(at=...)``, a frame's ``t``; seconds),
                   held for frames without one, ``None`` before any
clock              ``clock``: the caller's clock (``Reducer(clock=...)``, seconds), read only
                   by :meth:`FoldState.now`, never per frame; not in a snapshot;
                   ``time_decoder``: the decoder of the current format when it reads the
                   sender's own timestamps (a ``frame_time`` hook), else ``None``;
                   ``wire_time``: the latest wire time stamped (held for frames without one;
                   :meth:`FoldState.reindex` derives it from the model)
=================  ==========================================================================

Times (``docs/transcript.md``, "Time") are read only where a start or an end is stamped
(:meth:`FoldState.now`), never per text delta: the wire's own timestamp when the format has one,
else the arrival time, else ``None`` (the frame indexes remain).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, NoReturn

import attrs
import orjson

from ..events import Diagnose
from ..model import (
    TOOL_CALL_TRANSITIONS,
    UNSET,
    Conversation,
    Diagnostic,
    Message,
    Part,
    ReasoningPart,
    Run,
    Severity,
    Span,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallState,
    ToolResultPart,
    Usage,
)
from ..model.text import REPLACEMENT, dumps
from ..model.values import _appended
from ..notifications import (
    MessageStarted,
    Notification,
    ReasoningDelta,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallStateChanged,
    ToolOutputDelta,
    Truncated,
)

__all__ = ["INPUT_OPEN", "FoldState", "Notes", "PendingHalf", "StreamKind", "parse_json"]

Notes = list[Notification]

_S = ToolCallState
INPUT_OPEN: Final = frozenset({_S.AWAITING_INPUT, _S.INPUT_STREAMING})
"""Tool-call states whose arguments may still grow; any later step completes them first."""
TERMINAL_TOOL_STATES: Final = frozenset({_S.COMPLETE, _S.ERROR, _S.DENIED, _S.CANCELLED})

RESULT_PART: Final = "tool-result"
REASONING_PART: Final = "reasoning"


StreamKind = Literal["text", "reasoning", "arguments", "output"]
"""A text stream's kind (:mod:`streamfold.core.text`)."""


@attrs.define(slots=True, eq=False)
class PendingHalf:
    """A high surrogate held back at the end of a text stream until its low half arrives."""

    code: int
    """The held code unit (0xD800–0xDBFF), an int so that snapshots stay JSON-safe."""
    buffer: TextBuffer
    run_id: str
    kind: StreamKind
    owner: Message | ToolCall
    """The message (text, reasoning) or tool call (arguments, output) of the stream."""
    part: Part | None = None
    """The message part the buffer belongs to (text, reasoning)."""


def _name(owner: Message | ToolCall) -> str:
    return owner.message_id if isinstance(owner, Message) else owner.call_id


def parse_json(text: str) -> Any:
    """The JSON value of ``text``, or ``UNSET`` when it is not (complete, valid) JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return UNSET


def _latest_wire_time(conversation: Conversation) -> float | None:
    """The latest time stamped on a wire-clocked run (what :meth:`FoldState.now` holds)."""
    times: list[float] = []
    for session in conversation.sessions.values():
        for run in session.runs:
            if run.time_source != "wire":
                continue
            timed: list[Run | Span] = [run, *run.walk_spans()]
            for obj in timed:
                times += [t for t in (obj.start_time, obj.end_time) if t is not None]
            for m in run.messages:
                times += [t for t in (m.start_time, m.first_token_time, m.end_time) if t]
            for call in run.tool_calls.values():
                times += [t for t in (call.start_time, call.input_time, call.end_time) if t]
    return max(times, default=None)


class FoldState:
    """The core's state between frames; see the module docstring for every field."""

    __slots__ = (
        "calls",
        "clock",
        "conversation",
        "decoders",
        "dropped",
        "field_check",
        "frame",
        "halves",
        "index",
        "keyed_parts",
        "late_drops",
        "latest_call",
        "max_open_runs",
        "max_raw_chars",
        "max_sessions",
        "max_text_chars",
        "message_runs",
        "messages",
        "open_runs",
        "raw",
        "runs",
        "seq",
        "spans",
        "strict_stop",
        "text_check",
        "time",
        "time_decoder",
        "usage_set",
        "wire_time",
    )

    def __init__(
        self,
        *,
        max_diagnostics: int,
        max_raw_chars: int,
        max_text_chars: int,
        max_open_runs: int,
        max_sessions: int | None,
    ) -> None:
        self.conversation = Conversation(diagnostics=deque(maxlen=max_diagnostics))
        self.max_text_chars = max_text_chars
        self.max_open_runs = max_open_runs
        self.max_sessions = max_sessions
        self.max_raw_chars = max_raw_chars
        self.runs: dict[str, Run] = {}
        self.open_runs: dict[str, Run] = {}
        self.spans: dict[str, Span] = {}
        self.messages: dict[str, Message] = {}
        self.calls: dict[tuple[str, str], ToolCall] = {}
        self.latest_call: dict[str, ToolCall] = {}
        self.keyed_parts: dict[tuple[str, str, str], Part] = {}
        self.message_runs: dict[str, dict[str, Run]] = {}
        self.usage_set: dict[str, Usage] = {}
        self.seq = 0
        self.text_check = False
        self.field_check = False
        self.decoders: Mapping[str, Any] = {}  # the reducer's, by name (eviction hooks)
        self.late_drops = 0  # held frames found unusable during this frame (reducer counts)
        self.strict_stop: Callable[[Diagnostic], NoReturn] | None = None
        self.halves: list[PendingHalf] = []
        self.index = -1
        self.frame: Any = None
        self.raw: bytes | str | None = None
        self.dropped = False
        self.time: float | None = None
        self.clock: Callable[[], float] | None = None
        self.time_decoder: Any = None
        self.wire_time: float | None = None

    # ------------------------------------------------------------------------- indexes

    def reindex(self) -> None:
        """Rebuild every index from :attr:`conversation` (after a restore).

        ``usage_set`` is kept as it is (it is not in the model); ``latest_call`` takes, for
        each call id, the call whose first timeline entry is the latest.
        """
        self.runs, self.open_runs, self.spans, self.messages = {}, {}, {}, {}
        self.calls, self.latest_call, self.keyed_parts, self.message_runs = {}, {}, {}, {}
        latest: dict[str, tuple[int, ToolCall]] = {}
        seq = 0
        for session in self.conversation.sessions.values():
            for run in session.runs:
                self.runs[run.run_id] = run
                if not run.status.is_terminal:
                    self.open_runs[run.run_id] = run
                for span in run.walk_spans():
                    self.spans[span.span_id] = span
                for message in run.messages:
                    self.messages[message.message_id] = message
                    self.index_parts(message)
                    self.message_runs.setdefault(session.session_id, {})[run.run_id] = run
                    seq = max(seq, message.seq)
                for call_id, call in run.tool_calls.items():
                    self.calls[(run.run_id, call_id)] = call
                    timeline = call._timeline
                    first = timeline[0][1] if timeline and timeline[0][1] is not None else -1
                    if call_id not in latest or first >= latest[call_id][0]:
                        latest[call_id] = (first, call)
        self.latest_call = {call_id: call for call_id, (_, call) in latest.items()}
        self.wire_time = _latest_wire_time(self.conversation)
        self.open_runs = dict(
            sorted(self.open_runs.items(), key=lambda item: item[1].start_frame or -1)
        )
        self.seq = max(self.seq, seq)

    def stamp_end(self, message: Message) -> None:
        """Record the current frame as the end of ``message``."""
        message.end_frame = self.index
        message.end_time = self.now()

    def stamp_first_token(self, message: Message) -> None:
        """Record the current frame as ``message``'s first text or reasoning, once."""
        if message.first_token_frame is None:
            message.first_token_frame = self.index
            message.first_token_time = self.now()

    def index_parts(self, message: Message) -> None:
        """Index the keyed parts of ``message`` (the first part per key wins)."""
        keyed = self.keyed_parts
        message_id = message.message_id
        for part in message.parts:
            if type(part) is ToolResultPart:
                keyed.setdefault((message_id, RESULT_PART, part.call_id), part)
            elif type(part) is ReasoningPart and part.step_id is not None:
                keyed.setdefault((message_id, REASONING_PART, part.step_id), part)

    def unindex_parts(self, message: Message) -> None:
        """Forget the keyed parts of ``message`` (its parts are replaced or it leaves)."""
        keyed = self.keyed_parts
        message_id = message.message_id
        for part in message.parts:
            if type(part) is ToolResultPart:
                key = (message_id, RESULT_PART, part.call_id)
            elif type(part) is ReasoningPart and part.step_id is not None:
                key = (message_id, REASONING_PART, part.step_id)
            else:
                continue
            if keyed.get(key) is part:
                del keyed[key]

    def forget_message(self, message: Message) -> None:
        """Remove ``message`` from the indexes (it left the model)."""
        if self.messages.get(message.message_id) is message:
            del self.messages[message.message_id]
        self.unindex_parts(message)

    # ------------------------------------------------------------------------------ time

    def use_decoder(self, decoder: Any) -> None:
        """The current format is ``decoder``'s: its optional ``frame_time(frame)`` hook (seconds
        since the Unix epoch or ``None``; ``docs/write-a-format.md``) reads the wire's times."""
        self.time_decoder = decoder if callable(getattr(decoder, "frame_time", None)) else None

    def tell_decoders(self, hook: str, notes: Notes, *args: Any) -> None:
        """Call ``hook(*args)`` on every decoder that has it: ``run_evicted(session_id, run_id)``
        and ``session_evicted(session)``, the model's limits reaching the decoders'
        state (``docs/write-a-format.md``, "Hooks"). A decoder that raises is a
        ``decoder_error`` diagnostic."""
        for name, decoder in self.decoders.items():
            method = getattr(decoder, hook, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception as exc:  # a decoder bug must not take the caller down
                self.decoder_failed(f"{name} decoder failed at {hook}", exc, notes)

    def now(self, *, hold: bool = True) -> float | None:
        """The current frame's time in seconds: its wire timestamp when the format reads one
        (the latest wire time stamped when this frame has none, so a run never mixes clocks),
        else the arrival time the caller gave (``at=``, else the ``clock``'s now), else
        ``None`` (``docs/transcript.md``, "Time").
        Called where a start or end is stamped, not per frame; ``hold=False`` (a diagnostic's
        time) leaves the held wire time as it is (it is derived from the model on restore)."""
        decoder = self.time_decoder
        if decoder is not None:
            frame = self.frame
            wire = decoder.frame_time(frame) if frame is not None else None
            if wire is not None:
                if hold and (self.wire_time is None or wire > self.wire_time):
                    self.wire_time = wire
                return wire  # type: ignore[no-any-return]
            if self.wire_time is not None:
                return self.wire_time
        if self.time is None and self.clock is not None:
            return self.clock()
        return self.time

    def time_source(self) -> str | None:
        """``"wire"``, ``"arrival"`` or ``None``: what :meth:`now` reads (call it after)."""
        if self.time_decoder is not None and self.wire_time is not None:
            return "wire"
        return "arrival" if self.time is not None or self.clock is not None else None

    # ------------------------------------------------------------------------ primitives

    def new_message(
        self,
        run: Run,
        message_id: str,
        role: str,
        notes: Notes,
        *,
        span_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        text: str | None = None,
        completed: bool = False,
    ) -> Message:
        """Create a message at the end of ``run``, number it (``seq``), index it and announce
        it (:class:`~streamfold.notifications.MessageStarted`).

        The caller checked that ``message_id`` is new. A run's input message is made here too,
        so the run appliers do not call the message appliers.
        """
        self.seq += 1
        message = Message(
            message_id=message_id,
            role=role,
            run_id=run.run_id,
            span_id=span_id,
            metadata=metadata if metadata is not None else {},
            seq=self.seq,
            completed=completed,
            start_frame=self.index,
            start_time=self.now(),
        )
        if completed:
            message.end_frame, message.end_time = message.start_frame, message.start_time
        if text is not None:
            message.parts.append(TextPart(TextBuffer(text)))
            message.first_token_frame = message.start_frame
            message.first_token_time = message.start_time
        run.messages.append(message)
        self.messages[message_id] = message
        holders = self.message_runs.get(run.session_id)
        if holders is None:
            holders = self.message_runs[run.session_id] = {}
        holders[run.run_id] = run
        if span_id is not None:
            span = self.spans.get(span_id)
            if span is not None:
                span._message_ids = _appended(span._message_ids, message_id)
        notes.append(MessageStarted(run.run_id, message_id, role, message))
        return message

    def set_tool_state(self, call: ToolCall, new: ToolCallState, notes: Notes) -> None:
        """Move ``call`` to ``new``: the one place a tool call's state changes.

        Consults :data:`~streamfold.model.TOOL_CALL_TRANSITIONS`; a move it does not list is
        applied all the same (the sender's last word is kept) and reported as an
        ``illegal_tool_transition`` diagnostic. Records the timeline entry and the
        :class:`~streamfold.notifications.ToolCallStateChanged` notification.
        """
        old = call.state
        if old is new:
            return
        if new not in TOOL_CALL_TRANSITIONS[old]:
            self.diagnose(
                Diagnose(
                    "illegal_tool_transition",
                    f"tool call {call.call_id!r} moved {old.value} -> {new.value}, which its "
                    "lifecycle does not allow; applied",
                    Severity.WARNING,
                    run_id=call.run_id,
                ),
                notes,
            )
        call.state = new
        call._record_state(new, self.index)
        if new is ToolCallState.INPUT_COMPLETE:
            call.input_time = self.now()
        elif new in TERMINAL_TOOL_STATES:
            call.end_time = self.now()
        notes.append(ToolCallStateChanged(call.run_id or "", call.call_id, old, new, call))

    def complete_input(self, call: ToolCall, notes: Notes) -> None:
        """The call's arguments are complete: parse them (strictly; invalid or truncated JSON
        leaves ``input`` unset and keeps the text) and move to ``input-complete``. The
        arguments' pending surrogate half, if any, moved on (:mod:`streamfold.core.text`)."""
        if self.halves:
            self.flush_halves(notes, owner=call, kind="arguments")
        if call.input is UNSET and call.arguments_buffer:
            call.input = parse_json(call.arguments)
        self.set_tool_state(call, ToolCallState.INPUT_COMPLETE, notes)

    def truncate(
        self, buffer: TextBuffer, delta: str, run_id: str, target: str, kind: str, notes: Notes
    ) -> str:
        """The part of ``delta`` that fits under ``max_text_chars``; the first overflow of a
        text is announced (Truncated + a ``truncated`` diagnostic), later ones only counted."""
        limit = self.max_text_chars
        kept = delta[: max(limit - buffer.chars, 0)]
        first = buffer.dropped == 0
        buffer.dropped += len(delta) - len(kept)
        if first:
            notes.append(Truncated(run_id, target, kind, limit))
            self.diagnose(
                Diagnose(
                    "truncated",
                    f"{kind} of {target!r} reached max_text_chars={limit}; the rest is not kept",
                    run_id=run_id,
                ),
                notes,
            )
        return kept

    # ------------------------------------------------------------------ pending halves

    def flush_halves(
        self,
        notes: Notes,
        *,
        run_id: str | None = None,
        owner: Message | ToolCall | None = None,
        kind: StreamKind | None = None,
    ) -> None:
        """The text streams that ended (all, or those of ``run_id`` / ``owner`` / ``kind``):
        each pending half becomes U+FFFD (``unpaired_surrogate``; :mod:`streamfold.core.text`)."""
        for half in list(self.halves):
            if (
                (run_id is None or half.run_id == run_id)
                and (owner is None or half.owner is owner)
                and (kind is None or half.kind == kind)
            ):
                self.replace_half(half, notes)

    def replace_half(self, half: PendingHalf, notes: Notes) -> None:
        """``half`` never paired: one U+FFFD at the end of its stream, announced as a delta."""
        self.halves.remove(half)
        owner = half.owner
        self.surrogates_replaced(1, half.run_id, _name(owner), half.kind, notes)
        buffer = half.buffer
        if buffer.chars >= self.max_text_chars:
            buffer.dropped += 1
            return
        buffer.append(REPLACEMENT)
        note: Notification
        if isinstance(owner, Message):
            assert half.part is not None
            delta = TextDelta if half.kind == "text" else ReasoningDelta
            note = delta(half.run_id, owner.message_id, REPLACEMENT, half.part)
        elif half.kind == "arguments":
            note = ToolCallArgumentsDelta(half.run_id, owner.call_id, REPLACEMENT, owner)
        else:
            note = ToolOutputDelta(half.run_id, owner.call_id, REPLACEMENT, owner)
        notes.append(note)

    def surrogates_replaced(
        self, count: int, run_id: str | None, owner: str, kind: str, notes: Notes
    ) -> None:
        """The ``unpaired_surrogate`` diagnostic: ``count`` lone surrogates became U+FFFD."""
        what = "a lone surrogate" if count == 1 else f"{count} lone surrogates"
        self.diagnose(
            Diagnose(
                "unpaired_surrogate",
                f"{kind} of {owner!r}: {what} (half of a UTF-16 pair) replaced by U+FFFD",
                Severity.WARNING,
                run_id=run_id,
            ),
            notes,
        )

    # ----------------------------------------------------------------------- diagnostics

    def diagnose(self, e: Diagnose, notes: Notes) -> None:
        """Keep a diagnostic (in the conversation's ring) and announce it; in strict mode a
        WARNING or ERROR calls ``strict_stop`` instead, which raises ``ProtocolError``."""
        conversation = self.conversation
        diagnostics = conversation.diagnostics
        if diagnostics.maxlen is not None and len(diagnostics) == diagnostics.maxlen:
            conversation.diagnostics_evicted += 1
        diagnostic = self.make_diagnostic(e)
        if self.strict_stop is not None and e.severity is not Severity.INFO:
            self.strict_stop(diagnostic)  # strict mode: raises (docs/diagnostics.md)
        diagnostics.append(diagnostic)
        if e.dropped:
            if e.frame_index is None:
                self.dropped = True
            else:  # an earlier frame a decoder held, counted as applied until now
                self.late_drops += 1
        notes.append(diagnostic)

    def decoder_failed(self, what: str, exc: Exception, notes: Notes) -> None:
        """A decoder raised (a bug that must not take the caller down): an ERROR
        ``decoder_error`` diagnostic saying ``what`` and the exception."""
        text = f"{what}: {type(exc).__name__}: {exc}"
        self.diagnose(Diagnose("decoder_error", text, Severity.ERROR), notes)

    def make_diagnostic(self, event: Diagnose) -> Diagnostic:
        """The :class:`~streamfold.model.Diagnostic` for ``event`` at the current frame."""
        held = event.frame_index is not None  # about a frame a decoder held until now
        return Diagnostic(
            code=event.code,
            message=event.message,
            frame_index=event.frame_index if held else self.index,
            raw=self._cut(event.raw) if held else self.raw_text(),
            severity=event.severity,
            dropped=event.dropped,
            session_id=event.session_id,
            run_id=event.run_id,
            event_id=event.event_id,
            time=self.now(hold=False),
        )

    def raw_text(self) -> str | None:
        """The current frame's text as received (re-serialized when only the parsed frame is
        known), cut to ``max_raw_chars``."""
        raw = self.raw
        if raw is None:
            if self.frame is None:
                return None
            try:
                raw = dumps(self.frame, default=repr)
            except TypeError:
                raw = repr(self.frame)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return self._cut(text)

    def _cut(self, text: str | None) -> str | None:
        """``text`` without its line end, cut to ``max_raw_chars``."""
        if text is None:
            return None
        text = text.rstrip("\r\n")
        limit = self.max_raw_chars
        return text if len(text) <= limit else text[:limit] + "…"

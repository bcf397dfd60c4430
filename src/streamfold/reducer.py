"""The reducer: a sans-IO facade that folds frames into one :class:`Conversation`.

``Reducer`` composes three parts that do not know each other (h11's ``_connection.py`` over
``_receivebuffer``/``_readers``/``_state``):

* **intake** (this module): bytes → lines or SSE events (:mod:`streamfold.framing`) → JSON
  objects → a decoder chosen per frame (:mod:`streamfold.formats`) → canonical events
  (:mod:`streamfold.events`);
* **the core** (:mod:`streamfold.core`): each event is applied to
  :class:`~streamfold.core.FoldState` (the model and its indexes) by
  ``APPLY[type(event)](state, event, notes)``;
* **notifications** (:mod:`streamfold.notifications`): what changed, returned per call.

Rules: no I/O, clock or threads (time and bytes enter as arguments: ``at=``, a frame's ``t``,
an injected ``clock``); per frame, work proportional to the frame; nothing lost (every frame is
applied or kept in ``conversation.diagnostics`` with its raw text, so ``frames_in ==
frames_applied + frames_dropped``); lenient by default, and with ``strict=True`` the first
WARNING or ERROR raises :class:`~streamfold.errors.ProtocolError` and the reducer refuses more.

Lifecycle: ``OPEN`` → ``CLOSED`` or ``FAILED`` (sticky), as :mod:`streamfold.lifecycle` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, Self

import orjson

from . import events as ev
from . import hydrate as _hydrate
from .core import APPLY, FoldState, Notes, clean_fields, flush_halves, may_hold_surrogates
from .core.depth import DEFAULT_MAX_JSON_DEPTH, text_too_deep, value_too_deep
from .errors import FramingError, ProtocolError, UsageError
from .formats import Decoder, make_decoder
from .formats.select import non_json_rule, select_decoder
from .framing import DEFAULT_MAX_LINE_BYTES, LineSplitter, OversizedLine, SSEEvent, SSESplitter
from .lifecycle import LIFECYCLE_ALLOWS_APPLY, Lifecycle
from .model import Conversation, Diagnostic, Run, Severity, ToolCall
from .model.text import loads_with_surrogates, object_after_prefix
from .resume import restore, resume_state

if TYPE_CHECKING:
    from .framing import Frame
    from .snapshot.state import ResumeState

__all__ = ["Lifecycle", "Reducer"]

_OPEN: Final = Lifecycle.OPEN

_Notes = Notes

DEFAULT_MAX_TEXT_CHARS: Final = 16 * 1024 * 1024
DEFAULT_MAX_OPEN_RUNS: Final = 10_000


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
        strict: the first WARNING or ERROR diagnostic raises ``ProtocolError`` instead.
        max_line_bytes: longer lines are skipped, not buffered whole (``line_too_long``).
        max_diagnostics: how many diagnostics ``conversation.diagnostics`` keeps (a ring; older
            ones are counted in ``conversation.diagnostics_evicted``).
        max_raw_chars: how much of a frame's raw text a diagnostic keeps.
        decoders: ready-made decoders by format name, for formats with options (e.g.
            ``{"nnrp": NnrpDecoder(range_mode="inclusive")}``); other formats get defaults.
        max_text_chars: the most characters kept per text part, reasoning part, tool-call
            arguments and tool output (default 16 Mi); the rest is dropped and counted, with a
            ``Truncated`` notification and a ``truncated`` diagnostic.
        max_open_runs: the most runs open at once (default 10,000); starting one more ends the
            oldest open run as ``incomplete`` (a ``run_evicted`` diagnostic).
        max_sessions: keep at most this many sessions (default: no limit); when a new session
            would exceed it, the oldest *finished* session leaves the model with an
            :class:`~streamfold.notifications.Evicted` notification carrying it.
        max_json_depth: the deepest a frame may nest (default 128; an object or array is a
            level); a deeper frame is a dropped ``too_deep`` diagnostic with its text.
        clock: read (seconds) where a time is stamped without an arrival time; not snapshotted.
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
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if max_diagnostics < 1 or max_raw_chars < 0:
            raise UsageError("max_diagnostics must be >= 1 and max_raw_chars >= 0")
        if (
            max_text_chars < 1
            or max_open_runs < 1
            or (max_sessions is not None and max_sessions < 1)
            or max_json_depth < 1
        ):
            raise UsageError(
                "max_text_chars, max_open_runs, max_sessions and max_json_depth must be >= 1"
            )
        self._state = FoldState(
            max_diagnostics=max_diagnostics,
            max_raw_chars=max_raw_chars,
            max_text_chars=max_text_chars,
            max_open_runs=max_open_runs,
            max_sessions=max_sessions,
        )
        """Everything the core keeps: the model, its indexes, limits, the current frame."""
        self.format = format
        self.strict = strict  # (a property: the core calls _fail on a WARNING or ERROR)
        self._max_json_depth = max_json_depth
        self._deep_text = 2 * max_json_depth  # a shorter JSON text cannot nest deeper
        self._too_deep = f"frame nests deeper than max_json_depth ({max_json_depth} levels)"
        self.frames_in = 0
        """Frames offered so far (lines, SSE events, records, parsed objects)."""
        self.frames_dropped = 0
        """Frames not applied; each one has a ``dropped`` diagnostic with its raw text."""
        self._lifecycle = Lifecycle.OPEN
        self._failure: Diagnostic | None = None  # what put the reducer in FAILED
        self._decoders: dict[str, Decoder] = dict(decoders) if decoders else {}
        self._state.decoders = self._decoders  # (eviction reaches them: FoldState.tell_decoders)
        self._last_decoder: tuple[str, Decoder] | None = None
        if format is not None:
            self._last_decoder = (format, self._decoder_for(format))
            self._state.use_decoder(self._last_decoder[1])
        self._state.clock = clock  # read by FoldState.now where a time is stamped
        try:
            self._splitter = LineSplitter(max_line_bytes)
            self._sse = SSESplitter(max_line_bytes)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.sse_last_event_id: str | None = None
        """The SSE resume cursor: the last ``id:`` seen by :meth:`feed_sse` (send it back as
        ``Last-Event-ID`` when reconnecting)."""

    # ------------------------------------------------------------------------ snapshots

    def _resume_state(self) -> ResumeState:
        """What defines this reducer between frames, for streamfold.resume (docs/snapshot.md)."""
        return resume_state(self)

    def snapshot(self) -> dict[str, Any]:
        """This reducer's complete state as a JSON-safe ``dict`` (docs/snapshot.md). Raises
        :class:`~streamfold.errors.SnapshotError` for a decoder without a snapshot cursor."""
        from .snapshot import snapshot

        return snapshot(self)

    @classmethod
    def from_snapshot(cls, data: Any, *, max_snapshot_bytes: int = 1 << 30) -> Reducer:
        """A reducer that continues where the snapshotted one stopped, from :meth:`snapshot`
        output or its JSON bytes; safe on untrusted data (docs/snapshot.md). Raises
        :class:`~streamfold.errors.SnapshotError` for bytes over ``max_snapshot_bytes``, an
        unsupported version or damaged content; nothing is half-loaded."""
        from .snapshot import load, load_bytes

        if isinstance(data, bytes | bytearray | memoryview):
            state = load_bytes(bytes(data), max_snapshot_bytes=max_snapshot_bytes)
        else:
            state = load(data)
        return restore(cls, state)

    # ------------------------------------------------------------------ hydration

    @classmethod
    def from_ui_messages(cls, messages: Any, /, **options: Any) -> Self:
        """Seeded with a TanStack ``UIMessage[]``: :func:`streamfold.hydrate.from_ui_messages`."""
        return _hydrate.from_ui_messages(cls, messages, **options)

    @classmethod
    def from_run_input(cls, request: Any, /, **options: Any) -> Self:
        """Seeded with an AG-UI ``RunAgentInput``: :func:`streamfold.hydrate.from_run_input`."""
        return _hydrate.from_run_input(cls, request, **options)

    # ------------------------------------------------------------------------- public API

    def feed(
        self,
        frame: Mapping[str, Any],
        *,
        raw: bytes | str | None = None,
        valid_text: bool = False,
        at: float | None = None,
    ) -> _Notes:
        """Apply one parsed frame (a JSON object) and return what changed.

        ``raw``: the text as received, for diagnostics (else re-serialized if one needs it).
        ``valid_text=True``: no string holds a lone surrogate (docs/model.md, text integrity).
        ``at``: the arrival time (s), held for later frames without one (docs/transcript.md)."""
        # The per-frame hot path: _check_usable and the decode step inlined (0.1 of 2.5 µs).
        if self._lifecycle is not _OPEN:
            self._check_usable()
        state = self._state
        state.index += 1
        self.frames_in += 1
        state.frame, state.raw, state.dropped = frame, raw, False
        if at is not None:
            state.time = at
        notes: _Notes = []
        received: object = frame  # typed as a Mapping, but callers may pass anything
        if type(received) is not dict and not isinstance(received, Mapping):
            self._reject(
                "not_an_object", f"frame is a {type(received).__name__}, not an object", notes
            )
            self.frames_dropped += 1
            return notes
        if not valid_text:  # the text integrity rule from now on (docs/model.md)
            if value_too_deep(frame, self._max_json_depth):  # (feed_line checked its text)
                self._reject("too_deep", self._too_deep, notes)
                self.frames_dropped += 1
                return notes
            state.text_check = True
            if not state.field_check:  # ids, names and values too, once one may hold a half
                state.field_check = may_hold_surrogates(frame)
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
            events = decoder.decode(frame, state.index)
        except ProtocolError:
            raise
        except Exception as exc:  # a decoder bug must not take the caller down (never crash)
            self._reject("decoder_error", f"{type(exc).__name__}: {exc}", notes)
            self.frames_dropped += 1
            return notes
        if state.field_check:  # ids, names and values follow the text rule (docs/model.md)
            events = [clean_fields(state, event, notes) for event in events]
        if state.strict_stop is not None:  # a decoder's diagnostics before the frame applies
            for event in events:
                if isinstance(event, ev.Diagnose) and event.severity is not Severity.INFO:
                    self._fail(state.make_diagnostic(event))
        apply = APPLY
        for event in events:
            apply[type(event)](state, event, notes)
        if state.dropped or state.late_drops:
            self.frames_dropped += state.dropped + state.late_drops
            state.late_drops = 0
        state.frame = state.raw = None  # applied: a large frame is not kept until the next one
        return notes

    def feed_line(self, line: bytes | str) -> _Notes:
        """Parse one JSON text (an NDJSON line, an SSE data payload) and apply it.

        Text that is not JSON is kept as a ``not_json`` diagnostic, or as the stream's format
        records it (:meth:`~streamfold.formats.Decoder.non_json`; the Loom REPL's prompts are
        INFO ``repl_output``, ``docs/loom.md``). A line with text before its JSON object (a ``> ``
        prompt) is applied from its first ``{`` (INFO ``text_before_json``); JSON with lone
        surrogates on a fallback path (docs/model.md)."""
        try:
            frame = orjson.loads(line)
        except orjson.JSONDecodeError:
            return self._feed_non_json(line)
        if type(frame) is dict:
            if len(line) > self._deep_text and text_too_deep(line, frame, self._max_json_depth):
                return self._feed_rejected(line, "too_deep", self._too_deep)
            return self.feed(frame, raw=line, valid_text=True)
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

        Each event's data is one JSON frame; ``data: [DONE]`` is an INFO ``sse_done`` diagnostic
        and the decoder's :meth:`~streamfold.formats.Decoder.end_of_stream` (docs/tanstack.md)."""
        self._check_usable()
        notes: _Notes = []
        for event in self._sse.feed(data):
            notes += self.feed_sse_event(event)
        return notes

    def feed_sse_event(self, event: SSEEvent | OversizedLine) -> _Notes:
        """Apply one split SSE event: its data as a JSON frame, ``[DONE]`` as the end marker."""
        if isinstance(event, OversizedLine):
            return self.feed_framed(event)
        self.sse_last_event_id = event.last_event_id
        data = event.data
        if len(data) < 64 and data.strip() == "[DONE]":  # no copy of every event's data
            return self._feed_done(data)
        return self.feed_line(data)

    def feed_frame(self, frame: Frame) -> _Notes:
        """Apply one :class:`~streamfold.framing.Frame` (split elsewhere: a ``FrameSplitter``, a
        recording) as :meth:`feed_bytes` / :meth:`feed_sse` would its bytes; ``t`` is ``at``."""
        if frame.t is not None:
            self._state.time = frame.t
        if frame.oversized is not None:
            data = frame.data
            head = data.encode() if isinstance(data, str) else data
            return self.feed_framed(OversizedLine(frame.oversized, head))
        if frame.kind == "sse":
            return self.feed_sse_event(SSEEvent(frame.text, frame.sse_event, frame.sse_id))
        if frame.value is not None:
            return self.feed(frame.value, raw=frame.data)
        return self.feed_line(frame.data)

    def feed_stream(self, chunks: Iterable[bytes], framing: Literal["ndjson", "sse"]) -> None:
        """:meth:`feed_bytes` / :meth:`feed_sse` over ``chunks``, keeping no notifications (kept
        alive, they doubled full garbage collections on large files: docs/performance.md)."""
        if framing not in ("ndjson", "sse"):
            raise UsageError(f"feed_stream splits 'ndjson' or 'sse', not {framing!r}")
        self._check_usable()
        if framing == "ndjson":
            split_lines, apply_line = self._splitter.feed, self.feed_framed
            for chunk in chunks:
                for line in split_lines(chunk):
                    apply_line(line)
        else:
            split_events, apply_event = self._sse.feed, self.feed_sse_event
            for chunk in chunks:
                for event in split_events(chunk):
                    apply_event(event)

    def _feed_done(self, raw: str) -> _Notes:
        self._check_usable()
        state = self._state
        state.index += 1
        self.frames_in += 1
        state.frame, state.raw, state.dropped = None, raw, False
        notes: _Notes = []
        state.diagnose(ev.Diagnose("sse_done", "SSE [DONE] terminator", Severity.INFO), notes)
        last = self._last_decoder
        if last is not None:
            try:
                events = last[1].end_of_stream(state.index)
            except Exception as exc:  # a decoder bug must not take the caller down
                state.decoder_failed(f"{last[0]} decoder failed at [DONE]", exc, notes)
                return notes
            self._apply_all(events, notes)
        return notes

    def feed_lines(self, lines: Iterable[bytes | str]) -> _Notes:
        """Apply many lines (blank ones skipped); returns all notifications."""
        notes: _Notes = []
        for line in lines:
            if line.strip():
                notes += self.feed_line(line)
        return notes

    def close(self) -> _Notes:
        """End of input: flush an unterminated last line and let each decoder end what is
        still open (e.g. a Loom run with no reply line ends failed, awaiting approval or
        cancelled: ``docs/loom.md``). Idempotent; ``UsageError`` after a strict failure only
        if a held line must be fed."""
        if self._lifecycle is Lifecycle.CLOSED:
            return []
        notes: _Notes = []
        for line in self._splitter.close():
            notes += self.feed_framed(line)
        for sse_event in self._sse.close():
            notes += self.feed_sse_event(sse_event)
        if self._lifecycle is _OPEN:
            self._lifecycle = Lifecycle.CLOSED
        state = self._state
        state.index += 1
        state.frame, state.raw, state.dropped = None, None, False
        for name, decoder in self._decoders.items():
            try:
                events = decoder.finish()
            except Exception as exc:  # a decoder bug must not take the caller down
                state.decoder_failed(f"{name} decoder failed at end of input", exc, notes)
                continue
            self._apply_all(events, notes)
        flush_halves(state, notes)  # text streams still open end (docs/model.md)
        return notes

    @property
    def lifecycle(self) -> Lifecycle:
        """``OPEN``, ``CLOSED`` (after :meth:`close`) or ``FAILED`` (a strict-mode error)."""
        return self._lifecycle

    @property
    def closed(self) -> bool:
        """:meth:`close` was called (the lifecycle is not ``OPEN`` any more)."""
        return self._lifecycle is not _OPEN

    @property
    def strict(self) -> bool:
        """The first WARNING or ERROR diagnostic raises ``ProtocolError`` (docs/diagnostics.md)."""
        return self._state.strict_stop is not None

    @strict.setter
    def strict(self, value: bool) -> None:
        self._state.strict_stop = self._fail if value else None

    @property
    def state(self) -> FoldState:
        """The core's state: model, indexes, limits (:class:`~streamfold.core.FoldState`)."""
        return self._state

    @property
    def conversation(self) -> Conversation:
        """The folded model (changed in place as frames arrive)."""
        return self._state.conversation

    @property
    def max_text_chars(self) -> int:
        """The constructor's ``max_text_chars`` (characters kept per text)."""
        return self._state.max_text_chars

    @property
    def max_open_runs(self) -> int:
        """The constructor's ``max_open_runs``."""
        return self._state.max_open_runs

    @property
    def max_sessions(self) -> int | None:
        """The constructor's ``max_sessions`` (``None``: no limit)."""
        return self._state.max_sessions

    @property
    def max_json_depth(self) -> int:
        """Frames nested deeper are dropped as ``too_deep`` (the constructor's option)."""
        return self._max_json_depth

    @property
    def max_raw_chars(self) -> int:
        """The constructor's ``max_raw_chars`` (characters of a frame a diagnostic keeps)."""
        return self._state.max_raw_chars

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
        """The decoders created so far, by format name (read-only): e.g. the offset of the last
        durable NDJSON envelope, ``decoders["tanstack"].resume_cursor``, to reconnect."""
        return MappingProxyType(self._decoders)

    def run(self, run_id: str) -> Run:
        """The run with this id. Raises :class:`UsageError` if there is none."""
        try:
            return self._state.runs[run_id]
        except KeyError:
            raise UsageError(f"no run {run_id!r}") from None

    def tool_call(self, call_id: str, run_id: str | None = None) -> ToolCall | None:
        """The tool call ``call_id`` (in ``run_id`` when given, else the most recent one)."""
        if run_id is not None:
            return self._state.calls.get((run_id, call_id))
        return self._state.latest_call.get(call_id)

    def apply(self, events: Iterable[ev.Event]) -> _Notes:
        """Apply canonical events directly (client-side actions, tests, custom decoders).

        Allowed after :meth:`close` (client actions such as answering an approval come after
        the stream ended, :mod:`streamfold.actions`); refused after a strict-mode protocol
        error."""
        if self._lifecycle not in LIFECYCLE_ALLOWS_APPLY:
            self._check_usable()
        state = self._state
        state.text_check = state.field_check = True  # the caller's events may hold halves
        notes: _Notes = []
        self._apply_all(events, notes)
        return notes

    def _apply_all(self, events: Iterable[ev.Event], notes: _Notes) -> None:
        """Events from the caller or from a decoder's end-of-input hooks; once input that may
        hold lone surrogates was seen, every field follows the text rule (docs/model.md)."""
        state, apply, check = self._state, APPLY, self._state.field_check
        for event in events:
            if check:
                event = clean_fields(state, event, notes)
            apply[type(event)](state, event, notes)
        if state.late_drops:  # frames a decoder held until its end (docs/diagnostics.md)
            self.frames_dropped += state.late_drops
            state.late_drops = 0

    # ------------------------------------------------------------------------ frame intake

    def _check_usable(self) -> None:
        if self._lifecycle is Lifecycle.FAILED:
            failure = self._failure
            where = f" ({failure.code} at frame {failure.frame_index})" if failure else ""
            raise UsageError(f"this reducer stopped at a protocol error in strict mode{where}")
        if self._lifecycle is Lifecycle.CLOSED:
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
        self._state.use_decoder(chosen and chosen[1])
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
        frame = loads_with_surrogates(text)  # JSON but for lone surrogates (docs/model.md)
        if type(frame) is dict:
            return self.feed(frame, raw=line)
        found = object_after_prefix(text)  # a REPL prompt before the JSON object
        if found is not None:
            frame, brace = found
            if text_too_deep(text, frame, self._max_json_depth):
                return self._feed_rejected(line, "too_deep", self._too_deep)
            self._check_usable()
            notes = self.feed(frame, raw=line, valid_text=True)
            why = f"skipped {text[:brace]!r} before the JSON object"
            self._state.diagnose(ev.Diagnose("text_before_json", why, Severity.INFO), notes)
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
        state = self._state
        state.index += 1
        self.frames_in += 1
        state.frame, state.raw, state.dropped = None, raw, False
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
            diagnostic = self._state.make_diagnostic(event)
            self._fail(diagnostic, framing=framing)
        self._state.diagnose(event, notes)

    def _fail(self, diagnostic: Diagnostic, *, framing: bool = False) -> NoReturn:
        error = FramingError(diagnostic) if framing else ProtocolError(diagnostic)
        self._lifecycle, self._failure = Lifecycle.FAILED, diagnostic
        raise error

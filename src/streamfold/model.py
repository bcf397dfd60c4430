"""The merged conversation model.

One model for every wire format (``../shared/DESIGN.md`` "The model")::

    Conversation
     ├─ sessions: {session_id → Session}
     │    └─ runs: [Run]                      one agent run / request / NNRP operation
     │         ├─ status, finish_reason, stop_reason, error, reply
     │         ├─ spans: [Span]               root node spans; children nest (span.children)
     │         ├─ messages: [Message]         role + ordered parts (text, reasoning, tool call…)
     │         ├─ tool_calls: {call_id → ToolCall}
     │         ├─ usage: Usage                summed from the run's usage reports
     │         └─ state, checkpoints, custom_events, search (ToT/GoT), unknown_events
     ├─ usage: Usage                          summed over every run
     └─ diagnostics: [Diagnostic]             every anomaly, with code, frame index and raw text

The :class:`~streamfold.reducer.Reducer` owns the model and mutates it in place; callers read it.
Objects compare by identity (``eq=False``): two runs with equal fields are still two runs.
Accumulated text is kept as a list of pieces and joined lazily (``TextBuffer``), so appending a
delta costs O(len(delta)) however long the text already is.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Final, TypeVar

import attrs

__all__ = [
    "UNSET",
    "Approval",
    "Checkpoint",
    "Conversation",
    "CustomEvent",
    "Diagnostic",
    "Message",
    "Part",
    "ReasoningPart",
    "Run",
    "RunStatus",
    "SearchTree",
    "Session",
    "Severity",
    "Span",
    "SpanStatus",
    "TaskNode",
    "TextBuffer",
    "TextPart",
    "ToolCall",
    "ToolCallPart",
    "ToolCallState",
    "ToolResultPart",
    "TotStep",
    "Usage",
    "display_value",
]


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""Sentinel for "no value" where ``None`` is a legitimate value (e.g. a tool's parsed input)."""


def display_value(text: str) -> Any:
    """What a UI shows for a text that may be JSON (a tool result, a result part's content).

    A JSON string gives its text (``'"18C"'`` → ``'18C'``), a structured JSON value (object,
    array, number, boolean, null) gives the value, and text that is not JSON is returned as it
    is — but a JSON string cut short (a truncated tool result) gives its text so far. So a view
    prints a ``str`` as text and renders anything else as data; it never shows quoted JSON
    (docs/model.md, "What a UI shows").
    """
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    body = text.strip()
    if body.startswith('"'):
        # A JSON string cut short (Loom truncates long tool results and appends "..."): its
        # text so far. A cut inside an escape (``\``, ``\u00``) is trimmed back.
        import jiter

        cut = body.endswith(("...", "…"))
        body = body.removesuffix("...").removesuffix("…")
        for trim in range(7):
            try:
                value = jiter.from_json(
                    body[: len(body) - trim].encode(), partial_mode="trailing-strings"
                )
            except ValueError:
                continue
            if isinstance(value, str):
                return value + "…" if cut else value
            break
    return text


_T = TypeVar("_T")


def _appended(items: list[_T] | None, item: _T) -> list[_T]:
    """``items`` with ``item`` appended, the list created on first use.

    The usually-empty lists of the model (``Run.spans``, ``Span.children``…) are ``None`` until
    something is added: every empty list is one more object the garbage collector walks on each
    full collection (issue #7). Their public names are read-only properties that give ``[]``
    while nothing was added; the reducer appends with ``obj._field = _appended(obj._field, x)``.
    """
    if items is None:
        return [item]
    items.append(item)
    return items


def _list_repr(items: list[Any] | None) -> str:
    return repr([] if items is None else items)


class RunStatus(enum.StrEnum):
    """Lifecycle of a :class:`Run`."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    AWAITING_APPROVAL = "awaiting_approval"
    """The run stopped to ask the user (Loom ``tool_approval``; AG-UI interrupt outcome)."""
    INTERRUPTED = "interrupted"
    """The run stopped for another reason it expects to resume from (e.g. a client tool)."""
    INCOMPLETE = "incomplete"
    """The run ended but parts of its output never arrived (e.g. NNRP sequence gaps)."""

    @property
    def is_terminal(self) -> bool:
        return self is not RunStatus.RUNNING


class SpanStatus(enum.StrEnum):
    OPEN = "open"
    OK = "ok"
    ERROR = "error"
    UNCLOSED = "unclosed"
    """The run ended (or an outer span closed) while this span was still open."""


class ToolCallState(enum.StrEnum):
    """Tool-call lifecycle, in the TanStack AI / Vercel AI SDK vocabulary (DESIGN.md)."""

    AWAITING_INPUT = "awaiting-input"
    INPUT_STREAMING = "input-streaming"
    INPUT_COMPLETE = "input-complete"
    APPROVAL_REQUESTED = "approval-requested"
    APPROVAL_RESPONDED = "approval-responded"
    EXECUTING = "executing"
    COMPLETE = "complete"
    ERROR = "error"
    DENIED = "denied"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_TOOL_STATES


_TERMINAL_TOOL_STATES: Final = frozenset(
    {ToolCallState.COMPLETE, ToolCallState.ERROR, ToolCallState.DENIED, ToolCallState.CANCELLED}
)


class Severity(enum.StrEnum):
    INFO = "info"
    """Worth knowing; nothing was wrong (e.g. a REPL prompt line skipped)."""
    WARNING = "warning"
    """The sender did something odd but legal-looking (a gap in event_id, a duplicate)."""
    ERROR = "error"
    """The frame broke its format (not JSON, wrong field types, unmatched ids)."""


_CHUNK_PIECES = 8  # appended pieces a TextBuffer joins into one chunk (see its class)


class TextBuffer:
    """Append-only text kept as pieces and joined on read (cached until the next append).

    ``append`` is O(len(piece)) amortized; ``str(buf)`` / ``.text`` is O(total) only the first
    time after an append. Reading after *every* append brings back O(n²) — read when rendering,
    not per delta.
    """

    __slots__ = ("_cache", "_compact_at", "_pieces", "chars", "dropped")

    # Exactly one of ``_cache`` (the whole text) and ``_pieces`` (pieces to join) is not None: a
    # buffer that is empty or holds one string keeps no list, one object less for the garbage
    # collector to walk (issue #7). The reducer's ``_append_text`` inlines ``append``.
    #
    # ``_pieces`` is ``[chunk, …, chunk, piece, …]``: every _CHUNK_PIECES appended pieces are
    # joined into one chunk (each character is copied once more, amortized O(1) per append).
    # A text delta is a few characters, so a string object per delta costs ~50 bytes of header
    # and one reference for every full collection to visit. Joining them cut the folded model of
    # a 1M-frame stream (RSS after a full collection) from 119 to 78 MB (Loom), 136 to 93 MB
    # (AG-UI) and 137 to 89 MB (NNRP), and the references a full collection visits by 30%, for
    # ~1.6% more instructions per text delta. ``_compact_at`` is the list length at which the
    # pieces after the chunks are joined.

    def __init__(self, text: str = "") -> None:
        self._pieces: list[str] | None = None
        self._cache: str | None = text
        self._compact_at = 0
        self.chars = len(text)
        """Length of the text in characters (what ``len()`` returns, without the call)."""
        self.dropped = 0
        """Characters not kept because the reducer's size limit for this text was reached."""

    def append(self, piece: str) -> None:
        if piece:
            pieces = self._pieces
            if pieces is None:
                cache = self._cache
                if cache:  # the text so far counts as the first chunk
                    self._pieces = [cache, piece]
                    self._compact_at = 1 + _CHUNK_PIECES
                else:
                    self._pieces = [piece]
                    self._compact_at = _CHUNK_PIECES
                self._cache = None
            else:
                pieces.append(piece)
                if len(pieces) >= self._compact_at:
                    self._compact()
            self.chars += len(piece)

    def _compact(self) -> None:
        """Join the pieces after the chunks into one chunk (_CHUNK_PIECES of them)."""
        pieces = self._pieces
        assert pieces is not None
        start = self._compact_at - _CHUNK_PIECES
        pieces[start:] = ("".join(pieces[start:]),)
        self._compact_at = start + 1 + _CHUNK_PIECES

    def replace(self, text: str) -> None:
        self._pieces = None
        self._cache = text
        self.chars = len(text)

    @property
    def text(self) -> str:
        cache = self._cache
        if cache is None:
            cache = self._cache = "".join(self._pieces or ())
            self._pieces = None
        return cache

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return self.chars

    def __bool__(self) -> bool:
        return self.chars > 0

    def __repr__(self) -> str:
        text = self.text
        return f"TextBuffer({text[:40] + '…' if len(text) > 40 else text!r})"


@attrs.define(slots=True, eq=False)
class Usage:
    """Token usage. Counts are in tokens; absent counts are 0.

    ``prompt_tokens_details`` / ``completion_tokens_details`` keep provider details (e.g.
    ``cached_tokens``, ``reasoning_tokens``) apart from the three headline counts, summed key-wise.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: dict[str, int] = attrs.field(factory=dict)
    completion_tokens_details: dict[str, int] = attrs.field(factory=dict)
    reports: int = 0
    """How many usage reports were folded into this value."""

    def add(self, other: Usage, sign: int = 1) -> None:
        self.prompt_tokens += sign * other.prompt_tokens
        self.completion_tokens += sign * other.completion_tokens
        self.total_tokens += sign * other.total_tokens
        for mine, theirs in (
            (self.prompt_tokens_details, other.prompt_tokens_details),
            (self.completion_tokens_details, other.completion_tokens_details),
        ):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + sign * value
        self.reports += sign * max(other.reports, 1)

    def copy(self) -> Usage:
        return Usage(
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
            dict(self.prompt_tokens_details),
            dict(self.completion_tokens_details),
            self.reports,
        )

    def __bool__(self) -> bool:
        return self.reports > 0


@attrs.define(slots=True, eq=False, frozen=True)
class Diagnostic:
    """One anomaly in the input, kept so that nothing is lost silently.

    ``code`` is stable (see ``docs/diagnostics.md``); ``frame_index`` is the 0-based index of the
    frame (line / SSE event / record) in the reducer's input; ``raw`` is the frame's text as
    received, truncated to the reducer's ``max_raw_chars``. ``dropped`` says the frame was *not*
    applied (it survives only here); otherwise it was applied and this says what was odd.
    """

    code: str
    message: str
    frame_index: int | None = None
    raw: str | None = None
    severity: Severity = Severity.WARNING
    dropped: bool = False
    session_id: str | None = None
    run_id: str | None = None
    event_id: int | None = None


# --------------------------------------------------------------------------------------------
# Tool calls


@attrs.define(slots=True, eq=False)
class Approval:
    """A pending or answered approval request for a tool call."""

    approval_id: str | None = None
    approved: bool | None = None
    """``None`` while pending."""
    input: Any = None


_Timeline = tuple[tuple[str, int | None], ...] | list[tuple[str, int | None]]
_STATE_VALUES: Final[dict[ToolCallState, str]] = {state: state.value for state in ToolCallState}
_NO_TIMELINE: Final[tuple[tuple[str, int | None], ...]] = ()
_TIMELINE_TUPLE_MAX: Final = 16
"""A timeline longer than this is kept in a list, so appending stays O(1) (a stream that flips a
call's state back and forth must not make each flip cost O(history))."""


def _plain_timeline(entries: Iterable[tuple[str, int | None]]) -> _Timeline:
    """A given timeline (``ToolCall(timeline=...)``) as stored: plain state values."""
    if entries is _NO_TIMELINE:
        return _NO_TIMELINE
    plain = tuple((ToolCallState(state).value, index) for state, index in entries)
    return plain if len(plain) <= _TIMELINE_TUPLE_MAX else list(plain)


# on_setattr=NO_OP: the timeline's converter is for __init__ only; without it attrs would give
# the class a __setattr__ running the converter on every attribute assignment.
@attrs.define(slots=True, eq=False, on_setattr=attrs.setters.NO_OP)
class ToolCall:
    """One tool call's whole lifecycle.

    ``arguments`` is the argument text as streamed (authoritative complete arguments replace it);
    ``input`` is the parsed arguments, set only once they are complete *and* valid JSON (``UNSET``
    before); :meth:`partial_input` parses a streaming prefix on demand (jiter partial mode).
    ``output`` is the streamed tool output (Loom ``tool_output``); ``result`` the final result
    text and ``result_value`` its JSON value when it parses. ``timeline`` lists
    ``(state, frame_index)`` transitions.
    """

    # The transitions are kept as (state value, frame index) tuples of plain str/int/None, which
    # CPython's collector untracks (an enum member would keep each tuple tracked), in a tuple
    # while short: ``timeline`` builds the public list on read (issue #7).

    call_id: str
    name: str | None = None
    run_id: str | None = None
    message_id: str | None = None
    span_id: str | None = None
    state: ToolCallState = ToolCallState.AWAITING_INPUT
    arguments_buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    input: Any = UNSET
    approval: Approval | None = None
    output_buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    result: str | None = None
    result_value: Any = UNSET
    raw_result: str | None = None
    error: str | None = None
    provider_executed: bool = False
    client_tool: bool = False
    """The sender asked the client to execute this call (AG-UI client-tool interrupt, TanStack
    ``tool-input-available``); its result comes from the client (:mod:`streamfold.actions`)."""
    interrupt_id: str | None = None
    """The id of the interrupt that asked for the client execution, to answer when resuming."""
    metadata: dict[str, Any] = attrs.field(factory=dict)
    _timeline: _Timeline = attrs.field(
        default=_NO_TIMELINE,
        alias="timeline",
        converter=_plain_timeline,
        repr=False,
    )

    @property
    def timeline(self) -> list[tuple[ToolCallState, int | None]]:
        """``(state, frame_index)`` per state transition, oldest first (a new list per read)."""
        return [(ToolCallState(state), index) for state, index in self._timeline]

    def _record_state(self, state: ToolCallState, frame_index: int | None) -> None:
        """Append a transition to the timeline (what the reducer calls)."""
        entry = (_STATE_VALUES[state], frame_index)  # not state.value: a Python-level property
        timeline = self._timeline
        if isinstance(timeline, list):
            timeline.append(entry)
        elif len(timeline) < _TIMELINE_TUPLE_MAX:
            self._timeline = (*timeline, entry)
        else:  # a long history: stop copying
            self._timeline = [*timeline, entry]

    @property
    def arguments(self) -> str:
        return self.arguments_buffer.text

    @property
    def output(self) -> str:
        return self.output_buffer.text

    def partial_input(self) -> Any:
        """Best-effort parse of the arguments so far (``None`` if nothing parses yet).

        Uses jiter's ``'trailing-strings'`` partial mode: no invented values, a growing trailing
        string is kept (notes/peers.md §2). O(len(arguments)) per call: call it when rendering.
        """
        if self.input is not UNSET:
            return self.input
        import jiter

        text = self.arguments
        if not text.strip():
            return None
        try:
            return jiter.from_json(text.encode(), partial_mode="trailing-strings")
        except ValueError:
            return None

    @property
    def display(self) -> Any:
        """What a UI shows for the call's outcome (docs/model.md, "What a UI shows"): the
        ``error`` text when it failed; else the result as :func:`display_value` gives it (its
        text, or its value when it is structured); else the streamed ``output`` text; ``None``
        while there is nothing to show."""
        if self.error is not None:
            return self.error
        if self.result is not None:
            if self.result_value is UNSET:
                return display_value(self.result)
            return self.result_value
        output = self.output
        return output if output else None


# --------------------------------------------------------------------------------------------
# Messages and parts


@attrs.define(slots=True, eq=False)
class TextPart:
    buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    kind: str = "text"

    @property
    def text(self) -> str:
        return self.buffer.text


@attrs.define(slots=True, eq=False)
class ReasoningPart:
    buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    step_id: str | None = None
    signature: str | None = None
    encrypted: str | None = None
    kind: str = "reasoning"

    @property
    def text(self) -> str:
        return self.buffer.text


@attrs.define(slots=True, eq=False)
class ToolCallPart:
    """Where a tool call sits among a message's parts; the call itself is ``call``."""

    call: ToolCall
    kind: str = "tool-call"

    @property
    def call_id(self) -> str:
        return self.call.call_id


@attrs.define(slots=True, eq=False)
class ToolResultPart:
    """A tool's result placed in the message that owns the call (TanStack ``tool-result``)."""

    call_id: str
    content: str
    is_error: bool = False
    error: str | None = None
    kind: str = "tool-result"

    @property
    def display(self) -> Any:
        """What a UI shows for this result: ``content`` (JSON text as TanStack sends it) as
        :func:`display_value` gives it — its text, or its value when it is structured."""
        return display_value(self.content)


Part = TextPart | ReasoningPart | ToolCallPart | ToolResultPart


@attrs.define(slots=True, eq=False)
class Message:
    """A message with ordered parts.

    Text appends to the last part when it is a text part, and starts a new text part after a
    tool call or reasoning (so text → tool → text gives three parts, as TanStack and Loom's web
    UI render it).
    """

    message_id: str
    role: str = "assistant"
    run_id: str | None = None
    span_id: str | None = None
    parts: list[Part] = attrs.field(factory=list)
    completed: bool = False
    metadata: dict[str, Any] = attrs.field(factory=dict)
    seq: int = 0
    """Position in the conversation's message order: the reducer numbers messages as they are
    created (across runs and sessions), and a messages snapshot renumbers its messages in the
    snapshot's order. Sort a session's messages by it to get the thread as the sender sees it."""

    @property
    def text(self) -> str:
        """All text parts joined (no separator)."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def reasoning(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, ReasoningPart))

    def tool_calls(self) -> list[ToolCall]:
        return [p.call for p in self.parts if isinstance(p, ToolCallPart)]


# --------------------------------------------------------------------------------------------
# Spans, runs, sessions


@attrs.define(slots=True, eq=False)
class Span:
    """A node run: node_enter … node_exit (Loom), a step (AG-UI STEP_*).

    ``span_id`` is unique in the reducer; ``event_id`` is the opening frame's event_id (Loom keys
    spans by the enter event, notes/loom.md A4). ``node_id`` is the sender's envelope node_id,
    which is sticky and may repeat: kept for display, never used as identity.
    """

    span_id: str
    name: str
    run_id: str
    node_id: str | None = None
    event_id: int | None = None
    parent: Span | None = attrs.field(default=None, repr=False)
    parent_tool_call_id: str | None = None
    """Set when the span ran inside a tool call (a sub-agent, notes/loom.md A14)."""
    _children: list[Span] | None = attrs.field(default=None, alias="children", repr=False)
    status: SpanStatus = SpanStatus.OPEN
    error: str | None = None
    usage: Usage = attrs.field(factory=Usage)
    """Usage reported while this span was the innermost open span (children not included)."""
    _message_ids: list[str] | None = attrs.field(default=None, alias="message_ids", repr=_list_repr)
    start_frame: int | None = None
    end_frame: int | None = None

    @property
    def children(self) -> list[Span]:
        """Spans opened inside this one, in start order (read-only)."""
        children = self._children
        return [] if children is None else children

    @property
    def message_ids(self) -> list[str]:
        """Messages started while this span was open (read-only)."""
        message_ids = self._message_ids
        return [] if message_ids is None else message_ids

    @property
    def depth(self) -> int:
        depth, span = 0, self.parent
        while span is not None:
            depth, span = depth + 1, span.parent
        return depth

    def walk(self) -> Iterator[Span]:
        """This span and its descendants, depth first, in start order."""
        yield self
        for child in self._children or ():
            yield from child.walk()

    def total_usage(self) -> Usage:
        total = Usage()
        for span in self.walk():
            if span.usage:
                total.add(span.usage)
        return total


@attrs.define(slots=True, eq=False)
class Checkpoint:
    checkpoint_id: str | None
    data: dict[str, Any]
    frame_index: int | None = None


@attrs.define(slots=True, eq=False)
class CustomEvent:
    name: str | None
    value: Any
    frame_index: int | None = None


@attrs.define(slots=True, eq=False)
class TotStep:
    """One Tree-of-Thoughts expansion: candidates, then (when evaluated) scores and a choice."""

    candidates: list[str]
    scores: list[float] = attrs.field(factory=list)
    chosen: int | None = None
    backtracked: str | None = None
    """Set to the reason when a later ``tot_backtrack`` abandoned this step."""


@attrs.define(slots=True, eq=False)
class TaskNode:
    """One Graph-of-Thoughts task: ``pending → running → complete | failed``."""

    node_id: str
    status: str = "pending"
    result_summary: str | None = None
    error: str | None = None
    added_by: str | None = None
    """For nodes added by an adaptive ``got_expand``: the task that expanded."""


@attrs.define(slots=True, eq=False)
class SearchTree:
    """The ToT search tree / GoT task graph of a run."""

    tot_steps: list[TotStep] = attrs.field(factory=list)
    backtracks: list[tuple[str, int | None]] = attrs.field(factory=list)
    tasks: dict[str, TaskNode] = attrs.field(factory=dict)
    planned_edges: int | None = None
    expansions: list[dict[str, Any]] = attrs.field(factory=list)


@attrs.define(slots=True, eq=False)
class Run:
    """One agent run / request / NNRP operation."""

    run_id: str
    session_id: str
    status: RunStatus = RunStatus.RUNNING
    thread_id: str | None = None
    agent: str | None = None
    input_text: str | None = None
    parent_run_id: str | None = None
    finish_reason: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    error_code: str | None = None
    reply: str | None = None
    """The final answer as the sender stated it (Loom reply line). Authoritative over the
    streamed text, which is kept per message."""
    reasoning_content: str | None = None
    _spans: list[Span] | None = attrs.field(default=None, alias="spans", repr=False)
    messages: list[Message] = attrs.field(factory=list, repr=False)
    tool_calls: dict[str, ToolCall] = attrs.field(factory=dict, repr=False)
    usage: Usage = attrs.field(factory=Usage)
    state: Any = None
    """Latest full state (Loom ``values``/``updates``, AG-UI STATE_SNAPSHOT + STATE_DELTA)."""
    state_updates: int = 0
    _checkpoints: list[Checkpoint] | None = attrs.field(
        default=None, alias="checkpoints", repr=False
    )
    _custom_events: list[CustomEvent] | None = attrs.field(
        default=None, alias="custom_events", repr=False
    )
    search: SearchTree | None = attrs.field(default=None, repr=False)
    _unknown_events: list[dict[str, Any]] | None = attrs.field(
        default=None, alias="unknown_events", repr=False
    )
    lossy: bool = False
    """True when frames of this run are known to be missing (event_id gap, sequence gap)."""
    _missing: list[tuple[int, int]] | None = attrs.field(
        default=None, alias="missing", repr=_list_repr
    )
    metadata: dict[str, Any] = attrs.field(factory=dict, repr=False)
    start_frame: int | None = None
    end_frame: int | None = None

    # The usually-empty lists are None until the reducer adds to them (see ``_appended``).

    @property
    def spans(self) -> list[Span]:
        """Root spans, in start order; nested ones are in ``span.children`` (read-only)."""
        spans = self._spans
        return [] if spans is None else spans

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """Saved checkpoints, in arrival order (read-only)."""
        checkpoints = self._checkpoints
        return [] if checkpoints is None else checkpoints

    @property
    def custom_events(self) -> list[CustomEvent]:
        """Custom events, in arrival order (read-only)."""
        custom_events = self._custom_events
        return [] if custom_events is None else custom_events

    @property
    def unknown_events(self) -> list[dict[str, Any]]:
        """Frames of event types the decoder does not know, kept as received (read-only)."""
        unknown_events = self._unknown_events
        return [] if unknown_events is None else unknown_events

    @property
    def missing(self) -> list[tuple[int, int]]:
        """Known-missing ranges (half-open) — event_ids (Loom) or token sequences (NNRP)
        (read-only)."""
        missing = self._missing
        return [] if missing is None else missing

    def walk_spans(self) -> Iterator[Span]:
        for span in self._spans or ():
            yield from span.walk()

    @property
    def text(self) -> str:
        """The run's answer: the reply when the sender gave one, else all assistant text."""
        if self.reply is not None:
            return self.reply
        return "".join(m.text for m in self.messages if m.role == "assistant")

    @property
    def display_reply(self) -> str | None:
        """The reply as a UI that shows the run's messages should add it: ``None`` when there
        is no reply or when the last assistant message with text already says it (whitespace
        aside; Loom streams the answer, then repeats it on the reply line), else the reply
        (docs/model.md, "What a UI shows")."""
        reply = self.reply
        if reply is None:
            return None
        for message in reversed(self.messages):
            if message.role == "assistant":
                text = message.text
                if text:
                    return None if text.strip() == reply.strip() else reply
        return reply


@attrs.define(slots=True, eq=False)
class Session:
    session_id: str
    thread_id: str | None = None
    runs: list[Run] = attrs.field(factory=list, repr=False)
    usage: Usage = attrs.field(factory=Usage)


@attrs.define(slots=True, eq=False)
class Conversation:
    sessions: dict[str, Session] = attrs.field(factory=dict)
    usage: Usage = attrs.field(factory=Usage)
    diagnostics: deque[Diagnostic] = attrs.field(factory=deque, repr=False)
    """The most recent diagnostics (a ring of the reducer's ``max_diagnostics``)."""
    diagnostics_evicted: int = 0
    """How many older diagnostics the ring let go (their count is all that is kept)."""

    @property
    def runs(self) -> list[Run]:
        """Every run of every session, sessions in first-seen order."""
        return [run for session in self.sessions.values() for run in session.runs]

    @property
    def threads(self) -> dict[str, list[Run]]:
        """Runs grouped by conversation thread, in first-seen order.

        Loom's CLI starts a new ``session_id`` every turn and names the thread only on the reply
        line (notes/loom.md A2), so the runs of one conversation are spread over sessions; this
        groups them back by ``run.thread_id`` (falling back to the session's thread id, then the
        session id).
        """
        threads: dict[str, list[Run]] = {}
        for session in self.sessions.values():
            for run in session.runs:
                key = run.thread_id or session.thread_id or session.session_id
                threads.setdefault(key, []).append(run)
        return threads

    def find_run(self, run_id: str) -> Run | None:
        for run in self.runs:
            if run.run_id == run_id:
                return run
        return None

"""The conversation tree: :class:`Conversation` → :class:`Session` → :class:`Run` → spans,
messages (with their parts) and tool calls; :class:`Diagnostic`."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import attrs

from .search import SearchTree
from .tools import ToolCall
from .values import (
    MissingUnit,
    RunStatus,
    Severity,
    SpanStatus,
    TextBuffer,
    Usage,
    _list_repr,
    display_value,
)

__all__ = [
    "ActivityPart",
    "Checkpoint",
    "Conversation",
    "CustomEvent",
    "Diagnostic",
    "Interrupt",
    "Message",
    "Part",
    "ReasoningPart",
    "Run",
    "Session",
    "Span",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
]


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
    time: float | None = None
    """When the frame arrived, in seconds on the run's clock (``docs/transcript.md``, "Time");
    ``None`` when the input carries no time."""


# --------------------------------------------------------------------------------------------
# Messages and parts


@attrs.define(slots=True, eq=False)
class TextPart:
    """A run of assistant text in a message (``kind == "text"``), kept in a chunking
    :class:`TextBuffer` (read :attr:`text`; ``buffer.chars`` is its length in characters,
    ``buffer.dropped`` what ``max_text_chars`` cut). A message has a new text part after each tool
    call (docs/model.md)."""

    buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    kind: str = "text"

    @property
    def text(self) -> str:
        """The part's text so far (joined once and cached until the next append)."""
        return self.buffer.text


@attrs.define(slots=True, eq=False)
class ReasoningPart:
    """Reasoning ("thinking") in a message (``kind == "reasoning"``): its text in a
    :class:`TextBuffer`, the sender's ``step_id`` when reasoning comes in steps, and the provider's
    ``signature`` / ``encrypted`` content to send back unchanged (Anthropic thinking signatures,
    OpenAI encrypted reasoning; docs/model.md)."""

    buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    step_id: str | None = None
    signature: str | None = None
    encrypted: str | None = None
    kind: str = "reasoning"

    @property
    def text(self) -> str:
        """The reasoning text so far (joined once and cached until the next append)."""
        return self.buffer.text


@attrs.define(slots=True, eq=False)
class ToolCallPart:
    """Where a tool call sits among a message's parts; the call itself is ``call``."""

    call: ToolCall
    kind: str = "tool-call"

    @property
    def call_id(self) -> str:
        """The id of the call this part places (``call.call_id``)."""
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


@attrs.define(slots=True, eq=False)
class ActivityPart:
    """The one part of an activity message (role ``"activity"``; AG-UI ``ACTIVITY_SNAPSHOT`` /
    ``ACTIVITY_DELTA``, an ``activity`` message of ``MESSAGES_SNAPSHOT``): a structured,
    frontend-only progress item (a plan, a search, tool availability) that the sender replaces
    or JSON-patches while it runs. ``activity_type`` is the sender's open discriminator
    (``"PLAN"``, ``"SEARCH"``, …); ``content`` the current JSON object (docs/agui.md,
    "Activities")."""

    activity_type: str
    content: Any = attrs.field(factory=dict)
    kind: str = "activity"


Part = TextPart | ReasoningPart | ToolCallPart | ToolResultPart | ActivityPart


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
    start_frame: int | None = None
    """Index of the frame that started the message; ``end_frame`` the one that completed it;
    ``first_token_frame`` the first frame with text or reasoning (``None`` until there is)."""
    end_frame: int | None = None
    first_token_frame: int | None = None
    start_time: float | None = None
    """The times of those frames in seconds (``docs/transcript.md``, "Time"); ``None`` when the
    input carries no time."""
    end_time: float | None = None
    first_token_time: float | None = None

    @property
    def text(self) -> str:
        """All text parts joined (no separator)."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def reasoning(self) -> str:
        """The message's reasoning: the text of its reasoning parts, in order (``""`` when it has
        none)."""
        return "".join(p.text for p in self.parts if isinstance(p, ReasoningPart))

    def tool_calls(self) -> list[ToolCall]:
        """The tool calls placed in this message, in part order."""
        return [p.call for p in self.parts if isinstance(p, ToolCallPart)]


# --------------------------------------------------------------------------------------------
# Spans, runs, sessions


@attrs.define(slots=True, eq=False)
class Span:
    """A node run: node_enter … node_exit (Loom), a step (AG-UI STEP_*).

    ``span_id`` is unique in the reducer; ``event_id`` is the opening frame's event_id (Loom keys
    spans by the enter event, docs/loom.md#a4). ``node_id`` is the sender's envelope node_id,
    which is sticky and may repeat: kept for display, never used as identity.
    """

    span_id: str
    name: str
    run_id: str
    node_id: str | None = None
    event_id: int | None = None
    parent: Span | None = attrs.field(default=None, repr=False)
    parent_tool_call_id: str | None = None
    """Set when the span ran inside a tool call (a sub-agent, docs/loom.md#a14)."""
    _children: list[Span] | None = attrs.field(default=None, alias="children", repr=False)
    status: SpanStatus = SpanStatus.OPEN
    error: str | None = None
    usage: Usage = attrs.field(factory=Usage)
    """Usage reported while this span was the innermost open span (children not included)."""
    _message_ids: list[str] | None = attrs.field(default=None, alias="message_ids", repr=_list_repr)
    start_frame: int | None = None
    end_frame: int | None = None
    start_time: float | None = None
    """Seconds on the run's clock (``docs/transcript.md``, "Time"); ``None`` without time."""
    end_time: float | None = None

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
        """How many spans enclose this one (0 for a run's top-level span; at most ``MAX_SPAN_DEPTH -
        1``: docs/how-to/bound-memory.md). O(depth)."""
        depth, span = 0, self.parent
        while span is not None:
            depth, span = depth + 1, span.parent
        return depth

    def walk(self) -> Iterator[Span]:
        """This span and its descendants, depth first, in start order (an explicit stack: a
        stream may nest spans deeper than Python's recursion limit)."""
        stack = [self]
        while stack:
            span = stack.pop()
            yield span
            if span._children:
                stack.extend(reversed(span._children))

    def total_usage(self) -> Usage:
        """The usage of this span and every span inside it, summed (a new :class:`Usage`; ``usage``
        alone counts only what was reported while this span was the innermost)."""
        total = Usage()
        for span in self.walk():
            if span.usage:
                total.add(span.usage)
        return total


@attrs.define(slots=True, eq=False)
class Checkpoint:
    """A state checkpoint the run reported (Loom ``checkpoint``; docs/loom.md, A13): its id, its
    data as sent, and the index of the frame that carried it."""

    checkpoint_id: str | None
    data: dict[str, Any]
    frame_index: int | None = None


@attrs.define(slots=True, eq=False)
class CustomEvent:
    """An application event the sender attached to the run (AG-UI ``CUSTOM``, Loom ``custom``): its
    name, its value as sent, and the index of the frame that carried it."""

    name: str | None
    value: Any
    frame_index: int | None = None


@attrs.define(slots=True, eq=False)
class Interrupt:
    """A pause the run asked the client to answer before it can go on (AG-UI 1.0 ``Interrupt``;
    TanStack's approval and client-tool interrupts, pydantic-ai's tool approvals, LangGraph's
    ``interrupt()``; docs/agui.md, "Interrupts").

    ``interrupt_id`` is what a resume names (``RunAgentInput.resume[].interruptId``);
    ``reason`` the sender's open string (``"tool_call"``, ``"input_required"``,
    ``"langgraph:interrupt"``, …); ``tool_call_id`` the call it is about, when it is about one
    (an approval or a client tool); ``response_schema`` the JSON Schema the answer must follow;
    ``expires_at`` ISO 8601 text as sent; ``value`` the payload the sender paused with when it
    gives one outside ``metadata`` (LangGraph's ``interrupt(value)``, JSON text as sent).
    ``status`` is ``"pending"`` until a client action answers it: ``"resolved"`` (with
    ``response``, the payload sent back) or ``"cancelled"``.
    """

    interrupt_id: str | None
    reason: str | None = None
    message: str | None = None
    tool_call_id: str | None = None
    response_schema: Any = None
    expires_at: str | None = None
    subagent_run_id: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    value: Any = None
    status: str = "pending"
    response: Any = None


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
    _interrupts: list[Interrupt] | None = attrs.field(default=None, alias="interrupts", repr=False)
    lossy: bool = False
    """True when frames of this run are known to be missing (event_id gap, sequence gap)."""
    _missing: list[tuple[int, int]] | None = attrs.field(
        default=None, alias="missing", repr=_list_repr
    )
    missing_unit: MissingUnit | None = None
    """What the numbers in :attr:`missing` count: ``"event_id"`` or ``"token_seq"``
    (:data:`~streamfold.model.MissingUnit`); ``None`` while nothing is missing."""
    metadata: dict[str, Any] = attrs.field(factory=dict, repr=False)
    start_frame: int | None = None
    end_frame: int | None = None
    start_time: float | None = None
    """Seconds on the run's clock (``docs/transcript.md``, "Time"); ``None`` without time."""
    end_time: float | None = None
    time_source: str | None = None
    """Where the run's times come from: ``"wire"`` (the sender's own timestamps, AG-UI
    ``timestamp``: seconds since the Unix epoch), ``"arrival"`` (the arrival times the caller
    gave, ``feed(..., at=...)``, a reducer ``clock`` or a recording's ``t``), or ``None`` (no
    times: only frame indexes order events)."""

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
    def interrupts(self) -> list[Interrupt]:
        """What the run paused for, in the order the sender raised them (read-only); an
        interrupt raised twice under one id is one entry (docs/agui.md, "Interrupts")."""
        interrupts = self._interrupts
        return [] if interrupts is None else interrupts

    @property
    def missing(self) -> list[tuple[int, int]]:
        """Known-missing ranges ``[start, end)``, in arrival order, counted in
        :attr:`missing_unit` (read-only)."""
        missing = self._missing
        return [] if missing is None else missing

    def walk_spans(self) -> Iterator[Span]:
        """Every span of the run, depth first in start order (an explicit stack: no recursion)."""
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
    """A conversation session (Loom ``session_id``, AG-UI ``threadId``, NNRP session): its runs in
    start order, the thread it belongs to when the wire names one, and the usage of its runs
    summed."""

    session_id: str
    thread_id: str | None = None
    runs: list[Run] = attrs.field(factory=list, repr=False)
    usage: Usage = attrs.field(factory=Usage)


@attrs.define(slots=True, eq=False)
class Conversation:
    """Everything folded so far: sessions by id in first-seen order, the usage of every run summed,
    and the diagnostics (a ring; ``diagnostics_evicted`` counts what it let go). The root of the
    model (docs/model.md); export it with :func:`streamfold.export.json.to_dict`."""

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
        line (docs/loom.md#a2), so the runs of one conversation are spread over sessions; this
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
        """The run with id ``run_id``, or ``None``. O(runs): a reducer's
        :meth:`~streamfold.reducer.Reducer.run` looks it up in O(1)."""
        for run in self.runs:
            if run.run_id == run_id:
                return run
        return None

"""Typed state-change notifications returned by :meth:`Reducer.feed`.

Each notification is a small attrs class, so a UI can ``match`` on it::

    for note in reducer.feed(frame):
        match note:
            case TextDelta(message_id=mid, delta=delta):
                view.append(mid, delta)
            case ToolCallStateChanged(call=call, new=new):
                view.set_tool_state(call.call_id, new)

Every notification carries the ids and the delta needed to update a view without re-reading the
model, plus a reference to the changed model object (``run``, ``span``, ``message``, ``call``) for
those who want the whole thing. The referenced object is live: it keeps changing as the reducer
goes on. :class:`~streamfold.model.Diagnostic` is itself a notification.

Notifications are read-only. All are frozen attrs classes except the three built once per delta
frame (:class:`TextDelta`, :class:`ReasoningDelta`, :class:`ToolCallArgumentsDelta`): a frozen
attrs instance costs three times as much to build (about 0.3 µs against 0.1 µs, 8% of a Loom
text delta's whole cost, issue #7), so those three are plain slotted classes that are read-only
by contract. They still compare and hash by value like the others.
"""

from __future__ import annotations

from typing import Any

import attrs

from .model import (
    ActivityPart,
    Diagnostic,
    Interrupt,
    Message,
    Part,
    Run,
    RunStatus,
    SearchTree,
    Session,
    Span,
    ToolCall,
    ToolCallState,
    Usage,
)

__all__ = [
    "ActivityUpdated",
    "CheckpointSaved",
    "ClientToolRequested",
    "CustomEventReceived",
    "Diagnostic",
    "Evicted",
    "InterruptRaised",
    "InterruptResolved",
    "MessageCompleted",
    "MessageStarted",
    "MessagesReplaced",
    "Notification",
    "ReasoningDelta",
    "ReplyReceived",
    "RunFinished",
    "RunStarted",
    "SearchTreeUpdated",
    "SessionStarted",
    "SpanEntered",
    "SpanExited",
    "StateUpdated",
    "TextDelta",
    "TextReplaced",
    "ToolCallArgumentsDelta",
    "ToolCallIdChanged",
    "ToolCallStarted",
    "ToolCallStateChanged",
    "ToolOutputDelta",
    "Truncated",
    "UsageUpdated",
]


@attrs.frozen
class SessionStarted:
    """A session appeared: the first frame naming ``session_id`` (Loom's envelope ``session_id``,
    an AG-UI ``threadId``, an NNRP session; ``docs/model.md``). ``session`` is the live
    :class:`~streamfold.model.Session`. Sent once per session, before its first
    :class:`RunStarted`."""

    session_id: str
    session: Session = attrs.field(repr=False)


@attrs.frozen
class RunStarted:
    """A run began in session ``session_id``: Loom ``run_start`` or the first event of a session
    with no open run (``docs/loom.md#a1``), AG-UI ``RUN_STARTED``, an NNRP operation. ``run_id``
    is unique within the reducer (Loom's are ``"<session_id>#<n>"``); ``run`` is the live
    :class:`~streamfold.model.Run`."""

    session_id: str
    run_id: str
    run: Run = attrs.field(repr=False)


@attrs.frozen
class RunFinished:
    """A run reached a terminal status (see :class:`~streamfold.model.RunStatus`)."""

    run_id: str
    status: RunStatus
    finish_reason: str | None
    stop_reason: str | None
    error: str | None
    run: Run = attrs.field(repr=False)


@attrs.frozen
class ReplyReceived:
    """The sender's final answer for a run (authoritative over streamed text)."""

    run_id: str
    text: str
    run: Run = attrs.field(repr=False)


@attrs.frozen
class SpanEntered:
    """A span opened: a Loom ``node_enter`` or an AG-UI ``STEP_STARTED``. ``parent_span_id`` is the
    enclosing open span (``None`` at run level); a sub-agent's first span has its run-level
    parent and ``span.parent_tool_call_id`` names the tool call it runs in
    (``docs/loom.md#a14``). ``span`` is the live :class:`~streamfold.model.Span`."""

    run_id: str
    span_id: str
    name: str
    parent_span_id: str | None
    span: Span = attrs.field(repr=False)


@attrs.frozen
class SpanExited:
    """A span closed. ``ok`` is true for a normal end; ``error`` is the sender's error text (Loom
    ``node_exit{"result":{"Err":…}}``, ``docs/loom.md#a9``) or ``None``. A span the sender never
    closed exits with ``ok=False, error=None`` when its run ends (``span.status`` is
    ``unclosed``)."""

    run_id: str
    span_id: str
    name: str
    ok: bool
    error: str | None
    span: Span = attrs.field(repr=False)


@attrs.frozen
class MessageStarted:
    """A message appeared in run ``run_id``; ``role`` is ``"assistant"``, ``"user"``, ``"tool"``,
    ``"system"`` or ``"reasoning"`` as the wire says. Loom opens one assistant message per
    span that streams text (``docs/loom.md#a5``); AG-UI per ``TEXT_MESSAGE_START`` (or the
    first content for an unknown ``messageId``)."""

    run_id: str
    message_id: str
    role: str
    message: Message = attrs.field(repr=False)


@attrs.define(unsafe_hash=True)  # read-only by contract; not frozen (module docstring)
class TextDelta:
    """Text appended to ``part`` of message ``message_id``."""

    run_id: str
    message_id: str
    delta: str
    part: Part = attrs.field(repr=False)


@attrs.frozen
class TextReplaced:
    """The text of the message's current text part was replaced by ``text`` (whole, not a delta):
    an NNRP result that re-sends the full text (``docs/nnrp.md``). ``part`` is the live
    :class:`~streamfold.model.TextPart`; redraw it from ``text``."""

    run_id: str
    message_id: str
    text: str
    part: Part = attrs.field(repr=False)


@attrs.define(unsafe_hash=True)  # read-only by contract; not frozen (module docstring)
class ReasoningDelta:
    """Reasoning (thinking) text appended to ``part`` of message ``message_id``: Loom
    ``thought_chunk`` (``docs/loom.md#a5``), AG-UI ``REASONING_MESSAGE_CONTENT`` /
    ``THINKING_TEXT_MESSAGE_CONTENT``. ``delta`` is the appended text (possibly cut at
    ``max_text_chars``, then a :class:`Truncated` follows); ``part`` is the live
    :class:`~streamfold.model.ReasoningPart` (one per reasoning step). Read-only by contract."""

    run_id: str
    message_id: str
    delta: str
    part: Part = attrs.field(repr=False)


@attrs.frozen
class MessageCompleted:
    """Message ``message_id`` is complete: AG-UI ``TEXT_MESSAGE_END``, the end of the Loom span
    that owned it, or its run's end (every message still open then completes). Sent once per
    message."""

    run_id: str
    message_id: str
    message: Message = attrs.field(repr=False)


@attrs.frozen
class ToolCallStarted:
    """A tool call appeared under ``call_id`` (unique within its run): Loom's first
    ``tool_call_chunk`` / ``tool_call`` / ``tool_start``, AG-UI ``TOOL_CALL_START``. ``name`` may
    be ``None`` until the stream says it. When the wire gives no id, the id is synthesized
    (``name#n``, ``docs/loom.md#a7``) and a :class:`ToolCallIdChanged` may follow."""

    run_id: str
    call_id: str
    name: str | None
    call: ToolCall = attrs.field(repr=False)


@attrs.define(unsafe_hash=True)  # read-only by contract; not frozen (module docstring)
class ToolCallArgumentsDelta:
    """Argument text appended to tool call ``call_id`` (JSON text, not yet parseable:
    ``call.input`` is set only when the input is complete; ``call.partial_input()`` parses the
    prefix leniently). Loom ``tool_call_chunk`` (``docs/loom.md#a6``), AG-UI ``TOOL_CALL_ARGS``.
    Read-only by contract."""

    run_id: str
    call_id: str
    delta: str
    call: ToolCall = attrs.field(repr=False)


@attrs.frozen
class ToolCallIdChanged:
    """A call known under a synthesized id got the sender's real id (Loom ``tool_start`` after
    an id-less ``tool_call``); ``call.call_id`` is now ``new``."""

    run_id: str
    old: str
    new: str
    call: ToolCall = attrs.field(repr=False)


@attrs.frozen
class ToolCallStateChanged:
    """Tool call ``call_id`` moved from state ``old`` to ``new``
    (:class:`~streamfold.model.ToolCallState`: ``awaiting-input`` → ``input-streaming`` →
    ``input-complete`` → [``approval-requested`` → ``approval-responded`` | ``denied``] →
    ``executing`` → ``complete`` | ``error`` | ``cancelled``; ``docs/model.md``). A call still
    executing when its run ends becomes ``cancelled``."""

    run_id: str
    call_id: str
    old: ToolCallState
    new: ToolCallState
    call: ToolCall = attrs.field(repr=False)


@attrs.frozen
class ClientToolRequested:
    """The sender asks the client to run tool call ``call_id`` with ``input`` and send the
    result back (:func:`streamfold.actions.add_tool_result`)."""

    run_id: str
    call_id: str
    name: str | None
    input: Any = attrs.field(repr=False)
    call: ToolCall = attrs.field(repr=False)


@attrs.frozen
class MessagesReplaced:
    """A messages snapshot replaced session ``session_id``'s message list: ``message_ids`` in
    their new order, ``removed`` those the snapshot left out (they are gone from the model)."""

    run_id: str
    session_id: str
    message_ids: tuple[str, ...]
    removed: tuple[str, ...] = ()


@attrs.frozen
class ToolOutputDelta:
    """Output text a running tool streamed (Loom ``tool_output``, rare: no built-in Loom tool
    emits it, ``docs/loom.md#a7``). ``delta`` is appended to ``call.output``; the final result
    comes with the ``complete`` / ``error`` state change."""

    run_id: str
    call_id: str
    delta: str
    call: ToolCall = attrs.field(repr=False)


@attrs.frozen
class UsageUpdated:
    """A usage report was folded in; ``usage`` is the report, ``total`` the run's new total."""

    run_id: str
    span_id: str | None
    usage: Usage
    total: Usage = attrs.field(repr=False)


@attrs.frozen
class StateUpdated:
    """The run's state changed. ``source`` says how: ``"values"`` / ``"updates"`` (Loom, the full
    state every time, ``docs/loom.md#a13``), ``"snapshot"`` (AG-UI ``STATE_SNAPSHOT``) or
    ``"patch"`` (AG-UI ``STATE_DELTA``, RFC 6902 applied; ``state`` is then the whole new
    state). ``run.state`` holds the latest; ``run.state_updates`` counts them."""

    run_id: str
    source: str
    state: Any = attrs.field(repr=False)


@attrs.frozen
class CheckpointSaved:
    """A Loom ``checkpoint`` was recorded on the run (``run.checkpoints``); ``checkpoint_id`` as
    sent, ``None`` when absent (``docs/loom.md``)."""

    run_id: str
    checkpoint_id: str | None


@attrs.frozen
class CustomEventReceived:
    """A custom event was recorded on the run (``run.custom_events``): Loom ``custom`` (``name``
    ``None``), AG-UI ``CUSTOM`` (its ``name``) or ``RAW`` (``"RAW"``), a run outcome
    (``"result"``, ``"interrupt"``), NNRP operation summaries (``"nnrp.operation"``,
    ``"nnrp.diagnostics"``). ``value`` is the payload as decoded JSON."""

    run_id: str
    name: str | None
    value: Any = attrs.field(repr=False)


@attrs.frozen
class SearchTreeUpdated:
    """The run's search tree changed. ``kind`` says how: ``"expand"``, ``"score"``,
    ``"backtrack"``, ``"plan"``, ``"task_status"`` or ``"add_tasks"``; ``data`` is the change
    (the search event's fields, JSON-safe: e.g. ``{"candidates": [...]}`` for ``"expand"``);
    ``tree`` is the run's :class:`~streamfold.model.SearchTree` (live, read it when rendering).
    ``docs/model.md``, "Search"."""

    run_id: str
    kind: str
    data: dict[str, Any] = attrs.field(repr=False)
    tree: SearchTree = attrs.field(repr=False)


@attrs.frozen
class Truncated:
    """A text reached the reducer's size limit; the rest of it is not kept (the model counts
    the characters dropped in the buffer's ``dropped``). Sent once per text.

    ``kind`` is ``"text"``, ``"reasoning"``, ``"arguments"`` or ``"output"``; ``target_id`` the
    message id (text, reasoning) or call id (arguments, output); ``limit`` in characters.
    """

    run_id: str
    target_id: str
    kind: str
    limit: int


@attrs.frozen
class Evicted:
    """A finished session left the model to keep it within ``max_sessions``. ``session`` is the
    whole final session (runs, messages, tool calls, usage): save it if you need it. The
    conversation's usage totals still include it."""

    session_id: str
    session: Session = attrs.field(repr=False)


@attrs.frozen
class InterruptRaised:
    """The run paused for ``interrupt`` (docs/agui.md, "Interrupts"): a UI asks the user (an
    approval, ``interrupt.response_schema``) and resumes with
    :func:`streamfold.actions.resume_entries`."""

    run_id: str
    interrupt_id: str | None
    reason: str | None
    interrupt: Interrupt = attrs.field(repr=False)


@attrs.frozen
class InterruptResolved:
    """A client action answered an interrupt (``status`` ``"resolved"`` or ``"cancelled"``)."""

    run_id: str
    interrupt_id: str
    status: str
    interrupt: Interrupt = attrs.field(repr=False)


@attrs.frozen
class ActivityUpdated:
    """An activity message got new ``content`` (snapshot or patch; the value at that moment —
    a patch makes a new value); ``part`` is the live part."""

    run_id: str
    message_id: str
    activity_type: str
    content: Any
    part: ActivityPart = attrs.field(repr=False)


Notification = (
    SessionStarted
    | RunStarted
    | RunFinished
    | ReplyReceived
    | SpanEntered
    | SpanExited
    | MessageStarted
    | TextDelta
    | TextReplaced
    | ReasoningDelta
    | MessageCompleted
    | ToolCallStarted
    | ToolCallArgumentsDelta
    | ToolCallIdChanged
    | ToolCallStateChanged
    | ClientToolRequested
    | MessagesReplaced
    | ToolOutputDelta
    | UsageUpdated
    | StateUpdated
    | CheckpointSaved
    | CustomEventReceived
    | SearchTreeUpdated
    | Truncated
    | Evicted
    | InterruptRaised
    | InterruptResolved
    | ActivityUpdated
    | Diagnostic
)

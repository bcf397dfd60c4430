"""Canonical events: the one vocabulary between format decoders and the reducer.

A decoder's only job is to say what a frame *means* as a list of these events; the reducer
applies them to the model and never looks at a wire format (``docs/concepts/events.md``). They are
commands in the imperative (``AppendText``), whereas notifications, which the reducer hands to
callers, are facts in the past tense (``TextDelta``, ``ToolCallStateChanged``).

Identity rules every decoder keeps:

* ``run_id`` is unique within one reducer. Decoders synthesize one when the wire has none
  (Loom: ``"<session_id>#<n>"``).
* ``message_id`` and ``span_id`` are unique within one reducer.
* ``call_id`` is unique within its run; the reducer resolves a ``call_id`` first in the event's
  run, then in the most recent run that has it (an AG-UI result may arrive in a later run).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ..model import UNSET, MissingUnit, RunStatus, Severity, Usage

# Events are built on the hot path (one per text delta, plus the notification) and consumed at
# once by the reducer; nobody mutates them, so they are plain slotted classes (`attrs.define`):
# a frozen attrs class costs ~3x more to construct (docs/performance.md, "Where the time goes").
from .search import (
    AddTasks,
    Backtrack,
    ExpandSearch,
    PlanTasks,
    ScoreSearch,
    SetTaskStatus,
    TaskStatus,
)
from .snapshot import (
    ReplaceMessages,
    SnapshotActivity,
    SnapshotMessage,
    SnapshotPart,
    SnapshotReasoning,
    SnapshotText,
    SnapshotToolCall,
    SnapshotToolResult,
)

__all__ = [
    "AddTasks",
    "AdoptToolCallId",
    "AppendReasoning",
    "AppendText",
    "AppendToolArguments",
    "AppendToolOutput",
    "Backtrack",
    "CloseSpan",
    "Diagnose",
    "EndMessage",
    "EndRun",
    "Event",
    "ExpandSearch",
    "KeepUnknown",
    "MarkMissing",
    "MergeMetadata",
    "OpenSpan",
    "PatchActivity",
    "PatchState",
    "PlanTasks",
    "RaiseInterrupt",
    "RecordCustom",
    "ReplaceMessages",
    "ReplaceText",
    "ReportUsage",
    "RequestApproval",
    "RequestClientTool",
    "ResolveInterrupt",
    "RespondApproval",
    "SaveCheckpoint",
    "ScoreSearch",
    "SetActivity",
    "SetReasoningSignature",
    "SetReply",
    "SetState",
    "SetTaskStatus",
    "SetToolArguments",
    "SetToolResult",
    "SnapshotActivity",
    "SnapshotMessage",
    "SnapshotPart",
    "SnapshotReasoning",
    "SnapshotText",
    "SnapshotToolCall",
    "SnapshotToolResult",
    "StartMessage",
    "StartRun",
    "StartToolCall",
    "StartToolExecution",
    "TaskStatus",
]


# ------------------------------------------------------------------------------------- runs


@attrs.define
class StartRun:
    """A run begins in session ``session_id`` (the session is created on first sight)."""

    session_id: str
    run_id: str
    thread_id: str | None = None
    agent: str | None = None
    input_text: str | None = None
    """The user message that started the run, when the wire says (Loom ``run_start.message``)."""
    parent_run_id: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define
class EndRun:
    """A run ends. Open spans become ``unclosed``; tool calls still running become
    ``cancelled``; pending approvals stay pending."""

    run_id: str
    status: RunStatus
    finish_reason: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    error_code: str | None = None


@attrs.define
class SetReply:
    """The sender's authoritative final answer for a run (Loom reply line)."""

    run_id: str
    text: str
    reasoning: str | None = None
    thread_id: str | None = None


# ------------------------------------------------------------------------------------ spans


@attrs.define
class OpenSpan:
    """Open span ``span_id`` named ``name`` (Loom ``node_enter``, AG-UI ``STEP_STARTED``) inside
    ``parent_span_id`` (``None``: at run level). ``parent_tool_call_id`` marks a sub-agent's span
    (``docs/loom.md#a14``); ``node_id`` and ``event_id`` are the sender's, kept for display
    (``docs/loom.md#a4``). The reducer answers with
    :class:`~streamfold.notifications.SpanEntered`."""

    run_id: str
    span_id: str
    name: str
    parent_span_id: str | None = None
    parent_tool_call_id: str | None = None
    node_id: str | None = None
    event_id: int | None = None


@attrs.define
class CloseSpan:
    """Close span ``span_id`` (Loom ``node_exit``, AG-UI ``STEP_FINISHED``). Closing an unknown or
    already closed span is an ``unknown_span`` diagnostic, nothing else."""

    run_id: str
    span_id: str
    error: str | None = None
    """``None`` for success; the error text otherwise."""
    unclosed: bool = False
    """The sender never closed the span; it is closed because an outer span or the run ended."""


# --------------------------------------------------------------------------------- messages


@attrs.define
class StartMessage:
    """Start message ``message_id`` in run ``run_id`` with ``role``, optionally inside span
    ``span_id`` and with initial ``text``. A second start for a known id continues that
    message (AG-UI ``TEXT_MESSAGE_START`` for a known id, as the reference client does)."""

    run_id: str
    message_id: str
    role: str = "assistant"
    span_id: str | None = None
    metadata: dict[str, Any] | None = None
    text: str | None = None
    """Initial text (a user message known whole)."""


@attrs.define
class AppendText:
    """Append to the message's last text part, or start a text part after a non-text part."""

    run_id: str
    message_id: str
    delta: str


@attrs.define
class ReplaceText:
    """Replace the message's current text segment (snapshot / replace stream semantics)."""

    run_id: str
    message_id: str
    text: str


@attrs.define
class AppendReasoning:
    """Append reasoning text; parts are keyed by ``step_id`` (one reasoning part per step)."""

    run_id: str
    message_id: str
    delta: str
    step_id: str | None = None


@attrs.define
class SetReasoningSignature:
    """Attach a provider signature (``signature``) or encrypted reasoning (``encrypted``) to the
    message's reasoning part for ``step_id`` (AG-UI ``REASONING_ENCRYPTED_VALUE``,
    ``STEP_FINISHED.signature``). ``None`` leaves a value as it is."""

    run_id: str
    message_id: str
    signature: str | None = None
    encrypted: str | None = None
    step_id: str | None = None


@attrs.define
class EndMessage:
    """Message ``message_id`` is complete (AG-UI ``TEXT_MESSAGE_END``; the end of a Loom span).
    An unknown id is an ``unknown_message`` diagnostic."""

    run_id: str
    message_id: str


@attrs.define
class SetActivity:
    """An activity message (role ``"activity"``, one :class:`~streamfold.model.ActivityPart`)
    gets ``content``; created in ``run_id`` when unknown. ``replace=False`` merges the
    content's top-level keys into the current content instead (AG-UI ``ACTIVITY_SNAPSHOT``
    with ``replace: false`` keeps what is there; docs/agui.md, "Activities")."""

    run_id: str
    message_id: str
    activity_type: str
    content: Any
    replace: bool = True


@attrs.define
class PatchActivity:
    """An RFC 6902 JSON Patch against an activity message's content (``ACTIVITY_DELTA``)."""

    run_id: str
    message_id: str
    activity_type: str
    patch: list[Any]


@attrs.define
class MergeMetadata:
    """Merge ``metadata`` into a message's (``message_id``) or a tool call's (``call_id``)
    metadata: top-level keys replace, except that two mappings under the same key are merged
    one level deep (``{"tanstack": {...}}`` accumulates)."""

    run_id: str
    metadata: dict[str, Any]
    message_id: str | None = None
    call_id: str | None = None


# ------------------------------------------------------------------------------- tool calls


@attrs.define
class StartToolCall:
    """A tool call appears. A second start for a known call is a no-op plus a diagnostic."""

    run_id: str
    call_id: str
    name: str | None
    message_id: str | None = None
    span_id: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define
class AppendToolArguments:
    """Append ``delta`` to tool call ``call_id``'s argument text (Loom ``tool_call_chunk``, AG-UI
    ``TOOL_CALL_ARGS``). The first non-empty delta moves the call from ``awaiting-input`` to
    ``input-streaming``; an unknown call is created with an ``unknown_tool_call`` diagnostic."""

    run_id: str
    call_id: str
    delta: str


@attrs.define
class SetToolArguments:
    """The arguments are complete.

    ``arguments`` (when not ``None``) replaces the streamed text; ``input`` (when not ``UNSET``)
    is the authoritative parsed value, otherwise the text is parsed strictly and ``input`` stays
    unset if it is not valid JSON.
    """

    run_id: str
    call_id: str
    arguments: str | None = None
    input: Any = UNSET
    name: str | None = None
    """The tool's name, for a call whose stream never said it (it is set only if unknown)."""


@attrs.define
class AdoptToolCallId:
    """The sender revealed the real id of a call known so far under a synthesized id (Loom
    fills ``call_<uuid>`` into tool_start after an id-less tool_call). The call is re-keyed."""

    run_id: str
    call_id: str
    new_call_id: str


@attrs.define
class RequestApproval:
    """Tool call ``call_id`` needs the user's approval (Loom ``tool_approval``, an AG-UI approval
    interrupt): its state becomes ``approval-requested``. ``approval_id`` is the id to answer
    with, ``input`` the arguments the sender asks about (``UNSET`` when not given)."""

    run_id: str
    call_id: str
    approval_id: str | None = None
    input: Any = UNSET


@attrs.define
class RequestClientTool:
    """The sender asks the client to execute a tool call itself (AG-UI client-tool interrupt,
    TanStack ``tool-input-available``). The call's input is complete."""

    run_id: str
    call_id: str
    name: str | None = None
    input: Any = UNSET
    request_id: str | None = None
    """The interrupt id to answer when resuming, when the wire gives one."""


@attrs.define
class RaiseInterrupt:
    """The run paused for ``interrupt_id`` (AG-UI 1.0 ``Interrupt`` fields; any vocabulary).
    A second raise of a known id in the run updates it (the fields given win)."""

    run_id: str
    interrupt_id: str | None
    reason: str | None = None
    message: str | None = None
    tool_call_id: str | None = None
    response_schema: Any = None
    expires_at: str | None = None
    subagent_run_id: str | None = None
    metadata: dict[str, Any] | None = None
    value: Any = None


@attrs.define
class ResolveInterrupt:
    """The client answered an interrupt: ``status`` ``"resolved"`` (with ``payload``) or
    ``"cancelled"`` (AG-UI 1.0 ``ResumeEntry``)."""

    run_id: str
    interrupt_id: str
    status: Literal["resolved", "cancelled"] = "resolved"
    payload: Any = None


@attrs.define
class RespondApproval:
    """The user answered the approval of ``call_id``: ``approved`` moves the call to
    ``approval-responded``, a denial to ``denied``. Made by
    :func:`streamfold.actions.respond_to_approval`, never by a decoder."""

    run_id: str
    call_id: str
    approved: bool


@attrs.define
class StartToolExecution:
    """Tool call ``call_id`` started executing (Loom ``tool_start``): state ``executing``. A call
    still executing when its run ends becomes ``cancelled``."""

    run_id: str
    call_id: str


@attrs.define
class AppendToolOutput:
    """Append ``delta`` to the output a running tool streams (Loom ``tool_output``,
    ``docs/loom.md#a7``)."""

    run_id: str
    call_id: str
    delta: str


@attrs.define
class SetToolResult:
    """The tool finished. ``content`` is the result text as sent; ``value`` its JSON value when
    the decoder parsed one. ``add_result_part`` puts a :class:`~streamfold.model.ToolResultPart`
    into the message that owns the call."""

    run_id: str
    call_id: str
    content: str
    is_error: bool = False
    error: str | None = None
    value: Any = UNSET
    raw_result: str | None = None
    add_result_part: bool = True


# ------------------------------------------------------------------------ usage, state, misc


@attrs.define
class ReportUsage:
    """A usage report. ``mode="add"`` sums an incremental report (one per LLM call);
    ``mode="set"`` replaces what this run had reported so far (cumulative or final reports)."""

    run_id: str
    usage: Usage
    span_id: str | None = None
    mode: Literal["add", "set"] = "add"


@attrs.define
class SetState:
    """Replace the run's state with ``state`` (any JSON value). ``source`` is ``"values"`` or
    ``"updates"`` (Loom, full state each time, ``docs/loom.md#a13``) or ``"snapshot"`` (AG-UI
    ``STATE_SNAPSHOT``)."""

    run_id: str
    state: Any
    source: str = "values"


@attrs.define
class PatchState:
    """An RFC 6902 JSON Patch against the run's state."""

    run_id: str
    patch: list[Any]


@attrs.define
class SaveCheckpoint:
    """Record a checkpoint on the run (Loom ``checkpoint``): ``checkpoint_id`` as sent, ``data``
    the rest of its payload."""

    run_id: str
    checkpoint_id: str | None
    data: dict[str, Any]


@attrs.define
class RecordCustom:
    """Record a custom event on the run: ``name`` (``None`` for Loom ``custom``, the AG-UI
    ``CUSTOM`` name, ``"RAW"``, ``"result"``, ``"interrupt"``, ``"nnrp.operation"``, …) and its
    decoded ``value``."""

    run_id: str
    name: str | None
    value: Any


@attrs.define
class KeepUnknown:
    """A frame the decoder does not understand, kept verbatim on its run."""

    run_id: str
    frame: dict[str, Any]


@attrs.define
class MarkMissing:
    """Part of a run is known to be missing: ``[start, end)`` counted in ``unit``
    (:data:`~streamfold.model.MissingUnit`: ``"event_id"`` or ``"token_seq"``). Sets
    ``run.lossy`` and ``run.missing_unit`` (``docs/model.md``, "Missing ranges")."""

    run_id: str
    start: int
    end: int
    unit: MissingUnit


@attrs.define
class Diagnose:
    """Report an anomaly.

    ``dropped=True`` means the frame was not applied (a duplicate, a malformed frame): it lives
    on only as this diagnostic, with its raw text. Otherwise the frame was applied as well as it
    could be and the diagnostic says what was odd about it.
    """

    code: str
    message: str
    severity: Severity = Severity.WARNING
    dropped: bool = False
    session_id: str | None = None
    run_id: str | None = None
    event_id: int | None = None
    frame_index: int | None = None
    """Set when the diagnostic is about an earlier frame, one a decoder held until now (a
    TanStack ``CUSTOM`` frame waiting for its run): that frame's index. ``None``: the current
    frame. A held frame found unusable is counted as dropped then (docs/diagnostics.md)."""
    raw: str | None = None
    """With ``frame_index``: the held frame's own text (re-serialized)."""


Event = (
    StartRun
    | EndRun
    | SetReply
    | OpenSpan
    | CloseSpan
    | StartMessage
    | AppendText
    | ReplaceText
    | AppendReasoning
    | SetReasoningSignature
    | EndMessage
    | ReplaceMessages
    | MergeMetadata
    | SetActivity
    | PatchActivity
    | StartToolCall
    | AppendToolArguments
    | SetToolArguments
    | AdoptToolCallId
    | RequestApproval
    | RequestClientTool
    | RaiseInterrupt
    | ResolveInterrupt
    | RespondApproval
    | StartToolExecution
    | AppendToolOutput
    | SetToolResult
    | ReportUsage
    | SetState
    | PatchState
    | SaveCheckpoint
    | RecordCustom
    | ExpandSearch
    | ScoreSearch
    | Backtrack
    | PlanTasks
    | SetTaskStatus
    | AddTasks
    | KeepUnknown
    | MarkMissing
    | Diagnose
)

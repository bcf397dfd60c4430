"""The merged conversation model.

One model for every wire format (``docs/model.md``)::

    Conversation
     ├─ sessions: {session_id → Session}
     │    └─ runs: [Run]                      one agent run / request / NNRP operation
     │         ├─ status, finish_reason, stop_reason, error, reply
     │         ├─ spans: [Span]               root node spans; children nest (span.children)
     │         ├─ messages: [Message]         role + ordered parts (text, reasoning, tool call…)
     │         ├─ tool_calls: {call_id → ToolCall}
     │         ├─ interrupts: [Interrupt]     what the run paused for (AG-UI 1.0 interrupts)
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

from .search import SearchTree, TaskExpansion, TaskNode, TotStep
from .tools import TOOL_CALL_TRANSITIONS, Approval, ToolCall, ToolCallState
from .tree import (
    ActivityPart,
    Checkpoint,
    Conversation,
    CustomEvent,
    Diagnostic,
    Interrupt,
    Message,
    Part,
    ReasoningPart,
    Run,
    Session,
    Span,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from .values import (
    RUN_TRANSITIONS,
    UNSET,
    MissingUnit,
    RunStatus,
    Severity,
    SpanStatus,
    TextBuffer,
    Usage,
    display_value,
)

__all__ = [
    "RUN_TRANSITIONS",
    "TOOL_CALL_TRANSITIONS",
    "UNSET",
    "ActivityPart",
    "Approval",
    "Checkpoint",
    "Conversation",
    "CustomEvent",
    "Diagnostic",
    "Interrupt",
    "Message",
    "MissingUnit",
    "Part",
    "ReasoningPart",
    "Run",
    "RunStatus",
    "SearchTree",
    "Session",
    "Severity",
    "Span",
    "SpanStatus",
    "TaskExpansion",
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

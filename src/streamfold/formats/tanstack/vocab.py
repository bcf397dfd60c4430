"""TanStack / AG-UI vocabularies: the AG-UI event types, the legacy (era A) chunk types, markers,
and :func:`detect`, the format's confidence for a frame (``docs/tanstack.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["AGUI_EVENT_TYPES", "KNOWN_FIELDS", "LEGACY_CHUNK_TYPES", "detect"]


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
        "SUBAGENT_STARTED",
        "SUBAGENT_FINISHED",
        "SUBAGENT_ERROR",
        "RAW",
        "CUSTOM",
    }
)
"""Every AG-UI 1.0 event type (``@ag-ui/core`` ``EventType``), and the legacy ``THINKING_*``."""


_BASE_FIELDS: Final = frozenset({"type", "timestamp", "rawEvent", "metadata", "subagentRunId"})
# TanStack's extras over the eras (docs/tanstack.md): read where the decoder knows them, and
# never a reason for an unknown_field diagnostic on any event type.
_TANSTACK_EXTRAS: Final = frozenset(
    {
        "model",
        "content",
        "args",
        "toolName",
        "index",
        "stepId",
        "stepType",
        "finishReason",
        "input",
        "result",
        "error",
        "usage",
        "state",
        "signature",
        "delta",
        "runId",
        "threadId",
        "data",
        "title",
    }
)
_EVENT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "RUN_STARTED": ("threadId", "runId", "parentRunId", "input", "protocolVersion"),
    "RUN_FINISHED": ("threadId", "runId", "result", "outcome", "usage"),
    "RUN_ERROR": ("message", "code", "usage"),
    "STEP_STARTED": ("stepName",),
    "STEP_FINISHED": ("stepName",),
    "TEXT_MESSAGE_START": ("messageId", "role", "name"),
    "TEXT_MESSAGE_CONTENT": ("messageId", "delta"),
    "TEXT_MESSAGE_END": ("messageId",),
    "TEXT_MESSAGE_CHUNK": ("messageId", "role", "delta", "name"),
    "TOOL_CALL_START": ("toolCallId", "toolCallName", "parentMessageId"),
    "TOOL_CALL_ARGS": ("toolCallId", "delta"),
    "TOOL_CALL_END": ("toolCallId",),
    "TOOL_CALL_CHUNK": ("toolCallId", "toolCallName", "parentMessageId", "delta"),
    "TOOL_CALL_RESULT": ("messageId", "toolCallId", "content", "role"),
    "REASONING_START": ("messageId",),
    "REASONING_MESSAGE_START": ("messageId", "role"),
    "REASONING_MESSAGE_CONTENT": ("messageId", "delta"),
    "REASONING_MESSAGE_END": ("messageId",),
    "REASONING_MESSAGE_CHUNK": ("messageId", "delta"),
    "REASONING_END": ("messageId",),
    "REASONING_ENCRYPTED_VALUE": ("subtype", "entityId", "encryptedValue"),
    "THINKING_START": ("title",),
    "THINKING_END": (),
    "THINKING_TEXT_MESSAGE_START": (),
    "THINKING_TEXT_MESSAGE_CONTENT": ("delta",),
    "THINKING_TEXT_MESSAGE_END": (),
    "STATE_SNAPSHOT": ("snapshot",),
    "STATE_DELTA": ("delta",),
    "MESSAGES_SNAPSHOT": ("messages",),
    "ACTIVITY_SNAPSHOT": ("messageId", "activityType", "content", "replace"),
    "ACTIVITY_DELTA": ("messageId", "activityType", "patch"),
    "SUBAGENT_STARTED": (
        "subagentRunId",
        "name",
        "description",
        "parentSubagentRunId",
        "parentToolCallId",
        "parentMessageId",
    ),
    "SUBAGENT_FINISHED": ("subagentRunId", "result", "outcome"),
    "SUBAGENT_ERROR": ("subagentRunId", "message", "code"),
    "RAW": ("event", "source"),
    "CUSTOM": ("name", "value"),
}
KNOWN_FIELDS: Final[dict[str, frozenset[str]]] = {
    kind: _BASE_FIELDS | _TANSTACK_EXTRAS | frozenset(fields)
    for kind, fields in _EVENT_FIELDS.items()
}
"""Event type → the fields the decoder knows (AG-UI 1.0 ``ag_ui.core``, TanStack's extras).
Any other field is kept with an ``unknown_field`` diagnostic (docs/agui.md, "Unknown input")."""


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

_MAX_RESULT_MESSAGES: Final = 4096
"""How many tool-result message ids are remembered for encrypted values that name them
(pydantic-ai sends the value right after the result; the oldest is forgotten first)."""


_DEFAULT_SESSION: Final = "default"


def detect(frame: Mapping[str, Any]) -> float:
    """How sure TanStack is that ``frame`` is its own (``docs/write-a-format.md``): 1 for an
    AG-UI event type (upper case, :data:`AGUI_EVENT_TYPES`); 0.9 for a legacy chunk
    (:data:`LEGACY_CHUNK_TYPES`) in TanStack's shape — ``tool_call`` only with a ``toolCall``
    object (Loom's ``tool_call`` has ``call_id``/``arguments``), ``error`` only with an ``error``
    object; the same for the durable envelope ``{"id", "chunk"}`` around either; else 0."""
    kind = frame.get("type")
    if type(kind) is not str:
        if kind is None and "id" in frame:
            chunk = frame.get("chunk")
            return detect(chunk) if isinstance(chunk, Mapping) else 0.0
        return 0.0
    if kind in AGUI_EVENT_TYPES:
        return 1.0
    if kind not in LEGACY_CHUNK_TYPES:
        return 0.0
    if kind == "tool_call":
        shaped = isinstance(frame.get("toolCall"), Mapping)
    elif kind == "error":
        shaped = isinstance(frame.get("error"), Mapping)
    elif kind == "done":
        shaped = "finishReason" in frame or "usage" in frame
    elif kind in ("content", "thinking"):
        shaped = "delta" in frame or "content" in frame
    else:  # tool_result, tool-input-available, approval-requested
        shaped = "toolCallId" in frame
    return 0.9 if shaped else 0.0

"""TanStack / AG-UI vocabularies: the AG-UI event types, the legacy (era A) chunk types, markers,
and :func:`detect`, the format's confidence for a frame (``docs/tanstack.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["AGUI_EVENT_TYPES", "LEGACY_CHUNK_TYPES", "detect"]


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
        "RAW",
        "CUSTOM",
    }
)
"""Every AG-UI event type (``@ag-ui/core`` ``EventType``)."""


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

"""NNRP vocabularies: message types, header and descriptor flags, status, semantics, scope,
error and drop-reason tables (``docs/nnrp.md``).
"""

from __future__ import annotations

from typing import Final

from ...model import Severity
from .reassembly import NoticeKind

__all__ = ["DESCRIPTOR_FLAGS", "DROP_REASONS", "ERROR_CODES", "HEADER_FLAGS", "MESSAGE_TYPES"]


MESSAGE_TYPES: Final[dict[int, str]] = {
    0x01: "CLIENT_HELLO",
    0x02: "SERVER_HELLO_ACK",
    0x03: "SESSION_PATCH",
    0x04: "SESSION_PATCH_ACK",
    0x05: "CLOSE",
    0x06: "ERROR",
    0x07: "SESSION_OPEN",
    0x08: "SESSION_OPEN_ACK",
    0x09: "SESSION_CLOSE",
    0x0A: "SESSION_CLOSE_ACK",
    0x10: "FRAME_SUBMIT",
    0x11: "FRAME_CANCEL",
    0x12: "RESULT_PUSH",
    0x13: "RESULT_DROP",
    0x14: "CACHE_PUT",
    0x15: "CACHE_ACK",
    0x16: "CACHE_INVALIDATE",
    0x17: "FLOW_UPDATE",
    0x18: "RESULT_HINT",
    0x19: "TRANSPORT_PROBE",
    0x1A: "TRANSPORT_PROBE_ACK",
    0x1B: "SESSION_MIGRATE",
    0x1C: "SESSION_MIGRATE_ACK",
    0x20: "PING",
    0x21: "PONG",
    0x30: "CANCEL",
    0x31: "ABORT",
    0x32: "PRIORITY_UPDATE",
    0x33: "DEADLINE",
    0x34: "EXPIRE_AT",
    0x35: "SUPERSEDE",
    0x36: "BUDGET_UPDATE",
    0x37: "PROGRESS",
    0x38: "PARTIAL_RESULT",
    0x39: "BACKPRESSURE",
    0x3A: "CREDIT_UPDATE",
    0x3B: "CAPABILITY_NEGOTIATION",
    0x3C: "DEGRADE_PROFILE",
    0x3D: "ROUTE_HINT",
    0x3E: "EXECUTION_HINT",
    0x3F: "TRACE_CONTEXT",
    0x40: "RESULT_DROP_REASON",
    0x41: "OBJECT_DECLARE",
    0x42: "OBJECT_REF",
    0x43: "OBJECT_RELEASE",
    0x44: "OBJECT_PATCH",
    0x45: "OBJECT_DELTA",
    0x46: "CACHE_REFERENCE",
    0x47: "CACHE_MISS",
    0x48: "ERROR_RECOVERABLE",
    0x49: "RETRY_AFTER",
}
"""NNRP ``msg_type`` codes (docs/nnrp.md#token-profile-frames). ``message_type`` may be the name or
the code."""


_TYPE_BY_NAME: Final = {name: name for name in MESSAGE_TYPES.values()}


HEADER_FLAGS: Final[dict[str, int]] = {
    "ack_required": 0x01,
    "can_drop": 0x02,
    "stale": 0x04,
    "eos": 0x08,
    "retransmit": 0x10,
    "keyframe": 0x20,
}
"""Common-header ``flags`` bits; the JSON may give an int, a hex string or a list of names."""


_FLAG_EOS: Final = 0x08


_FLAG_RETRANSMIT: Final = 0x10


DESCRIPTOR_FLAGS: Final[dict[str, int]] = {
    "terminal": 0x1,
    "partial": 0x2,
    "schema_override": 0x4,
    "profile_hint_present": 0x8,
    # Names the token pages use that have no wire bit (docs/nnrp.md#token-profile-frames): kept
    # above the u8 range.
    "degraded_allowed": 0x100,
    "coverage_present": 0x200,
    "stop_reason_present": 0x400,
}


_DESC_TERMINAL: Final = 0x1


_DESC_PARTIAL: Final = 0x2


_DESC_STOP_REASON: Final = 0x400


_RESULT_CLASSES: Final = {0: "complete", 1: "partial", 2: "stale_reuse", 3: "degraded"}


_FINAL_STATUSES: Final = frozenset({"complete", "completed", "final", "success", "ok", "done"})


_QUALITY_STATUSES: Final = frozenset({"stale_reuse", "stale", "degraded", "fallback"})


_PARTIAL_STATUSES: Final = frozenset({"partial", "streaming", "running", "in_progress"})


_STATUS_NAMES: Final = _FINAL_STATUSES | _QUALITY_STATUSES | _PARTIAL_STATUSES


_SEMANTICS_CODES: Final = {
    0: "default",
    1: "snapshot",
    2: "append",
    3: "replace",
    4: "event",
    5: "tool_update",
}


_APPEND_SEMANTICS: Final = frozenset(
    {"ordered_incremental", "append", "incremental", "default", "unspecified", "delta"}
)


_REPLACE_SEMANTICS: Final = frozenset({"snapshot", "replace"})


_PROFILE_IDS: Final = {0: "unspecified", 1: "tensor", 2: "token"}


_FLOW_SCOPES: Final = {0: "connection", 1: "session", 2: "operation"}


_ERROR_SCOPES: Final = {0: "connection", 1: "session", 2: "frame"}


_CANCEL_SCOPES: Final = {0: "operation", 1: "subtree", 2: "group", 3: "session"}


ERROR_CODES: Final = {
    1: "unsupported_version",
    2: "auth_failed",
    3: "invalid_state",
    4: "malformed_header",
    5: "malformed_body",
    6: "unsupported_capability",
    7: "limit_exceeded",
    8: "frame_expired",
    9: "frame_cancelled",
    0xA: "cache_miss",
    0xB: "server_busy",
    0xC: "internal_error",
}


DROP_REASONS: Final = {
    1: "deadline_expired",
    2: "superseded",
    3: "peer_cancelled",
    4: "backpressure",
    5: "capability_mismatch",
    6: "budget_exceeded",
    7: "object_invalidated",
    8: "transport_closed",
    9: "conformance_injection",
}


_CANCELLING_DROPS: Final = frozenset({"peer_cancelled", "superseded"})


_STOP_TO_FINISH: Final = {
    "eos": "stop",
    "stop": "stop",
    "end_turn": "stop",
    "tool_call": "tool_calls",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "length": "length",
    "max_tokens": "length",
    "max_length": "length",
}
"""Token ``stop_reason`` → OpenAI-style ``finish_reason`` (docs/nnrp.md#decision-9); others pass
through."""


_MAIN: Final = ("0x0000", 0)
"""(view, output index) of an operation's main assistant message."""


_RESULT_TYPES: Final = frozenset({"RESULT_PUSH", "PARTIAL_RESULT"})


_CANCEL_TYPES: Final = frozenset({"FRAME_CANCEL", "CANCEL", "ABORT", "SUPERSEDE"})


_METRIC_TYPES: Final = frozenset(
    {
        "FLOW_UPDATE",
        "CREDIT_UPDATE",
        "BACKPRESSURE",
        "ERROR_RECOVERABLE",
        "RETRY_AFTER",
        "PROGRESS",
        "PRIORITY_UPDATE",
        "DEADLINE",
        "EXPIRE_AT",
        "BUDGET_UPDATE",
        "RESULT_HINT",
        "DEGRADE_PROFILE",
        "EXECUTION_HINT",
        "ROUTE_HINT",
        "TRACE_CONTEXT",
    }
)


_OPENAI_TERMINAL_EVENTS: Final = frozenset(
    {"response.completed", "response.error", "response.cancelled"}
)


# Reassembler notices → (diagnostic code, severity). Dropping notices mark the frame dropped
# when they concern the current frame's chunk and the frame did nothing else.
_NOTICE_CODES: Final[dict[NoticeKind, tuple[str, Severity, bool]]] = {
    NoticeKind.HELD: ("chunk_out_of_order", Severity.INFO, False),
    NoticeKind.DUPLICATE: ("duplicate_chunk", Severity.WARNING, True),
    NoticeKind.OVERLAP: ("sequence_overlap", Severity.WARNING, True),
    NoticeKind.LATE_FILL: ("sequence_late_fill", Severity.WARNING, True),
    NoticeKind.BEFORE_BASE: ("sequence_before_start", Severity.WARNING, True),
    NoticeKind.OVERFLOW: ("reorder_overflow", Severity.WARNING, False),
    NoticeKind.GAP: ("sequence_gap", Severity.WARNING, False),
    NoticeKind.BAD_RANGE: ("invalid_range", Severity.ERROR, True),
    NoticeKind.RANGE_MODE: ("inclusive_ranges", Severity.INFO, False),
    NoticeKind.INVALID_UTF8: ("invalid_utf8", Severity.WARNING, False),
    NoticeKind.UNSEQUENCED: ("unsequenced_chunk", Severity.INFO, False),
}

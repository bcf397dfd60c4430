"""NNRP/1 wire vocabulary: message types, flag bits and the enum values of the fixed metadata.

Values are those of the preview4 runtime (``docs/nnrp.md``, "The wire"). Names are lower-case
snake_case except message types, which keep the protocol's upper-case spelling (``RESULT_PUSH``)
because the JSON rendering and the existing :mod:`streamfold.formats.nnrp` decoder use them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLIENT_TO_SERVER",
    "DESCRIPTOR_FLAGS",
    "DROP_REASONS",
    "ERROR_CODES",
    "ERROR_SCOPES",
    "HEADER_FLAGS",
    "MESSAGE_TYPES",
    "MESSAGE_TYPE_CODES",
    "PAYLOAD_KINDS",
    "RESULT_CLASSES",
    "RESULT_FLAGS",
    "RUNTIME_ROLES",
    "STREAM_SEMANTICS",
    "enum_name",
    "flag_names",
]

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
"""``msg_type`` (u8 at header offset 6) → name. The enum is closed: other values are rejected
(strict) or reported and skipped (lenient). There is no RESULT_END message."""

MESSAGE_TYPE_CODES: Final[dict[str, int]] = {name: code for code, name in MESSAGE_TYPES.items()}

CLIENT_TO_SERVER: Final = frozenset(
    {
        "CLIENT_HELLO",
        "SESSION_OPEN",
        "SESSION_PATCH",
        "SESSION_CLOSE",
        "FRAME_SUBMIT",
        "FRAME_CANCEL",
        "CANCEL",
        "ABORT",
        "PRIORITY_UPDATE",
        "DEADLINE",
        "EXPIRE_AT",
        "SUPERSEDE",
        "BUDGET_UPDATE",
        "ROUTE_HINT",
        "EXECUTION_HINT",
        "TRANSPORT_PROBE",
        "SESSION_MIGRATE",
    }
)
"""Message types only a client sends (the request side of a duplex capture)."""

HEADER_FLAGS: Final[dict[int, str]] = {
    0x01: "ack_required",
    0x02: "can_drop",
    0x04: "stale",
    0x08: "eos",
    0x10: "retransmit",
    0x20: "keyframe",
}
"""Common-header ``flags`` (u32) bits; the others are reserved."""

RESULT_FLAGS: Final[dict[int, str]] = {0x1: "stale", 0x2: "fallback", 0x4: "partial"}
"""RESULT_PUSH ``result_flags`` (u16) bits."""

DESCRIPTOR_FLAGS: Final[dict[int, str]] = {
    0x1: "terminal",
    0x2: "partial",
    0x4: "schema_override",
    0x8: "profile_hint_present",
}
"""Typed-payload descriptor ``descriptor_flags`` bits (u8 in the 24-byte preview4 descriptor,
u8 at offset 1 in the 16-byte preview3 one)."""

PAYLOAD_KINDS: Final[dict[int, str]] = {
    0x01: "tensor",
    0x02: "token_chunk",
    0x04: "audio_chunk",
    0x08: "video_chunk",
    0x10: "structured_event",
    0x20: "tool_delta",
    0x40: "opaque_bytes",
}
"""``payload_kind`` bits (a descriptor has exactly one; ``payload_kind_bitmap`` any)."""

RESULT_CLASSES: Final[dict[int, str]] = {
    0: "complete",
    1: "partial",
    2: "stale_reuse",
    3: "degraded",
}
STREAM_SEMANTICS: Final[dict[int, str]] = {
    0: "unspecified",
    1: "snapshot",
    2: "append",
    3: "replace",
    4: "event",
    5: "tool_update",
}
DROP_REASONS: Final[dict[int, str]] = {
    0: "none",
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
ERROR_CODES: Final[dict[int, str]] = {
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
ERROR_SCOPES: Final[dict[int, str]] = {0: "connection", 1: "session", 2: "frame"}
RUNTIME_ROLES: Final[dict[int, str]] = {
    0: "unspecified",
    1: "client",
    2: "server",
    3: "runtime",
    4: "subagent",
    5: "tool",
    6: "scheduler",
    7: "conformance_runner",
}
FLOW_SCOPES: Final[dict[int, str]] = {0: "connection", 1: "session", 2: "operation"}
FLOW_REASONS: Final[dict[int, str]] = {
    0: "grant",
    1: "reduce",
    2: "pause",
    3: "resume",
    4: "congestion",
}
BACKPRESSURE_LEVELS: Final[dict[int, str]] = {0: "none", 1: "soft", 2: "hard", 3: "paused"}
FLOW_FLAGS: Final[dict[int, str]] = {
    0x1: "credit_valid",
    0x2: "retry_after_valid",
    0x4: "background_only",
    0x8: "drain_in_flight_only",
}
HINT_BUDGET_POLICIES: Final[dict[int, str]] = {
    0: "none",
    1: "full",
    2: "partial",
    3: "stale_reuse",
    4: "drop",
}
HINT_CONGESTION: Final[dict[int, str]] = {0: "none", 1: "steady", 2: "elevated", 3: "saturated"}
HINT_REASONS: Final[dict[int, str]] = {
    0: "none",
    1: "queue_full",
    2: "server_busy",
    3: "budget_exceeded",
    4: "superseded",
}
SESSION_STATUSES: Final[dict[int, str]] = {
    0: "opened",
    1: "rejected",
    2: "retry_later",
    3: "resumed",
}
PRIORITY_CLASSES: Final[dict[int, str]] = {0: "interactive", 1: "balanced", 2: "background"}
PROFILE_IDS: Final[dict[int, str]] = {0: "unspecified", 1: "tensor", 2: "token"}


def enum_name(value: int, names: dict[int, str]) -> str:
    """The name of an enum value, or ``"unknown(<value>)"``."""
    name = names.get(value)
    return name if name is not None else f"unknown({value})"


def flag_names(value: int, names: dict[int, str]) -> list[str]:
    """The names of the bits set in ``value``; unknown bits as ``"0x…"``."""
    out = [name for bit, name in names.items() if value & bit]
    rest = value & ~sum(names)
    if rest:
        out.append(f"0x{rest:x}")
    return out

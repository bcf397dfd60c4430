"""Fixed metadata and typed-payload bodies of NNRP/1 packets → plain dicts.

Layouts are those of the preview4 runtime and the frozen conformance goldens (``docs/nnrp.md``
has the table). :func:`parse_metadata` gives the fields of a packet's fixed metadata as a
``dict`` (integers, plus ``*_name`` entries for enum values) and a list of problems
(``(code, message)``): reserved fields that are not zero, unknown flag bits, unknown enum
values, a length that does not match the layout. The caller (the decoder) decides whether a
problem rejects the packet (strict) or is reported (lenient).

:func:`parse_typed_body` splits a FRAME_SUBMIT / RESULT_PUSH body in the spec's shape (a 32-byte
prelude, then typed-payload descriptors and the frame region) into its payloads, or says the
body is not in that shape (running code sends raw payloads: ``None``).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, Final

from . import vocab as v

__all__ = [
    "LAYOUTS",
    "Layout",
    "TypedPayload",
    "parse_metadata",
    "parse_typed_body",
]

Problem = tuple[str, str]


class Layout:
    """One fixed-metadata layout: a ``struct`` format and its field names (``_`` for a
    reserved field), enum fields (field → names) and flag fields (field → known bits)."""

    __slots__ = ("enums", "fields", "flags", "size", "struct")

    def __init__(
        self,
        fmt: str,
        fields: tuple[str, ...],
        enums: Mapping[str, Mapping[int, str]] | None = None,
        flags: Mapping[str, Mapping[int, str]] | None = None,
    ) -> None:
        self.struct = struct.Struct(fmt)
        self.size = self.struct.size
        if len(fields) != len(self.struct.unpack(bytes(self.size))):
            raise AssertionError(f"layout {fmt} has {len(fields)} names")
        self.fields = fields
        self.enums = dict(enums or {})
        self.flags = dict(flags or {})


_CONTROL_REQUEST = Layout(
    "<QQHBBIQ",
    (
        "operation_id",
        "control_sequence",
        "reason_code",
        "source_role",
        "flags",
        "diagnostic_bytes",
        "_",
    ),
    {"reason_code": v.DROP_REASONS, "source_role": v.RUNTIME_ROLES},
    {"flags": {0x1: "bit0", 0x2: "bit1"}},
)
_PRESSURE = Layout(
    "<QQHHIII",
    (
        "scope_id",
        "credit_window",
        "pressure_level",
        "pressure_reason",
        "retry_after_ms",
        "flags",
        "_",
    ),
    {"pressure_level": v.BACKPRESSURE_LEVELS},
    {"flags": {0x1: "bit0", 0x2: "bit1"}},
)
_SCHEDULING = Layout(
    "<QQHhQI",
    ("operation_id", "control_sequence", "priority_class", "priority_delta", "deadline", "flags"),
)

LAYOUTS: Final[dict[str, Layout]] = {
    "PARTIAL_RESULT": Layout(
        "<QQQQII",
        ("operation_id", "result_sequence", "object_id", "delta_sequence", "body_bytes", "flags"),
        flags={"flags": {0x1: "final_partial", 0x2: "object_ref_present"}},
    ),
    "RESULT_PUSH": Layout(
        "<HHHHHHHHHHIIQQBBHIHHIHH",
        (
            "status_code",
            "result_flags",
            "section_count",
            "tile_count",
            "active_profile_id",
            "_",
            "inference_ms",
            "queue_ms",
            "server_total_ms",
            "_",
            "tile_base_id",
            "tile_index_bytes",
            "_",
            "_",
            "result_class",
            "applied_budget_policy",
            "_",
            "reused_frame_id",
            "covered_tile_count",
            "dropped_tile_count",
            "payload_kind_bitmap",
            "payload_frame_count",
            "_",
        ),
        {"result_class": v.RESULT_CLASSES, "active_profile_id": v.PROFILE_IDS},
        {"result_flags": v.RESULT_FLAGS, "payload_kind_bitmap": v.PAYLOAD_KINDS},
    ),
    "RESULT_DROP_REASON": Layout(
        "<QQHBBIQ",
        (
            "operation_id",
            "result_sequence",
            "drop_reason",
            "source_role",
            "flags",
            "diagnostic_bytes",
            "_",
        ),
        {"drop_reason": v.DROP_REASONS, "source_role": v.RUNTIME_ROLES},
        {"flags": {0x1: "bit0", 0x2: "bit1"}},
    ),
    "RESULT_DROP": Layout("<", ()),
    "PROGRESS": Layout(
        "<QQHHQI",
        (
            "operation_id",
            "progress_sequence",
            "stage_code",
            "percent_x100",
            "object_id",
            "body_bytes",
        ),
    ),
    "TRACE_CONTEXT": Layout(
        "<QQQHHI",
        ("trace_id", "span_id", "parent_span_id", "stage_code", "flags", "body_bytes"),
        flags={"flags": {0x1: "bit0", 0x2: "bit1"}},
    ),
    "ERROR": Layout(
        "<8I",
        (
            "error_code",
            "error_scope",
            "is_fatal",
            "retry_after_ms",
            "related_session_id",
            "related_frame_id",
            "related_view_id",
            "diagnostic_bytes",
        ),
        {
            "error_code": v.ERROR_CODES,
            "error_scope": v.ERROR_SCOPES,
            "is_fatal": {0: "no", 1: "yes"},
        },
    ),
    "ERROR_RECOVERABLE": Layout(
        "<IIHBBIIIII",
        (
            "error_code",
            "error_scope",
            "recovery_action",
            "source_role",
            "flags",
            "retry_after_ms",
            "related_session_id",
            "related_frame_id",
            "related_view_id",
            "diagnostic_bytes",
        ),
        {
            "error_code": v.ERROR_CODES,
            "error_scope": v.ERROR_SCOPES,
            "source_role": v.RUNTIME_ROLES,
        },
        {"flags": {0x1: "bit0", 0x2: "bit1"}},
    ),
    "RETRY_AFTER": Layout(
        "<QQIIHBBI",
        (
            "scope_id",
            "control_sequence",
            "retry_after_ms",
            "jitter_ms",
            "reason_code",
            "source_role",
            "flags",
            "diagnostic_bytes",
        ),
        {"source_role": v.RUNTIME_ROLES},
        {"flags": {0x1: "bit0", 0x2: "bit1"}},
    ),
    "FLOW_UPDATE": Layout(
        "<BBBBHHHHQIII",
        (
            "scope_kind",
            "update_reason",
            "backpressure_level",
            "_",
            "connection_credit",
            "session_credit",
            "operation_credit",
            "_",
            "operation_id",
            "retry_after_ms",
            "credit_epoch",
            "flow_flags",
        ),
        {
            "scope_kind": v.FLOW_SCOPES,
            "update_reason": v.FLOW_REASONS,
            "backpressure_level": v.BACKPRESSURE_LEVELS,
        },
        {"flow_flags": v.FLOW_FLAGS},
    ),
    "RESULT_HINT": Layout(
        "<IIII",
        ("applied_budget_policy", "congestion_state", "reason", "retry_after_ms"),
        {
            "applied_budget_policy": v.HINT_BUDGET_POLICIES,
            "congestion_state": v.HINT_CONGESTION,
            "reason": v.HINT_REASONS,
        },
    ),
    "CREDIT_UPDATE": _PRESSURE,
    "BACKPRESSURE": _PRESSURE,
    "CANCEL": _CONTROL_REQUEST,
    "ABORT": _CONTROL_REQUEST,
    "FRAME_CANCEL": Layout("<", ()),
    "PRIORITY_UPDATE": _SCHEDULING,
    "DEADLINE": _SCHEDULING,
    "EXPIRE_AT": _SCHEDULING,
    "SUPERSEDE": Layout(
        "<QQQHHI",
        (
            "old_operation_id",
            "new_operation_id",
            "control_sequence",
            "drop_reason",
            "flags",
            "diagnostic_bytes",
        ),
        {"drop_reason": v.DROP_REASONS},
        {"flags": {0x1: "bit0"}},
    ),
    "FRAME_SUBMIT": Layout(
        "<HHHHHHBBBBHHIIIIIQIBBBBIIIHH",
        (
            "src_width",
            "src_height",
            "tile_width",
            "tile_height",
            "tile_count",
            "section_count",
            "frame_class",
            "input_profile",
            "tile_index_mode",
            "_",
            "latency_budget_ms",
            "target_fps_x100",
            "retry_of_frame",
            "tile_base_id",
            "camera_bytes",
            "tile_index_bytes",
            "_",
            "operation_id",
            "_",
            "submit_mode",
            "budget_policy",
            "loss_tolerance_policy",
            "_",
            "object_ref_mask",
            "dependency_frame_id",
            "payload_kind_bitmap",
            "payload_frame_count",
            "_",
        ),
        flags={"payload_kind_bitmap": v.PAYLOAD_KINDS},
    ),
    "SESSION_OPEN_ACK": Layout(
        "<IHBBIIHHIIIIQIII",
        (
            "session_id",
            "accepted_profile_id",
            "accepted_priority_class",
            "session_status",
            "schema_id",
            "schema_version",
            "granted_operation_credit",
            "max_in_flight_operations",
            "lease_ttl_ms",
            "resume_window_ms",
            "resume_token_bytes",
            "session_extension_bytes",
            "server_session_tag",
            "route_scope_id",
            "session_error_code",
            "session_flags_ack",
        ),
        {
            "session_status": v.SESSION_STATUSES,
            "accepted_priority_class": v.PRIORITY_CLASSES,
            "accepted_profile_id": v.PROFILE_IDS,
        },
    ),
    "SESSION_CLOSE_ACK": Layout(
        "<IQI",
        ("close_status", "last_operation_id", "session_error_code"),
        {"close_status": {0: "closed", 1: "draining"}},
    ),
}
"""Message type name → layout, for the messages whose metadata the decoder reads. Other
message types' metadata is kept as bytes (``meta_hex``)."""


def parse_metadata(kind: str, meta: bytes) -> tuple[dict[str, Any], list[Problem]]:
    """The fields of ``kind``'s fixed metadata and the problems found (see the module doc).

    A metadata block longer than the layout is read (the rest kept as ``meta_tail_hex``, a
    ``metadata_length`` problem); a shorter one, or a kind with no layout, gives
    ``{"meta_hex": ...}`` (a problem only for a kind with a layout)."""
    layout = LAYOUTS.get(kind)
    if layout is None:
        return ({"meta_hex": meta.hex()} if meta else {}), []
    problems: list[Problem] = []
    size = layout.size
    if len(meta) != size:
        problems.append(
            ("metadata_length", f"{kind} metadata is {len(meta)} bytes; the layout has {size}")
        )
        if len(meta) < size:
            return {"meta_hex": meta.hex()}, problems
    values = layout.struct.unpack_from(meta)
    fields: dict[str, Any] = {}
    for name, value in zip(layout.fields, values, strict=True):
        if name == "_":
            if value:
                problems.append(("reserved_field", f"{kind} reserved metadata field is {value}"))
            continue
        fields[name] = value
    for name, names in layout.enums.items():
        value = fields[name]
        label = names.get(value)
        if label is None:
            problems.append(("unknown_value", f"{kind} {name} {value} is not a known value"))
            label = f"unknown({value})"
        fields[name + "_name"] = label
    for name, bits in layout.flags.items():
        value = fields[name]
        unknown = value & ~sum(bits)
        if unknown:
            problems.append(("unknown_flags", f"{kind} {name} has unknown bits 0x{unknown:x}"))
    if len(meta) > size:
        fields["meta_tail_hex"] = meta[size:].hex()
    return fields, problems


_PRELUDE: Final = struct.Struct("<8I")
_DESCRIPTOR_24: Final = struct.Struct("<HBBIIHHII")
_DESCRIPTOR_16: Final = struct.Struct("<BBHIII")


class TypedPayload:
    """One payload of a typed body: the descriptor's fields and the payload bytes."""

    __slots__ = (
        "data",
        "descriptor_flags",
        "payload_kind",
        "profile_id",
        "schema_id",
        "schema_version",
        "stream_semantics",
    )

    def __init__(
        self,
        payload_kind: int,
        profile_id: int,
        descriptor_flags: int,
        schema_id: int,
        schema_version: int,
        stream_semantics: int,
        data: bytes,
    ) -> None:
        self.payload_kind = payload_kind
        self.profile_id = profile_id
        self.descriptor_flags = descriptor_flags
        self.schema_id = schema_id
        self.schema_version = schema_version
        self.stream_semantics = stream_semantics
        self.data = data

    @property
    def kind_name(self) -> str:
        """The payload kind's name in the wire vocabulary (``PAYLOAD_KINDS``), or ``unknown(N)`` for
        a value it does not name."""
        return v.enum_name(self.payload_kind, v.PAYLOAD_KINDS)


def parse_typed_body(
    body: bytes, frame_count: int
) -> tuple[list[TypedPayload], list[Problem]] | None:
    """The payloads of a body in the spec's shape, or ``None`` when the body is not one.

    The shape is taken only when every size agrees: a 32-byte prelude whose region sizes add
    up to the body length, ``typed_payload_descriptor_bytes`` = ``frame_count`` × 24 (preview4
    descriptors) or × 16 (preview3), ``body_flags`` and ``reserved`` zero, and descriptors
    that lie inside the frame region. The descriptors' ``offset``/``length`` are byte
    positions in the frame region. Inline objects, object references and extensions are
    skipped (reported as problems when present).
    """
    if frame_count <= 0 or len(body) < _PRELUDE.size:
        return None
    inline, refs, desc_bytes, frame_bytes, ext_desc, ext_payload, body_flags, reserved = (
        _PRELUDE.unpack_from(body)
    )
    if body_flags or reserved:
        return None
    if _PRELUDE.size + inline + refs + desc_bytes + frame_bytes + ext_desc + ext_payload != len(
        body
    ):
        return None
    if desc_bytes == frame_count * 24:
        width, unpack = 24, _DESCRIPTOR_24.unpack_from
    elif desc_bytes == frame_count * 16:
        width, unpack = 16, _DESCRIPTOR_16.unpack_from
    else:
        return None
    problems: list[Problem] = []
    if inline or refs or ext_desc or ext_payload:
        problems.append(
            (
                "unread_region",
                "body has inline-object, object-reference or extension regions; not read",
            )
        )
    start = _PRELUDE.size + inline + refs
    region = body[start + desc_bytes : start + desc_bytes + frame_bytes]
    payloads: list[TypedPayload] = []
    for i in range(frame_count):
        at = start + i * width
        if width == 24:
            profile, kind, dflags, schema, version, semantics, rsv, offset, length = unpack(
                body, at
            )
        else:
            kind, dflags, profile, offset, length, rsv = unpack(body, at)
            schema = version = semantics = 0
        if offset + length > len(region):
            return None
        if rsv:
            problems.append(("reserved_field", f"descriptor {i} reserved field is {rsv}"))
        if dflags & ~0xF:
            problems.append(
                ("unknown_flags", f"descriptor {i} flags have unknown bits 0x{dflags & ~0xF:x}")
            )
        if kind not in v.PAYLOAD_KINDS:
            problems.append(
                ("unknown_value", f"descriptor {i} payload_kind {kind} is not one kind")
            )
        payloads.append(
            TypedPayload(
                kind, profile, dflags, schema, version, semantics, region[offset : offset + length]
            )
        )
    return payloads, problems

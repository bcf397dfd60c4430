"""NNRP decoder: the token profile's JSON rendering and the OpenAI-compatible profile's events.

Inputs (``docs/nnrp.md`` has the accepted shapes with examples):

* **Token profile**, the docs' JSON "mock dump" (``../shared/specs/nnrp-token-profile.txt``):
  ``message_type``, ``common_header``, ``fixed_metadata``, ``typed_payload_descriptor``,
  ``profile_body.token`` and ``payload_frame.token_chunk``. The wire is binary; this JSON is a
  documentation rendering that only debug/bridge tools produce (``../shared/notes/nnrp.md`` §0),
  so the decoder is lenient about every vocabulary the notes list.
* **OpenAI-compatible profile** (notes §3): one JSON event per ``PARTIAL_RESULT`` and a
  terminal ``RESULT_PUSH``, wrapped as ``{"message_type", "common_header", "fixed_metadata":
  {"result_sequence", ...}, "event": {...}}`` (``"body"`` — an object or its JSON text — is
  accepted for ``"event"``).
* Control messages that end or shape an operation: ``FRAME_SUBMIT`` (starts it, with the request
  text), ``RESULT_DROP``/``RESULT_DROP_REASON``, ``ERROR``, ``FRAME_CANCEL``/``CANCEL``/
  ``ABORT``/``SUPERSEDE``; flow/pressure messages are counted as metrics.

Theory of operation
-------------------
* An **operation** is keyed by ``(session_id, frame_id)`` of the common header (notes §5.2);
  ids may be integers, ``"0x…"`` hex strings or decimal strings and are normalised to
  zero-padded hex (``0x00000034``). ``view_id`` is a sub-lane: each view of an operation has its
  own reassembly buffer and its own assistant message (view 0 is the only one LLMs use).
  ``route_id`` and ``trace_id`` are kept as metadata, never as identity. Each operation is one
  run, ``run_id = "nnrp:<session>:<frame>"`` (``#n`` appended if the key is reused after its
  terminal), in session ``<session>``.
* **Token chunks** go through one :class:`~streamfold.formats.nnrp.reassembly.SequenceReassembler`
  per lane, ordered by ``profile_body.token.sequence_start/end`` (``offset``/``length`` are
  opaque and only cross-checked, §5.3). Raw bytes (``token_chunk_base64`` / ``token_chunk_hex``)
  are decoded by the lane's incremental UTF-8 decoder in sequence order. ``stream_semantics``
  snapshot/replace make a chunk replace the text. The header's ``RETRANSMIT`` flag only marks
  the chunk: a retransmit that fills a hole is applied, one of applied text is dropped.
* **OpenAI events** are deduplicated by ``fixed_metadata.result_sequence`` (the highest applied
  value wins; anything ``<=`` it is dropped, §5.6).
* **Terminal** (§5.7): ``token.terminal``, the ``terminal`` descriptor flag, the header ``EOS``
  flag, a final ``result_status`` (``complete``, ``stale_reuse``, ``degraded``), a ``RESULT_PUSH``
  of an operation that already sent ``PARTIAL_RESULT`` (preview4 style) or that carries an
  OpenAI terminal event / no token body, and the terminal message types. At the terminal the
  lanes are finished: permanent gaps become ``MarkMissing`` ranges and a completed run becomes
  ``incomplete``; a ``nnrp.operation`` custom event carries the per-lane reassembly statistics
  and the flow metrics; ``EndRun`` maps the cause to status, finish and stop reason. Frames for
  the key after that are dropped with a ``late_frame`` diagnostic (INFO after a cancel, where
  late results are expected).

Per frame the work is a few dict lookups plus the chunk's own size: an in-order text chunk takes
the reassembler's fast path (``append_next``), and the id strings, message type and vocabulary
names a stream repeats on every frame are normalised once (module-level caches of pure results,
``_CACHE_LIMIT`` entries each, shared by all decoders). Held chunks are bounded by the reorder
window. Decoder memory: open operations and their lanes, the run ids issued (one string per
run, like the model) and the keys of the last ``max_ended_operations`` ended operations (for
late-frame detection).
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs
import orjson

from ...events import (
    AppendText,
    AppendToolArguments,
    Diagnose,
    EndRun,
    Event,
    KeepUnknown,
    MarkMissing,
    RecordCustom,
    ReplaceText,
    ReportUsage,
    SetReply,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus, Severity, Usage
from .reassembly import Chunk, NoticeKind, Outcome, RangeMode, SequenceReassembler

__all__ = [
    "DESCRIPTOR_FLAGS",
    "HEADER_FLAGS",
    "MESSAGE_TYPES",
    "NnrpDecoder",
]

# ----------------------------------------------------------------------------- vocabularies

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
"""NNRP ``msg_type`` codes (notes §1). ``message_type`` may be the name or the code."""
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
    # Names the token pages use that have no wire bit (notes §1): kept above the u8 range.
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
"""Token ``stop_reason`` → OpenAI-style ``finish_reason`` (notes §5.9); others pass through."""

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


# ------------------------------------------------------------------------------------ state


@attrs.define(slots=True, eq=False)
class _Op:
    """One operation (one run)."""

    key: tuple[str, str]
    run_id: str
    session_id: str
    frame_id: str
    operation_id: int | None = None
    lanes: dict[str, SequenceReassembler] = attrs.field(factory=dict)
    messages: dict[tuple[str, int], str] = attrs.field(factory=dict)
    preview4: bool = False
    """A PARTIAL_RESULT was seen: the next RESULT_PUSH is the terminal."""
    result_sequence: int | None = None
    calls: dict[str, bool] = attrs.field(factory=dict)
    """OpenAI tool calls: call_id → finished."""
    pending: tuple[RunStatus, str | None, str | None, str | None] | None = None
    """An OpenAI terminal event seen in a PARTIAL_RESULT: (status, finish, error, code)."""
    reply: bool = False
    text_seen: bool = False
    stop_reason: str | None = None
    result_status: str | None = None
    quality: list[str] = attrs.field(factory=list)
    frames: int = 0
    retransmits: int = 0
    duplicate_results: int = 0
    flow_frames: int = 0
    flow_credit_delta: int = 0
    flow_scopes: list[str] = attrs.field(factory=list)
    control: dict[str, int] = attrs.field(factory=dict)
    noted: set[str] = attrs.field(factory=set)
    deferred: _Terminal | None = None
    """A token terminal that arrived while a lane was still waiting for earlier text."""
    deferred_at: int = 0
    """Once-per-operation diagnostics already emitted."""

    def summary(self) -> dict[str, Any]:
        flow: dict[str, Any] = {
            "frames": self.flow_frames,
            "credit_delta_sum": self.flow_credit_delta,
            "scopes": self.flow_scopes,
        }
        return {
            "session_id": self.session_id,
            "frame_id": self.frame_id,
            "operation_id": self.operation_id,
            "frames": self.frames,
            "retransmit_flagged": self.retransmits,
            "result_status": self.result_status,
            "stop_reason": self.stop_reason,
            "quality": self.quality,
            "result_sequence": self.result_sequence,
            "duplicate_results": self.duplicate_results,
            "lanes": {view: lane.stats() for view, lane in self.lanes.items()},
            "flow": flow,
            "control": dict(self.control),
        }


@attrs.define(slots=True, eq=False)
class _Ended:
    run_id: str
    status: RunStatus
    cancelled: bool


@attrs.define(slots=True)
class _Terminal:
    """What ends an operation, gathered from one frame."""

    status: RunStatus = RunStatus.COMPLETED
    finish_reason: str | None = None
    stop_reason: str | None = None
    error: str | None = None
    error_code: str | None = None


class NnrpDecoder:
    """Decode NNRP JSON frames (token profile and OpenAI-compatible events) into canonical
    events. See the module docstring and ``docs/nnrp.md``.

    Parameters:
        range_mode: how to read ``sequence_end``: ``"half_open"``, ``"inclusive"`` or
            ``"auto"`` (half-open until the sender proves inclusive; notes §5.4).
        first_sequence: the first sequence number of every lane; ``None`` takes the first
            chunk's start (a chunk before it is then a ``sequence_before_start`` conflict).
        max_held_chunks, max_held_bytes: the reorder window per lane.
        gap_marker: text inserted where a permanent gap is (default: nothing).
        terminal_grace_frames: when a token terminal arrives while a lane still waits for
            earlier text (early chunks held, or the terminal's own position not reached), the
            run waits for the gap to fill for at most this many further frames (of any
            operation) before the gap is taken as permanent.
        max_ended_operations: how many ended operations are remembered for late-frame
            detection.
    """

    name: ClassVar[str] = "nnrp"
    cursor_module: ClassVar[str | None] = "streamfold.formats.nnrp.cursor"

    def __init__(
        self,
        *,
        range_mode: RangeMode = "auto",
        first_sequence: int | None = None,
        max_held_chunks: int = 64,
        max_held_bytes: int = 1 << 20,
        gap_marker: str | None = None,
        terminal_grace_frames: int = 64,
        max_ended_operations: int = 4096,
    ) -> None:
        # Validate once here rather than on the first lane.
        SequenceReassembler(
            range_mode=range_mode,
            first_sequence=first_sequence,
            max_held_chunks=max_held_chunks,
            max_held_bytes=max_held_bytes,
        )
        if max_ended_operations < 0 or terminal_grace_frames < 0:
            raise ValueError("max_ended_operations and terminal_grace_frames must be >= 0")
        self.range_mode: RangeMode = range_mode
        self.first_sequence = first_sequence
        self.max_held_chunks = max_held_chunks
        self.max_held_bytes = max_held_bytes
        self.gap_marker = gap_marker
        self.max_ended_operations = max_ended_operations
        self.terminal_grace_frames = terminal_grace_frames
        self._deferred: dict[tuple[str, str], _Op] = {}
        self._ops: dict[tuple[str, str], _Op] = {}
        self._ended: OrderedDict[tuple[str, str], _Ended] = OrderedDict()
        self._run_ids: set[str] = set()
        self._index = 0

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> bool:
        return "common_header" in frame or "message_type" in frame

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        self._index = frame_index
        out: list[Event] = []
        if self._deferred:
            self._expire_deferred(out)
        # The usual dicts are taken inline, here and in _result: fewer calls per frame.
        header = frame.get("common_header")
        if type(header) is not dict:
            header = _mapping(frame, "common_header", out)
        meta = frame.get("fixed_metadata")
        if type(meta) is not dict:
            meta = _mapping(frame, "fixed_metadata", out)
        if header is None or meta is None:
            return out
        kind = _message_type(frame, header, out)
        if kind is None:
            return out
        if kind in _RESULT_TYPES:
            self._result(kind, frame, header, meta, out)
        elif kind == "FRAME_SUBMIT":
            self._submit(frame, header, meta, out)
        elif kind in ("RESULT_DROP", "RESULT_DROP_REASON"):
            self._drop(kind, frame, header, meta, out)
        elif kind == "ERROR":
            self._error(frame, header, meta, out)
        elif kind in _CANCEL_TYPES:
            self._cancel(kind, header, meta, out)
        elif kind in _METRIC_TYPES:
            self._metric(kind, header, meta, out)
        elif kind in _TYPE_BY_NAME:
            out.append(
                Diagnose(
                    "ignored_message",
                    f"{kind} does not concern a result stream; nothing to apply",
                    Severity.INFO,
                )
            )
        else:
            out.append(
                Diagnose(
                    "unknown_message_type",
                    f"unknown NNRP message type {kind!r}",
                    Severity.WARNING,
                    dropped=True,
                )
            )
        return out

    def finish(self) -> list[Event]:
        out: list[Event] = []
        for op in list(self._ops.values()):
            if op.deferred is not None:
                self._end(op, op.deferred, out)
                continue
            if op.pending is not None:
                status, finish, error, code = op.pending
                self._end(op, _Terminal(status, finish, op.stop_reason, error, code), out)
                continue
            out.append(
                Diagnose(
                    "missing_terminal",
                    f"operation {op.frame_id} of session {op.session_id} never reached its "
                    "terminal before end of input",
                    Severity.WARNING,
                    session_id=op.session_id,
                    run_id=op.run_id,
                )
            )
            self._end(
                op,
                _Terminal(
                    RunStatus.INCOMPLETE,
                    None,
                    op.stop_reason,
                    "no terminal frame before end of input",
                    "no_terminal",
                ),
                out,
            )
        return out

    # ------------------------------------------------------------------------- operations

    def _ids(
        self, header: Mapping[str, Any], out: list[Event], *, need_frame: bool = True
    ) -> tuple[str, str, str] | None:
        """(session, frame, view) of a header, normalised; ``None`` (dropped) when an
        operation message has no usable frame id."""
        raw_session = header.get("session_id")
        raw_frame = header.get("frame_id")
        raw_view = header.get("view_id")
        if (
            type(raw_session) is str
            and type(raw_frame) is str
            and (type(raw_view) is str or raw_view is None)
        ):
            # The frames of an operation repeat their id strings: one lookup for the three
            # ids (−0.5 µs/frame on the NNRP bench stream). Non-empty strings normalise
            # without diagnostics, whatever need_frame says.
            key = (raw_session, raw_frame, raw_view)
            ids = _ids_cache.get(key)
            if ids is None and raw_session and raw_frame:
                if len(_ids_cache) >= _CACHE_LIMIT:
                    _ids_cache.clear()
                view = _str_id(raw_view, 4) if raw_view else "0x0000"
                ids = _ids_cache[key] = (_str_id(raw_session, 8), _str_id(raw_frame, 8), view)
            if ids is not None:
                return ids
        session = _norm_id(raw_session, 8)
        if session is None:
            if raw_session is not None:
                out.append(_warn("invalid_field", "session_id is not an id; taken as 0"))
            session = "0x00000000"
        frame = _norm_id(raw_frame, 8)
        if frame is None and need_frame:
            out.append(_drop("missing_field", "operation message without a usable frame_id"))
            return None
        view = _norm_id(raw_view, 4) or "0x0000"
        return session, frame or "0x00000000", view

    def _op(
        self,
        session: str,
        frame: str,
        kind: str,
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
        *,
        metadata: dict[str, Any] | None = None,
        input_text: str | None = None,
        fresh: bool = False,
    ) -> _Op | None:
        """The open operation for the key, started if new; ``None`` (and a late-frame
        diagnostic) if the key ended already. ``fresh`` starts a new run even then."""
        key = (session, frame)
        op = self._ops.get(key)
        if op is not None:
            if fresh:
                out.append(
                    Diagnose(
                        "duplicate_submit",
                        f"FRAME_SUBMIT for operation {frame}, which is already running",
                        Severity.WARNING,
                        session_id=session,
                        run_id=op.run_id,
                    )
                )
            self._check_operation_id(op, meta, out)
            return op
        ended = self._ended.get(key)
        if ended is not None and not fresh:
            self._ended.move_to_end(key)
            out.append(
                Diagnose(
                    "late_frame",
                    f"{kind} for operation {frame} after its terminal ({ended.status}); ignored",
                    # Results after a cancel are expected, and so is a cancel racing the end.
                    Severity.INFO if ended.cancelled or kind in _CANCEL_TYPES else Severity.WARNING,
                    dropped=True,
                    session_id=session,
                    run_id=ended.run_id,
                )
            )
            return None
        run_id = f"nnrp:{session}:{frame}"
        n = 1
        while run_id in self._run_ids:
            n += 1
            run_id = f"nnrp:{session}:{frame}#{n}"
        self._run_ids.add(run_id)
        op = self._ops[key] = _Op(key, run_id, session, frame)
        op.operation_id = _int_id(meta.get("operation_id"))
        md: dict[str, Any] = {
            "format": "nnrp",
            "session_id": session,
            "frame_id": frame,
            "operation_id": op.operation_id,
            "first_message_type": kind,
        }
        for field, digits in (("route_id", 4), ("trace_id", 16)):
            value = header.get(field)
            if value is not None:
                md[field] = value if type(value) is str else _norm_id(value, digits)
        if metadata:
            md.update(metadata)
        out.append(StartRun(session, run_id, input_text=input_text, metadata=md))
        return op

    def _check_operation_id(self, op: _Op, meta: Mapping[str, Any], out: list[Event]) -> None:
        raw = meta.get("operation_id")
        if raw is None:
            return
        operation_id = _int_id(raw)
        if op.operation_id is None:
            op.operation_id = operation_id
        elif operation_id != op.operation_id:
            out.append(
                Diagnose(
                    "operation_id_mismatch",
                    f"operation_id {raw!r} differs from {op.operation_id} for frame {op.frame_id}",
                    Severity.WARNING,
                    session_id=op.session_id,
                    run_id=op.run_id,
                )
            )

    def _message(self, op: _Op, view: str, index: int, out: list[Event]) -> str:
        message_id = op.messages.get((view, index))
        if message_id is None:
            if (view, index) != _MAIN and _MAIN not in op.messages:
                self._message(op, *_MAIN, out)  # the main message comes first in the run
            message_id = f"{op.run_id}/{view}" + (f"/{index}" if index else "")
            op.messages[(view, index)] = message_id
            md: dict[str, Any] = {"view_id": view}
            if index:
                md["index"] = index
            out.append(StartMessage(op.run_id, message_id, "assistant", metadata=md))
        return message_id

    def _lane(self, op: _Op, view: str) -> SequenceReassembler:
        lane = op.lanes.get(view)
        if lane is None:
            lane = op.lanes[view] = SequenceReassembler(
                range_mode=self.range_mode,
                first_sequence=self.first_sequence,
                max_held_chunks=self.max_held_chunks,
                max_held_bytes=self.max_held_bytes,
                gap_marker=self.gap_marker,
            )
        return lane

    def _end(self, op: _Op, term: _Terminal, out: list[Event]) -> None:
        missing = False
        for view, lane in op.lanes.items():
            message_id = self._message(op, view, 0, out)
            self._emit(op, message_id, lane.finish(), out, may_drop=False)
            for start, end in lane.missing:
                missing = True
                out.append(MarkMissing(op.run_id, start, end))
        status = term.status
        if missing and status is RunStatus.COMPLETED:
            status = RunStatus.INCOMPLETE
        out.append(RecordCustom(op.run_id, "nnrp.operation", op.summary()))
        out.append(
            EndRun(
                op.run_id,
                status,
                finish_reason=term.finish_reason,
                stop_reason=term.stop_reason,
                error=term.error,
                error_code=term.error_code,
            )
        )
        del self._ops[op.key]
        self._deferred.pop(op.key, None)
        if self.max_ended_operations:
            self._ended[op.key] = _Ended(op.run_id, status, status is RunStatus.CANCELLED)
            self._ended.move_to_end(op.key)
            while len(self._ended) > self.max_ended_operations:
                self._ended.popitem(last=False)

    def _emit(
        self, op: _Op, message_id: str, outcome: Outcome, out: list[Event], *, may_drop: bool
    ) -> None:
        run_id = op.run_id
        for piece in outcome.pieces:
            if piece.replace:
                out.append(ReplaceText(run_id, message_id, piece.text))
            else:
                out.append(AppendText(run_id, message_id, piece.text))
        for notice in outcome.notices:
            code, severity, drops = _NOTICE_CODES[notice.kind]
            if notice.retransmit and notice.kind is NoticeKind.DUPLICATE:
                severity = Severity.INFO
            this_frame = notice.tag == self._index
            where = "" if notice.start is None else f" [{notice.start}, {notice.end})"
            origin = "" if this_frame or notice.tag is None else f" (chunk of frame {notice.tag})"
            detail = f": {notice.detail}" if notice.detail else ""
            retransmit = " (retransmit)" if notice.retransmit else ""
            out.append(
                Diagnose(
                    code,
                    f"{notice.kind.value}{retransmit}{where}{origin}{detail}",
                    severity,
                    dropped=drops and may_drop and this_frame,
                    session_id=op.session_id,
                    run_id=run_id,
                )
            )

    # ---------------------------------------------------------------------------- results

    def _result(
        self,
        kind: str,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out)
        if ids is None:
            return
        session, frame_id, view = ids
        descriptor = frame.get("typed_payload_descriptor")
        if type(descriptor) is not dict:
            descriptor = _mapping(frame, "typed_payload_descriptor", out)
        body = frame.get("profile_body")
        if type(body) is not dict:
            body = _mapping(frame, "profile_body", out)
        if descriptor is None or body is None:
            return
        token = body.get("token")
        if type(token) is not dict:
            token = _token_body(body, out)
        op = self._ops.get((session, frame_id))
        if op is None:
            metadata = _descriptor_metadata(descriptor, token, body)
            op = self._op(session, frame_id, kind, header, meta, out, metadata=metadata)
            if op is None:
                return
        elif "operation_id" in meta:
            self._check_operation_id(op, meta, out)
        op.frames += 1
        if kind == "PARTIAL_RESULT":
            op.preview4 = True
        raw_flags = header.get("flags")
        flags = 0 if raw_flags is None else _flags(raw_flags, HEADER_FLAGS, "header flags", op, out)
        retransmit = bool(flags & _FLAG_RETRANSMIT)
        if retransmit:
            op.retransmits += 1
        self._flow(op, meta, out)
        term = self._token_terminal(kind, op, flags, meta, descriptor, token, frame, out)

        payload = frame.get("payload_frame")
        chunk_data: str | bytes | None = None
        if payload is not None:
            chunk_data, error = _payload(payload)
            if error is not None:
                out.append(
                    Diagnose(
                        "invalid_field",
                        f"{error}; chunk not applied",
                        Severity.ERROR,
                        dropped=term is None,
                        session_id=op.session_id,
                        run_id=op.run_id,
                    )
                )
                token = {}  # no chunk: its range stays open
        has_event = "event" in frame or "body" in frame
        if chunk_data is not None or "sequence_start" in token or "sequence_end" in token:
            self._chunk(op, view, chunk_data, descriptor, token, retransmit, term is not None, out)
        if has_event:
            event_term = self._event(op, view, kind, frame, meta, retransmit, out)
            if event_term is not None:
                term = event_term
        elif kind == "RESULT_PUSH" and term is None and payload is None and not token:
            # A RESULT_PUSH with nothing in it is the preview4 single successful terminal,
            # unless it says it is partial.
            status = meta.get("result_status", meta.get("result_class"))
            if status is None or _vocab(status, _RESULT_CLASSES).lower() not in _PARTIAL_STATUSES:
                term = _status_terminal(meta, op)
        if term is not None and op.deferred is None:
            if any(lane.waiting for lane in op.lanes.values()):
                # Chunks before the terminal may still be in flight (the terminal itself may
                # have arrived early): wait for them within the grace period.
                op.deferred, op.deferred_at = term, self._index
                self._deferred[op.key] = op
                out.append(
                    Diagnose(
                        "terminal_deferred",
                        "terminal arrived before all the text before it; waiting for the gap "
                        "to fill",
                        Severity.INFO,
                        session_id=op.session_id,
                        run_id=op.run_id,
                    )
                )
            else:
                self._end(op, term, out)
        elif op.deferred is not None and not any(lane.waiting for lane in op.lanes.values()):
            self._end(op, op.deferred, out)

    def _expire_deferred(self, out: list[Event]) -> None:
        limit = self._index - self.terminal_grace_frames
        for op in [op for op in self._deferred.values() if op.deferred_at < limit]:
            assert op.deferred is not None
            self._end(op, op.deferred, out)

    def _flow(self, op: _Op, meta: Mapping[str, Any], out: list[Event]) -> None:
        scope = meta.get("flow_scope")
        delta = meta.get("flow_credit_delta")
        if scope is None and delta is None:
            return
        op.flow_frames += 1
        if scope is not None:
            name = _vocab(scope, _FLOW_SCOPES)
            if name not in op.flow_scopes:
                op.flow_scopes.append(name)
        if delta is not None:
            if type(delta) is int:
                op.flow_credit_delta += delta
            else:
                _once(op, out, "flow", "invalid_field", "flow_credit_delta is not an int")

    def _token_terminal(
        self,
        kind: str,
        op: _Op,
        flags: int,
        meta: Mapping[str, Any],
        descriptor: Mapping[str, Any],
        token: Mapping[str, Any],
        frame: Mapping[str, Any],
        out: list[Event],
    ) -> _Terminal | None:
        """Whether this result frame ends the operation (notes §5.7-5.9)."""
        reasons: list[str] = []
        raw_dflags = descriptor.get("descriptor_flags")
        dflags = 0
        if raw_dflags is not None:
            dflags = _flags(raw_dflags, DESCRIPTOR_FLAGS, "descriptor_flags", op, out)
        if dflags & _DESC_TERMINAL:
            reasons.append("descriptor flag terminal")
        terminal_field = token.get("terminal")
        if terminal_field is True:
            reasons.append("terminal")
        elif terminal_field not in (None, False):
            _once(op, out, "terminal", "invalid_field", f"terminal {terminal_field!r} not a bool")
        if flags & _FLAG_EOS:
            reasons.append("EOS header flag")
        status_raw = meta.get("result_status")
        if status_raw is None and "result_status" not in meta:
            status_raw = meta.get("result_class")
        status: str | None = None
        if status_raw is not None:
            if type(status_raw) is str and status_raw in _STATUS_NAMES:
                status = status_raw  # spelt as the vocabulary spells it
            else:
                status = _vocab(status_raw, _RESULT_CLASSES).lower()
            op.result_status = status
            if status in _FINAL_STATUSES:
                reasons.append(f"result_status {status}")
            elif status in _QUALITY_STATUSES:
                reasons.append(f"result_status {status}")
                if status not in op.quality:
                    op.quality.append(status)
            elif status not in _PARTIAL_STATUSES:
                _once(
                    op,
                    out,
                    f"result_status:{status}",
                    "unknown_value",
                    f"unknown result_status {status!r}; kept, taken as non-terminal",
                    Severity.INFO,
                )
        preview4_push = (
            kind == "RESULT_PUSH" and op.preview4 and "event" not in frame and "body" not in frame
        )
        stop_raw = token.get("stop_reason")
        stop: str | None = None
        if stop_raw is not None:
            stop = stop_raw if type(stop_raw) is str else str(stop_raw)
            if stop.lower() == "none" or stop == "":
                stop = None
            elif isinstance(raw_dflags, list) and not (dflags & _DESC_STOP_REASON):
                # Only a name list can say stop_reason_present (the flag has no wire bit).
                _once(
                    op,
                    out,
                    "stop_reason_unflagged",
                    "stop_reason_unflagged",
                    f"stop_reason {stop!r} without the stop_reason_present flag; used",
                    Severity.INFO,
                )
        if not reasons and not preview4_push:
            if stop is not None:
                _once(
                    op,
                    out,
                    "early_stop_reason",
                    "early_stop_reason",
                    f"stop_reason {stop!r} on a non-terminal chunk; ignored",
                    Severity.INFO,
                )
            return None
        partial = status in _PARTIAL_STATUSES or bool(dflags & _DESC_PARTIAL)
        if partial and reasons:
            out.append(
                Diagnose(
                    "terminal_conflict",
                    f"frame is marked partial and terminal ({', '.join(reasons)}); terminal wins",
                    Severity.INFO,
                    run_id=op.run_id,
                )
            )
        op.stop_reason = stop
        if preview4_push and not reasons:
            # The preview4 single terminal: its outcome is the pending profile event or the
            # status_code (notes §2).
            return _status_terminal(meta, op)
        finish = "stop" if stop is None else _STOP_TO_FINISH.get(stop.lower(), stop)
        return _Terminal(RunStatus.COMPLETED, finish, stop)

    def _chunk(
        self,
        op: _Op,
        view: str,
        data: str | bytes | None,
        descriptor: Mapping[str, Any],
        token: Mapping[str, Any],
        retransmit: bool,
        terminal: bool,
        out: list[Event],
    ) -> None:
        start, end = token.get("sequence_start"), token.get("sequence_end")
        if start is not None or end is not None:
            if type(start) is not int or type(end) is not int:
                out.append(
                    Diagnose(
                        "invalid_field",
                        "sequence_start/sequence_end are not both integers; chunk taken in "
                        "arrival order",
                        Severity.WARNING,
                        run_id=op.run_id,
                    )
                )
                start = end = None
            offset = descriptor.get("offset")
            if start is not None and type(offset) is int and offset != start:
                _once(
                    op,
                    out,
                    "offset_mismatch",
                    "offset_mismatch",
                    f"descriptor offset {offset} != sequence_start {start}; "
                    "offset/length are treated as opaque",
                    Severity.INFO,
                )
        replace = self._replace_semantics(op, descriptor, out)
        lane = op.lanes.get(view)
        if lane is None:
            message_id = self._message(op, view, 0, out)
            lane = self._lane(op, view)
        else:  # a lane's message is started with it
            message_id = op.messages[(view, 0)]
        if data is None:
            data = ""
        if data:
            op.text_seen = True
        if type(data) is str and start is not None and end is not None and not replace:
            text = lane.append_next(data, start, end)
            if text is not None:  # applied in order: the one piece push() would give
                if text:
                    out.append(AppendText(op.run_id, message_id, text))
                return
        outcome = lane.push(
            Chunk(data, start, end, replace=replace, retransmit=retransmit, tag=self._index)
        )
        self._emit(op, message_id, outcome, out, may_drop=not terminal)

    def _replace_semantics(self, op: _Op, descriptor: Mapping[str, Any], out: list[Event]) -> bool:
        raw = descriptor.get("stream_semantics")
        if raw is None:
            return False
        if type(raw) is str and raw in _APPEND_SEMANTICS:  # spelt as the vocabulary spells it
            return False
        name = _vocab(raw, _SEMANTICS_CODES).lower()
        if name in _APPEND_SEMANTICS:
            return False
        if name in _REPLACE_SEMANTICS:
            return True
        _once(
            op,
            out,
            f"stream_semantics:{name}",
            "unknown_value",
            f"stream_semantics {raw!r} is not a token semantics; appended",
        )
        return False

    # ------------------------------------------------------------------------ OpenAI events

    def _event(
        self,
        op: _Op,
        view: str,
        kind: str,
        frame: Mapping[str, Any],
        meta: Mapping[str, Any],
        retransmit: bool,
        out: list[Event],
    ) -> _Terminal | None:
        event = _event_object(frame, op, out)
        terminal_message = kind == "RESULT_PUSH"
        if event is None:
            return _status_terminal(meta, op) if terminal_message else None
        etype = event.get("type")
        if not terminal_message:
            seq = meta.get("result_sequence")
            if type(seq) is int:
                last = op.result_sequence
                if last is not None and seq <= last:
                    op.duplicate_results += 1
                    out.append(
                        Diagnose(
                            "duplicate_result",
                            f"result_sequence {seq} <= {last} already applied; dropped",
                            Severity.INFO if retransmit else Severity.WARNING,
                            dropped=True,
                            session_id=op.session_id,
                            run_id=op.run_id,
                        )
                    )
                    return None
                if last is not None and seq > last + 1:
                    out.append(
                        Diagnose(
                            "result_sequence_gap",
                            f"result_sequence jumped from {last} to {seq}",
                            Severity.WARNING,
                            session_id=op.session_id,
                            run_id=op.run_id,
                        )
                    )
                op.result_sequence = seq
            elif seq is not None:
                _once(op, out, "result_sequence", "invalid_field", "result_sequence is not an int")
            elif retransmit:
                op.duplicate_results += 1
                out.append(
                    Diagnose(
                        "duplicate_result",
                        "retransmitted event without result_sequence can't be placed; dropped",
                        Severity.INFO,
                        dropped=True,
                        run_id=op.run_id,
                    )
                )
                return None
        if type(etype) is not str:
            out.append(_drop("invalid_field", "event without a string 'type'", op.run_id))
            return None
        handler = _EVENT_HANDLERS.get(etype)
        if handler is None:
            out.append(
                Diagnose(
                    "unknown_event_type",
                    f"unknown OpenAI-compatible event {etype!r}; kept verbatim on the run",
                    Severity.INFO,
                    run_id=op.run_id,
                )
            )
            out.append(KeepUnknown(op.run_id, dict(event)))
            return _status_terminal(meta, op) if terminal_message else None
        term: _Terminal | None = handler(self, op, view, event, out)
        if etype in _OPENAI_TERMINAL_EVENTS:
            assert term is not None
            if not terminal_message:
                # Carried by a PARTIAL_RESULT: the operation still ends at its RESULT_PUSH.
                op.pending = (term.status, term.finish_reason, term.error, term.error_code)
                return None
            return term
        if terminal_message:
            if op.pending is not None:
                status, finish, error, code = op.pending
                return _Terminal(status, finish, op.stop_reason, error, code)
            return _status_terminal(meta, op)
        return None

    def _ev_text(self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]) -> None:
        delta = event.get("delta")
        if type(delta) is not str:
            out.append(
                _drop("invalid_field", "output_text.delta without a string delta", op.run_id)
            )
            return
        index = event.get("index")
        message_id = self._message(op, view, index if type(index) is int else 0, out)
        if delta:
            op.text_seen = True
            out.append(AppendText(op.run_id, message_id, delta))

    def _ev_tool_started(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        call_id = _call_id(event, op, out)
        if call_id is None:
            return
        if call_id in op.calls:
            out.append(
                Diagnose(
                    "tool_call_order",
                    f"tool call {call_id!r} started twice; ignored",
                    Severity.WARNING,
                    dropped=True,
                    run_id=op.run_id,
                )
            )
            return
        self._start_call(op, view, call_id, event, out)

    def _start_call(
        self, op: _Op, view: str, call_id: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        op.calls[call_id] = False
        name = event.get("name")
        md = {k: event[k] for k in ("item_id", "index") if k in event}
        out.append(
            StartToolCall(
                op.run_id,
                call_id,
                name if type(name) is str else None,
                message_id=self._message(op, view, 0, out),
                metadata=md or None,
            )
        )

    def _open_call(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> str | None:
        """The call an event continues; started on demand (with a diagnostic) if unknown,
        ``None`` (dropped) if it already finished."""
        call_id = _call_id(event, op, out)
        if call_id is None:
            return None
        finished = op.calls.get(call_id)
        if finished is None:
            out.append(
                Diagnose(
                    "tool_call_order",
                    f"{event.get('type')} for tool call {call_id!r} before its start",
                    Severity.WARNING,
                    run_id=op.run_id,
                )
            )
            self._start_call(op, view, call_id, event, out)
        elif finished:
            out.append(
                Diagnose(
                    "tool_call_order",
                    f"{event.get('type')} for tool call {call_id!r} after it finished; dropped",
                    Severity.WARNING,
                    dropped=True,
                    run_id=op.run_id,
                )
            )
            return None
        return call_id

    def _ev_tool_delta(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        delta = event.get("arguments_delta")
        if type(delta) is not str:
            out.append(_drop("invalid_field", "tool_call.delta without arguments_delta", op.run_id))
            return
        call_id = self._open_call(op, view, event, out)
        if call_id is not None:
            out.append(AppendToolArguments(op.run_id, call_id, delta))

    def _ev_tool_completed(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        call_id = self._open_call(op, view, event, out)
        if call_id is None:
            return
        op.calls[call_id] = True
        arguments = event.get("arguments")
        if arguments is not None and type(arguments) is not str:
            arguments = orjson.dumps(arguments).decode()
        out.append(SetToolArguments(op.run_id, call_id, arguments))

    def _ev_tool_error(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        call_id = self._open_call(op, view, event, out)
        if call_id is None:
            return
        op.calls[call_id] = True
        message, _code = _error_body(event.get("error"))
        out.append(
            SetToolResult(
                op.run_id, call_id, message, is_error=True, error=message, add_result_part=False
            )
        )

    def _ev_usage(self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]) -> None:
        usage = _usage(event.get("usage"))
        if usage is None:
            out.append(_drop("invalid_field", "response.usage without usable counts", op.run_id))
            return
        out.append(ReportUsage(op.run_id, usage, mode="set"))

    def _ev_completed(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> _Terminal:
        body = event.get("body")
        finish: str | None = None
        if isinstance(body, Mapping):
            finish = self._completed_body(op, view, body, out)
        return _Terminal(RunStatus.COMPLETED, finish or "stop", op.stop_reason)

    def _completed_body(
        self, op: _Op, view: str, body: Mapping[str, Any], out: list[Event]
    ) -> str | None:
        """Fold a final chat.completion / response body: text when none streamed, the reply,
        tool calls not streamed, usage. Returns its finish_reason."""
        finish: str | None = None
        text: str | None = None
        choices = body.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            choice = choices[0]
            fr = choice.get("finish_reason")
            finish = fr if type(fr) is str else None
            message = choice.get("message")
            if isinstance(message, Mapping):
                content = message.get("content")
                text = content if type(content) is str else None
                calls = message.get("tool_calls")
                if isinstance(calls, list):
                    for call in calls:
                        self._body_tool_call(op, view, call, out)
        elif type(body.get("output_text")) is str:
            text = body["output_text"]
        if text is not None:
            if not op.text_seen:
                out.append(AppendText(op.run_id, self._message(op, view, 0, out), text))
                op.text_seen = True
            out.append(SetReply(op.run_id, text))
        usage = _usage(body.get("usage"))
        if usage is not None:
            out.append(ReportUsage(op.run_id, usage, mode="set"))
        return finish

    def _body_tool_call(self, op: _Op, view: str, call: Any, out: list[Event]) -> None:
        if not isinstance(call, Mapping) or type(call.get("id")) is not str:
            return
        call_id: str = call["id"]
        if call_id in op.calls:
            return
        function = call.get("function")
        function = function if isinstance(function, Mapping) else {}
        self._start_call(op, view, call_id, {"name": function.get("name")}, out)
        op.calls[call_id] = True
        arguments = function.get("arguments")
        if arguments is not None and type(arguments) is not str:
            arguments = orjson.dumps(arguments).decode()
        out.append(SetToolArguments(op.run_id, call_id, arguments))

    def _ev_error(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> _Terminal:
        message, code = _error_body(event.get("error"))
        return _Terminal(RunStatus.FAILED, "error", op.stop_reason, message, code)

    def _ev_cancelled(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> _Terminal:
        reason = event.get("reason")
        return _Terminal(
            RunStatus.CANCELLED,
            "cancelled",
            op.stop_reason,
            reason if type(reason) is str else None,
            "cancelled",
        )

    def _ev_diagnostics(
        self, op: _Op, view: str, event: Mapping[str, Any], out: list[Event]
    ) -> None:
        out.append(RecordCustom(op.run_id, "nnrp.diagnostics", dict(event)))

    # ------------------------------------------------------------------- control messages

    def _submit(
        self,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out)
        if ids is None:
            return
        session, frame_id, _view = ids
        request = _event_object(frame, None, out)
        metadata: dict[str, Any] = {}
        input_text: str | None = None
        if request is not None:
            for field in ("operation", "request_id", "schema_version"):
                if type(request.get(field)) is str:
                    metadata[field] = request[field]
            inner = request.get("body", request)
            if isinstance(inner, Mapping):
                if type(inner.get("model")) is str:
                    metadata["model"] = inner["model"]
                input_text = _input_text(inner)
        self._op(
            session,
            frame_id,
            "FRAME_SUBMIT",
            header,
            meta,
            out,
            metadata=metadata,
            input_text=input_text,
            fresh=True,
        )

    def _drop(
        self,
        kind: str,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out)
        if ids is None:
            return
        op = self._op(ids[0], ids[1], kind, header, meta, out)
        if op is None:
            return
        raw = meta.get("drop_reason", meta.get("reason_code", meta.get("reason")))
        reason = _vocab(raw, DROP_REASONS) if raw is not None else None
        detail = _text_field(frame, "diagnostic")
        status = (
            RunStatus.CANCELLED
            if reason is not None and reason.lower() in _CANCELLING_DROPS
            else RunStatus.FAILED
        )
        error = f"result dropped ({reason or 'no reason given'})" + (
            f": {detail}" if detail else ""
        )
        self._end(op, _Terminal(status, "dropped", op.stop_reason, error, reason), out)

    def _error(
        self,
        frame: Mapping[str, Any],
        header: Mapping[str, Any],
        meta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        ids = self._ids(header, out, need_frame=False)
        if ids is None:  # pragma: no cover - need_frame=False never drops
            return
        session = _norm_id(meta.get("related_session_id"), 8) or ids[0]
        related_frame = _norm_id(meta.get("related_frame_id"), 8)
        frame_id = related_frame if related_frame not in (None, "0x00000000") else ids[1]
        scope_raw = meta.get("error_scope")
        if scope_raw is not None:
            scope = _vocab(scope_raw, _ERROR_SCOPES).lower()
        elif frame_id != "0x00000000":
            scope = "frame"
        elif session != "0x00000000":
            scope = "session"
        else:
            scope = "connection"
        if scope == "frame" and frame_id == "0x00000000":
            scope = "session"  # a frame-scoped error that names no frame
        fatal_raw = meta.get("is_fatal")
        code_raw = meta.get("error_code")
        code = _vocab(code_raw, ERROR_CODES) if code_raw is not None else "error"
        detail = _text_field(frame, "diagnostic") or _error_body(frame.get("event"))[0] or code
        if scope == "frame" and (fatal_raw is None or fatal_raw):
            targets = [(session, frame_id)]
        elif scope != "frame" and fatal_raw:
            targets = [key for key in self._ops if scope == "connection" or key[0] == session]
        else:
            targets = []
        if not targets:
            out.append(
                Diagnose(
                    "sender_error",
                    f"{'fatal' if fatal_raw else 'non-fatal'} {scope} ERROR {code}: {detail}"
                    + ("" if fatal_raw else "; no operation ended"),
                    Severity.WARNING,
                    session_id=session,
                )
            )
            return
        status = RunStatus.CANCELLED if code == "frame_cancelled" else RunStatus.FAILED
        for key in targets:
            op = self._op(key[0], key[1], "ERROR", header, meta, out)
            if op is None:
                continue
            term = _Terminal(status, "error", op.stop_reason, detail, code)
            if status is RunStatus.CANCELLED:
                term.finish_reason = "cancelled"
            self._end(op, term, out)

    def _cancel(
        self, kind: str, header: Mapping[str, Any], meta: Mapping[str, Any], out: list[Event]
    ) -> None:
        ids = self._ids(header, out, need_frame=False)
        if ids is None:  # pragma: no cover
            return
        session, frame_id, _view = ids
        scope_raw = meta.get("cancel_scope")
        scope = _vocab(scope_raw, _CANCEL_SCOPES).lower() if scope_raw is not None else None
        if scope == "session" or frame_id == "0x00000000":
            targets = [key for key in self._ops if key[0] == session]
        else:
            targets = [(session, frame_id)]
        if not targets:
            out.append(
                Diagnose(
                    "ignored_message",
                    f"{kind} for session {session}, which has no open operation",
                    Severity.INFO,
                    session_id=session,
                )
            )
            return
        reason_raw = meta.get("reason_code", meta.get("reason"))
        reason = _vocab(reason_raw, DROP_REASONS) if reason_raw is not None else None
        finish = "superseded" if kind == "SUPERSEDE" else "cancelled"
        for key in targets:
            op = self._op(key[0], key[1], kind, header, meta, out)
            if op is None:
                continue
            error = f"{kind}" + (f" ({reason})" if reason else "")
            self._end(
                op,
                _Terminal(RunStatus.CANCELLED, finish, op.stop_reason, error, kind.lower()),
                out,
            )

    def _metric(
        self, kind: str, header: Mapping[str, Any], meta: Mapping[str, Any], out: list[Event]
    ) -> None:
        session = _norm_id(header.get("session_id"), 8) or "0x00000000"
        frame_id = _norm_id(header.get("frame_id"), 8)
        op = self._ops.get((session, frame_id)) if frame_id is not None else None
        if op is None:
            out.append(
                Diagnose(
                    "ignored_message",
                    f"{kind} outside an open operation; not applied (flow and pressure "
                    "messages are metrics only)",
                    Severity.INFO,
                    session_id=session,
                )
            )
            return
        op.control[kind] = op.control.get(kind, 0) + 1
        self._flow(op, meta, out)


_EVENT_HANDLERS: Final[dict[str, Any]] = {
    "response.output_text.delta": NnrpDecoder._ev_text,
    "response.tool_call.started": NnrpDecoder._ev_tool_started,
    "response.tool_call.delta": NnrpDecoder._ev_tool_delta,
    "response.tool_call.completed": NnrpDecoder._ev_tool_completed,
    "response.tool_call.error": NnrpDecoder._ev_tool_error,
    "response.usage": NnrpDecoder._ev_usage,
    "response.completed": NnrpDecoder._ev_completed,
    "response.error": NnrpDecoder._ev_error,
    "response.cancelled": NnrpDecoder._ev_cancelled,
    "response.diagnostics": NnrpDecoder._ev_diagnostics,
}


# ----------------------------------------------------------------------------------- helpers


def _drop(code: str, message: str, run_id: str | None = None) -> Diagnose:
    return Diagnose(code, message, Severity.ERROR, dropped=True, run_id=run_id)


def _warn(code: str, message: str, run_id: str | None = None) -> Diagnose:
    return Diagnose(code, message, Severity.WARNING, run_id=run_id)


def _once(
    op: _Op,
    out: list[Event],
    key: str,
    code: str,
    message: str,
    severity: Severity = Severity.WARNING,
) -> None:
    """Report a vocabulary oddity once per operation (it would repeat on every frame)."""
    if key not in op.noted:
        op.noted.add(key)
        out.append(Diagnose(code, message, severity, session_id=op.session_id, run_id=op.run_id))


def _mapping(frame: Mapping[str, Any], field: str, out: list[Event]) -> Mapping[str, Any] | None:
    """``frame[field]`` as an object (``{}`` when absent); ``None`` (dropped) when not one."""
    value = frame.get(field)
    if value is None:
        return _EMPTY
    if type(value) is not dict and not isinstance(value, Mapping):
        out.append(_drop("invalid_field", f"{field} is not an object"))
        return None
    return value


def _message_type(
    frame: Mapping[str, Any], header: Mapping[str, Any], out: list[Event]
) -> str | None:
    raw = frame.get("message_type")
    inner = header.get("msg_type")
    if raw is None:
        raw = inner
    if raw is None:
        out.append(_drop("missing_field", "frame has neither message_type nor msg_type"))
        return None
    kind = _type_cache.get(raw) if type(raw) is str else None
    if kind is None:
        kind = _type_name(raw)
    if kind is None:
        out.append(_drop("invalid_field", f"message_type {raw!r} is not a name or code"))
        return None
    if (
        inner is not None
        and inner is not raw
        and (type(inner) is not type(raw) or inner != raw)  # equal: the same name, −0.1 µs
        and _type_name(inner) != kind
    ):
        out.append(
            Diagnose(
                "message_type_mismatch",
                f"message_type {raw!r} and common_header.msg_type {inner!r} differ; "
                "message_type used",
                Severity.WARNING,
            )
        )
    return kind


_EMPTY: Final[Mapping[str, Any]] = {}
_CACHE_LIMIT: Final = 4096
_type_cache: dict[str, str] = {}
_id_cache: dict[tuple[str, int], str] = {}
_ids_cache: dict[tuple[str, str, str | None], tuple[str, str, str]] = {}
_name_cache: dict[str, str] = {}
"""Vocabulary names (strings starting with a letter) → stripped, the same in every vocabulary
(−0.3 µs/frame on the NNRP bench stream: three names per token chunk)."""


def _type_name(raw: Any) -> str | None:
    if type(raw) is str:
        cached = _type_cache.get(raw)
        if cached is not None:
            return cached
    if type(raw) is int:
        return MESSAGE_TYPES.get(raw, f"0x{raw:02x}")
    if type(raw) is not str or not raw:
        return None
    code = _parse_int(raw)
    if code is not None:
        name = MESSAGE_TYPES.get(code, f"0x{code:02x}")
    else:
        name = raw.strip().upper().replace("-", "_").replace(" ", "_")
    if len(_type_cache) >= _CACHE_LIMIT:
        _type_cache.clear()
    _type_cache[raw] = name
    return name


def _parse_int(text: str) -> int | None:
    text = text.strip()
    try:
        if text[:2] in ("0x", "0X"):
            return int(text[2:], 16)
        if text.isdigit():
            return int(text)
    except ValueError:
        return None
    return None


def _norm_id(raw: Any, digits: int) -> str | None:
    """An NNRP id as zero-padded hex; non-numeric strings are kept as given."""
    if type(raw) is int:
        return f"0x{raw:0{digits}x}" if raw >= 0 else str(raw)
    if type(raw) is str and raw:
        return _str_id(raw, digits)
    return None


def _str_id(raw: str, digits: int) -> str:
    """:func:`_norm_id` of a non-empty string."""
    key = (raw, digits)
    cached = _id_cache.get(key)
    if cached is None:
        value = _parse_int(raw)
        cached = f"0x{value:0{digits}x}" if value is not None else raw
        if len(_id_cache) >= _CACHE_LIMIT:
            _id_cache.clear()
        _id_cache[key] = cached
    return cached


def _int_id(raw: Any) -> int | None:
    if type(raw) is int:
        return raw
    if type(raw) is str and raw:
        return _parse_int(raw)
    return None


def _vocab(raw: Any, codes: Mapping[int, str]) -> str:
    """A vocabulary value given as a name, a number or a numeric string."""
    if type(raw) is int:
        return codes.get(raw, str(raw))
    if type(raw) is str:
        name = _name_cache.get(raw)
        if name is not None:
            return name
        if raw[:1].isalpha():  # the usual case: a name
            name = raw.strip()
            if len(_name_cache) >= _CACHE_LIMIT:
                _name_cache.clear()
            _name_cache[raw] = name
            return name
        number = _parse_int(raw)
        if number is not None:
            return codes.get(number, raw)
        return raw.strip()
    return str(raw)


def _flags(raw: Any, names: Mapping[str, int], what: str, op: _Op, out: list[Event]) -> int:
    """Flags as an int, a hex/decimal string, a list of names (or bits), a ``{name: bool}``
    object or one name. Unknown names are reported once per operation and ignored."""
    if raw is None:
        return 0
    if type(raw) is int:
        return raw
    if type(raw) is str:
        number = _parse_int(raw)
        if number is not None:
            return number
        raw = [raw]
    if type(raw) is not list and isinstance(raw, Mapping):
        raw = [k for k, v in raw.items() if v]
    if not isinstance(raw, list):
        _once(op, out, what, "invalid_field", f"{what} {raw!r} is not a flag set; ignored")
        return 0
    value = 0
    for item in raw:
        if type(item) is int:
            value |= item
            continue
        bit = names.get(item) if type(item) is str else None  # as spelt: −0.2 µs/frame
        if bit is None:
            bit = names.get(str(item).strip().lower())
        if bit is None:
            _once(
                op,
                out,
                f"{what}:{item}",
                "unknown_value",
                f"unknown {what} {item!r}",
                Severity.INFO,
            )
            continue
        value |= bit
    return value


def _payload(payload: Any) -> tuple[str | bytes | None, str | None]:
    """The token chunk and an error: ``token_chunk`` (text, or a list of byte values),
    ``token_chunk_base64`` or ``token_chunk_hex`` (raw bytes)."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        return None, "payload_frame is not an object"
    if "token_chunk_base64" in payload:
        raw = payload["token_chunk_base64"]
        try:
            if type(raw) is not str:
                raise TypeError
            return base64.b64decode(raw, validate=True), None
        except (TypeError, ValueError):  # binascii.Error, or non-ASCII text (a ValueError)
            return None, "token_chunk_base64 is not base64"
    if "token_chunk_hex" in payload:
        raw = payload["token_chunk_hex"]
        try:
            if type(raw) is not str:
                raise TypeError
            return bytes.fromhex(raw.removeprefix("0x")), None
        except (TypeError, ValueError):
            return None, "token_chunk_hex is not hex"
    chunk = payload.get("token_chunk")
    if chunk is None or type(chunk) is str:
        return chunk, None
    if isinstance(chunk, list) and all(type(b) is int and 0 <= b < 256 for b in chunk):
        return bytes(chunk), None
    return None, "token_chunk is neither text nor bytes"


def _token_body(body: Mapping[str, Any], out: list[Event]) -> Mapping[str, Any]:
    """``profile_body.token`` (or token fields put directly in ``profile_body``)."""
    token = body.get("token")
    if token is None:
        return body if any(k in body for k in _TOKEN_FIELDS) else {}
    if type(token) is not dict and not isinstance(token, Mapping):
        out.append(_warn("invalid_field", "profile_body.token is not an object; ignored"))
        return {}
    return token


_TOKEN_FIELDS: Final = ("sequence_start", "sequence_end", "terminal", "stop_reason", "token_unit")


def _descriptor_metadata(
    descriptor: Mapping[str, Any], token: Mapping[str, Any], body: Mapping[str, Any]
) -> dict[str, Any]:
    md: dict[str, Any] = {}
    others = [k for k in body if k != "token" and k not in _TOKEN_FIELDS]
    if others:
        md["other_profile_bodies"] = others
    profile = descriptor.get("profile_id")
    if profile is not None:
        md["profile_id"] = _vocab(profile, _PROFILE_IDS)
    schema = descriptor.get("schema_id")
    if schema is not None:
        md["schema_id"] = f"0x{schema:08x}" if type(schema) is int else schema
    for field in ("schema_version", "stream_semantics"):
        if field in descriptor:
            md[field] = descriptor[field]
    unit = token.get("token_unit")
    if unit is not None:
        md["token_unit"] = unit
    return md


def _status_terminal(meta: Mapping[str, Any], op: _Op) -> _Terminal:
    """The terminal a RESULT_PUSH states by its ``status_code`` (the OpenAI adapter's
    200/499/500/503/504) when no profile event says more."""
    if op.pending is not None:
        status, finish, error, code = op.pending
        return _Terminal(status, finish, op.stop_reason, error, code)
    code = meta.get("status_code")
    if type(code) is int and code == 499:
        return _Terminal(RunStatus.CANCELLED, "cancelled", op.stop_reason, None, "499")
    if type(code) is int and code >= 400:
        return _Terminal(
            RunStatus.FAILED, "error", op.stop_reason, f"status_code {code}", str(code)
        )
    return _Terminal(RunStatus.COMPLETED, "stop", op.stop_reason)


def _event_object(
    frame: Mapping[str, Any], op: _Op | None, out: list[Event]
) -> Mapping[str, Any] | None:
    """``event`` (an object) or ``body`` (an object or its JSON text)."""
    value = frame.get("event", frame.get("body"))
    if value is None:
        return None
    if type(value) is str:
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            out.append(_drop("invalid_field", "event body is not JSON", op.run_id if op else None))
            return None
    if not isinstance(value, Mapping):
        out.append(_drop("invalid_field", "event body is not an object", op.run_id if op else None))
        return None
    return value


def _call_id(event: Mapping[str, Any], op: _Op, out: list[Event]) -> str | None:
    call_id = event.get("call_id", event.get("item_id"))
    if type(call_id) is not str or not call_id:
        out.append(_drop("invalid_field", f"{event.get('type')} without a call_id", op.run_id))
        return None
    return call_id


def _error_body(error: Any) -> tuple[str, str | None]:
    """(message, code) of a profile error object ``{type, code, message}`` (or a string)."""
    if isinstance(error, Mapping):
        message = error.get("message")
        code = error.get("code", error.get("type"))
        return (
            message if type(message) is str else orjson.dumps(error).decode(),
            code if type(code) is str else None,
        )
    if type(error) is str:
        return error, None
    return "", None


def _usage(raw: Any) -> Usage | None:
    """Chat (prompt/completion) or Responses (input/output) usage counts."""
    if not isinstance(raw, Mapping):
        return None
    prompt = raw.get("prompt_tokens", raw.get("input_tokens"))
    completion = raw.get("completion_tokens", raw.get("output_tokens"))
    total = raw.get("total_tokens")
    counts = (prompt, completion, total)
    if all(c is None for c in counts) or not all(type(c) is int for c in counts if c is not None):
        return None
    p, c = prompt or 0, completion or 0
    details = []
    for keys in (
        ("prompt_tokens_details", "input_tokens_details"),
        ("completion_tokens_details", "output_tokens_details"),
    ):
        found = raw.get(keys[0], raw.get(keys[1]))
        details.append(
            {k: v for k, v in found.items() if type(v) is int} if isinstance(found, Mapping) else {}
        )
    return Usage(p, c, total if type(total) is int else p + c, details[0], details[1], reports=1)


def _input_text(body: Mapping[str, Any]) -> str | None:
    """The last user message of an OpenAI-style request body (or its ``input`` string)."""
    if type(body.get("input")) is str:
        return str(body["input"])
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if type(content) is str:
                return content
            if isinstance(content, list):
                texts = [
                    p["text"]
                    for p in content
                    if isinstance(p, Mapping) and type(p.get("text")) is str
                ]
                return "".join(texts) if texts else None
            return None
    return None


def _text_field(frame: Mapping[str, Any], field: str) -> str | None:
    """A diagnostic text, at the top level, in ``fixed_metadata`` or in ``payload_frame``."""
    for holder in (frame, frame.get("fixed_metadata"), frame.get("payload_frame")):
        if isinstance(holder, Mapping):
            value = holder.get(field)
            if type(value) is str and value:
                return value
    return None

"""NNRP/1 binary packets → canonical events, through the JSON-profile decoder.

The ``nnrp-wire`` format reads what an NNRP client receives on the wire (``docs/nnrp.md``,
"The wire"). Frames are produced by :class:`~.stream.NnrpWireStream` from bytes split
anywhere: ``{"nnrp_packet": Packet}`` for each packet and ``{"nnrp_wire_fault": WireFault}``
for bytes that are no packet.

Design: each packet is *translated* into the JSON rendering that
:class:`streamfold.formats.nnrp.NnrpDecoder` reads (``docs/nnrp.md`` shows both), and that
decoder does the folding. So the binary and the JSON input share one operation model
(``(session_id, frame_id)`` keys, late frames after a terminal, drops, cancels, errors), one
token reassembly (reordering, duplicates, gaps, a UTF-8 decoder per lane in sequence order)
and one OpenAI-event path (text, tool calls, usage, finish reasons). This module adds only
what the wire has and the JSON lacks:

* **Validation.** ``version_major`` must be 1 and ``wire_format`` 0, else the packet is
  dropped (``unsupported_version``). Unknown message types are dropped. Reserved metadata
  fields that are not zero, unknown flag bits, unknown enum values and metadata of the wrong
  length (:func:`.meta.parse_metadata`) drop the packet in ``strict`` mode and are reported
  (WARNING) in lenient mode, where unknown header flag bits are then masked off.
* **Token chunks.** A ``PARTIAL_RESULT`` body is the chunk; its ``result_sequence`` is the
  chunk's position (``[seq, seq+1)``), so reordered packets are put back in order and
  repeated ones dropped. Bodies that are whole UTF-8 go through as text; others as bytes, which
  the lane's incremental decoder joins (a character split across packets survives).
* **RESULT_PUSH** is the one terminal of an operation (preview4). Its body is read in either
  shape: the spec's prelude + typed-payload descriptors + frame region
  (:func:`.meta.parse_typed_body`: token chunks are joined, a structured event is the profile
  event), or a raw payload — what running code sends. A raw token payload is the last chunk
  (``push_body="append"``, the default) or the whole text (``"replace"``). The outcome is the
  profile event if any, else ``status_code`` (499 cancelled, ≥ 400 failed).
* **Profile.** ``profile="auto"`` (default) decides per operation from the first non-empty
  result body: a JSON object with a string ``type`` is the OpenAI-compatible profile (one
  event per packet), anything else the token profile. ``"token"`` / ``"openai"`` force it.
* **Client → server packets** (a duplex capture): ``FRAME_SUBMIT`` starts the run with the
  request (a token chunk is the prompt; a JSON event body is the request), ``CANCEL``,
  ``ABORT`` and ``FRAME_CANCEL`` end it as cancelled.
* Control and pressure packets (``FLOW_UPDATE``, ``CREDIT_UPDATE``, ``BACKPRESSURE``,
  ``PROGRESS``, ``TRACE_CONTEXT``, ``RESULT_HINT``, ``ERROR_RECOVERABLE``, ``RETRY_AFTER``)
  are decoded and counted per operation (metrics only); handshake packets are INFO.

Per packet the work is a ``struct`` unpack, one small dict and the inner decoder's work; the
header dicts an operation repeats are cached. Memory: the inner decoder's, plus two integers
per open operation (one per view of a frame; at most ``max_operations`` frames).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import orjson

from ...events import Diagnose, Event
from ...model import Severity
from .. import DecoderBase
from ..nnrp import NnrpDecoder
from . import vocab as v
from .meta import parse_metadata, parse_typed_body
from .packets import Packet, WireFault

__all__ = ["NnrpWireDecoder", "Profile", "PushBody"]

Profile = Literal["auto", "token", "openai"]
PushBody = Literal["append", "replace"]

_KNOWN_HEADER_FLAGS: Final = 0x3F
_PARTIAL: Final = struct.Struct("<QQQQII")
_EMPTY: Final[Mapping[str, Any]] = {}
_METRICS: Final = frozenset(
    {
        "FLOW_UPDATE",
        "CREDIT_UPDATE",
        "BACKPRESSURE",
        "ERROR_RECOVERABLE",
        "RETRY_AFTER",
        "PROGRESS",
        "RESULT_HINT",
        "TRACE_CONTEXT",
        "PRIORITY_UPDATE",
        "DEADLINE",
        "EXPIRE_AT",
        "BUDGET_UPDATE",
        "DEGRADE_PROFILE",
        "EXECUTION_HINT",
        "ROUTE_HINT",
    }
)
_ENDS: Final = frozenset({"RESULT_PUSH", "RESULT_DROP", "RESULT_DROP_REASON"})
_CACHE_LIMIT: Final = 4096


class _OpState:
    __slots__ = ("max_seq", "profile")

    def __init__(self) -> None:
        self.profile: str | None = None
        self.max_seq = 0


class NnrpWireDecoder(DecoderBase):
    """Decode NNRP/1 packets (frames from :class:`~.stream.NnrpWireStream`) into canonical
    events. See the module docstring and ``docs/nnrp.md``.

    Parameters:
        strict: drop packets with reserved fields set, unknown flag bits or enum values, or
            metadata of the wrong length (default: report them and apply the packet).
        profile: ``"auto"``, ``"token"`` or ``"openai"`` (see the module docstring).
        push_body: a raw RESULT_PUSH token payload is the last chunk (``"append"``) or the
            whole text (``"replace"``).
        inner: the :class:`~streamfold.formats.nnrp.NnrpDecoder` that folds the translated
            frames (for its reorder-window options); default ``NnrpDecoder()``.
        max_operations: frames (``(session_id, frame_id)``) whose operations' profile and last
            sequence are remembered, for every view of the frame (a view is its own lane,
            docs/nnrp.md); the oldest frame is forgotten first.
    """

    name: ClassVar[str] = "nnrp-wire"

    def __init__(
        self,
        *,
        strict: bool = False,
        profile: Profile = "auto",
        push_body: PushBody = "append",
        inner: NnrpDecoder | None = None,
        max_operations: int = 4096,
    ) -> None:
        if profile not in ("auto", "token", "openai"):
            raise ValueError(f"profile must be auto, token or openai, not {profile!r}")
        if push_body not in ("append", "replace"):
            raise ValueError(f"push_body must be append or replace, not {push_body!r}")
        if max_operations < 1:
            raise ValueError("max_operations must be >= 1")
        self.strict = strict
        self.profile: Profile = profile
        self.push_body: PushBody = push_body
        self.inner = inner if inner is not None else NnrpDecoder()
        self.max_operations = max_operations
        self.packets = 0
        """Packets decoded so far."""
        # Per frame (session_id, frame_id), the lanes by view_id: a view is an operation of its
        # own, and a frame-scoped end (drop, error, a new FRAME_SUBMIT) ends every view.
        self._ops: dict[tuple[int, int], dict[int, _OpState]] = {}
        self._headers: dict[tuple[int, int, int, int, int, int], dict[str, Any]] = {}

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        """1.0 for the frames :class:`~.stream.NnrpWireStream` makes (their keys are this
        format's own), else 0."""
        return 1.0 if "nnrp_packet" in frame or "nnrp_wire_fault" in frame else 0.0

    def finish(self) -> list[Event]:
        """End of input: the wire lanes are dropped and the inner NNRP decoder ends what is still
        open (:meth:`NnrpDecoder.finish`)."""
        self._ops.clear()
        return self.inner.finish()

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame of the binary framing (docs/nnrp.md, the wire): a parsed
        ``nnrp_packet`` is decoded (:meth:`decode_packet`), a ``nnrp_wire_fault`` from the splitter
        becomes a dropped ERROR diagnostic with its code."""
        packet = frame.get("nnrp_packet")
        if type(packet) is Packet:
            return self.decode_packet(packet, frame_index)
        fault = frame.get("nnrp_wire_fault")
        if isinstance(fault, WireFault):
            return [Diagnose(fault.code, fault.message, Severity.ERROR, dropped=True)]
        return [
            Diagnose(
                "invalid_frame",
                "nnrp-wire frame holds neither a packet nor a wire fault",
                Severity.ERROR,
                dropped=True,
            )
        ]

    def decode_packet(self, p: Packet, frame_index: int) -> list[Event]:
        """Canonical events for one packet."""
        self.packets += 1
        out: list[Event] = []
        if p.version_major != 1 or p.wire_format != 0:
            out.append(
                _reject(
                    "unsupported_version",
                    f"NNRP version {p.version_major} wire format {p.wire_format}; only 1/0 is read",
                )
            )
            return out
        kind = v.MESSAGE_TYPES.get(p.msg_type)
        if kind is None:
            out.append(
                Diagnose(
                    "unknown_message_type",
                    f"unknown NNRP msg_type 0x{p.msg_type:02x}",
                    Severity.ERROR if self.strict else Severity.WARNING,
                    dropped=True,
                )
            )
            return out
        flags = p.flags
        problems: list[tuple[str, str]] = []
        if flags & ~_KNOWN_HEADER_FLAGS:
            problems.append(
                ("unknown_flags", f"header flags have reserved bits 0x{flags & ~0x3F:x}")
            )
            flags &= _KNOWN_HEADER_FLAGS
        if kind == "PARTIAL_RESULT" and len(p.meta) == 40:
            op_id, seq, _obj, _dseq, _bb, pflags = _PARTIAL.unpack(p.meta)
            fields: dict[str, Any] = {"operation_id": op_id, "result_sequence": seq}
            if pflags & ~3:
                problems.append(
                    ("unknown_flags", f"PARTIAL_RESULT flags have unknown bits 0x{pflags & ~3:x}")
                )
        else:
            fields, meta_problems = parse_metadata(kind, p.meta)
            problems += meta_problems
        if problems:
            if self.strict or ("meta_hex" in fields and kind in _NEEDS_META):
                text = "; ".join(message for _code, message in problems)
                out.append(_reject(problems[0][0], f"{kind} packet rejected: {text}"))
                return out
            for code, message in problems:
                out.append(Diagnose(code, message, Severity.WARNING))
        header = self._header(p, flags)
        for inner_frame in self._translate(kind, p, header, fields, out):
            out += self.inner.decode(inner_frame, frame_index)
        return out

    # ------------------------------------------------------------------------ translation

    def _header(self, p: Packet, flags: int) -> dict[str, Any]:
        key = (p.session_id, p.frame_id, p.view_id, p.route_id, p.trace_id, flags)
        header = self._headers.get(key)
        if header is None:
            if len(self._headers) >= _CACHE_LIMIT:
                self._headers.clear()
            header = self._headers[key] = {
                "session_id": f"0x{p.session_id:08x}",
                "frame_id": f"0x{p.frame_id:08x}",
                "view_id": f"0x{p.view_id:04x}",
                "route_id": f"0x{p.route_id:04x}",
                "trace_id": f"0x{p.trace_id:016x}",
                "flags": flags,
            }
        return header

    def _state(self, p: Packet) -> _OpState:
        key = (p.session_id, p.frame_id)
        views = self._ops.get(key)
        if views is None:
            if len(self._ops) >= self.max_operations:
                del self._ops[next(iter(self._ops))]
            views = self._ops[key] = {}
        state = views.get(p.view_id)
        if state is None:
            state = views[p.view_id] = _OpState()
        return state

    def _end_view(self, p: Packet) -> _OpState | None:
        """Forget the packet's lane (its operation ended); its state, if it had one."""
        key = (p.session_id, p.frame_id)
        views = self._ops.get(key)
        if views is None:
            return None
        state = views.pop(p.view_id, None)
        if not views:
            del self._ops[key]
        return state

    def _profile(self, state: _OpState, body: bytes) -> tuple[str, Any]:
        """(profile, parsed event or None) for a result body."""
        if state.profile is None:
            profile = self.profile
            if profile == "auto":
                if not body:
                    return "token", None
                event = _json_event(body)
                state.profile = "openai" if event is not None else "token"
                return state.profile, event
            state.profile = profile
        if state.profile == "openai":
            return "openai", _json_event(body)
        return "token", None

    def _translate(
        self,
        kind: str,
        p: Packet,
        header: dict[str, Any],
        fields: dict[str, Any],
        out: list[Event],
    ) -> list[dict[str, Any]]:
        if kind == "PARTIAL_RESULT":
            state = self._state(p)
            seq: int = fields["result_sequence"]
            if seq > state.max_seq:
                state.max_seq = seq
            profile, event = self._profile(state, p.body)
            frame: dict[str, Any] = {
                "message_type": kind,
                "common_header": header,
                "fixed_metadata": fields,
                "typed_payload_descriptor": _EMPTY,
            }
            if profile == "openai":
                frame["profile_body"] = _EMPTY
                frame["event" if event is not None else "body"] = (
                    event if event is not None else _text(p.body)
                )
            else:
                frame["profile_body"] = {"token": {"sequence_start": seq, "sequence_end": seq + 1}}
                frame["payload_frame"] = _chunk(p.body)
            return [frame]
        if kind == "RESULT_PUSH":
            return self._push(p, header, fields, out)
        if kind in _ENDS:  # RESULT_DROP, RESULT_DROP_REASON
            self._ops.pop((p.session_id, p.frame_id), None)
            frame = {"message_type": kind, "common_header": header, "fixed_metadata": fields}
            if p.body:
                frame["diagnostic"] = _text(p.body)
            return [frame]
        if kind == "ERROR":
            meta = {
                k: value
                for k, value in fields.items()
                if not (k.startswith("related_") and value == 0)
            }
            if meta.get("error_scope") == 2 and meta.get("related_frame_id") is None:
                self._ops.pop((p.session_id, p.frame_id), None)
            frame = {"message_type": kind, "common_header": header, "fixed_metadata": meta}
            if p.body:
                frame["diagnostic"] = _text(p.body)
            return [frame]
        if kind == "FRAME_SUBMIT":
            return [self._submit(p, header, fields, out)]
        if kind in ("CANCEL", "ABORT", "FRAME_CANCEL", "SUPERSEDE"):
            frame = {"message_type": kind, "common_header": header, "fixed_metadata": fields}
            return [frame]
        if kind == "SESSION_OPEN_ACK" and fields.get("session_status") not in (None, 0, 3):
            out.append(
                Diagnose(
                    "session_rejected",
                    f"SESSION_OPEN_ACK status {fields.get('session_status_name')} for session "
                    f"{fields.get('session_id')} (error 0x{fields.get('session_error_code', 0):x})",
                    Severity.WARNING,
                )
            )
        if p.body and kind not in _METRICS:
            fields = dict(fields, body_hex=p.body[:256].hex())
        return [{"message_type": kind, "common_header": header, "fixed_metadata": fields}]

    def _push(
        self, p: Packet, header: dict[str, Any], fields: dict[str, Any], out: list[Event]
    ) -> list[dict[str, Any]]:
        state = self._end_view(p) or _OpState()
        status: int = fields.get("status_code", 0)
        meta: dict[str, Any] = {"status_code": status}
        result_class = fields.get("result_class_name")
        if result_class in ("stale_reuse", "degraded") and status < 400:
            meta["result_status"] = result_class
        for name in ("result_class_name", "result_flags", "payload_kind_bitmap"):
            if name in fields:
                meta[name] = fields[name]
        body = p.body
        chunk: bytes | None = None
        event: Any = None
        if body:
            typed = parse_typed_body(body, fields.get("payload_frame_count", 0))
            if typed is not None:
                payloads, problems = typed
                for code, message in problems:
                    out.append(Diagnose(code, message, Severity.WARNING))
                tokens = [t.data for t in payloads if t.payload_kind == 0x02]
                events = [t.data for t in payloads if t.payload_kind == 0x10]
                others = [t.kind_name for t in payloads if t.payload_kind not in (0x02, 0x10)]
                if others:
                    out.append(
                        Diagnose(
                            "payload_not_read",
                            f"RESULT_PUSH payloads of kinds {', '.join(others)} carry no "
                            "text; not applied",
                            Severity.INFO,
                        )
                    )
                if tokens:
                    chunk = b"".join(tokens)
                if events:
                    event = _json_event(events[0]) or _text(events[0])
                    if len(events) > 1:
                        out.append(
                            Diagnose(
                                "extra_events",
                                f"RESULT_PUSH carries {len(events)} structured events; the "
                                "first is the profile event, the others are not applied",
                                Severity.WARNING,
                            )
                        )
            else:
                profile, parsed = self._profile(state, body)
                if profile == "openai":
                    event = parsed if parsed is not None else _text(body)
                else:
                    chunk = body
        frames: list[dict[str, Any]] = []
        if chunk is not None:
            seq = state.max_seq + 1
            chunk_frame: dict[str, Any] = {
                "message_type": "PARTIAL_RESULT",
                "common_header": header,
                "fixed_metadata": {"result_sequence": seq},
                "typed_payload_descriptor": (
                    {"stream_semantics": 1} if self.push_body == "replace" else _EMPTY
                ),
                "profile_body": {"token": {"sequence_start": seq, "sequence_end": seq + 1}},
                "payload_frame": _chunk(chunk),
            }
            frames.append(chunk_frame)
        push: dict[str, Any] = {
            "message_type": "RESULT_PUSH",
            "common_header": header,
            "fixed_metadata": meta,
            "typed_payload_descriptor": _EMPTY,
            "profile_body": _EMPTY,
        }
        if event is not None:
            push["event"] = event
        frames.append(push)
        return frames

    def _submit(
        self, p: Packet, header: dict[str, Any], fields: dict[str, Any], out: list[Event]
    ) -> dict[str, Any]:
        self._ops.pop((p.session_id, p.frame_id), None)
        frame: dict[str, Any] = {
            "message_type": "FRAME_SUBMIT",
            "common_header": header,
            "fixed_metadata": {"operation_id": fields.get("operation_id")},
        }
        body = p.body
        if not body:
            return frame
        typed = parse_typed_body(body, fields.get("payload_frame_count", 0))
        data = body
        if typed is not None:
            payloads = typed[0]
            events = [t.data for t in payloads if t.payload_kind == 0x10]
            tokens = [t.data for t in payloads if t.payload_kind == 0x02]
            data = events[0] if events else b"".join(tokens)
        request = _json_event(data, need_type=False)
        if request is not None:
            frame["event"] = request
        else:
            frame["event"] = {"input": _text(data)}
        return frame


_NEEDS_META: Final = frozenset(
    {"PARTIAL_RESULT", "RESULT_PUSH", "RESULT_DROP_REASON", "ERROR", "CANCEL", "ABORT"}
)
"""Message types that can't be applied without their metadata."""


def _reject(code: str, message: str) -> Diagnose:
    return Diagnose(code, message, Severity.ERROR, dropped=True)


def _json_event(body: bytes, *, need_type: bool = True) -> Any:
    """``body`` parsed as a JSON object (with a string ``type`` unless ``need_type`` is
    false), else ``None``."""
    if body[:1] != b"{":
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(value) is not dict or (need_type and type(value.get("type")) is not str):
        return None
    return value


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _chunk(data: bytes) -> dict[str, str]:
    """The JSON rendering's ``payload_frame``: text when ``data`` is whole UTF-8 (the
    reassembler's fast path), else hex bytes for the lane's incremental decoder."""
    try:
        return {"token_chunk": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"token_chunk_hex": data.hex()}

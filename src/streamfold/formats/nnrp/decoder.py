"""NNRP decoder: the token profile's JSON rendering and the OpenAI-compatible profile's events.

Inputs (``docs/nnrp.md`` has the accepted shapes with examples):

* **Token profile**, the docs' JSON "mock dump" (the NNRP token profile pages, summarised in
  ``docs/nnrp.md``):
  ``message_type``, ``common_header``, ``fixed_metadata``, ``typed_payload_descriptor``,
  ``profile_body.token`` and ``payload_frame.token_chunk``. The wire is binary; this JSON is a
  documentation rendering that only debug/bridge tools produce (docs/nnrp.md),
  so the decoder is lenient about every vocabulary the notes list.
* **OpenAI-compatible profile** (docs/nnrp.md#openai-compatible-profile-frames): one JSON event per
  ``PARTIAL_RESULT`` and a
  terminal ``RESULT_PUSH``, wrapped as ``{"message_type", "common_header", "fixed_metadata":
  {"result_sequence", ...}, "event": {...}}`` (``"body"`` — an object or its JSON text — is
  accepted for ``"event"``).
* Control messages that end or shape an operation: ``FRAME_SUBMIT`` (starts it, with the request
  text), ``RESULT_DROP``/``RESULT_DROP_REASON``, ``ERROR``, ``FRAME_CANCEL``/``CANCEL``/
  ``ABORT``/``SUPERSEDE``; flow/pressure messages are counted as metrics.

Theory of operation
-------------------
* An **operation** is a lane, keyed by ``(session_id, frame_id, view_id)`` of the common
  header (docs/nnrp.md#decision-2); ids may be integers,
  ``"0x…"`` hex strings or decimal strings and are normalised to zero-padded hex
  (``0x00000034``). Two views of one frame are separate operations (own text, terminal and
  late-frame bookkeeping; frame-scoped drops, errors and cancels end every view of the frame).
  ``route_id`` and ``trace_id`` are kept as metadata, never as identity. Each operation is one
  run, ``run_id = "nnrp:<session>:<frame>"`` (``:<view>`` appended for a view other than 0,
  ``#n`` if the key is reused after its terminal), in session ``<session>``.
* **Token chunks** go through one :class:`~streamfold.formats.nnrp.reassembly.SequenceReassembler`
  per lane, ordered by ``profile_body.token.sequence_start/end`` (``offset``/``length`` are
  opaque and only cross-checked, docs/nnrp.md#decision-3). Raw bytes (``token_chunk_base64`` /
  ``token_chunk_hex``)
  are decoded by the lane's incremental UTF-8 decoder in sequence order. ``stream_semantics``
  snapshot/replace make a chunk replace the text. The header's ``RETRANSMIT`` flag only marks
  the chunk: a retransmit that fills a hole is applied, one of applied text is dropped.
* **OpenAI events** are deduplicated by ``fixed_metadata.result_sequence`` (the highest applied
  value wins; anything ``<=`` it is dropped, docs/nnrp.md#decision-6).
* **Terminal** (docs/nnrp.md#decision-7): ``token.terminal``, the ``terminal`` descriptor flag, the
  header ``EOS``
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

from collections.abc import Mapping
from typing import Any, ClassVar

from ...errors import UsageError
from ...events import (
    Diagnose,
    Event,
)
from ...model import RunStatus, Severity
from .. import DecoderBase
from .._openai_events import Terminal
from .control import _Control
from .openai_profile import _OpenAIProfile
from .reassembly import RangeMode, ReassemblyOptions
from .sessions import NnrpSessions
from .token_profile import _TokenProfile
from .vocab import (
    _CANCEL_TYPES,
    _FLAG_RETRANSMIT,
    _METRIC_TYPES,
    _PARTIAL_STATUSES,
    _RESULT_CLASSES,
    _RESULT_TYPES,
    _TYPE_BY_NAME,
    HEADER_FLAGS,
)
from .wire import (
    _descriptor_metadata,
    _flags,
    _mapping,
    _message_type,
    _payload,
    _status_terminal,
    _token_body,
    _vocab,
)

__all__ = ["NnrpDecoder"]


class NnrpDecoder(_Control, _TokenProfile, _OpenAIProfile, DecoderBase):
    """Decode NNRP JSON frames (token profile and OpenAI-compatible events) into canonical
    events. See the module docstring and ``docs/nnrp.md``.

    Parameters (invalid values raise :class:`~streamfold.errors.UsageError`):
        range_mode: how to read ``sequence_end``: ``"half_open"``, ``"inclusive"`` or
            ``"auto"`` (half-open until the sender proves inclusive; docs/nnrp.md#decision-4).
        first_sequence: the first sequence number of every lane; ``None`` takes the first
            chunk's start provisionally: chunks before it that arrive in the lane's start
            window are still placed before it (``docs/nnrp.md``, "Base and the start window").
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
        reassembly = ReassemblyOptions(
            range_mode, first_sequence, max_held_chunks, max_held_bytes, gap_marker
        )
        if max_ended_operations < 0 or terminal_grace_frames < 0:
            raise UsageError("max_ended_operations and terminal_grace_frames must be >= 0")
        super().__init__(reassembly, terminal_grace_frames, max_ended_operations)

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        """1 for a frame with NNRP's ``common_header``; 0.9 for one with only a
        ``message_type`` (a common name); else 0 (``docs/write-a-format.md``)."""
        if "common_header" in frame:
            return 1.0
        return 0.9 if "message_type" in frame else 0.0

    # ------------------------------------------------------------------------------ entry

    @staticmethod
    def session_keys() -> NnrpSessions:
        """NNRP's session keys for a log: the common header's session, normalised
        (:mod:`.sessions`)."""
        return NnrpSessions()

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one NNRP message (docs/nnrp.md): ``FRAME_SUBMIT`` opens an operation
        (a run), ``RESULT_PUSH`` chunks are reassembled by sequence range per (session, frame, view)
        in the token profile or read as OpenAI-style events, control messages cancel or end it.
        Never raises on sender input."""
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
            self._result_drop(kind, frame, header, meta, out)
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
        """End of input: a deferred or pending terminal is applied; an operation that never reached
        one ends ``incomplete`` with a ``missing_terminal`` warning (docs/nnrp.md)."""
        out: list[Event] = []
        for op in list(self._ops.values()):
            if op.deferred is not None:
                self._end(op, op.deferred, out)
                continue
            if op.pending is not None:
                status, finish, error, code = op.pending
                self._end(op, Terminal(status, finish, op.stop_reason, error, code), out)
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
                Terminal(
                    RunStatus.INCOMPLETE,
                    None,
                    op.stop_reason,
                    "no terminal frame before end of input",
                    "no_terminal",
                ),
                out,
            )
        return out

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
        if kind == "PARTIAL_RESULT" and _plain_event(frame, header, meta):
            op = self._ops.get((session, frame_id, view))
            if op is not None and op.deferred is None:
                # The OpenAI profile's in-order path: an event of an open operation, with no
                # token-profile field, status or header flag that could end it. What the full
                # path below does for such a frame, without its lookups (issue #24).
                if "operation_id" in meta:
                    self._check_operation_id(op, meta, out)
                op.frames += 1
                op.preview4 = True
                self._flow(op, meta, out)
                self._event(op, view, kind, frame, meta, False, out)
                return
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
        op = self._ops.get((session, frame_id, view))
        if op is None:
            metadata = _descriptor_metadata(descriptor, token, body)
            op = self._op(session, frame_id, view, kind, header, meta, out, metadata=metadata)
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


def _plain_event(
    frame: Mapping[str, Any], header: Mapping[str, Any], meta: Mapping[str, Any]
) -> bool:
    """Whether a result frame is only an OpenAI-profile event: ``event`` or ``body``, no
    token-profile field, no ``result_status`` / ``result_class`` and no header flags (absent
    or the integer 0), so it cannot end its operation by itself."""
    if "event" not in frame and "body" not in frame:
        return False
    flags = header.get("flags")
    if flags is not None and (type(flags) is not int or flags != 0):
        return False
    return (
        "typed_payload_descriptor" not in frame
        and "profile_body" not in frame
        and "payload_frame" not in frame
        and "result_status" not in meta
        and "result_class" not in meta
    )

"""The NNRP decoder's state: operations (``_Op``), ended operations, terminals, and the base
class that holds the decoder's tables.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import attrs

from ...events import (
    Diagnose,
    Event,
)
from ...model import RunStatus, Severity
from .._common import IdMap
from .._openai_events import Terminal
from .reassembly import RangeMode, ReassemblyOptions, SequenceReassembler

__all__: list[str] = []  # the decoder's internals: nothing here is public API


@attrs.define(slots=True, eq=False)
class _Op:
    """One operation (one run): one lane, ``(session, frame, view)``."""

    key: tuple[str, str, str]
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
    deferred: Terminal | None = None
    """A token terminal that arrived while a lane was still waiting for earlier text."""
    deferred_at: int = 0
    """Once-per-operation diagnostics already emitted."""
    view_id: str = "0x0000"
    """The lane's view (the third part of ``key``)."""

    def summary(self) -> dict[str, Any]:
        flow: dict[str, Any] = {
            "frames": self.flow_frames,
            "credit_delta_sum": self.flow_credit_delta,
            "scopes": self.flow_scopes,
        }
        return {
            "session_id": self.session_id,
            "frame_id": self.frame_id,
            "view_id": self.view_id,
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


class _NnrpState:
    """The decoder's options and tables; the handler modules (operations, token_profile,
    openai_profile, control) add behaviour on top, and :class:`~.decoder.NnrpDecoder` is their
    sum."""

    def __init__(
        self,
        reassembly: ReassemblyOptions,
        terminal_grace_frames: int,
        max_ended_operations: int,
    ) -> None:
        self.reassembly = reassembly
        """The options every lane's reassembler is made with (validated once)."""
        self.max_ended_operations = max_ended_operations
        self.terminal_grace_frames = terminal_grace_frames
        self._deferred: dict[tuple[str, str, str], _Op] = {}
        """Operations whose token terminal waits for a lane's gap to fill."""
        self._ops: dict[tuple[str, str, str], _Op] = {}
        """Open operations by lane: (session, frame, view)."""
        self._ended: OrderedDict[tuple[str, str, str], _Ended] = OrderedDict()
        """The last ``max_ended_operations`` ended operations (late-frame detection)."""
        self._run_ids = IdMap()
        """Every run id issued (``#n`` appended when a key is reused after its terminal)."""
        self._index = 0
        """The index of the frame being decoded."""

    @property
    def range_mode(self) -> RangeMode:
        return self.reassembly.range_mode

    @property
    def first_sequence(self) -> int | None:
        return self.reassembly.first_sequence

    @property
    def max_held_chunks(self) -> int:
        return self.reassembly.max_held_chunks

    @property
    def max_held_bytes(self) -> int:
        return self.reassembly.max_held_bytes

    @property
    def gap_marker(self) -> str | None:
        return self.reassembly.gap_marker

"""The Loom decoder's state: sessions, runs and tool calls (``_Session``, ``_Run``, ``_Call``),
and the base class holding the session table with the span-stack helpers every handler uses.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

import attrs

from ...events import (
    CloseSpan,
    EndMessage,
    Event,
    StartMessage,
)
from .seen import SeenIds

__all__: list[str] = []  # the decoder's internals: nothing here is public API

_ENVELOPE: Final = frozenset({"session_id", "node_id", "event_id"})


@attrs.define(slots=True, eq=False)
class _Call:
    call_id: str
    name: str | None
    started: bool = False  # tool_start seen
    span_id: str | None = None
    synthetic: bool = False  # the id is ours (the sender gave none yet)


@attrs.define(slots=True, eq=False)
class _Run:
    run_id: str
    session_id: str
    seq: int
    last_event_id: int | None = None
    seen: SeenIds = attrs.field(factory=SeenIds)  # event_id → type, for duplicates (A3)
    stack: list[tuple[str, str]] = attrs.field(factory=list)  # (span_id, node name)
    span_seq: int = 0
    node_id: str | None = None
    messages: dict[str | None, str] = attrs.field(factory=dict)  # span_id → message_id
    calls: dict[str, _Call] = attrs.field(factory=dict)
    current_call: str | None = None  # target of null-id tool_call_chunk (A6)
    anon_seq: int = 0
    # FIFO queues per tool name for null call_id reconciliation (A6, A7).
    awaiting_args: dict[str, deque[str]] = attrs.field(factory=dict)
    awaiting_start: dict[str, deque[str]] = attrs.field(factory=dict)
    running: list[str] = attrs.field(factory=list)  # call ids between tool_start and tool_end
    approval_pending: bool = False
    cancelled: bool = False
    error: str | None = None


@attrs.define(slots=True, eq=False)
class _Session:
    session_id: str
    run: _Run | None = None
    runs: int = 0


class _LoomState:
    """The decoder's tables and the span-stack helpers."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._open: dict[str, _Session] = {}
        """The sessions whose run is open, by session_id: what a reply line without its run's
        session_id is routed among (it must not scan every session ever seen, issue #24)."""
        self._last_session: _Session | None = None
        self._run_ids: set[str] = set()
        self._activity: dict[str, int] = {}  # run_id → last frame index (reply routing)
        self._last_reply: tuple[Any, ...] | None = None

    def _close_stack(self, run: _Run, depth: int, out: list[Event]) -> None:
        while len(run.stack) > depth:
            span_id, _ = run.stack.pop()
            self._end_message(run, span_id, out)
            out.append(CloseSpan(run.run_id, span_id, unclosed=True))

    @staticmethod
    def _end_message(run: _Run, span_id: str, out: list[Event]) -> None:
        """A span's message is complete when the span closes (one LLM turn per think span)."""
        message_id = run.messages.get(span_id)
        if message_id is not None:
            out.append(EndMessage(run.run_id, message_id))

    def _message_for(self, run: _Run, out: list[Event]) -> str:
        span_id = run.stack[-1][0] if run.stack else None
        message_id = run.messages.get(span_id)
        if message_id is None:
            message_id = f"{span_id}/message" if span_id else f"{run.run_id}/message"
            run.messages[span_id] = message_id
            out.append(StartMessage(run.run_id, message_id, "assistant", span_id))
        return message_id

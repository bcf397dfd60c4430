"""The TanStack decoder's state: runs, messages and calls (``_Run``, ``_Msg``, ``_Call``), their
retired (packed) form once a run finished, and the base class holding the tables with the
lookups that bring retired state back (module docstring of :mod:`.decoder`, "State of
finished runs").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from ...model import TextBuffer
from .vocab import _DEFAULT_SESSION

__all__: list[str] = []  # the decoder's internals: nothing here is public API


@attrs.define(slots=True, eq=False)
class _Run:
    run_id: str
    session_id: str
    wire_id: str | None
    legacy: bool = False
    open_messages: int = 0
    message_ids: list[str] = attrs.field(factory=list)
    call_ids: list[str] = attrs.field(factory=list)  # calls created in this run
    steps: dict[str, str] = attrs.field(factory=dict)  # open step name → span id
    # Every step span id given in this run (run ids are unique, so span ids are unique once
    # they are unique in their run), and the last "#n" given per repeated step name.
    span_ids: set[str] = attrs.field(factory=set)
    step_suffix: dict[str, int] = attrs.field(factory=dict)
    # legacy runs
    message_id: str | None = None
    finish_reason: str | None = None
    last_was_done: bool = False
    done_seen: bool = False
    open_calls: list[str] = attrs.field(factory=list)
    # An interrupt was raised outside the outcome (LangGraph's CUSTOM on_interrupt): the run's
    # RUN_FINISHED without an outcome ends it interrupted (docs/agui.md, "Interrupts").
    interrupted: bool = False
    # A sub-agent's run (SUBAGENT_STARTED): its parent's canonical run id.
    parent_id: str | None = None


@attrs.define(slots=True, eq=False)
class _Msg:
    message_id: str
    run_id: str
    role: str
    open: bool = True
    segment: TextBuffer = attrs.field(factory=TextBuffer)  # the segment's text (fallback)
    step: str | None = None  # current thinking step
    thinking: dict[str | None, TextBuffer] = attrs.field(factory=dict)


@attrs.define(slots=True, eq=False)
class _Call:
    call_id: str
    run_id: str
    message_id: str | None
    args: TextBuffer = attrs.field(factory=TextBuffer)  # the arguments so far (fallback)
    ended: bool = False


# A retired message / call of a finished run (module docstring, "State of finished runs").
# Plain tuples of strings on purpose: CPython stops tracking such a tuple at its first
# collection, so retired state costs full collections nothing (a live _Msg is three tracked
# objects, a _Call two, and their piece lists are traversed item by item).
_FinishedMsg = tuple[str, str, str, str | None, tuple[tuple[str | None, str], ...]]
"""``(run_id, role, segment text, step, ((thinking step, text), ...))``."""


_FinishedCall = tuple[str, str | None, str, bool]
"""``(run_id, message_id, arguments text, ended)``."""


def _pack_message(message: _Msg) -> _FinishedMsg:
    thinking = message.thinking
    steps = tuple((step, buffer.text) for step, buffer in thinking.items()) if thinking else ()
    return (message.run_id, message.role, message.segment.text, message.step, steps)


def _unpack_message(message_id: str, done: _FinishedMsg) -> _Msg:
    run_id, role, text, step, thinking = done
    return _Msg(
        message_id,
        run_id,
        role,
        open=False,  # its run has ended (`open` only counts a live run's unended messages)
        segment=TextBuffer(text),
        step=step,
        thinking={name: TextBuffer(piece) for name, piece in thinking},
    )


def _pack_call(call: _Call) -> _FinishedCall:
    return (call.run_id, call.message_id, call.args.text, call.ended)


def _unpack_call(call_id: str, done: _FinishedCall) -> _Call:
    run_id, message_id, text, ended = done
    return _Call(call_id, run_id, message_id, TextBuffer(text), ended)


class _TanStackState:
    """The decoder's tables and the lookups over live and retired state; the handler modules
    (runs, messages, tools, snapshots, legacy) add behaviour on top, and
    :class:`~.decoder.TanStackDecoder` is their sum."""

    _handlers: ClassVar[Mapping[str, Any]] = {}
    """Frame type → handler (the decoder's dispatch table), for frames replayed later."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}  # canonical run id → run, while it is open
        self._open: list[_Run] = []  # open AG-UI runs, in start order
        # Kept for finished runs too (strings only): every run id → its session, and each
        # AG-UI runId → its latest canonical run id (module docstring, "State of finished runs").
        self._run_sessions: dict[str, str] = {}
        self._by_wire: dict[str, str] = {}
        self._run_suffix: dict[str, int] = {}  # run id → the last "#n" given to its reruns
        self._last_run: _Run | None = None  # the AG-UI run started last
        self._legacy: _Run | None = None  # the open legacy run
        self._legacy_count = 0
        self._implicit_count = 0
        self._messages: dict[str, _Msg] = {}  # messages of open runs, and stragglers
        self._finished_messages: dict[str, _FinishedMsg] = {}  # retired messages
        # session id → its message ids (live or retired), so that a MESSAGES_SNAPSHOT prunes
        # its own session without visiting every other session's messages.
        self._session_messages: dict[str, dict[str, None]] = {}
        self._active: dict[str, None] = {}  # active assistant message ids, in start order
        self._reasoning: _Msg | None = None  # reasoning message with no assistant to join
        self._pending_step: str | None = None
        self._calls: dict[str, _Call] = {}  # calls of open runs, and stragglers
        self._finished_calls: dict[str, _FinishedCall] = {}  # retired calls
        self._last_finished: _Run | None = None  # its messages and calls are not retired yet
        # Messages and calls of finished runs that are live again (addressed by a late frame, or
        # created in a finished run): retired when the next run ends.
        self._stragglers: list[_Msg | _Call] = []
        self._chunk_message: str | None = None  # TEXT_MESSAGE_CHUNK without messageId
        self._chunk_call: str | None = None  # TOOL_CALL_CHUNK without toolCallId
        self._seen_reasoning = False
        self._session = _DEFAULT_SESSION
        self._pending: list[Mapping[str, Any]] = []
        self._pending_index: list[int] = []  # the frame index of each held frame
        self._synth = 0
        # AG-UI 1.0 sub-agents: each open sub-agent invocation (wire subagentRunId) → its child
        # run, which is in _runs but never in _open (only frames that name it go to it).
        self._subagents: dict[str, _Run] = {}
        # The sub-agent run the frame being decoded names (subagentRunId); None for the parent.
        self._route: _Run | None = None
        # TOOL_CALL_RESULT messageId → the call it answers (encrypted values name the result).
        self._result_messages: dict[str, str] = {}
        # The last TOOL_CALL_RESULT (messageId, its result text): pydantic-ai's outcome value
        # follows it at once and marks that text failed (docs/agui.md, "Encrypted values").
        self._last_result: tuple[str, str] | None = None
        # (event type, field) pairs already reported as unknown_field (once each).
        self._unknown_fields: set[tuple[str, str]] = set()
        self.resume_cursor: str | None = None
        """The ``id`` of the last durable NDJSON envelope (the offset to resume after)."""

    # ------------------------------------------------------------------------- run ids

    def _new_run_id(self, wire_id: str) -> str:
        """``wire_id``, or ``"<wire_id>#n"`` with the smallest free ``n >= 2`` when it is taken.

        Run ids are never freed, so the search resumes after the last ``n`` given: O(1) for
        the ``#2``, ``#3``, … of an agent loop that sends one ``RUN_FINISHED`` per model call
        under a single ``runId`` (a scan from 2 made that quadratic)."""
        if wire_id not in self._run_sessions:
            return wire_id
        n = self._run_suffix.get(wire_id, 1) + 1
        while f"{wire_id}#{n}" in self._run_sessions:
            n += 1
        self._run_suffix[wire_id] = n
        return f"{wire_id}#{n}"

    # ------------------------------------------------------------ finished runs' state

    def _release(self, run: _Run) -> None:
        """The run has ended. Retire the messages and calls of the run that ended before it,
        and the stragglers (module docstring, "State of finished runs"); this run's stay live
        until the next run ends, as the frames after TanStack's intermediate
        ``RUN_FINISHED(tool_calls)`` (the tool results) address them. Active messages stay live
        (a message of a finished run is active again after a ``TEXT_MESSAGE_START`` for it)."""
        self._runs.pop(run.run_id, None)
        previous, self._last_finished = self._last_finished, run
        if previous is not None:
            for message_id in previous.message_ids:
                message = self._messages.get(message_id)
                if message is not None and message.run_id == previous.run_id:
                    self._retire_message(message)
            for call_id in previous.call_ids:
                call = self._calls.get(call_id)
                if call is not None and call.run_id == previous.run_id:
                    self._retire_call(call)
            previous.message_ids = []
            previous.call_ids = []
        stragglers, self._stragglers = self._stragglers, []
        for item in stragglers:
            if isinstance(item, _Msg):
                if self._messages.get(item.message_id) is item:  # not deleted by a snapshot
                    self._retire_message(item)
            elif self._calls.get(item.call_id) is item:
                self._retire_call(item)

    def _retire_message(self, message: _Msg) -> None:
        if message.message_id in self._active or message is self._reasoning:
            self._stragglers.append(message)  # still routed to: stays live
            return
        del self._messages[message.message_id]
        self._finished_messages[message.message_id] = _pack_message(message)

    def _retire_call(self, call: _Call) -> None:
        del self._calls[call.call_id]
        self._finished_calls[call.call_id] = _pack_call(call)

    def _message(self, message_id: str) -> _Msg | None:
        """The message with this id, brought back if it was retired."""
        message = self._messages.get(message_id)
        if message is None:
            done = self._finished_messages.pop(message_id, None)
            if done is not None:
                message = self._messages[message_id] = _unpack_message(message_id, done)
                self._stragglers.append(message)
        return message

    def _call(self, call_id: str) -> _Call | None:
        """The tool call with this id, brought back if it was retired."""
        call = self._calls.get(call_id)
        if call is None:
            done = self._finished_calls.pop(call_id, None)
            if done is not None:
                call = self._calls[call_id] = _unpack_call(call_id, done)
                self._stragglers.append(call)
        return call

    def _known_message(self, message_id: str) -> bool:
        return message_id in self._messages or message_id in self._finished_messages

    def _known_call(self, call_id: str) -> bool:
        return call_id in self._calls or call_id in self._finished_calls

    def _add_message(self, run: _Run, message: _Msg) -> None:
        self._messages[message.message_id] = message
        session_messages = self._session_messages.get(run.session_id)
        if session_messages is None:
            session_messages = self._session_messages[run.session_id] = {}
        session_messages[message.message_id] = None
        if run.run_id in self._runs:
            run.message_ids.append(message.message_id)
        else:  # a snapshot's message for a finished run
            self._stragglers.append(message)

    def _add_call(
        self, call_id: str, run_id: str, message_id: str | None, *, ended: bool = False
    ) -> _Call:
        call = self._calls[call_id] = _Call(call_id, run_id, message_id, ended=ended)
        run = self._runs.get(run_id)
        if run is not None:
            run.call_ids.append(call_id)
        else:  # a call placed in a finished run
            self._stragglers.append(call)
        return call

    def _synthetic_id(self, base: str) -> str:
        self._synth += 1
        candidate = f"{base}#{self._synth}"
        while self._known_message(candidate):
            self._synth += 1
            candidate = f"{base}#{self._synth}"
        return candidate

    def _call_run(self, call_id: str, fallback: _Run) -> str:
        call = self._call(call_id)
        return call.run_id if call is not None else fallback.run_id

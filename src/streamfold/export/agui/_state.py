"""What the AG-UI encoder keeps between batches: the AG-UI run and its sub-agents, what is open
in each lane (messages, reasoning, tool calls, steps), and how an event is emitted or held
until a run is open (docs/agui-out.md, "Ordering")."""

from __future__ import annotations

from typing import Any

from ...model import (
    Message,
    ReasoningPart,
    Run,
    Span,
    ToolCall,
)
from .wire import Event


class _Lane:
    """What is open for one owner (the AG-UI run itself: tag ``None``; or one sub-agent)."""

    __slots__ = ("messages", "reasoning", "steps", "tool_calls")

    def __init__(self) -> None:
        self.messages: dict[str, None] = {}
        self.reasoning: dict[str, None] = {}
        self.tool_calls: dict[str, None] = {}
        self.steps: dict[str, str] = {}  # span id -> step name


class _EncoderState:
    """The encoder's state and the primitives every event group uses (see the module
    docstring); :class:`~streamfold.export.agui.AGUIEncoder` is the public face."""

    def __init__(self, *, thread_id: str | None = None, diagnostics: bool = True) -> None:
        self._thread_override = thread_id
        self._diagnostics = diagnostics
        self._out: list[Event] = []
        self._pending: list[Event] = []
        self._started = False
        self._closed = False
        # The AG-UI run: (run id, thread id) while open, its held terminal event, its model run.
        self._run: tuple[str, str] | None = None
        self._run_model: str | None = None
        self._held_end: Event | None = None
        self._last_run_id: str | None = None
        self._last_thread: str | None = None
        self._hosted: dict[str, str] = {}  # model run id -> sub-agent id (overlapping runs)
        self._lanes: dict[str | None, _Lane] = {}
        self._subagents: dict[str, str | None] = {}  # open sub-agent id -> its parent sub-agent
        self._call_agents: dict[str, str] = {}  # tool call id -> sub-agent of its spans
        self._spans: dict[str, Span] = {}
        self._calls: dict[str, ToolCall] = {}
        self._call_ids: dict[str, str] = {}  # model call id -> id used on the wire
        self._call_tag: dict[str, str | None] = {}
        self._args_sent: dict[str, int] = {}  # wire call id -> argument characters sent
        self._ended_calls: set[str] = set()
        self._late_args: set[str] = set()
        self._results_sent: set[str] = set()
        self._messages: dict[str, Message] = {}
        self._message_tag: dict[str, str | None] = {}
        self._started_messages: set[str] = set()
        self._reasoning_ids: dict[int, str] = {}  # id(ReasoningPart) -> reasoning message id
        self._reasoning_count: dict[str, int] = {}
        self._open_reasoning: dict[str, tuple[str, ReasoningPart | None]] = {}
        self._states: dict[str, Any] = {}  # run id -> last state sent
        self._run_tags: dict[str, str | None] = {}
        self._batch_text: set[str] = set()  # messages with a text delta in this batch
        self._args_text: dict[str, list[str]] = {}  # wire call id -> argument pieces sent

    # ------------------------------------------------------------------------ emitting

    def _emit(self, event: Event, tag: str | None = None) -> None:
        if tag is not None:
            event["subagentRunId"] = tag
        if self._run is None:
            self._pending.append(event)
        else:
            self._out.append(event)

    def _lane(self, tag: str | None) -> _Lane:
        lane = self._lanes.get(tag)
        if lane is None:
            lane = self._lanes[tag] = _Lane()
        return lane

    def _thread_of(self, run: Run) -> str:
        return self._thread_override or run.thread_id or run.session_id

    def _open_run(self, run_id: str, thread_id: str, parent_run_id: str | None) -> None:
        event: Event = {"type": "RUN_STARTED", "threadId": thread_id, "runId": run_id}
        if parent_run_id is not None:
            event["parentRunId"] = parent_run_id
        self._run = (run_id, thread_id)
        self._last_run_id = run_id
        self._last_thread = thread_id
        self._out.append(event)
        pending, self._pending = self._pending, []
        self._out += pending

    def _release_end(self) -> None:
        """Send the held terminal event of the AG-UI run (its sub-agents are all finished)."""
        end = self._held_end
        assert end is not None and self._run is not None
        self._out.append(end)
        self._held_end = None
        self._run = None
        self._run_model = None
        self._lanes.clear()
        self._subagents.clear()

    # ------------------------------------------------------------------------ tags

    def _span_tag(self, span: Span | None) -> str | None:
        while span is not None:
            call_id = span.parent_tool_call_id
            if call_id is not None:
                agent = self._call_agents.get(self._call_ids.get(call_id, call_id))
                if agent is not None and agent in self._subagents:
                    return agent
            span = span.parent
        return None

    def _tag_for(self, run_id: str | None, span_id: str | None) -> str | None:
        if span_id is not None:
            tag = self._span_tag(self._spans.get(span_id))
            if tag is not None:
                return tag
        tag = self._run_tags.get(run_id) if run_id is not None else None
        return tag if tag in self._subagents else None

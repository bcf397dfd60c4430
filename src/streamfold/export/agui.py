"""Re-emit any folded stream as AG-UI 1.0 events, frame by frame (sans-IO).

:class:`AGUIEncoder` turns the reducer's notifications (:mod:`streamfold.notifications`) into
AG-UI 1.0 event dicts in wire shape (camelCase keys, ``"type"`` first), whatever the input
format was: Loom, NNRP, TanStack legacy chunks or AG-UI itself::

    reducer, encoder = Reducer(), AGUIEncoder()
    for line in upstream:
        for event in encoder.encode(reducer.feed_line(line)):
            send(sse_frame(event))                 # or ndjson_line(event)
    for event in encoder.encode(reducer.close()) + encoder.close():
        send(sse_frame(event))

The sequence it emits passes AG-UI's own client verifier (``verifyEvents`` of
``@ag-ui/client`` 1.0): one run open at a time, every message / reasoning message / tool call /
step opened before its content and closed before ``RUN_FINISHED``, nothing after ``RUN_ERROR``.
Where the model and those rules disagree the encoder orders or holds events (``docs/agui-out.md``
"Ordering"):

* Runs that overlap (two Loom sessions, concurrent NNRP operations) are one AG-UI run plus
  sub-agents: the first run open is the AG-UI run, a run that starts while it is open is a
  sub-agent of it (``SUBAGENT_STARTED`` with ``subagentRunId`` = the run id), and the AG-UI
  run's ``RUN_FINISHED`` waits until its sub-agents have finished.
* Events with no run open (a tool result after its run finished, diagnostics before the first
  run) wait for the next ``RUN_STARTED``; :meth:`AGUIEncoder.close` wraps what is left in a run
  of its own (``<last run id>/after``), unless all of it is informational diagnostics (an SSE
  ``[DONE]``, a skipped REPL line), which are then left out (the model keeps them).
* ``TOOL_CALL_END`` goes out when the call moves past input-complete (executing, an approval,
  a result) or its run ends, so that arguments a sender adds after its own end (pydantic-ai
  does) are still ``TOOL_CALL_ARGS``. Argument text after that, or arguments the sender
  replaced whole, go in a ``streamfold.arguments`` custom event (the verifier refuses
  ``TOOL_CALL_ARGS`` for a closed call).

Ids come from the model: ``runId``, ``messageId``, ``toolCallId`` are the model's ids; a
reasoning part of message ``m`` is reasoning message ``m/reasoning/<n>``; a tool result is tool
message ``<call id>/result``; a Loom sub-agent (spans under a tool call) is sub-agent
``<call id>/agent``. The module needs nothing beyond streamfold's core dependencies
(``jsonpatch`` for ``STATE_DELTA``); validating against the ``ag-ui-protocol`` models is the
tests' job.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, Final

import jsonpatch
import orjson

from ..errors import UsageError
from ..model import (
    Interrupt,
    Message,
    ReasoningPart,
    Run,
    RunStatus,
    Span,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    Usage,
)
from ..model.text import dumps
from ..notifications import (
    CheckpointSaved,
    ClientToolRequested,
    CustomEventReceived,
    Diagnostic,
    MessageCompleted,
    MessagesReplaced,
    MessageStarted,
    Notification,
    ReasoningDelta,
    ReplyReceived,
    RunFinished,
    RunStarted,
    SearchTreeUpdated,
    SpanEntered,
    SpanExited,
    StateUpdated,
    TextDelta,
    TextReplaced,
    ToolCallArgumentsDelta,
    ToolCallIdChanged,
    ToolCallStarted,
    ToolCallStateChanged,
    ToolOutputDelta,
    Truncated,
    UsageUpdated,
)

__all__ = [
    "AGUI_TARGETS",
    "AGUIEncoder",
    "convert_to_agui",
    "encode_conversation_frames",
    "ndjson_line",
    "sse_frame",
    "usage_to_agui",
]

AGUI_TARGETS: Final = ("agui-sse", "agui-ndjson")
"""Targets of :func:`convert_to_agui` (``streamfold convert FILE --to agui-sse``)."""

Event = dict[str, Any]

_S = ToolCallState
_ARGS_DONE: Final = frozenset(
    {
        _S.INPUT_COMPLETE,
        _S.APPROVAL_REQUESTED,
        _S.APPROVAL_RESPONDED,
        _S.EXECUTING,
        _S.COMPLETE,
        _S.ERROR,
        _S.DENIED,
        _S.CANCELLED,
    }
)
_TEXT_ROLES: Final = frozenset({"assistant", "user", "system", "developer"})
_MAX_COUNT: Final = 2**53 - 1


def usage_to_agui(usage: Usage) -> dict[str, int]:
    """A :class:`~streamfold.model.Usage` as an AG-UI ``TokenUsage`` (counts in tokens;
    ``reasoningTokens`` / ``cachedInputTokens`` from the provider details when present)."""

    def count(value: Any) -> int | None:
        if type(value) is not int or value < 0:
            return None
        return min(value, _MAX_COUNT)

    out: dict[str, int] = {}
    for key, value in (
        ("inputTokens", usage.prompt_tokens),
        ("outputTokens", usage.completion_tokens),
        ("totalTokens", usage.total_tokens),
        ("reasoningTokens", usage.completion_tokens_details.get("reasoning_tokens")),
        ("cachedInputTokens", usage.prompt_tokens_details.get("cached_tokens")),
    ):
        checked = count(value)
        if checked is not None:
            out[key] = checked
    return out


def _json_safe(value: Any) -> Any:
    """``value`` as plain JSON data (a deep copy; anything orjson cannot write becomes text)."""
    try:
        return orjson.loads(dumps(value, default=str))
    except (TypeError, orjson.JSONEncodeError):
        return str(value)


class _Lane:
    """What is open for one owner (the AG-UI run itself: tag ``None``; or one sub-agent)."""

    __slots__ = ("messages", "reasoning", "steps", "tool_calls")

    def __init__(self) -> None:
        self.messages: dict[str, None] = {}
        self.reasoning: dict[str, None] = {}
        self.tool_calls: dict[str, None] = {}
        self.steps: dict[str, str] = {}  # span id -> step name


class AGUIEncoder:
    """Notifications in, AG-UI 1.0 event dicts out (see the module docstring).

    :meth:`encode` takes the notifications of one frame (or any batch, in order) and returns
    the events they make, at once: nothing is held back except what the ordering rules above
    require. :meth:`close` ends what is still open (call it after the reducer's ``close()``
    notifications were encoded). Work per notification is proportional to it (a tool call's
    final arguments and a state's JSON Patch are read once, when they complete).

    ``thread_id`` overrides the thread id of every ``RUN_STARTED`` (default: the run's thread,
    else its session id). ``diagnostics`` sends each :class:`~streamfold.model.Diagnostic` as a
    ``streamfold.diagnostic`` custom event.
    """

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

    # ------------------------------------------------------------------------ public API

    def encode(self, notes: Iterable[Notification]) -> list[Event]:
        """The AG-UI events for ``notes`` (one frame's notifications, in order)."""
        if self._closed:
            raise UsageError("the AG-UI encoder is closed")
        notes = notes if isinstance(notes, list) else list(notes)
        snapshot_born: set[str] = set()
        self._batch_text = set()
        for note in notes:
            kind = type(note)
            if kind is MessagesReplaced:
                snapshot_born.update(note.message_ids)  # type: ignore[union-attr]
            elif kind is TextDelta:
                self._batch_text.add(note.message_id)  # type: ignore[union-attr]
        for note in notes:
            self._note(note, snapshot_born)
        out, self._out = self._out, []
        return out

    def close(self) -> list[Event]:
        """End everything still open: messages, calls, steps, sub-agents and the run (with a
        ``success`` outcome); events still waiting for a run get one of their own."""
        if self._closed:
            return []
        if self._run is not None:
            for run_id in list(self._hosted):
                self._end_hosted(run_id, None)
            if self._held_end is None:
                self._close_lane_tree(None)
                self._held_end = self._finished_event(None)
            self._release_end()
        if any(not _is_info(event) for event in self._pending):
            base = self._last_run_id or "streamfold"
            thread = self._thread_override or self._last_thread or base
            self._open_run(f"{base}/after", thread, None)
            self._close_lane_tree(None)
            self._held_end = self._finished_event(None)
            self._release_end()
        self._closed = True
        out, self._out = self._out, []
        return out

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

    # ------------------------------------------------------------------------ dispatch

    def _note(self, note: Notification, snapshot_born: set[str]) -> None:
        kind = type(note)
        if kind is TextDelta:
            self._text_delta(note)  # type: ignore[arg-type]
        elif kind is ToolCallArgumentsDelta:
            self._args_delta(note)  # type: ignore[arg-type]
        elif kind is ReasoningDelta:
            self._reasoning_delta(note)  # type: ignore[arg-type]
        elif kind is RunStarted:
            self._run_started(note)  # type: ignore[arg-type]
        elif kind is RunFinished:
            self._run_finished(note)  # type: ignore[arg-type]
        elif kind is MessageStarted:
            self._message_started(note, snapshot_born)  # type: ignore[arg-type]
        elif kind is MessageCompleted:
            self._message_completed(note.message_id)  # type: ignore[union-attr]
        elif kind is ToolCallStarted:
            self._call_started(note.call, note.call_id)  # type: ignore[union-attr]
        elif kind is ToolCallStateChanged:
            self._call_state(note)  # type: ignore[arg-type]
        elif kind is ToolCallIdChanged:
            self._call_renamed(note)  # type: ignore[arg-type]
        elif kind is SpanEntered:
            self._span_entered(note)  # type: ignore[arg-type]
        elif kind is SpanExited:
            self._span_exited(note)  # type: ignore[arg-type]
        elif kind is StateUpdated:
            self._state(note)  # type: ignore[arg-type]
        elif kind is MessagesReplaced:
            self._messages_snapshot(note)  # type: ignore[arg-type]
        else:
            self._custom(note)

    def _custom(self, note: Notification) -> None:
        kind = type(note)
        run_id = getattr(note, "run_id", None)
        tag = self._run_tags.get(run_id) if isinstance(run_id, str) else None
        if kind is CustomEventReceived:
            assert isinstance(note, CustomEventReceived)
            name, value = note.name or "", _json_safe(note.value)
        elif kind is ReplyReceived:
            assert isinstance(note, ReplyReceived)
            name, value = "streamfold.reply", {"runId": note.run_id, "text": note.text}
        elif kind is UsageUpdated:
            assert isinstance(note, UsageUpdated)
            name = "streamfold.usage"
            value = {
                "runId": note.run_id,
                "spanId": note.span_id,
                "usage": usage_to_agui(note.usage),
                "total": usage_to_agui(note.total),
            }
        elif kind is ToolOutputDelta:
            assert isinstance(note, ToolOutputDelta)
            call_id = self._call_ids.get(note.call_id, note.call_id)
            tag = self._call_tag.get(call_id, tag)
            name, value = "streamfold.tool_output", {"toolCallId": call_id, "delta": note.delta}
        elif kind is TextReplaced:
            assert isinstance(note, TextReplaced)
            name = "streamfold.text_replaced"
            value = {"messageId": note.message_id, "text": note.text}
            tag = self._message_tag.get(note.message_id, tag)
        elif kind is CheckpointSaved:
            assert isinstance(note, CheckpointSaved)
            name = "streamfold.checkpoint"
            value = {"runId": note.run_id, "checkpointId": note.checkpoint_id}
        elif kind is SearchTreeUpdated:
            assert isinstance(note, SearchTreeUpdated)
            name = "streamfold.search"
            value = {"runId": note.run_id, "kind": note.kind, "data": _json_safe(note.data)}
        elif kind is ClientToolRequested:
            assert isinstance(note, ClientToolRequested)
            call_id = self._call_ids.get(note.call_id, note.call_id)
            tag = self._call_tag.get(call_id, tag)
            self._end_call(call_id)
            name = "streamfold.client_tool"
            value = {"toolCallId": call_id, "toolName": note.name, "input": _json_safe(note.input)}
        elif kind is Truncated:
            assert isinstance(note, Truncated)
            name = "streamfold.truncated"
            value = {
                "runId": note.run_id,
                "targetId": note.target_id,
                "kind": note.kind,
                "limit": note.limit,
            }
        elif kind is Diagnostic:
            assert isinstance(note, Diagnostic)
            if not self._diagnostics:
                return
            name = "streamfold.diagnostic"
            value = {
                "code": note.code,
                "message": note.message,
                "severity": note.severity.value,
                "frameIndex": note.frame_index,
                "dropped": note.dropped,
                "runId": note.run_id,
            }
            tag = self._run_tags.get(note.run_id) if note.run_id else None
        else:  # SessionStarted, Evicted: nothing a chat client shows
            return
        if tag is not None and tag not in self._subagents:
            tag = None
        self._emit({"type": "CUSTOM", "name": name, "value": value}, tag)

    # ------------------------------------------------------------------------ runs

    def _run_started(self, note: RunStarted) -> None:
        run = note.run
        if self._run is None:
            self._open_run(run.run_id, self._thread_of(run), run.parent_run_id)
            self._run_model = run.run_id
            self._run_tags[run.run_id] = None
            return
        # Another run is open: this one is a sub-agent of it (the verifier allows one run).
        tag = run.run_id
        parent = self._run_tags.get(run.parent_run_id) if run.parent_run_id else None
        if parent is not None and parent not in self._subagents:
            parent = None
        event: Event = {
            "type": "SUBAGENT_STARTED",
            "subagentRunId": tag,
            "name": run.agent or run.session_id,
        }
        if parent is not None:
            event["parentSubagentRunId"] = parent
        self._out.append(event)
        self._hosted[run.run_id] = tag
        self._subagents[tag] = parent
        self._run_tags[run.run_id] = tag

    def _run_finished(self, note: RunFinished) -> None:
        run = note.run
        if run.run_id in self._hosted:
            self._end_hosted(run.run_id, run)
            if not self._hosted and self._held_end is not None:
                self._release_end()
            return
        if run.run_id != self._run_model or self._run is None:
            return  # a run finished twice, or one that never started here
        self._close_lane_tree(None)
        self._held_end = self._finished_event(run)
        self._run_model = None
        if not self._hosted:
            self._release_end()

    def _end_hosted(self, run_id: str, run: Run | None) -> None:
        tag = self._hosted.pop(run_id)
        self._close_lane_tree(tag)
        if run is not None:
            self._emit(
                {"type": "CUSTOM", "name": "streamfold.run_finished", "value": _run_summary(run)},
                tag,
            )
        if run is not None and run.status is RunStatus.FAILED:
            event: Event = {
                "type": "SUBAGENT_ERROR",
                "subagentRunId": tag,
                "message": run.error or "run failed",
            }
            if run.error_code:
                event["code"] = run.error_code
        else:
            event = {"type": "SUBAGENT_FINISHED", "subagentRunId": tag}
            if run is not None and run.reply is not None:
                event["result"] = run.reply
            interrupts = _interrupts(run) if run is not None else []
            if interrupts:
                event["outcome"] = {
                    "type": "suspended",
                    "interruptIds": [i["id"] for i in interrupts],
                }
            else:
                event["outcome"] = {"type": "success"}
        self._out.append(event)
        self._subagents.pop(tag, None)
        self._lanes.pop(tag, None)

    def _finished_event(self, run: Run | None) -> Event:
        assert self._run is not None
        run_id, thread_id = self._run
        if run is not None and run.status is RunStatus.FAILED:
            event: Event = {"type": "RUN_ERROR", "message": run.error or "run failed"}
            if run.error_code:
                event["code"] = run.error_code
            if run.usage:
                event["usage"] = [usage_to_agui(run.usage)]
            event["metadata"] = {"streamfold": _run_summary(run)}
            return event
        event = {"type": "RUN_FINISHED", "threadId": thread_id, "runId": run_id}
        if run is None:
            event["outcome"] = {"type": "success"}
            return event
        if run.reply is not None:
            event["result"] = run.reply
        interrupts = _interrupts(run)
        if run.status is RunStatus.CANCELLED:
            event["outcome"] = {"type": "cancelled"}
        elif interrupts:
            event["outcome"] = {"type": "interrupt", "interrupts": interrupts}
        else:
            event["outcome"] = {"type": "success"}
            pending = _pending_call_ids(run)
            if pending:
                event["outcome"]["pendingToolCallIds"] = pending
        if run.usage:
            event["usage"] = [usage_to_agui(run.usage)]
        metadata: dict[str, Any] = {"streamfold": _run_summary(run)}
        if run.finish_reason is not None:
            metadata["tanstack"] = {"finishReason": run.finish_reason}
        event["metadata"] = metadata
        return event

    # ------------------------------------------------------------------------ closing

    def _close_lane_tree(self, tag: str | None) -> None:
        """Close everything open in lane ``tag`` and in the sub-agents below it."""
        for child, parent in list(self._subagents.items()):
            if parent == tag and child not in self._hosted and child in self._subagents:
                self._close_lane_tree(child)
                self._out.append({"type": "SUBAGENT_FINISHED", "subagentRunId": child})
                del self._subagents[child]
                self._lanes.pop(child, None)
        lane = self._lanes.get(tag)
        if lane is None:
            return
        for reasoning_id in list(lane.reasoning):
            self._end_reasoning(reasoning_id)
        for call_id in list(lane.tool_calls):
            self._end_call(call_id)
        for message_id in list(lane.messages):
            self._end_message(message_id)
        for span_id in reversed(list(lane.steps)):
            name = lane.steps.pop(span_id)
            self._emit({"type": "STEP_FINISHED", "stepName": name}, tag)

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

    # ------------------------------------------------------------------------ spans

    def _span_entered(self, note: SpanEntered) -> None:
        span = note.span
        self._spans[span.span_id] = span
        call_id = span.parent_tool_call_id
        if call_id is not None:
            wire_id = self._call_ids.get(call_id, call_id)
            if self._call_agents.get(wire_id) not in self._subagents:
                self._start_call_agent(wire_id, note.run_id, span)
        tag = self._tag_for(note.run_id, span.span_id)
        lane = self._lane(tag)
        name = span.name or "step"
        if name in lane.steps.values():
            name = f"{name} ({span.span_id})"
        lane.steps[span.span_id] = name
        self._emit({"type": "STEP_STARTED", "stepName": name}, tag)

    def _start_call_agent(self, call_id: str, run_id: str, span: Span) -> None:
        agent = f"{call_id}/agent"
        if agent in self._subagents:
            return
        parent = self._call_tag.get(call_id)
        if parent is None:
            parent = self._tag_for(run_id, span.parent.span_id if span.parent else None)
        call = self._calls.get(call_id)
        event: Event = {
            "type": "SUBAGENT_STARTED",
            "subagentRunId": agent,
            "name": (call.name if call is not None and call.name else span.name) or "agent",
            "parentToolCallId": call_id,
        }
        if parent is not None and parent in self._subagents:
            event["parentSubagentRunId"] = parent
        else:
            parent = None
        if call is not None and call.message_id is not None:
            event["parentMessageId"] = call.message_id
        self._emit(event)
        self._subagents[agent] = parent
        self._call_agents[call_id] = agent

    def _span_exited(self, note: SpanExited) -> None:
        span = note.span
        tag = self._tag_for(note.run_id, span.span_id)
        lane = self._lanes.get(tag)
        if lane is None or span.span_id not in lane.steps:
            for other_tag, other in self._lanes.items():  # the sub-agent may have ended
                if span.span_id in other.steps:
                    tag, lane = other_tag, other
                    break
            else:
                return
        name = lane.steps.pop(span.span_id)
        event: Event = {"type": "STEP_FINISHED", "stepName": name}
        if not note.ok:
            event["metadata"] = {"streamfold": {"spanId": span.span_id, "error": note.error}}
        self._emit(event, tag)

    # ------------------------------------------------------------------------ messages

    def _message_started(self, note: MessageStarted, snapshot_born: set[str]) -> None:
        message = note.message
        self._messages[message.message_id] = message
        tag = self._tag_for(note.run_id, message.span_id)
        self._message_tag[message.message_id] = tag
        if message.message_id in snapshot_born:
            return  # the MESSAGES_SNAPSHOT that follows carries it
        if message.role in _TEXT_ROLES:
            self._start_message(message)
            text = "" if message.message_id in self._batch_text else message.text
            if text:  # a message created with its text (no delta will bring it)
                self._emit(
                    {
                        "type": "TEXT_MESSAGE_CONTENT",
                        "messageId": message.message_id,
                        "delta": text,
                    },
                    tag,
                )

    def _start_message(self, message: Message) -> None:
        message_id = message.message_id
        tag = self._message_tag.get(message_id)
        if tag is not None and tag not in self._subagents:
            tag = self._message_tag[message_id] = None
        role = message.role if message.role in _TEXT_ROLES else "assistant"
        self._emit({"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": role}, tag)
        self._lane(tag).messages[message_id] = None
        self._started_messages.add(message_id)

    def _end_message(self, message_id: str) -> None:
        tag = self._message_tag.get(message_id)
        for reasoning_id, (owner, _) in list(self._open_reasoning.items()):
            if owner == message_id:
                self._end_reasoning(reasoning_id)
        lane = self._lanes.get(tag)
        if lane is None or message_id not in lane.messages:
            return
        del lane.messages[message_id]
        self._emit({"type": "TEXT_MESSAGE_END", "messageId": message_id}, tag)

    def _text_delta(self, note: TextDelta) -> None:
        message_id = note.message_id
        tag = self._message_tag.get(message_id)
        lane = self._lanes.get(tag)
        if lane is None or message_id not in lane.messages:
            message = self._messages.get(message_id)
            if message is None:
                return
            self._message_tag.setdefault(message_id, None)
            self._start_message(message)
            tag = self._message_tag[message_id]
        for reasoning_id, (owner, _) in list(self._open_reasoning.items()):
            if owner == message_id:
                self._end_reasoning(reasoning_id)
        self._emit(
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": note.delta}, tag
        )

    def _message_completed(self, message_id: str) -> None:
        self._end_message(message_id)

    def _messages_snapshot(self, note: MessagesReplaced) -> None:
        messages = [self._messages.get(m) for m in note.message_ids]
        for message in messages:  # the snapshot carries their arguments: no tail after it
            for part in message.parts if message is not None else ():
                if type(part) is ToolCallPart:
                    self._end_call(self._call_ids.get(part.call.call_id, part.call.call_id))
        wire = [_snapshot_message(m) for m in messages if m is not None]
        self._emit({"type": "MESSAGES_SNAPSHOT", "messages": [m for w in wire for m in w]})

    # ------------------------------------------------------------------------ reasoning

    def _reasoning_id(self, message_id: str, part: Any) -> str:
        message = self._messages.get(message_id)
        if message is not None and message.role == "reasoning":
            return message_id
        key = id(part)
        found = self._reasoning_ids.get(key)
        if found is None:
            n = self._reasoning_count.get(message_id, 0) + 1
            self._reasoning_count[message_id] = n
            found = self._reasoning_ids[key] = f"{message_id}/reasoning/{n}"
        return found

    def _reasoning_delta(self, note: ReasoningDelta) -> None:
        part = note.part
        reasoning_id = self._reasoning_id(note.message_id, part)
        tag = self._message_tag.get(note.message_id)
        if tag is not None and tag not in self._subagents:
            tag = None
        if reasoning_id not in self._open_reasoning:
            for other, (owner, _) in list(self._open_reasoning.items()):
                if owner == note.message_id:
                    self._end_reasoning(other)
            self._open_reasoning[reasoning_id] = (
                note.message_id,
                part if isinstance(part, ReasoningPart) else None,
            )
            self._lane(tag).reasoning[reasoning_id] = None
            self._emit({"type": "REASONING_START", "messageId": reasoning_id}, tag)
            self._emit(
                {"type": "REASONING_MESSAGE_START", "messageId": reasoning_id, "role": "reasoning"},
                tag,
            )
        self._emit(
            {"type": "REASONING_MESSAGE_CONTENT", "messageId": reasoning_id, "delta": note.delta},
            tag,
        )

    def _end_reasoning(self, reasoning_id: str) -> None:
        owner, part = self._open_reasoning.pop(reasoning_id)
        tag = self._message_tag.get(owner)
        if tag is not None and tag not in self._subagents:
            tag = None
        lane = self._lanes.get(tag)
        if lane is not None:
            lane.reasoning.pop(reasoning_id, None)
        self._emit({"type": "REASONING_MESSAGE_END", "messageId": reasoning_id}, tag)
        secret = part.signature or part.encrypted if part is not None else None
        if secret:
            self._emit(
                {
                    "type": "REASONING_ENCRYPTED_VALUE",
                    "subtype": "message",
                    "entityId": reasoning_id,
                    "encryptedValue": secret,
                },
                tag,
            )
        self._emit({"type": "REASONING_END", "messageId": reasoning_id}, tag)

    # ------------------------------------------------------------------------ tool calls

    def _call_started(self, call: ToolCall, call_id: str) -> None:
        # ``call_id`` is the notification's: the live ``call`` may have been renamed since.
        wire_id = self._call_ids.setdefault(call_id, call_id)
        if wire_id in self._call_tag:
            return  # already started (a repeated start)
        self._calls[wire_id] = call
        tag = self._tag_for(call.run_id, call.span_id)
        if tag is None and call.message_id is not None:
            tag = self._message_tag.get(call.message_id)
            if tag not in self._subagents:
                tag = None
        self._call_tag[wire_id] = tag
        if call.message_id is not None:
            for reasoning_id, (owner, _) in list(self._open_reasoning.items()):
                if owner == call.message_id:
                    self._end_reasoning(reasoning_id)
        event: Event = {
            "type": "TOOL_CALL_START",
            "toolCallId": wire_id,
            "toolCallName": call.name or "",
        }
        if call.message_id is not None and call.message_id in self._started_messages:
            event["parentMessageId"] = call.message_id
        self._emit(event, tag)
        self._lane(tag).tool_calls[wire_id] = None
        self._args_sent[wire_id] = 0
        self._args_text[wire_id] = []

    def _args_delta(self, note: ToolCallArgumentsDelta) -> None:
        wire_id = self._call_ids.get(note.call_id, note.call_id)
        if wire_id not in self._call_tag:
            self._call_started(note.call, note.call_id)
            wire_id = self._call_ids[note.call_id]
        if wire_id in self._ended_calls:
            call = note.call
            if call.state.is_terminal:  # its end was already reported: the text now, once
                self._emit(
                    {
                        "type": "CUSTOM",
                        "name": "streamfold.arguments",
                        "value": {"toolCallId": wire_id, "arguments": call.arguments},
                    },
                    self._call_tag[wire_id] if self._call_tag[wire_id] in self._subagents else None,
                )
            else:
                self._late_args.add(wire_id)
            return
        self._args_sent[wire_id] += len(note.delta)
        self._args_text[wire_id].append(note.delta)
        self._emit(
            {"type": "TOOL_CALL_ARGS", "toolCallId": wire_id, "delta": note.delta},
            self._call_tag[wire_id],
        )

    def _end_call(self, wire_id: str) -> None:
        if wire_id in self._ended_calls or wire_id not in self._call_tag:
            return
        tag = self._call_tag[wire_id]
        call = self._calls.get(wire_id)
        if call is not None:
            buffer = call.arguments_buffer
            sent = self._args_sent.get(wire_id, 0)
            if buffer.chars > sent:  # arguments given whole, or a tail not streamed
                tail = buffer.text[sent:]
                self._emit({"type": "TOOL_CALL_ARGS", "toolCallId": wire_id, "delta": tail}, tag)
                self._args_sent[wire_id] = buffer.chars
                self._args_text[wire_id].append(tail)
        self._ended_calls.add(wire_id)
        lane = self._lanes.get(tag)
        if lane is not None:
            lane.tool_calls.pop(wire_id, None)
        self._emit({"type": "TOOL_CALL_END", "toolCallId": wire_id}, tag)

    def _call_state(self, note: ToolCallStateChanged) -> None:
        wire_id = self._call_ids.get(note.call_id, note.call_id)
        if wire_id not in self._call_tag:
            self._call_started(note.call, note.call_id)
            wire_id = self._call_ids[note.call_id]
        new = note.new
        if new in _ARGS_DONE and new is not _S.INPUT_COMPLETE:
            # Input complete keeps the call open: senders add arguments after their own end
            # (pydantic-ai does), and the verifier refuses TOOL_CALL_ARGS for a closed call.
            self._end_call(wire_id)
        if not new.is_terminal:
            return
        agent = self._call_agents.get(wire_id)
        if agent is not None and agent in self._subagents:
            self._finish_call_agent(agent, new)
        call = note.call
        tag = self._call_tag[wire_id]
        if tag is not None and tag not in self._subagents:
            tag = None
        sent = self._args_text.pop(wire_id, None)
        if wire_id in self._late_args or (sent is not None and "".join(sent) != call.arguments):
            # Arguments that came after the call ended, or were replaced by the sender's
            # complete arguments: the final text, once.
            self._late_args.discard(wire_id)
            self._emit(
                {
                    "type": "CUSTOM",
                    "name": "streamfold.arguments",
                    "value": {"toolCallId": wire_id, "arguments": call.arguments},
                },
                tag,
            )
        if wire_id in self._results_sent:
            return
        if call.result is not None or new is _S.ERROR:
            self._results_sent.add(wire_id)
            content = call.result if call.result is not None else (call.error or "")
            event: Event = {
                "type": "TOOL_CALL_RESULT",
                "messageId": f"{wire_id}/result",
                "toolCallId": wire_id,
                "content": content,
                "role": "tool",
            }
            if new is _S.ERROR:
                event["metadata"] = {
                    "tanstack": {"state": "output-error"},
                    "streamfold": {"error": call.error},
                }
            self._emit(event, tag)
        elif new in (_S.DENIED, _S.CANCELLED):
            self._emit(
                {
                    "type": "CUSTOM",
                    "name": "streamfold.tool_call_state",
                    "value": {"toolCallId": wire_id, "state": new.value},
                },
                tag,
            )

    def _finish_call_agent(self, agent: str, state: ToolCallState) -> None:
        self._close_lane_tree(agent)
        parent = self._subagents.pop(agent, None)
        del parent
        self._lanes.pop(agent, None)
        if state is _S.ERROR:
            self._emit({"type": "SUBAGENT_ERROR", "subagentRunId": agent, "message": "failed"})
        else:
            self._emit(
                {
                    "type": "SUBAGENT_FINISHED",
                    "subagentRunId": agent,
                    "outcome": {"type": "success"},
                }
            )

    def _call_renamed(self, note: ToolCallIdChanged) -> None:
        # Keep the id already on the wire: the client knows the call under it.
        wire_id = self._call_ids.get(note.old, note.old)
        self._call_ids[note.new] = wire_id

    # ------------------------------------------------------------------------ state

    def _state(self, note: StateUpdated) -> None:
        tag = self._run_tags.get(note.run_id)
        if tag is not None and tag not in self._subagents:
            tag = None
        state = _json_safe(note.state)
        previous = self._states.get(note.run_id)
        self._states[note.run_id] = state
        if previous is None or not isinstance(state, dict) or not isinstance(previous, dict):
            if isinstance(state, dict):
                self._emit({"type": "STATE_SNAPSHOT", "snapshot": state}, tag)
            return
        patch = jsonpatch.make_patch(previous, state).patch
        if patch:
            self._emit({"type": "STATE_DELTA", "delta": patch}, tag)


def _is_info(event: Event) -> bool:
    """An informational diagnostic (e.g. SSE ``[DONE]``): not worth a run of its own."""
    value = event.get("value")
    return (
        event.get("name") == "streamfold.diagnostic"
        and isinstance(value, dict)
        and value.get("severity") == "info"
    )


def _run_summary(run: Run) -> dict[str, Any]:
    summary: dict[str, Any] = {"runId": run.run_id, "status": run.status.value}
    if run.finish_reason is not None:
        summary["finishReason"] = run.finish_reason
    if run.stop_reason is not None:
        summary["stopReason"] = run.stop_reason
    if run.error is not None:
        summary["error"] = run.error
    if run.usage:
        summary["usage"] = usage_to_agui(run.usage)
    if run.lossy:
        summary["lossy"] = True
    return summary


def _interrupt_event(run: Run, interrupt: Interrupt) -> dict[str, Any]:
    """One model :class:`~streamfold.model.Interrupt` as an AG-UI 1.0 ``Interrupt``."""
    event: dict[str, Any] = {
        "id": interrupt.interrupt_id or f"{run.run_id}/interrupt",
        "reason": interrupt.reason or "interrupted",
    }
    for key, value in (
        ("message", interrupt.message),
        ("toolCallId", interrupt.tool_call_id),
        ("responseSchema", interrupt.response_schema),
        ("expiresAt", interrupt.expires_at),
        ("subagentRunId", interrupt.subagent_run_id),
    ):
        if value is not None:
            event[key] = _json_safe(value)
    metadata = dict(interrupt.metadata)
    if interrupt.value is not None and "value" not in metadata:
        metadata["value"] = interrupt.value  # e.g. LangGraph's interrupt() payload
    if metadata:
        event["metadata"] = _json_safe(metadata)
    return event


def _interrupts(run: Run) -> list[dict[str, Any]]:
    """What the run paused for, as AG-UI 1.0 interrupts: the model's
    :attr:`~streamfold.model.Run.interrupts` still pending, then the open client obligations
    no interrupt names (approvals; client tools of a run that stopped for them)."""
    out: list[dict[str, Any]] = []
    named: set[str] = set()
    for interrupt in run.interrupts:
        if interrupt.status == "pending":
            out.append(_interrupt_event(run, interrupt))
        if interrupt.tool_call_id is not None:
            named.add(interrupt.tool_call_id)
    stopped = run.status in (RunStatus.AWAITING_APPROVAL, RunStatus.INTERRUPTED)
    for call in run.tool_calls.values():
        if call.call_id in named:
            continue
        input_value = call.partial_input()
        if call.state is _S.APPROVAL_REQUESTED:
            approval_id = (call.approval.approval_id if call.approval else None) or (
                f"approval_{call.call_id}"
            )
            out.append(
                {
                    "id": approval_id,
                    "reason": "tool_call",
                    "message": f"Approval required to run {call.name or 'a tool'}",
                    "toolCallId": call.call_id,
                    "metadata": {
                        "kind": "approval",
                        "toolName": call.name,
                        "input": _json_safe(input_value),
                    },
                }
            )
        elif _owed(call) and (stopped or call.interrupt_id is not None):
            out.append(
                {
                    "id": call.interrupt_id or f"client_tool_{call.call_id}",
                    "reason": "tanstack:client_tool_execution",
                    "message": f"Client tool {call.name or ''} is ready to run".replace("  ", " "),
                    "toolCallId": call.call_id,
                    "metadata": {
                        "kind": "client_tool",
                        "toolName": call.name,
                        "input": _json_safe(input_value),
                    },
                }
            )
    if not out and stopped:
        out.append({"id": f"{run.run_id}/interrupt", "reason": run.stop_reason or "interrupted"})
    return out


def _owed(call: ToolCall) -> bool:
    return call.client_tool and call.result is None and not call.state.is_terminal


def _pending_call_ids(run: Run) -> list[str]:
    """Client tools a completed run leaves for the next input (AG-UI 1.0
    ``outcome.pendingToolCallIds``)."""
    return [call.call_id for call in run.tool_calls.values() if _owed(call)]


def _snapshot_message(message: Message) -> list[dict[str, Any]]:
    """One model message as AG-UI ``Message`` objects (the assistant message, then one
    ``tool`` message per tool result it holds)."""
    role = message.role
    if role == "reasoning":
        return [{"id": message.message_id, "role": "reasoning", "content": message.reasoning}]
    if role not in _TEXT_ROLES:
        role = "assistant"
    out: dict[str, Any] = {"id": message.message_id, "role": role, "content": message.text}
    tools: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for part in message.parts:
        if type(part) is ToolCallPart:
            call = part.call
            calls.append(
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name or "", "arguments": call.arguments},
                }
            )
            if call.result is not None:
                tools.append(
                    {
                        "id": f"{call.call_id}/result",
                        "role": "tool",
                        "content": call.result,
                        "toolCallId": call.call_id,
                    }
                )
    if calls and role == "assistant":
        out["toolCalls"] = calls
    if role == "user" and not message.text and not any(type(p) is TextPart for p in message.parts):
        out["content"] = ""
    return [out, *tools]


# ---------------------------------------------------------------------------- serializers


def sse_frame(event: Event) -> str:
    """One event as an SSE frame (``data: <json>\\n\\n``). Stream text is JSON-escaped, so no
    line break of it can end the frame early."""
    return "data: " + dumps(event).decode() + "\n\n"


def ndjson_line(event: Event) -> str:
    """One event as an NDJSON line."""
    return dumps(event).decode() + "\n"


def encode_conversation_frames(
    frames: Iterable[list[Notification]], *, thread_id: str | None = None
) -> Iterator[Event]:
    """Encode a sequence of per-frame notification batches (then :meth:`AGUIEncoder.close`)."""
    encoder = AGUIEncoder(thread_id=thread_id)
    for notes in frames:
        yield from encoder.encode(notes)
    yield from encoder.close()


def _notes_of_file(path: str | os.PathLike[str]) -> Iterator[list[Notification]]:
    from ..io.recording import read_recording
    from ..reducer import Reducer

    recording = read_recording(path)
    reducer = Reducer()
    for frame in recording.frames:
        yield reducer.feed_frame(frame)
    yield reducer.close()


def convert_to_agui(
    source: str | os.PathLike[str] | Iterable[list[Notification]],
    to: str = "agui-sse",
    *,
    thread_id: str | None = None,
) -> Iterator[str]:
    """A recording file (any format and framing streamfold reads), or per-frame notification
    batches, as AG-UI 1.0 text: SSE frames (``"agui-sse"``) or NDJSON lines
    (``"agui-ndjson"``), one string per event, produced as the input is read. Raises
    :class:`UsageError` for an unknown target and :class:`OSError` when the file cannot be
    read (``streamfold convert FILE --to agui-sse``, ``docs/agui-out.md``)."""
    if to not in AGUI_TARGETS:
        raise UsageError(f"unknown AG-UI target {to!r}; known: {', '.join(AGUI_TARGETS)}")
    write = sse_frame if to == "agui-sse" else ndjson_line
    frames = _notes_of_file(source) if isinstance(source, str | os.PathLike) else source
    for event in encode_conversation_frames(frames, thread_id=thread_id):
        yield write(event)

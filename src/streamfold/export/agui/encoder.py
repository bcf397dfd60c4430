"""The AG-UI encoder: notifications in, AG-UI 1.0 events out (the package docstring of
:mod:`streamfold.export.agui` tells the rules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...errors import UsageError
from ...model import (
    Run,
    RunStatus,
    Span,
)
from ...notifications import (
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
from ._parts import _PartEvents
from .views import _interrupts, _is_info, _pending_call_ids, _run_summary, usage_to_agui
from .wire import AGUI_TARGETS, Event, _json_safe, ndjson_line, sse_frame

__all__ = ["AGUIEncoder", "convert_to_agui", "encode_conversation_frames"]


class AGUIEncoder(_PartEvents):
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


def encode_conversation_frames(
    frames: Iterable[list[Notification]], *, thread_id: str | None = None
) -> Iterator[Event]:
    """Encode a sequence of per-frame notification batches (then :meth:`AGUIEncoder.close`)."""
    encoder = AGUIEncoder(thread_id=thread_id)
    for notes in frames:
        yield from encoder.encode(notes)
    yield from encoder.close()


def convert_to_agui(
    frames: Iterable[list[Notification]],
    to: str = "agui-sse",
    *,
    thread_id: str | None = None,
) -> Iterator[str]:
    """Per-frame notification batches as AG-UI 1.0 text: SSE frames (``"agui-sse"``) or NDJSON
    lines (``"agui-ndjson"``), one string per event, produced as the batches are read. Raises
    :class:`~streamfold.errors.UsageError` for an unknown target. For a recording file, see
    :func:`streamfold.io.sync.convert_file_to_agui` (``streamfold convert FILE --to
    agui-sse``, ``docs/agui-out.md``)."""
    if to not in AGUI_TARGETS:
        raise UsageError(f"unknown AG-UI target {to!r}; known: {', '.join(AGUI_TARGETS)}")
    write = sse_frame if to == "agui-sse" else ndjson_line
    for event in encode_conversation_frames(frames, thread_id=thread_id):
        yield write(event)

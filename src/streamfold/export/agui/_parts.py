"""The AG-UI events of a message's parts: text messages, reasoning messages, tool calls (with
their results and sub-agents) and shared state, and closing what a lane has open
(docs/agui-out.md, "Mapping")."""

from __future__ import annotations

from typing import Any

import jsonpatch

from ...model import (
    Message,
    ReasoningPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
)
from ...notifications import (
    MessagesReplaced,
    MessageStarted,
    ReasoningDelta,
    StateUpdated,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallIdChanged,
    ToolCallStateChanged,
)
from ._state import _EncoderState
from .views import _ARGS_DONE, _S, _TEXT_ROLES, _snapshot_message
from .wire import Event, _json_safe


class _PartEvents(_EncoderState):
    """Messages, reasoning, tool calls and state (the encoder's part-level event groups)."""

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

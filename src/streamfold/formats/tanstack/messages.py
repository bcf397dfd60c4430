"""Messages: text, reasoning and steps, with the era-B cumulative-content fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...events import (
    AppendReasoning,
    AppendText,
    CloseSpan,
    Diagnose,
    EndMessage,
    Event,
    MergeMetadata,
    OpenSpan,
    SetReasoningSignature,
    StartMessage,
)
from ...model import Severity, TextBuffer
from .._common import drop
from .runs import _Runs
from .state import _Msg, _Run
from .wire import (
    extra,
    is_mapping,
    str_or_none,
    tanstack_meta,
)

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _Messages(_Runs):
    """Text, reasoning and step frames."""

    def _new_message(
        self,
        message_id: str,
        role: str,
        out: list[Event],
        metadata: dict[str, Any] | None = None,
        run: _Run | None = None,
    ) -> _Msg:
        if run is None:
            run = self._run_for_message(out)
        message = _Msg(message_id, run.run_id, role)
        self._add_message(run, message)
        run.open_messages += 1
        if role not in ("user", "system", "reasoning"):
            self._active[message_id] = None
            self._adopt_pending_step(message)
        out.append(StartMessage(run.run_id, message_id, role, metadata=metadata))
        return message

    def _adopt_pending_step(self, message: _Msg) -> None:
        if self._pending_step is not None:
            message.step = self._pending_step
            self._pending_step = None

    def _active_message(self) -> _Msg | None:
        """The last active assistant message of the run the frame addresses: a sub-agent's
        frames (``subagentRunId``) see only their run's messages, the parent's frames none of
        a sub-agent's."""
        active = self._active
        if not active:
            return None
        route, subagents = self._route, self._subagents
        if route is None and not subagents:  # no sub-agents: the last one (the usual case)
            return self._messages[next(reversed(active))]
        for message_id in reversed(active):
            message = self._messages[message_id]
            run = self._runs.get(message.run_id)
            owner = run if run is not None and run.parent_id is not None else None
            if owner is route:
                return message
        return None

    def _text_message(self, message_id: str | None, out: list[Event]) -> _Msg:
        """The message a text event addresses (created when unknown, as the reference does)."""
        if message_id is not None:
            message = self._message(message_id)
            if message is not None:
                return message
            return self._new_message(message_id, "assistant", out)
        active = self._active_message()
        if active is not None:
            return active
        return self._new_message(self._synthetic_id("message"), "assistant", out)

    def _append_text(self, message: _Msg, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is str and delta:
            message.segment.append(delta)
            out.append(AppendText(message.run_id, message.message_id, delta))
            return
        piece = _fallback(message.segment, frame.get("content"))
        if piece:
            message.segment.append(piece)
            out.append(AppendText(message.run_id, message.message_id, piece))

    def _text_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId"))
        if message_id is None:
            out.append(drop("invalid_field", "TEXT_MESSAGE_START without a messageId"))
            return
        metadata = _message_metadata(frame)
        message = self._message(message_id)
        if message is not None:
            if message.role not in ("user", "system", "reasoning"):
                self._active.setdefault(message_id, None)
            if metadata:
                out.append(MergeMetadata(message.run_id, metadata, message_id=message_id))
            return
        role = frame.get("role")
        self._new_message(message_id, role if type(role) is str else "assistant", out, metadata)

    def _text_content(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = self._text_message(str_or_none(frame.get("messageId")), out)
        metadata = _message_metadata(frame)
        if metadata:
            out.append(MergeMetadata(message.run_id, metadata, message_id=message.message_id))
        self._append_text(message, frame, out)

    def _text_end(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message = self._message(str_or_none(frame.get("messageId")) or "")
        if message is None:
            out.append(
                Diagnose(
                    "unknown_message",
                    f"TEXT_MESSAGE_END for unknown message {frame.get('messageId')!r}; ignored",
                    Severity.WARNING,
                    dropped=True,
                )
            )
            return
        metadata = _message_metadata(frame)
        if metadata:
            out.append(MergeMetadata(message.run_id, metadata, message_id=message.message_id))
        if message.open:
            message.open = False
            run = self._runs.get(message.run_id)
            if run is not None and run.open_messages > 0:
                run.open_messages -= 1
        out.append(EndMessage(message.run_id, message.message_id))

    def _text_chunk(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        message_id = str_or_none(frame.get("messageId")) or self._chunk_message
        message = self._message(message_id) if message_id is not None else None
        if message is None:
            role = frame.get("role")
            message_id = message_id or self._synthetic_id("message")
            message = self._new_message(message_id, role if type(role) is str else "assistant", out)
        self._chunk_message = message_id
        self._append_text(message, frame, out)

    # ----------------------------------------------------------------------- reasoning

    def _reasoning_message(
        self, wire_id: str | None, out: list[Event], *, any_current: bool = False
    ) -> _Msg:
        """Where reasoning goes: the active assistant message; else the open reasoning message
        (the one for ``wire_id``, or any when ``any_current``); else a new reasoning message."""
        active = self._active_message()
        if active is not None:
            self._adopt_pending_step(active)
            return active
        current = self._reasoning
        if current is not None and (
            any_current or wire_id is None or wire_id == current.message_id
        ):
            return current
        known = self._message(wire_id) if wire_id is not None else None
        if known is not None:
            return known
        message_id = self._synthetic_id("reasoning")
        if wire_id is not None:
            message_id = wire_id
        message = self._new_message(message_id, "reasoning", out)
        self._adopt_pending_step(message)
        self._reasoning = message
        return message

    def _reasoning_delta(
        self, message: _Msg, step: str | None, delta: Any, content: Any, out: list[Event]
    ) -> None:
        buffer = message.thinking.get(step)
        if buffer is None:
            buffer = message.thinking[step] = TextBuffer()
        if type(delta) is str and delta:
            piece: str | None = delta
        else:
            piece = _fallback(buffer, content)
        if piece:
            buffer.append(piece)
            out.append(AppendReasoning(message.run_id, message.message_id, piece, step))

    def _reasoning_content(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        wire_id = str_or_none(frame.get("messageId"))
        message = self._reasoning_message(wire_id, out)
        step = message.step or wire_id
        if message.step is None:
            message.step = step
        self._reasoning_delta(message, step, frame.get("delta"), None, out)

    def _step_started(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        step = _step_name(frame)
        run = self._current_run(out)
        if step is None:
            step = self._synthetic_id("step")
        if step not in run.steps:
            span_id = base = f"{run.run_id}/step:{step}"
            if span_id in run.span_ids:
                # A repeated step name: the next "#n" after the last one given for it (not a
                # search from #2 each time, which made a run's repeated steps quadratic).
                n = run.step_suffix.get(base, 1) + 1
                span_id = f"{base}#{n}"
                while span_id in run.span_ids:  # a step literally named like that
                    n += 1
                    span_id = f"{base}#{n}"
                run.step_suffix[base] = n
            run.span_ids.add(span_id)
            run.steps[step] = span_id
            out.append(OpenSpan(run.run_id, span_id, step))
        active = self._active_message()
        if active is not None:
            active.step = step
            self._pending_step = None
        else:
            self._pending_step = step

    def _step_finished(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        step = _step_name(frame)
        for run in self._open:
            span_id = run.steps.pop(step, None) if step is not None else None
            if span_id is not None:
                out.append(CloseSpan(run.run_id, span_id))
                break
        delta, content = extra(frame, "delta"), extra(frame, "content")
        if not self._seen_reasoning and (delta or content):
            message = self._reasoning_message(None, out)
            if step is not None and message.step is None:
                message.step = step
            self._reasoning_delta(message, step or message.step, delta, content, out)
        signature = extra(frame, "signature")
        if type(signature) is str and signature:
            owner = self._active_message() or self._reasoning
            if owner is not None:
                out.append(
                    SetReasoningSignature(
                        owner.run_id,
                        owner.message_id,
                        signature=signature,
                        step_id=owner.step or step,
                    )
                )


# ----------------------------------------------------------------------------------- helpers


def _fallback(so_far: TextBuffer, content: Any) -> str | None:
    """The era-B cumulative fallback (module docstring): what ``content`` adds to the text
    ``so_far`` (joined once, and kept joined, by the buffer)."""
    if type(content) is not str or not content:
        return None
    cur = so_far.text
    if content.startswith(cur):
        return content[len(cur) :]
    if cur.startswith(content):
        return None
    return content


def _message_metadata(frame: Mapping[str, Any]) -> dict[str, Any] | None:
    """Event metadata for the message, without the per-delta ``tanstack.content``/``args``
    leftovers (the reference's ``mergeMessageMetadata``)."""
    metadata = frame.get("metadata")
    if not is_mapping(metadata) or not metadata:
        return None
    result = dict(metadata)
    tanstack = result.get("tanstack")
    if is_mapping(tanstack) and ("content" in tanstack or "args" in tanstack):
        result["tanstack"] = {k: v for k, v in tanstack.items() if k not in ("content", "args")}
    return result


def _step_name(frame: Mapping[str, Any]) -> str | None:
    return (
        str_or_none(frame.get("stepName"))
        or str_or_none(frame.get("stepId"))
        or str_or_none(tanstack_meta(frame).get("stepId"))
    )

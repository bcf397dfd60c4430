"""OpenAI Chat Completions streams (``data: {"object": "chat.completion.chunk", ...}`` …
``data: [DONE]``) → canonical events (``docs/openai-chat.md``).

One completion is one run; each choice (``n > 1``) one assistant message ``<run>:<index>``.
``delta.content`` is text, ``delta.refusal`` and ``logprobs`` are kept on the message's
metadata at its finish, ``delta.tool_calls`` are tool calls keyed by their ``index`` within the
choice (the id and name come in the first delta, argument text in the later ones, interleaved
between calls), ``finish_reason`` finishes the choice, the ``usage`` chunk (``choices: []``,
``stream_options.include_usage``) sets the run's usage, ``data: [DONE]`` ends the run. Azure's
``prompt_filter_results`` chunk (``id: ""``, ``choices: []``) is kept as a custom event; a
``data: {"error": …}`` frame fails the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ...events import (
    AppendReasoning,
    AppendText,
    AppendToolArguments,
    EndMessage,
    EndRun,
    Event,
    MergeMetadata,
    RecordCustom,
    ReportUsage,
    SetToolArguments,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus
from ...model.text import dumps
from .. import DecoderBase
from .._common import drop, str_or_none, warn
from .._openai_events import error_body, usage_from_counts
from .._provider import SESSION_ID, issue_id, not_finished
from .state import ChatChoice, ChatState

__all__ = ["OpenAIChatDecoder", "detect"]

_FORMAT: Final = "openai-chat"


def detect(frame: Mapping[str, Any]) -> float:
    """How sure the format is that ``frame`` is its own (``docs/openai-chat.md``): 1 for a
    ``chat.completion.chunk`` object or Azure's ``prompt_filter_results`` chunk; 0.9 for a chunk
    without ``object`` (some OpenAI-compatible servers) whose ``choices`` carry a ``delta``;
    0.5 for a bare ``{"error": {...}}`` (the mid-stream error frame); else 0."""
    obj = frame.get("object")
    if obj == "chat.completion.chunk":
        return 1.0
    choices = frame.get("choices")
    if type(choices) is list:
        if "prompt_filter_results" in frame:
            return 1.0
        if obj is None and choices and isinstance(choices[0], Mapping) and "delta" in choices[0]:
            return 0.9
        return 0.0
    if "type" not in frame and isinstance(frame.get("error"), Mapping):
        return 0.5
    return 0.0


class OpenAIChatDecoder(DecoderBase):
    """Decoder of the ``openai-chat`` format (``docs/openai-chat.md``)."""

    name: ClassVar[str] = _FORMAT
    cursor_module: ClassVar[str | None] = "streamfold.formats.openai_chat.cursor"
    detect = staticmethod(detect)

    def __init__(self, state: ChatState | None = None) -> None:
        self.state = ChatState() if state is None else state

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame (``docs/openai-chat.md``, "Mapping"); never raises on
        sender input."""
        out: list[Event] = []
        choices = frame.get("choices")
        if choices is None and "error" in frame:
            self._error(frame, out)
            return out
        run_id = self._run(frame, out)
        if "prompt_filter_results" in frame:
            out.append(
                RecordCustom(run_id, "openai.prompt_filter_results", frame["prompt_filter_results"])
            )
        if type(choices) is list:
            for choice in choices:
                if isinstance(choice, Mapping):
                    self._choice(run_id, choice, out)
                else:
                    out.append(warn("invalid_field", "a choice that is not an object", run_id))
        elif choices is not None:
            out.append(warn("invalid_field", "choices is not a list", run_id))
        usage = frame.get("usage")
        if usage is not None:
            counts = usage_from_counts(usage)
            if counts is None:
                out.append(warn("invalid_field", "usage without integer token counts", run_id))
            else:
                out.append(ReportUsage(run_id, counts, mode="set"))
        return out

    def end_of_stream(self, frame_index: int) -> list[Event]:
        """The SSE ``data: [DONE]``: the open run ends (``docs/openai-chat.md``)."""
        out: list[Event] = []
        if self.state.run_id is not None:
            self._end(RunStatus.COMPLETED, out)
        return out

    def finish(self) -> list[Event]:
        """End of input: an open run ends, ``incomplete`` unless its terminal arrived
        (``docs/openai-chat.md``)."""
        out: list[Event] = []
        state = self.state
        if state.run_id is not None:
            if state.choices and all(c.finished for c in state.choices.values()):
                self._end(RunStatus.COMPLETED, out)  # no [DONE] (a non-SSE carrier): done anyway
            else:
                run_id = state.run_id
                self._close_choices(out)
                self._reset()
                not_finished(run_id, _FORMAT, out)
        return out

    # ------------------------------------------------------------------------------- runs

    def _run(self, frame: Mapping[str, Any], out: list[Event]) -> str:
        state = self.state
        wire_id = str_or_none(frame.get("id")) or None
        if state.run_id is not None:
            if wire_id is None or wire_id == state.wire_id:
                return state.run_id
            if state.wire_id is None:  # Azure's prompt filter chunk opened it without an id
                state.wire_id = wire_id
                return state.run_id
            # Another completion in the same stream: the open one is over.
            self._end(RunStatus.COMPLETED, out)
        state.runs += 1
        run_id = issue_id(state.ids, wire_id or f"chatcmpl#{state.runs}")
        state.run_id, state.wire_id = run_id, wire_id
        metadata = {
            key: frame[key]
            for key in ("id", "model", "created", "system_fingerprint", "service_tier")
            if frame.get(key) not in (None, "", 0)
        }
        out.append(StartRun(SESSION_ID, run_id, metadata={"format": _FORMAT, **metadata}))
        return run_id

    def _end(self, status: RunStatus, out: list[Event], **fields: Any) -> None:
        state = self.state
        run_id = state.run_id
        assert run_id is not None
        self._close_choices(out)
        finish = state.first_finish
        self._reset()
        out.append(
            EndRun(run_id, status, finish_reason=fields.pop("finish_reason", finish), **fields)
        )

    def _reset(self) -> None:
        state = self.state
        state.run_id = state.wire_id = state.first_finish = None
        state.choices = {}

    def _error(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """``data: {"error": {...}}`` mid-stream (the API's error object): the run fails."""
        message, code = error_body(frame.get("error"))
        if self.state.run_id is None:
            self._run(frame, out)
        self._end(RunStatus.FAILED, out, finish_reason="error", error=message, error_code=code)

    # ---------------------------------------------------------------------------- choices

    def _choice(self, run_id: str, choice: Mapping[str, Any], out: list[Event]) -> None:
        index = choice.get("index", 0)
        if type(index) is not int:
            out.append(warn("invalid_field", "choice index is not an int; taken as 0", run_id))
            index = 0
        key = str(index)
        state = self.state
        ch = state.choices.get(key)
        if ch is None:
            ch = state.choices[key] = ChatChoice(f"{run_id}:{index}")
            out.append(StartMessage(run_id, ch.message_id, "assistant", metadata={"index": index}))
        elif ch.finished and choice.get("delta"):
            out.append(warn("invalid_field", f"choice {index} continues after its finish", run_id))
        delta = choice.get("delta")
        if isinstance(delta, Mapping) and delta:
            content = delta.get("content")
            if type(content) is str and content:
                out.append(AppendText(run_id, ch.message_id, content))
            refusal = delta.get("refusal")
            if type(refusal) is str and refusal:
                ch.refusal.append(refusal)
            # Reasoning text of OpenAI-compatible servers (DeepSeek, OpenRouter, vLLM).
            reasoning = delta.get("reasoning_content", delta.get("reasoning"))
            if type(reasoning) is str and reasoning:
                out.append(AppendReasoning(run_id, ch.message_id, reasoning))
            calls = delta.get("tool_calls")
            if type(calls) is list:
                for call in calls:
                    self._tool_call(run_id, ch, call, out)
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, Mapping):
            for name, kept in (
                ("content", ch.logprobs_content),
                ("refusal", ch.logprobs_refusal),
            ):
                items = logprobs.get(name)
                if type(items) is list:
                    kept.extend(items)
        finish = choice.get("finish_reason")
        if type(finish) is str and not ch.finished:
            self._finish_choice(run_id, index, ch, finish, out)

    def _tool_call(self, run_id: str, ch: ChatChoice, call: Any, out: list[Event]) -> None:
        if not isinstance(call, Mapping):
            out.append(warn("invalid_field", "a tool call delta that is not an object", run_id))
            return
        index = call.get("index", 0)
        key = str(index) if type(index) is int else "0"
        function = call.get("function")
        function = function if isinstance(function, Mapping) else {}
        call_id = ch.calls.get(key)
        if call_id is None:
            wire_id = str_or_none(call.get("id"))
            if not wire_id:
                wire_id = f"{ch.message_id}:tool{key}"
                out.append(
                    warn("invalid_field", f"tool call {key} without an id; named {wire_id}", run_id)
                )
            call_id = ch.calls[key] = wire_id
            ch.open_calls.append(call_id)
            kind = str_or_none(call.get("type"))
            out.append(
                StartToolCall(
                    run_id,
                    call_id,
                    str_or_none(function.get("name")),
                    ch.message_id,
                    metadata={"index": index, "type": kind or "function"},
                )
            )
        elif call_id not in ch.open_calls:
            out.append(
                drop("invalid_field", f"tool call {call_id!r} continues after its end", run_id)
            )
            return
        arguments = function.get("arguments")
        if type(arguments) is str and arguments:
            out.append(AppendToolArguments(run_id, call_id, arguments))
        elif arguments is not None and type(arguments) is not str:
            # Some compatible servers send the arguments as an object in one delta.
            text = dumps(arguments).decode()
            out.append(AppendToolArguments(run_id, call_id, text))

    def _finish_choice(
        self, run_id: str, index: int, ch: ChatChoice, finish: str, out: list[Event]
    ) -> None:
        ch.finish_reason, ch.finished = finish, True
        if self.state.first_finish is None or index == 0:
            self.state.first_finish = finish
        self._close_choice(run_id, ch, out)

    def _close_choices(self, out: list[Event]) -> None:
        run_id = self.state.run_id
        assert run_id is not None
        for ch in self.state.choices.values():
            if not ch.finished:
                ch.finished = True
                self._close_choice(run_id, ch, out)

    @staticmethod
    def _close_choice(run_id: str, ch: ChatChoice, out: list[Event]) -> None:
        for call_id in ch.open_calls:
            out.append(SetToolArguments(run_id, call_id))
        ch.open_calls = []
        metadata: dict[str, Any] = {}
        if ch.finish_reason is not None:
            metadata["finish_reason"] = ch.finish_reason
        if ch.refusal:
            metadata["refusal"] = "".join(ch.refusal)
        if ch.logprobs_content or ch.logprobs_refusal:
            metadata["logprobs"] = {
                "content": ch.logprobs_content or None,
                "refusal": ch.logprobs_refusal or None,
            }
        if metadata:
            out.append(MergeMetadata(run_id, metadata, message_id=ch.message_id))
        out.append(EndMessage(run_id, ch.message_id))

"""OpenAI Responses API streams (``event: response.created`` … ``response.completed``) →
canonical events (``docs/openai-responses.md``).

One response is one run with one assistant message. Output items: ``message`` (text through
``response.output_text.delta``, folded by the shared OpenAI-style handler of
:mod:`streamfold.formats._openai_events`; refusals and annotations kept on the message's
metadata), ``reasoning`` (summary parts as reasoning parts, raw reasoning text, encrypted content),
``function_call`` / ``custom_tool_call`` (tool calls, arguments streamed), ``mcp_call`` and the
server tools (``web_search_call``, ``code_interpreter_call``, ``file_search_call``…; tool calls
marked ``provider_executed``, their arguments and outputs from the finished item). Other items
(``mcp_list_tools``, ``compaction``) are kept as custom events. ``response.completed`` /
``.failed`` / ``.incomplete`` end the run with the response's usage, status and
``incomplete_details``; an ``error`` event gives the error of the ``response.failed`` after it.
``sequence_number`` is checked: a repeated one is dropped, a gap is reported and marked missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ...events import (
    AppendReasoning,
    AppendToolArguments,
    Diagnose,
    EndMessage,
    EndRun,
    Event,
    MarkMissing,
    MergeMetadata,
    RecordCustom,
    ReportUsage,
    SetReasoningSignature,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus, Severity
from ...model.text import dumps
from .. import DecoderBase
from .._common import drop, keep_unknown_type, str_or_none, warn
from .._openai_events import HANDLERS, error_body, usage_from_counts
from .._provider import SESSION_ID, issue_id, not_finished
from .items import (
    CALL_ITEMS as _CALL_ITEMS,
)
from .items import (
    CUSTOM_ITEMS as _CUSTOM_ITEMS,
)
from .items import (
    INCOMPLETE_FINISH as _INCOMPLETE_FINISH,
)
from .items import (
    QUIET as _QUIET,
)
from .items import (
    SERVER_ITEMS as _SERVER_ITEMS,
)
from .items import (
    server_input as _server_input,
)
from .items import (
    server_output as _server_output,
)
from .state import ResponsesItem, ResponsesState

__all__ = ["OpenAIResponsesDecoder", "detect"]

_FORMAT: Final = "openai-responses"

_TEXT_DELTA: Final = HANDLERS["response.output_text.delta"]


def detect(frame: Mapping[str, Any]) -> float:
    """How sure the format is that ``frame`` is its own (``docs/openai-responses.md``): 1 for
    a ``response.*`` event type (only the Responses API sends them as frames) or an ``error``
    event with a ``sequence_number``; else 0."""
    kind = frame.get("type")
    if type(kind) is not str:
        return 0.0
    if kind.startswith("response."):
        return 1.0
    if kind == "error" and "sequence_number" in frame:
        return 1.0
    return 0.0


class OpenAIResponsesDecoder(DecoderBase):
    """Decoder of the ``openai-responses`` format (``docs/openai-responses.md``).

    It is the :class:`~streamfold.formats._openai_events.EventTarget` of the shared handlers
    (its open run, its calls, its one message)."""

    name: ClassVar[str] = _FORMAT
    cursor_module: ClassVar[str | None] = "streamfold.formats.openai_responses.cursor"
    detect = staticmethod(detect)

    def __init__(self, state: ResponsesState | None = None) -> None:
        self.state = ResponsesState() if state is None else state

    # ------------------------------------------------------------- EventTarget (shared)

    @property
    def run_id(self) -> str:
        """The open run (asserted open)."""
        run_id = self.state.run_id
        assert run_id is not None
        return run_id

    @property
    def calls(self) -> dict[str, bool]:
        """The open response's tool calls: call_id → finished."""
        return self.state.calls

    @property
    def text_seen(self) -> bool:
        """Whether text of the response was streamed."""
        return self.state.text_seen

    @text_seen.setter
    def text_seen(self, value: bool) -> None:
        self.state.text_seen = value

    @property
    def stop_reason(self) -> str | None:
        """Always ``None``: a response's status arrives with its terminal event."""
        return None

    def message_id(self, index: int, out: list[Event]) -> str:
        """The response's one assistant message (started on first use); ``index`` is not used:
        every output item folds into it."""
        state = self.state
        message_id = state.message_id
        assert message_id is not None
        if not state.message_started:
            state.message_started = True
            out.append(StartMessage(self.run_id, message_id, "assistant"))
        return message_id

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame (``docs/openai-responses.md``, "Mapping"); never
        raises on sender input."""
        out: list[Event] = []
        kind = frame.get("type")
        state = self.state
        if type(kind) is not str:
            out.append(drop("missing_type", "an event without a string type", state.run_id))
            return out
        if kind in ("response.created", "response.queued") and state.run_id is not None:
            response = frame.get("response")
            wire_id = str_or_none(response.get("id")) if isinstance(response, Mapping) else None
            if wire_id != state.wire_id:  # a new response before the last one finished
                run_id = state.run_id
                self._close(out)
                not_finished(run_id, _FORMAT, out)
        if state.run_id is None:
            self._start(frame, out)
        if not self._sequence(frame, out):
            return out
        if kind == "response.output_text.delta":
            item = state.items.get(str(frame.get("item_id")))
            if item is not None:
                item.streamed = True
            _TEXT_DELTA(self, frame, out)
            return out
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, frame, out)
        elif kind in _QUIET:
            pass
        else:
            keep_unknown_type(
                out, self.run_id, frame, f"unknown Responses event {kind!r}; kept verbatim"
            )
        return out

    def finish(self) -> list[Event]:
        """End of input: an open run ends, ``incomplete`` unless its terminal arrived
        (``docs/openai-responses.md``)."""
        out: list[Event] = []
        state = self.state
        if state.run_id is not None:
            if state.error is not None:  # an error event and no response.failed after it
                message, code = state.error
                self._end(RunStatus.FAILED, "error", out, error=message, error_code=code)
            else:
                run_id = state.run_id
                self._close(out)
                not_finished(run_id, _FORMAT, out)
        return out

    # ------------------------------------------------------------------------------- runs

    def _start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        state = self.state
        state.runs += 1
        response = frame.get("response")
        response = response if isinstance(response, Mapping) else {}
        wire_id = str_or_none(response.get("id"))
        run_id = issue_id(state.ids, wire_id or f"resp#{state.runs}")
        state.run_id = state.message_id = run_id
        state.wire_id = wire_id
        metadata: dict[str, Any] = {"format": _FORMAT}
        metadata.update({k: response[k] for k in ("id", "model") if str_or_none(response.get(k))})
        out.append(StartRun(SESSION_ID, run_id, metadata=metadata))
        self.message_id(0, out)

    def _sequence(self, frame: Mapping[str, Any], out: list[Event]) -> bool:
        """Check ``sequence_number``: ``False`` (dropped) for one already seen."""
        seq = frame.get("sequence_number")
        if type(seq) is not int:
            return True
        state = self.state
        last = state.last_sequence
        if last is not None and seq <= last:
            out.append(
                Diagnose(
                    "duplicate_sequence_number",
                    f"sequence_number {seq} <= {last} already applied; dropped",
                    Severity.WARNING,
                    dropped=True,
                    run_id=state.run_id,
                )
            )
            return False
        if last is not None and seq > last + 1:
            out.append(
                Diagnose(
                    "sequence_number_gap",
                    f"sequence_number jumped from {last} to {seq}; events are missing",
                    Severity.WARNING,
                    run_id=state.run_id,
                )
            )
            out.append(MarkMissing(self.run_id, last + 1, seq, "event_id"))
        state.last_sequence = seq
        return True

    def _close(self, out: list[Event]) -> None:
        """Finish the open calls and the message (refusal, annotations), forget the response."""
        state = self.state
        run_id = self.run_id
        for call_id, finished in state.calls.items():
            if not finished:
                out.append(SetToolArguments(run_id, call_id))
        message_id = self.message_id(0, out)
        metadata: dict[str, Any] = {}
        if state.refusal:
            metadata["refusal"] = "".join(state.refusal)
        if state.annotations:
            metadata["annotations"] = state.annotations
        if metadata:
            out.append(MergeMetadata(run_id, metadata, message_id=message_id))
        out.append(EndMessage(run_id, message_id))
        runs, ids = state.runs, state.ids
        self.state = ResponsesState(runs=runs, ids=ids)

    def _end(self, status: RunStatus, finish: str | None, out: list[Event], **fields: Any) -> None:
        run_id = self.run_id
        self._close(out)
        out.append(EndRun(run_id, status, finish_reason=finish, **fields))

    # ----------------------------------------------------------------------------- items

    def _item_key(self, frame: Mapping[str, Any], item: Mapping[str, Any]) -> str:
        item_id = str_or_none(item.get("id"))
        return item_id if item_id else f"#{frame.get('output_index')}"

    def _item_added(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        item = frame.get("item")
        if not isinstance(item, Mapping):
            out.append(drop("invalid_field", "output_item.added without an item", self.run_id))
            return
        kind = str_or_none(item.get("type")) or "unknown"
        key = self._item_key(frame, item)
        if key in self.state.items:
            out.append(warn("invalid_field", f"output item {key!r} added twice", self.run_id))
            return
        entry = self.state.items[key] = ResponsesItem(kind)
        if kind in _CALL_ITEMS or kind == "mcp_call" or kind in _SERVER_ITEMS:
            self._call_start(key, entry, kind, item, out)
        elif kind not in ("message", "reasoning") and kind not in _CUSTOM_ITEMS:
            keep_unknown_type(
                out, self.run_id, frame, f"unknown Responses output item {kind!r}; kept verbatim"
            )

    def _call_start(
        self,
        key: str,
        entry: ResponsesItem,
        kind: str,
        item: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        run_id = self.run_id
        call_id = str_or_none(item.get("call_id")) if kind in _CALL_ITEMS else None
        call_id = call_id or str_or_none(item.get("id")) or f"{run_id}:{key}"
        metadata: dict[str, Any] = {"type": kind}
        if str_or_none(item.get("id")):
            metadata["item_id"] = item["id"]
        if kind in _CALL_ITEMS:
            name = str_or_none(item.get("name"))
            self.state.function_calls += 1
        else:
            metadata["provider_executed"] = True
            name = str_or_none(item.get("name")) if kind == "mcp_call" else kind
            label = str_or_none(item.get("server_label"))
            if label is not None:
                metadata["server_label"] = label
        if call_id in self.state.calls:
            out.append(warn("tool_call_order", f"tool call {call_id!r} started twice", run_id))
            return
        entry.call_id = call_id
        self.state.calls[call_id] = False
        out.append(StartToolCall(run_id, call_id, name, self.message_id(0, out), metadata=metadata))
        arguments = item.get("arguments", item.get("input"))
        if type(arguments) is str and arguments:
            entry.streamed = True
            out.append(AppendToolArguments(run_id, call_id, arguments))

    def _item_done(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        item = frame.get("item")
        if not isinstance(item, Mapping):
            out.append(drop("invalid_field", "output_item.done without an item", self.run_id))
            return
        key = self._item_key(frame, item)
        entry = self.state.items.get(key)
        if entry is None:  # done without added: the item is whole here
            self._item_added(frame, out)
            entry = self.state.items.get(key)
            if entry is None:
                return
        if entry.done:
            out.append(drop("invalid_field", f"output item {key!r} finished twice", self.run_id))
            return
        entry.done = True
        kind = entry.kind
        run_id = self.run_id
        if kind == "message":
            self._message_done(entry, item, out)
        elif kind == "reasoning":
            self._reasoning_done(key, entry, item, out)
        elif entry.call_id is not None:
            self._call_done(entry.call_id, kind, item, out)
        elif kind in _CUSTOM_ITEMS:
            out.append(RecordCustom(run_id, f"openai.{kind}", dict(item)))

    def _message_done(
        self, entry: ResponsesItem, item: Mapping[str, Any], out: list[Event]
    ) -> None:
        """A message item whose text was not streamed: its content parts' text."""
        if entry.streamed:
            return
        content = item.get("content")
        if type(content) is not list:
            return
        for part in content:
            if not isinstance(part, Mapping):
                continue
            if part.get("type") == "output_text":
                text = part.get("text")
                if type(text) is str and text:
                    _TEXT_DELTA(self, {"delta": text}, out)
            elif part.get("type") == "refusal" and not self.state.refusal:
                refusal = part.get("refusal")
                if type(refusal) is str:
                    self.state.refusal.append(refusal)

    def _reasoning_done(
        self, key: str, entry: ResponsesItem, item: Mapping[str, Any], out: list[Event]
    ) -> None:
        """A reasoning item: its summary (when not streamed) and its encrypted content."""
        run_id, message_id = self.run_id, self.message_id(0, out)
        if not entry.streamed:
            summary = item.get("summary")
            for index, part in enumerate(summary if type(summary) is list else []):
                text = part.get("text") if isinstance(part, Mapping) else None
                if type(text) is str:
                    out.append(AppendReasoning(run_id, message_id, text, f"{key}:{index}"))
        encrypted = str_or_none(item.get("encrypted_content"))
        if encrypted:
            step = f"{key}:0"
            out.append(SetReasoningSignature(run_id, message_id, None, encrypted, step))

    def _call_done(
        self, call_id: str, kind: str, item: Mapping[str, Any], out: list[Event]
    ) -> None:
        run_id = self.run_id
        if not self.state.calls.get(call_id):  # arguments not finished by their .done event
            self.state.calls[call_id] = True
            if kind in _CALL_ITEMS or kind == "mcp_call":
                arguments = item.get("arguments", item.get("input"))
                text = arguments if type(arguments) is str else None
                out.append(SetToolArguments(run_id, call_id, text))
            else:
                text = dumps(_server_input(kind, item)).decode()
                out.append(SetToolArguments(run_id, call_id, text))
        if kind == "mcp_call":
            error = item.get("error")
            output = item.get("output")
            if error is not None:
                message, _ = error_body(error)
                out.append(SetToolResult(run_id, call_id, message, True, message))
            elif type(output) is str:
                out.append(SetToolResult(run_id, call_id, output))
        elif kind in _SERVER_ITEMS:
            outputs = _server_output(kind, item)
            if outputs is not None:
                out.append(SetToolResult(run_id, call_id, dumps(outputs).decode(), value=outputs))

    # ---------------------------------------------------------------------------- events

    def _call_for(self, frame: Mapping[str, Any], out: list[Event]) -> str | None:
        entry = self.state.items.get(str(frame.get("item_id")))
        if entry is None or entry.call_id is None:
            out.append(
                drop("tool_call_order", f"{frame.get('type')} for an unknown item", self.run_id)
            )
            return None
        if self.state.calls.get(entry.call_id):
            out.append(
                drop("tool_call_order", f"{frame.get('type')} after the call finished", self.run_id)
            )
            return None
        entry.streamed = True
        return entry.call_id

    def _arguments_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is not str:
            out.append(drop("invalid_field", "arguments delta without a string", self.run_id))
            return
        call_id = self._call_for(frame, out)
        if call_id is not None and delta:
            out.append(AppendToolArguments(self.run_id, call_id, delta))

    def _arguments_done(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_for(frame, out)
        if call_id is None:
            return
        arguments = frame.get("arguments", frame.get("input"))
        self.state.calls[call_id] = True
        out.append(SetToolArguments(self.run_id, call_id, str_or_none(arguments)))

    def _reasoning_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is not str:
            out.append(drop("invalid_field", "reasoning delta without a string", self.run_id))
            return
        item_id = str(frame.get("item_id"))
        entry = self.state.items.get(item_id)
        if entry is not None:
            entry.streamed = True
        index = frame.get("summary_index", frame.get("content_index", 0))
        if delta:
            step = f"{item_id}:{index}"
            out.append(AppendReasoning(self.run_id, self.message_id(0, out), delta, step))

    def _refusal_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is str:
            self.state.refusal.append(delta)
            entry = self.state.items.get(str(frame.get("item_id")))
            if entry is not None:
                entry.streamed = True
        else:
            out.append(drop("invalid_field", "refusal delta without a string", self.run_id))

    def _annotation(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        annotation = frame.get("annotation")
        if isinstance(annotation, Mapping):
            self.state.annotations.append(dict(annotation))
        else:
            out.append(drop("invalid_field", "annotation.added without an object", self.run_id))

    def _error_event(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """``error`` (fields under ``error``, or at top level in older streams): kept for the
        ``response.failed`` that follows (or the stream's end)."""
        error = frame.get("error")
        message, code = error_body(error if isinstance(error, Mapping) else frame)
        self.state.error = [message, code]
        out.append(
            Diagnose(
                "sender_error", f"error event: {message}", Severity.WARNING, run_id=self.run_id
            )
        )

    def _terminal(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        kind = frame.get("type")
        response = frame.get("response")
        response = response if isinstance(response, Mapping) else {}
        run_id = self.run_id
        usage = usage_from_counts(response.get("usage"))
        if usage is not None:
            out.append(ReportUsage(run_id, usage, mode="set"))
        status_text = str_or_none(response.get("status"))
        if kind == "response.completed":
            finish = "tool_calls" if self.state.function_calls else "stop"
            self._end(RunStatus.COMPLETED, finish, out, stop_reason=status_text or "completed")
        elif kind == "response.incomplete":
            details = response.get("incomplete_details")
            reason = str_or_none(details.get("reason")) if isinstance(details, Mapping) else None
            finish = _INCOMPLETE_FINISH.get(reason or "", reason or "incomplete")
            self._end(
                RunStatus.INCOMPLETE,
                finish,
                out,
                stop_reason=status_text or "incomplete",
                error=reason,
                error_code=reason,
            )
        else:  # response.failed
            error = response.get("error")
            if error is not None:
                message, code = error_body(error)
            elif self.state.error is not None:
                message, code = self.state.error  # type: ignore[assignment]
            else:
                message, code = "response failed", None
            self._end(
                RunStatus.FAILED,
                "error",
                out,
                stop_reason=status_text or "failed",
                error=message,
                error_code=code,
            )


_Handler = Any

_HANDLERS: Final[dict[str, _Handler]] = {
    "response.created": lambda d, f, o: None,
    "response.output_item.added": OpenAIResponsesDecoder._item_added,
    "response.output_item.done": OpenAIResponsesDecoder._item_done,
    "response.function_call_arguments.delta": OpenAIResponsesDecoder._arguments_delta,
    "response.function_call_arguments.done": OpenAIResponsesDecoder._arguments_done,
    "response.custom_tool_call_input.delta": OpenAIResponsesDecoder._arguments_delta,
    "response.custom_tool_call_input.done": OpenAIResponsesDecoder._arguments_done,
    "response.mcp_call_arguments.delta": OpenAIResponsesDecoder._arguments_delta,
    "response.mcp_call_arguments.done": OpenAIResponsesDecoder._arguments_done,
    "response.reasoning_summary_text.delta": OpenAIResponsesDecoder._reasoning_delta,
    "response.reasoning_text.delta": OpenAIResponsesDecoder._reasoning_delta,
    "response.refusal.delta": OpenAIResponsesDecoder._refusal_delta,
    "response.output_text.annotation.added": OpenAIResponsesDecoder._annotation,
    "error": OpenAIResponsesDecoder._error_event,
    "response.completed": OpenAIResponsesDecoder._terminal,
    "response.incomplete": OpenAIResponsesDecoder._terminal,
    "response.failed": OpenAIResponsesDecoder._terminal,
}

"""The Vercel AI SDK UI message stream (``data: {"type": "start"}`` … ``data: [DONE]``, what
``toUIMessageStreamResponse`` sends and ``useChat`` reads) → canonical events
(``docs/vercel-ui.md``).

One stream is one run with one assistant message (``start.messageId``). ``text-*`` is text,
``reasoning-*`` reasoning (a part per id), ``tool-input-start`` / ``-delta`` /
``-available`` / ``-error`` a tool call's input, ``tool-output-available`` / ``-error`` /
``-denied`` its outcome, ``tool-approval-request`` an approval. ``start-step`` /
``finish-step`` are spans named ``step``; ``source-*`` and ``file`` parts are kept on the
message's metadata, ``data-*`` parts as custom events, message metadata on the message.
``finish`` ends the run (``finishReason``), ``abort`` cancels it, an ``error`` chunk fails it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ...events import (
    AppendReasoning,
    AppendText,
    AppendToolArguments,
    CloseSpan,
    Diagnose,
    EndMessage,
    EndRun,
    Event,
    MergeMetadata,
    OpenSpan,
    RecordCustom,
    ReportUsage,
    RequestApproval,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus, Severity, Usage
from ...model.text import dumps
from .. import DecoderBase
from .._common import drop, int_or_none, keep_unknown_type, str_or_none
from .._provider import SESSION_ID, issue_id, not_finished
from .state import VercelState

__all__ = ["CHUNK_TYPES", "VercelUIDecoder", "detect"]

_FORMAT: Final = "vercel-ui"

CHUNK_TYPES: Final = frozenset(
    {
        "start",
        "finish",
        "abort",
        "error",
        "start-step",
        "finish-step",
        "text-start",
        "text-delta",
        "text-end",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-end",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-available",
        "tool-input-error",
        "tool-output-available",
        "tool-output-error",
        "tool-output-denied",
        "tool-approval-request",
        "source-url",
        "source-document",
        "file",
        "message-metadata",
    }
)
"""The UI message chunk types of the AI SDK 5 and 6 (``data-*`` aside)."""

# Names only this format uses (hyphenated chunk types): certain from one frame.
_OWN: Final = CHUNK_TYPES - {"start", "finish", "abort", "error", "file", "tool-input-available"}


def detect(frame: Mapping[str, Any]) -> float:
    """How sure the format is that ``frame`` is its own (``docs/vercel-ui.md``): 1 for a chunk
    type only the UI message stream uses (``text-delta``, ``start-step``, ``tool-input-start``…);
    0.9 for ``start`` and ``data-*`` chunks; 0.5 for the chunks whose names other formats also
    use: ``finish``, ``abort``, ``error`` (with ``errorText``), ``file`` and
    ``tool-input-available`` (TanStack's legacy adapter sends the same name, so a stream that
    begins with it is TanStack's; a UI message stream that began with ``start`` keeps it, the
    current format keeping every frame it accepts); else 0."""
    kind = frame.get("type")
    if type(kind) is not str:
        return 0.0
    if kind in _OWN:
        return 1.0
    if kind == "start" or kind.startswith("data-"):
        return 0.9
    if kind in ("finish", "abort", "file", "tool-input-available"):
        return 0.5
    if kind == "error":
        return 0.5 if "errorText" in frame else 0.0
    return 0.0


def _usage(raw: Any) -> Usage | None:
    """The AI SDK's ``LanguageModelUsage`` (``inputTokens``, ``outputTokens``, ``totalTokens``,
    ``inputTokenDetails.cacheReadTokens``, ``outputTokenDetails.reasoningTokens``), as a server
    puts it in the message metadata (``docs/vercel-ui.md``, "Usage"); ``None`` without counts."""
    if not isinstance(raw, Mapping):
        return None
    prompt, completion = int_or_none(raw.get("inputTokens")), int_or_none(raw.get("outputTokens"))
    if prompt is None and completion is None:
        return None
    p, c = prompt or 0, completion or 0
    total = int_or_none(raw.get("totalTokens"))
    details_in: dict[str, int] = {}
    details_out: dict[str, int] = {}
    inputs, outputs = raw.get("inputTokenDetails"), raw.get("outputTokenDetails")
    cached = int_or_none(inputs.get("cacheReadTokens")) if isinstance(inputs, Mapping) else None
    cached = cached if cached is not None else int_or_none(raw.get("cachedInputTokens"))
    if cached is not None:
        details_in["cached_tokens"] = cached
    reasoning = (
        int_or_none(outputs.get("reasoningTokens")) if isinstance(outputs, Mapping) else None
    )
    reasoning = reasoning if reasoning is not None else int_or_none(raw.get("reasoningTokens"))
    if reasoning is not None:
        details_out["reasoning_tokens"] = reasoning
    return Usage(p, c, total if total is not None else p + c, details_in, details_out, reports=1)


def _text(value: Any) -> str:
    return value if type(value) is str else dumps(value).decode()


class VercelUIDecoder(DecoderBase):
    """Decoder of the ``vercel-ui`` format (``docs/vercel-ui.md``)."""

    name: ClassVar[str] = _FORMAT
    cursor_module: ClassVar[str | None] = "streamfold.formats.vercel_ui.cursor"
    detect = staticmethod(detect)

    def __init__(self, state: VercelState | None = None) -> None:
        self.state = VercelState() if state is None else state

    # ------------------------------------------------------------------------------ entry

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame (``docs/vercel-ui.md``, "Mapping"); never raises on
        sender input."""
        out: list[Event] = []
        kind = frame.get("type")
        state = self.state
        if kind == "text-delta":  # the hot path: one per token
            delta = frame.get("delta")
            if state.run_id is not None and type(delta) is str:
                if delta:
                    assert state.message_id is not None
                    out.append(AppendText(state.run_id, state.message_id, delta))
                return out
        if type(kind) is not str:
            out.append(drop("missing_type", "a chunk without a string type", state.run_id))
            return out
        if kind == "start":
            self._start(frame, out)
            return out
        if state.run_id is None:
            self._open(None, out)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, frame, out)
        elif kind.startswith("data-"):
            self._data(kind, frame, out)
        else:
            keep_unknown_type(
                out, self.run_id, frame, f"unknown UI message chunk {kind!r}; kept verbatim"
            )
        return out

    def end_of_stream(self, frame_index: int) -> list[Event]:
        """The SSE ``data: [DONE]``: the open run ends (``docs/vercel-ui.md``)."""
        return self.finish()

    def finish(self) -> list[Event]:
        """End of input: an open run ends, ``incomplete`` unless its terminal arrived
        (``docs/vercel-ui.md``)."""
        out: list[Event] = []
        state = self.state
        if state.run_id is not None:
            if state.error is not None:
                self._end(RunStatus.FAILED, "error", out, error=state.error)
            else:
                run_id = state.run_id
                self._close(out)
                not_finished(run_id, _FORMAT, out)
        return out

    # ------------------------------------------------------------------------------- runs

    @property
    def run_id(self) -> str:
        """The open run (asserted open)."""
        run_id = self.state.run_id
        assert run_id is not None
        return run_id

    @property
    def message_id(self) -> str:
        """The open run's assistant message."""
        message_id = self.state.message_id
        assert message_id is not None
        return message_id

    def _open(self, message_id: str | None, out: list[Event]) -> None:
        state = self.state
        state.runs += 1
        base = message_id or f"ui#{state.runs}"
        run_id = issue_id(state.ids, base)
        state.run_id = state.message_id = run_id
        out.append(StartRun(SESSION_ID, run_id, metadata={"format": _FORMAT}))
        out.append(StartMessage(run_id, run_id, "assistant"))

    def _start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        state = self.state
        message_id = str_or_none(frame.get("messageId"))
        if state.run_id is not None:
            if message_id is None or message_id == state.message_id:
                self._metadata(frame, out)  # a second start of the same message
                return
            run_id = state.run_id
            self._close(out)
            not_finished(run_id, _FORMAT, out)
        self._open(message_id, out)
        self._metadata(frame, out)

    def _metadata(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        metadata = frame.get("messageMetadata")
        if metadata is not None:
            out.append(
                MergeMetadata(
                    self.run_id, {"message_metadata": metadata}, message_id=self.message_id
                )
            )
            if isinstance(metadata, Mapping):
                usage = _usage(metadata.get("totalUsage", metadata.get("usage")))
                if usage is not None:
                    out.append(ReportUsage(self.run_id, usage, mode="set"))

    def _close(self, out: list[Event]) -> None:
        state = self.state
        run_id, message_id = self.run_id, self.message_id
        if state.step_open:
            out.append(CloseSpan(run_id, f"{message_id}:step{state.step}"))
        for call_id, stage in state.calls.items():
            if stage == "input":
                out.append(SetToolArguments(run_id, call_id))
        extra: dict[str, Any] = {}
        if state.sources:
            extra["sources"] = state.sources
        if state.files:
            extra["files"] = state.files
        if extra:
            out.append(MergeMetadata(run_id, extra, message_id=message_id))
        out.append(EndMessage(run_id, message_id))
        self.state = VercelState(runs=state.runs, ids=state.ids)

    def _end(self, status: RunStatus, finish: str | None, out: list[Event], **fields: Any) -> None:
        run_id = self.run_id
        self._close(out)
        out.append(EndRun(run_id, status, finish_reason=finish, **fields))

    def _finish(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        self._metadata(frame, out)
        reason = str_or_none(frame.get("finishReason"))
        if self.state.error is not None:
            self._end(RunStatus.FAILED, "error", out, error=self.state.error, stop_reason=reason)
        else:
            self._end(RunStatus.COMPLETED, reason, out)

    def _abort(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        reason = str_or_none(frame.get("reason"))
        self._end(RunStatus.CANCELLED, "cancelled", out, error=reason, error_code="abort")

    def _error(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        text = _text(frame.get("errorText"))
        self.state.error = text
        out.append(
            Diagnose("sender_error", f"error chunk: {text}", Severity.WARNING, run_id=self.run_id)
        )

    # ---------------------------------------------------------------------- steps, text

    def _step_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        state = self.state
        if state.step_open:
            out.append(CloseSpan(self.run_id, f"{self.message_id}:step{state.step}"))
        state.step += 1
        state.step_open = True
        out.append(OpenSpan(self.run_id, f"{self.message_id}:step{state.step}", "step"))

    def _step_finish(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        state = self.state
        if not state.step_open:
            out.append(drop("unknown_span", "finish-step without start-step", self.run_id))
            return
        state.step_open = False
        out.append(CloseSpan(self.run_id, f"{self.message_id}:step{state.step}"))

    def _text_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if type(delta) is not str:
            out.append(
                drop("invalid_field", f"{frame['type']} without a string delta", self.run_id)
            )
            return
        if not delta:
            return
        if frame["type"] == "text-delta":
            out.append(AppendText(self.run_id, self.message_id, delta))
        else:
            step = str_or_none(frame.get("id"))
            out.append(AppendReasoning(self.run_id, self.message_id, delta, step))

    def _reasoning_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        # The part exists from its start (an empty reasoning is still shown).
        step = str_or_none(frame.get("id"))
        out.append(AppendReasoning(self.run_id, self.message_id, "", step))

    def _quiet(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """``text-start`` / ``text-end`` / ``reasoning-end``: part boundaries the model does
        not need (text appends to the message's current text part)."""

    # ----------------------------------------------------------------------------- tools

    def _call_id(self, frame: Mapping[str, Any], out: list[Event]) -> str | None:
        call_id = str_or_none(frame.get("toolCallId"))
        if not call_id:
            out.append(drop("invalid_field", f"{frame['type']} without a toolCallId", self.run_id))
        return call_id

    def _ensure_call(self, call_id: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        if call_id in self.state.calls:
            return
        self.state.calls[call_id] = "input"
        metadata: dict[str, Any] = {}
        for key, field in (
            ("providerExecuted", "provider_executed"),
            ("dynamic", "dynamic"),
            ("title", "title"),
        ):
            if frame.get(key) is not None:
                metadata[field] = frame[key]
        name = str_or_none(frame.get("toolName"))
        out.append(
            StartToolCall(self.run_id, call_id, name, self.message_id, metadata=metadata or None)
        )

    def _input_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_id(frame, out)
        if call_id is None:
            return
        if call_id in self.state.calls:
            out.append(drop("duplicate_tool_call_start", f"tool call {call_id!r} started twice"))
            return
        self._ensure_call(call_id, frame, out)

    def _input_delta(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_id(frame, out)
        delta = frame.get("inputTextDelta")
        if call_id is None:
            return
        if type(delta) is not str:
            out.append(
                drop("invalid_field", "tool-input-delta without inputTextDelta", self.run_id)
            )
            return
        self._ensure_call(call_id, frame, out)
        if self.state.calls[call_id] != "input":
            out.append(
                drop(
                    "tool_args_after_end",
                    f"input of {call_id!r} after it was complete",
                    self.run_id,
                )
            )
            return
        if delta:
            out.append(AppendToolArguments(self.run_id, call_id, delta))

    def _input_available(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_id(frame, out)
        if call_id is None:
            return
        self._ensure_call(call_id, frame, out)
        self.state.calls[call_id] = "ready"
        value = frame.get("input")
        name = str_or_none(frame.get("toolName"))
        out.append(SetToolArguments(self.run_id, call_id, dumps(value).decode(), value, name))
        if frame["type"] == "tool-input-error":
            self.state.calls[call_id] = "done"
            text = _text(frame.get("errorText"))
            out.append(SetToolResult(self.run_id, call_id, text, True, text, add_result_part=False))

    def _output(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_id(frame, out)
        if call_id is None:
            return
        kind = frame["type"]
        if call_id not in self.state.calls:
            out.append(
                Diagnose(
                    "unknown_tool_call",
                    f"{kind} for an unknown call {call_id!r}",
                    Severity.WARNING,
                    run_id=self.run_id,
                )
            )
        if kind == "tool-output-available" and frame.get("preliminary") is True:
            out.append(
                MergeMetadata(
                    self.run_id, {"preliminary_output": frame.get("output")}, call_id=call_id
                )
            )
            return
        if self.state.calls.get(call_id) == "input":
            out.append(SetToolArguments(self.run_id, call_id))
        self.state.calls[call_id] = "done"
        if kind == "tool-output-available":
            value = frame.get("output")
            out.append(SetToolResult(self.run_id, call_id, _text(value), value=value))
        elif kind == "tool-output-error":
            text = _text(frame.get("errorText"))
            out.append(SetToolResult(self.run_id, call_id, text, True, text))
        else:  # tool-output-denied
            out.append(SetToolResult(self.run_id, call_id, "denied", True, "denied"))

    def _approval(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        call_id = self._call_id(frame, out)
        if call_id is not None:
            approval = str_or_none(frame.get("approvalId"))
            out.append(RequestApproval(self.run_id, call_id, approval))

    # ------------------------------------------------------------------------ the others

    def _source(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        self.state.sources.append(dict(frame))

    def _file(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        self.state.files.append(dict(frame))

    def _data(self, kind: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        value = {k: v for k, v in frame.items() if k != "type"}
        out.append(RecordCustom(self.run_id, kind, value))


_Handler = Any

_HANDLERS: Final[dict[str, _Handler]] = {
    "finish": VercelUIDecoder._finish,
    "abort": VercelUIDecoder._abort,
    "error": VercelUIDecoder._error,
    "start-step": VercelUIDecoder._step_start,
    "finish-step": VercelUIDecoder._step_finish,
    "text-start": VercelUIDecoder._quiet,
    "text-delta": VercelUIDecoder._text_delta,
    "text-end": VercelUIDecoder._quiet,
    "reasoning-start": VercelUIDecoder._reasoning_start,
    "reasoning-delta": VercelUIDecoder._text_delta,
    "reasoning-end": VercelUIDecoder._quiet,
    "tool-input-start": VercelUIDecoder._input_start,
    "tool-input-delta": VercelUIDecoder._input_delta,
    "tool-input-available": VercelUIDecoder._input_available,
    "tool-input-error": VercelUIDecoder._input_available,
    "tool-output-available": VercelUIDecoder._output,
    "tool-output-error": VercelUIDecoder._output,
    "tool-output-denied": VercelUIDecoder._output,
    "tool-approval-request": VercelUIDecoder._approval,
    "source-url": VercelUIDecoder._source,
    "source-document": VercelUIDecoder._source,
    "file": VercelUIDecoder._file,
    "message-metadata": VercelUIDecoder._metadata,
}

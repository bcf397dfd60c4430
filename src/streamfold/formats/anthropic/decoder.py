"""Anthropic Messages streams (``event: message_start`` … ``event: message_stop``) →
canonical events (``docs/anthropic.md``).

One message is one run with one assistant message. Content blocks by ``index``: ``text``
(``text_delta``; ``citations_delta`` kept on the message's metadata), ``thinking``
(``thinking_delta`` as reasoning, ``signature_delta`` its signature; ``redacted_thinking`` as
encrypted reasoning), ``tool_use`` / ``server_tool_use`` / ``mcp_tool_use`` (tool calls whose
arguments stream as ``input_json_delta``; server and MCP calls are marked
``provider_executed`` in their metadata) and the server tools' result blocks (``*_tool_result``,
the call's result). ``message_delta`` gives the ``stop_reason`` and the usage (cumulative);
``message_stop`` ends the run; ``error`` fails it; ``ping`` is applied and does nothing.

The type is read from the JSON payload (``type``), which the API always sends beside the SSE
``event:`` name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ...events import (
    AppendReasoning,
    AppendText,
    AppendToolArguments,
    Diagnose,
    EndMessage,
    EndRun,
    Event,
    MergeMetadata,
    ReportUsage,
    SetReasoningSignature,
    SetToolArguments,
    SetToolResult,
    StartMessage,
    StartRun,
    StartToolCall,
)
from ...model import RunStatus, Severity, Usage
from ...model.text import dumps
from .. import DecoderBase
from .._common import drop, int_or_none, keep_unknown_type, str_or_none, warn
from .._openai_events import error_body
from .._provider import SESSION_ID, issue_id, not_finished
from .state import AnthropicBlock, AnthropicState

__all__ = ["FINISH_REASONS", "AnthropicDecoder", "detect"]

_FORMAT: Final = "anthropic"

_OWN: Final = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)

FINISH_REASONS: Final[dict[str, str]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "pause_turn",
}
"""Anthropic ``stop_reason`` → the run's ``finish_reason`` (the OpenAI / OpenTelemetry GenAI
words); the stop reason itself is kept as ``run.stop_reason``. An unknown one is kept as is."""

_TOOL_BLOCKS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})

_USAGE_KEYS: Final = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def detect(frame: Mapping[str, Any]) -> float:
    """How sure the format is that ``frame`` is its own (``docs/anthropic.md``): 1 for
    ``message_start``, ``content_block_*``, ``message_delta``, ``message_stop`` (names only the
    Messages API uses); 0.5 for ``ping`` and for an ``error`` whose ``error`` object has a
    ``type`` (common words: the current Anthropic stream keeps them); else 0."""
    kind = frame.get("type")
    if type(kind) is not str:  # (a list or an object would not even hash)
        return 0.0
    if kind in _OWN:
        return 1.0
    if kind == "ping":
        return 0.5
    if kind == "error":
        error = frame.get("error")
        return 0.5 if isinstance(error, Mapping) and "type" in error else 0.0
    return 0.0


class AnthropicDecoder(DecoderBase):
    """Decoder of the ``anthropic`` format (``docs/anthropic.md``)."""

    name: ClassVar[str] = _FORMAT
    cursor_module: ClassVar[str | None] = "streamfold.formats.anthropic.cursor"
    detect = staticmethod(detect)

    def __init__(self, state: AnthropicState | None = None) -> None:
        self.state = AnthropicState() if state is None else state

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame (``docs/anthropic.md``, "Mapping"); never raises on
        sender input."""
        out: list[Event] = []
        kind = frame.get("type")
        state = self.state
        if kind == "content_block_delta":  # the hot path: one per token
            run_id = state.run_id
            block = state.blocks.get(str(frame.get("index")))
            delta = frame.get("delta")
            if run_id is not None and block is not None and isinstance(delta, Mapping):
                self._delta(run_id, block, frame, delta, out)
                return out
        if kind == "ping":
            return out
        if kind == "message_start":
            self._message_start(frame, out)
            return out
        if kind == "error":
            self._error(frame, out)
            return out
        run_id = state.run_id
        if run_id is None:
            run_id = self._start(None, out)
            out.append(warn("unknown_run", f"{kind} before message_start; a run is opened", run_id))
        if kind == "content_block_start":
            self._block_start(run_id, frame, out)
        elif kind == "content_block_delta":
            out.append(drop("invalid_field", "content_block_delta for no open block", run_id))
        elif kind == "content_block_stop":
            self._block_stop(run_id, frame, out)
        elif kind == "message_delta":
            self._message_delta(run_id, frame, out)
        elif kind == "message_stop":
            self._end(RunStatus.COMPLETED, out)
        else:
            keep_unknown_type(
                out, run_id, frame, f"unknown Anthropic event {kind!r}; kept verbatim on the run"
            )
        return out

    def finish(self) -> list[Event]:
        """End of input: an open run ends, ``incomplete`` unless its terminal arrived
        (``docs/anthropic.md``)."""
        out: list[Event] = []
        run_id = self.state.run_id
        if run_id is not None:
            self._close(out)
            not_finished(run_id, _FORMAT, out)
        return out

    # ------------------------------------------------------------------------- messages

    def _start(self, message: Mapping[str, Any] | None, out: list[Event]) -> str:
        state = self.state
        state.runs += 1
        wire_id = str_or_none(message.get("id")) if message else None
        run_id = issue_id(state.ids, wire_id or f"msg#{state.runs}")
        state.run_id = state.message_id = run_id
        metadata: dict[str, Any] = {"format": _FORMAT}
        if message:
            metadata.update({k: message[k] for k in ("id", "model") if str_or_none(message.get(k))})
        out.append(StartRun(SESSION_ID, run_id, metadata=metadata))
        role = str_or_none(message.get("role")) if message else None
        out.append(StartMessage(run_id, run_id, role or "assistant"))
        return run_id

    def _message_start(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        if self.state.run_id is not None:
            run_id = self.state.run_id
            self._close(out)
            not_finished(run_id, _FORMAT, out)
        message = frame.get("message")
        if not isinstance(message, Mapping):
            message = {}
            out.append(warn("invalid_field", "message_start without a message object"))
        run_id = self._start(message, out)
        self._usage(run_id, message.get("usage"), out)

    def _message_delta(self, run_id: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        delta = frame.get("delta")
        if isinstance(delta, Mapping):
            reason = str_or_none(delta.get("stop_reason"))
            if reason is not None:
                self.state.stop_reason = reason
            sequence = str_or_none(delta.get("stop_sequence"))
            if sequence is not None:
                self.state.stop_sequence = sequence
        self._usage(run_id, frame.get("usage"), out)

    def _usage(self, run_id: str, raw: Any, out: list[Event]) -> None:
        """Counts of ``message_start`` / ``message_delta`` (cumulative: the last count of each
        key wins, as the SDK's accumulator keeps it)."""
        if not isinstance(raw, Mapping):
            return
        counts = self.state.usage
        changed = False
        for key in _USAGE_KEYS:
            value = int_or_none(raw.get(key))
            if value is not None:
                counts[key] = value
                changed = True
        if not changed:
            return
        prompt = counts.get("input_tokens", 0)
        completion = counts.get("output_tokens", 0)
        details = {}
        if "cache_read_input_tokens" in counts:
            details["cached_tokens"] = counts["cache_read_input_tokens"]
        if "cache_creation_input_tokens" in counts:
            details["cache_creation_input_tokens"] = counts["cache_creation_input_tokens"]
        usage = Usage(prompt, completion, prompt + completion, details, {}, reports=1)
        out.append(ReportUsage(run_id, usage, mode="set"))

    def _close(self, out: list[Event]) -> None:
        """Finish the open blocks and the message (its citations and stop sequence)."""
        state = self.state
        run_id, message_id = state.run_id, state.message_id
        assert run_id is not None and message_id is not None
        for block in state.blocks.values():
            self._finish_block(run_id, block, out)
        metadata: dict[str, Any] = {}
        if state.citations:
            metadata["citations"] = state.citations
        if state.stop_reason is not None:
            metadata["stop_reason"] = state.stop_reason
        if state.stop_sequence is not None:
            metadata["stop_sequence"] = state.stop_sequence
        if metadata:
            out.append(MergeMetadata(run_id, metadata, message_id=message_id))
        out.append(EndMessage(run_id, message_id))
        state.run_id = state.message_id = state.stop_reason = state.stop_sequence = None
        state.blocks, state.usage, state.citations = {}, {}, []

    def _end(self, status: RunStatus, out: list[Event], **fields: Any) -> None:
        state = self.state
        run_id = state.run_id
        assert run_id is not None
        stop = state.stop_reason
        self._close(out)
        finish = fields.pop("finish_reason", None)
        if finish is None and stop is not None:
            finish = FINISH_REASONS.get(stop, stop)
        out.append(EndRun(run_id, status, finish_reason=finish, stop_reason=stop, **fields))

    def _error(self, frame: Mapping[str, Any], out: list[Event]) -> None:
        """``event: error`` (``{"type": "error", "error": {"type", "message"}}``): the API
        failed mid-stream (``overloaded_error``…); the run fails with its message and type."""
        error = frame.get("error")
        message, _ = error_body(error)
        code = str_or_none(error.get("type")) if isinstance(error, Mapping) else None
        if self.state.run_id is None:
            self._start(None, out)
        self._end(RunStatus.FAILED, out, finish_reason="error", error=message, error_code=code)

    # --------------------------------------------------------------------------- blocks

    def _block_start(self, run_id: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        state = self.state
        message_id = state.message_id
        assert message_id is not None
        index = frame.get("index")
        block = frame.get("content_block")
        if type(index) is not int or not isinstance(block, Mapping):
            out.append(drop("invalid_field", "content_block_start without index or block", run_id))
            return
        key = str(index)
        if key in state.blocks:
            out.append(warn("invalid_field", f"content block {index} started twice", run_id))
            self._finish_block(run_id, state.blocks.pop(key), out)
        kind = str_or_none(block.get("type"))  # (an unhashable type must not reach a set)
        if kind == "text":
            state.blocks[key] = AnthropicBlock("text")
            text = block.get("text")
            if type(text) is str and text:
                out.append(AppendText(run_id, message_id, text))
            self._citations(index, block.get("citations"))
        elif kind in ("thinking", "redacted_thinking"):
            step_id = f"{message_id}:{index}"
            state.blocks[key] = AnthropicBlock("reasoning", step_id=step_id)
            thinking = block.get("thinking")
            # An empty delta creates the reasoning part (a thinking block is shown even if its
            # text is redacted or empty).
            out.append(AppendReasoning(run_id, message_id, thinking or "", step_id))
            signature = str_or_none(block.get("signature"))
            data = str_or_none(block.get("data"))
            if signature or data:
                out.append(
                    SetReasoningSignature(run_id, message_id, signature or None, data, step_id)
                )
        elif kind in _TOOL_BLOCKS:
            self._tool_start(run_id, message_id, key, kind, block, out)
        elif type(kind) is str and kind.endswith("_tool_result"):
            state.blocks[key] = AnthropicBlock("other")
            self._tool_result(run_id, kind, block, out)
        else:
            state.blocks[key] = AnthropicBlock("other")
            keep_unknown_type(
                out, run_id, frame, f"unknown Anthropic content block {kind!r}; kept verbatim"
            )

    def _tool_start(
        self,
        run_id: str,
        message_id: str,
        key: str,
        kind: str,
        block: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        call_id = str_or_none(block.get("id"))
        if not call_id:
            call_id = f"{message_id}:tool{key}"
            out.append(
                warn("invalid_field", f"{kind} block without an id; named {call_id}", run_id)
            )
        metadata: dict[str, Any] = {"type": kind}
        if kind != "tool_use":
            metadata["provider_executed"] = True
        server = str_or_none(block.get("server_name"))
        if server is not None:
            metadata["server_name"] = server
        self.state.blocks[key] = AnthropicBlock("tool", call_id, start_input=block.get("input"))
        name = str_or_none(block.get("name"))
        out.append(StartToolCall(run_id, call_id, name, message_id, metadata=metadata))

    def _tool_result(
        self, run_id: str, kind: str, block: Mapping[str, Any], out: list[Event]
    ) -> None:
        call_id = str_or_none(block.get("tool_use_id"))
        if not call_id:
            out.append(warn("invalid_field", f"{kind} without a tool_use_id", run_id))
            return
        content = block.get("content")
        is_error = block.get("is_error") is True
        error: str | None = None
        ctype = content.get("type") if isinstance(content, Mapping) else None
        if isinstance(content, Mapping) and type(ctype) is str and ctype.endswith("_error"):
            is_error = True
            error = str_or_none(content.get("error_code")) or str_or_none(content.get("type"))
        text = content if type(content) is str else dumps(content).decode()
        if is_error and error is None:
            error = text
        out.append(SetToolResult(run_id, call_id, text, is_error, error, content))

    def _delta(
        self,
        run_id: str,
        block: AnthropicBlock,
        frame: Mapping[str, Any],
        delta: Mapping[str, Any],
        out: list[Event],
    ) -> None:
        message_id = self.state.message_id
        assert message_id is not None
        kind = delta.get("type")
        if kind == "text_delta" and block.kind == "text":
            text = delta.get("text")
            if type(text) is str:
                if text:
                    out.append(AppendText(run_id, message_id, text))
                return
        elif kind == "input_json_delta" and block.kind == "tool":
            partial = delta.get("partial_json")
            if type(partial) is str and block.call_id is not None:
                if partial:
                    block.streamed = True
                    out.append(AppendToolArguments(run_id, block.call_id, partial))
                return
        elif kind == "thinking_delta" and block.kind == "reasoning":
            thinking = delta.get("thinking")
            if type(thinking) is str:
                if thinking:
                    out.append(AppendReasoning(run_id, message_id, thinking, block.step_id))
                return
        elif kind == "signature_delta" and block.kind == "reasoning":
            signature = delta.get("signature")
            if type(signature) is str:
                block.signature += signature
                out.append(
                    SetReasoningSignature(run_id, message_id, block.signature, None, block.step_id)
                )
                return
        elif kind == "citations_delta" and block.kind == "text":
            citation = delta.get("citation")
            if isinstance(citation, Mapping):
                self._citations(frame.get("index"), [citation])
                return
        elif type(kind) is str and kind not in _DELTAS:
            keep_unknown_type(
                out, run_id, frame, f"unknown Anthropic delta {kind!r}; kept verbatim on the run"
            )
            return
        out.append(
            Diagnose(
                "invalid_field",
                f"{kind!r} delta does not fit its {block.kind} block or lacks its field; dropped",
                Severity.ERROR,
                dropped=True,
                run_id=run_id,
            )
        )

    def _citations(self, index: Any, citations: Any) -> None:
        if type(citations) is list:
            for citation in citations:
                if isinstance(citation, Mapping):
                    self.state.citations.append({"block": index, **citation})

    def _block_stop(self, run_id: str, frame: Mapping[str, Any], out: list[Event]) -> None:
        block = self.state.blocks.pop(str(frame.get("index")), None)
        if block is None:
            out.append(drop("invalid_field", "content_block_stop for no open block", run_id))
            return
        self._finish_block(run_id, block, out)

    @staticmethod
    def _finish_block(run_id: str, block: AnthropicBlock, out: list[Event]) -> None:
        if block.kind != "tool" or block.call_id is None:
            return
        if block.streamed:
            out.append(SetToolArguments(run_id, block.call_id))
        else:  # no JSON streamed: the start block's input (``{}`` for a call without arguments)
            start = block.start_input if block.start_input is not None else {}
            out.append(SetToolArguments(run_id, block.call_id, dumps(start).decode()))
        block.call_id = None


_DELTAS: Final = frozenset(
    {"text_delta", "input_json_delta", "thinking_delta", "signature_delta", "citations_delta"}
)

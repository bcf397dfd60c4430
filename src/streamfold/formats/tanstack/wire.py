"""Pure helpers for the TanStack AI / AG-UI decoder (:mod:`streamfold.formats.tanstack`).

Nothing here keeps state: field access that knows where each era puts a value, usage
conversion, tool-result error text, and the conversion of an AG-UI ``MESSAGES_SNAPSHOT`` into
canonical :class:`~streamfold.events.SnapshotMessage` s (the reference client's
``aguiSnapshotMessageToUIMessage`` + ``mergeReasoningFanOut`` + ``reconcileSnapshotToolCalls``,
``@tanstack/ai`` 0.58 ``activities/chat/stream/processor.ts``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeGuard

import orjson

from ...events import (
    SnapshotActivity,
    SnapshotMessage,
    SnapshotPart,
    SnapshotReasoning,
    SnapshotText,
    SnapshotToolCall,
    SnapshotToolResult,
)
from ...model import UNSET, Usage
from ...model.text import dumps
from .._common import str_or_none

__all__ = [
    "extra",
    "is_mapping",
    "json_text",
    "parse_json",
    "snapshot_messages",
    "str_or_none",
    "tanstack_meta",
    "tool_error_text",
    "usage_entries",
    "usage_from_wire",
]

_NO_MAPPING: Final[Mapping[str, Any]] = {}


def is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, answering the JSON cases (a dict, ``None``) without the
    check against the ``Mapping`` ABC, which costs about six times as much."""
    return type(value) is dict or (value is not None and isinstance(value, Mapping))


def tanstack_meta(frame: Mapping[str, Any]) -> Mapping[str, Any]:
    """``frame.metadata.tanstack`` (where spec-only servers since 0.48 put TanStack extras)."""
    metadata = frame.get("metadata")
    if is_mapping(metadata):
        tanstack = metadata.get("tanstack")
        if is_mapping(tanstack):
            return tanstack
    return _NO_MAPPING


def extra(frame: Mapping[str, Any], key: str) -> Any:
    """A TanStack extra: top-level (eras B and early C) or in ``metadata.tanstack`` (0.48+).
    ``None`` when absent in both (the client's ``restoreInboundChunk`` rule)."""
    value = frame.get(key)
    if value is None:
        value = tanstack_meta(frame).get(key)
    return value


def parse_json(text: str) -> Any:
    """The JSON value of ``text`` or ``UNSET`` (``JSON.parse`` with a fallback)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return UNSET


def json_text(value: Any) -> str:
    """``JSON.stringify`` for plain JSON data (compact, no spaces)."""
    try:
        return dumps(value).decode()  # (integers past 64 bits, nesting past 254 levels too)
    except TypeError:
        return str(value)


def tool_error_text(value: Any, content: str) -> str:
    """The error text of a failed tool result (the reference's ``extractToolResultError``):
    ``value.error`` when it is a string, the value itself when it is a string, else a stock
    message. ``value`` is the parsed content (``UNSET`` when it is not JSON)."""
    if isinstance(value, Mapping) and type(value.get("error")) is str:
        return str(value["error"])
    if value is UNSET:
        return content
    if type(value) is str:
        return value
    return "Tool execution failed"


# ------------------------------------------------------------------------------------ usage


def _count(value: Any) -> int:
    return value if type(value) is int else 0


def _details(target: dict[str, int], source: Any) -> None:
    if is_mapping(source):
        for key, value in source.items():
            if type(value) is int:
                target[key] = target.get(key, 0) + value


def usage_from_wire(usage: Any, leftover: Any = None) -> Usage | None:
    """A usage report in any era's shape, or ``None`` when there is none.

    * TanStack ``TokenUsage`` (legacy ``done``, era B / early C ``RUN_FINISHED``):
      ``{promptTokens, completionTokens, totalTokens, promptTokensDetails?,
      completionTokensDetails?}``.
    * AG-UI spec list (0.48+): ``[{inputTokens, outputTokens, totalTokens, cachedInputTokens?,
      reasoningTokens?, provider?, model?}]``, one entry per provider/model; entries are summed.
      ``cachedInputTokens`` becomes ``prompt_tokens_details["cachedTokens"]``,
      ``cacheWriteInputTokens`` ``prompt_tokens_details["cacheWriteTokens"]`` and
      ``reasoningTokens`` ``completion_tokens_details["reasoningTokens"]`` (TanStack's names),
      and ``leftover`` (``metadata.tanstack.usage``) adds the other details back.
    """
    if is_mapping(usage):
        result = Usage(
            _count(usage.get("promptTokens")),
            _count(usage.get("completionTokens")),
            _count(usage.get("totalTokens")),
            reports=1,
        )
        _details(result.prompt_tokens_details, usage.get("promptTokensDetails"))
        _details(result.completion_tokens_details, usage.get("completionTokensDetails"))
        if not result.total_tokens:
            result.total_tokens = result.prompt_tokens + result.completion_tokens
        return result
    if isinstance(usage, list):
        result = Usage(reports=1)
        for entry in usage:
            if not is_mapping(entry):
                continue
            prompt = _count(entry.get("inputTokens"))
            completion = _count(entry.get("outputTokens"))
            result.prompt_tokens += prompt
            result.completion_tokens += completion
            result.total_tokens += _count(entry.get("totalTokens")) or prompt + completion
            cached = entry.get("cachedInputTokens")
            if type(cached) is int:
                _details(result.prompt_tokens_details, {"cachedTokens": cached})
            reasoning = entry.get("reasoningTokens")
            if type(reasoning) is int:
                _details(result.completion_tokens_details, {"reasoningTokens": reasoning})
            written = entry.get("cacheWriteInputTokens")
            if type(written) is int:
                _details(result.prompt_tokens_details, {"cacheWriteTokens": written})
        if is_mapping(leftover):
            _details(result.prompt_tokens_details, leftover.get("promptTokensDetails"))
            _details(result.completion_tokens_details, leftover.get("completionTokensDetails"))
        return result
    return None


def usage_entries(usage: Any) -> list[dict[str, Any]] | None:
    """The AG-UI ``TokenUsage`` entries of a usage list that name a provider or model, as sent
    (the per-provider/model split :func:`usage_from_wire` sums away); ``None`` when there is
    no such list."""
    if not isinstance(usage, list):
        return None
    entries = [
        dict(entry)
        for entry in usage
        if is_mapping(entry) and ("provider" in entry or "model" in entry)
    ]
    return entries or None


# --------------------------------------------------------------------------------- snapshot


class _Draft:
    """A snapshot message being assembled (mutable, unlike SnapshotMessage)."""

    __slots__ = ("message_id", "metadata", "parts", "role")

    def __init__(
        self, message_id: str, role: str, parts: list[SnapshotPart], metadata: Any
    ) -> None:
        self.message_id = message_id
        self.role = role
        self.parts = parts
        self.metadata: dict[str, Any] | None = (
            dict(metadata) if isinstance(metadata, Mapping) else None
        )

    def thinking_only(self) -> bool:
        return (
            self.role == "assistant"
            and bool(self.parts)
            and all(type(p) is SnapshotReasoning for p in self.parts)
        )

    def tool_result_only(self) -> bool:
        return (
            self.role == "assistant"
            and any(type(p) is SnapshotToolResult for p in self.parts)
            and all(type(p) is SnapshotToolResult for p in self.parts)
        )

    def has_call(self, call_id: str) -> bool:
        return any(type(p) is SnapshotToolCall and p.call_id == call_id for p in self.parts)


def _result_part(call_id: str, content: Any, error: Any) -> SnapshotToolResult:
    text = content if type(content) is str else json_text(content)
    value = parse_json(text)
    is_error = error is not None
    return SnapshotToolResult(
        call_id,
        text,
        is_error,
        (error if type(error) is str else tool_error_text(value, text)) if is_error else None,
        value,
    )


def _ui_parts(parts: list[Any]) -> list[SnapshotPart]:
    """Parts of a snapshot message that already has TanStack ``parts`` (a UIMessage)."""
    out: list[SnapshotPart] = []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "text" and type(part.get("content")) is str:
            out.append(SnapshotText(part["content"]))
        elif kind == "thinking":
            out.append(
                SnapshotReasoning(
                    str_or_none(part.get("content")) or "",
                    str_or_none(part.get("signature")),
                    str_or_none(part.get("stepId")),
                )
            )
        elif kind == "tool-call" and type(part.get("id")) is str:
            arguments = part.get("arguments")
            out.append(
                SnapshotToolCall(
                    part["id"],
                    str_or_none(part.get("name")),
                    arguments if type(arguments) is str else None,
                )
            )
        elif kind == "tool-result" and type(part.get("toolCallId")) is str:
            error = part.get("error") if part.get("state") == "error" else None
            if part.get("state") == "error" and error is None:
                error = True
            result = _result_part(part["toolCallId"], part.get("content"), None)
            if error is not None:
                result = SnapshotToolResult(
                    result.call_id,
                    result.content,
                    True,
                    error if type(error) is str else tool_error_text(result.value, result.content),
                    result.value,
                )
            out.append(result)
    return out


def _user_parts(content: Any) -> list[SnapshotPart]:
    if type(content) is str:
        return [SnapshotText(content)] if content else []
    out: list[SnapshotPart] = []
    if isinstance(content, list):
        for item in content:
            if isinstance(item, Mapping) and item.get("type") == "text":
                text = item.get("text", item.get("content"))
                if type(text) is str:
                    out.append(SnapshotText(text))
    return out


def _draft(message: Mapping[str, Any], make_id: Callable[[], str]) -> _Draft:
    """One AG-UI (or UIMessage-shaped) snapshot message (``aguiSnapshotMessageToUIMessage``)."""
    message_id = str_or_none(message.get("id")) or make_id()
    role = message.get("role")
    metadata = message.get("metadata")
    parts = message.get("parts")
    if isinstance(parts, list):
        ui_role = role if role in ("user", "system", "assistant") else "assistant"
        return _Draft(message_id, ui_role, _ui_parts(parts), metadata)
    content = message.get("content")
    if role == "user":
        return _Draft(message_id, "user", _user_parts(content), metadata)
    if role == "assistant":
        out: list[SnapshotPart] = []
        if type(content) is str and content:
            out.append(SnapshotText(content))
        calls = message.get("toolCalls")
        for call in calls if isinstance(calls, list) else ():
            if not isinstance(call, Mapping) or type(call.get("id")) is not str:
                continue
            function = call.get("function")
            function = function if isinstance(function, Mapping) else _NO_MAPPING
            arguments = function.get("arguments")
            call_meta = dict(call["metadata"]) if is_mapping(call.get("metadata")) else None
            if type(call.get("encryptedValue")) is str:
                call_meta = {**(call_meta or {}), "thoughtSignature": call["encryptedValue"]}
            out.append(
                SnapshotToolCall(
                    call["id"],
                    str_or_none(function.get("name")),
                    arguments if type(arguments) is str else "",
                    call_meta,
                )
            )
        draft = _Draft(message_id, "assistant", out, metadata)
        if type(message.get("encryptedValue")) is str:
            draft.metadata = {**(draft.metadata or {}), "encryptedValue": message["encryptedValue"]}
        return draft
    if role == "tool":
        call_id = message.get("toolCallId")
        out = []
        if type(call_id) is str:
            out.append(_result_part(call_id, content, message.get("error")))
        return _Draft(message_id, "assistant", out, metadata)
    if role in ("system", "developer"):
        text = content if type(content) is str else ""
        return _Draft(message_id, "system", [SnapshotText(text)] if text else [], metadata)
    if role == "reasoning":
        text = content if type(content) is str else ""
        signature = str_or_none(message.get("encryptedValue"))
        reasoning: list[SnapshotPart] = (
            [SnapshotReasoning(text, encrypted=signature)] if text or signature is not None else []
        )
        return _Draft(message_id, "assistant", reasoning, metadata)
    if role == "activity":
        kind = str_or_none(message.get("activityType")) or ""
        activity = SnapshotActivity(kind, content if content is not None else {})
        return _Draft(message_id, "activity", [activity], metadata)
    return _Draft(message_id, "assistant", [], metadata)


def _fold_reasoning(drafts: list[_Draft]) -> list[_Draft]:
    """Thinking-only messages join the next assistant message (``mergeReasoningFanOut``)."""
    out: list[_Draft] = []
    pending: list[_Draft] = []
    for draft in drafts:
        if draft.thinking_only():
            pending.append(draft)
            continue
        if draft.role == "assistant" and pending and not draft.tool_result_only():
            draft.parts = [p for d in pending for p in d.parts] + draft.parts
            pending = []
            out.append(draft)
            continue
        out += pending
        pending = []
        out.append(draft)
    return out + pending


def snapshot_messages(
    messages: list[Any], known_call: Callable[[str], bool], make_id: Callable[[], str]
) -> tuple[SnapshotMessage, ...]:
    """Canonical snapshot messages for an AG-UI ``MESSAGES_SNAPSHOT.messages`` list.

    ``role: "tool"`` results are anchored into the message that holds their call (else the
    nearest earlier assistant message); a result whose call the snapshot omits but the stream
    showed (``known_call``) gets that call carried forward in front of it, as the reference
    client does (#859). Reasoning messages fold into the next assistant message.
    """
    drafts = _fold_reasoning([_draft(m, make_id) for m in messages if isinstance(m, Mapping)])
    in_snapshot = {p.call_id for d in drafts for p in d.parts if type(p) is SnapshotToolCall}
    out: list[_Draft] = []
    for draft in drafts:
        results = [p for p in draft.parts if type(p) is SnapshotToolResult]
        if len(results) != 1 or not draft.tool_result_only():
            out.append(draft)
            continue
        result = results[0]
        target = next((d for d in reversed(out) if d.has_call(result.call_id)), None)
        if target is None:
            target = next(
                (
                    d
                    for d in reversed(out)
                    if d.role == "assistant"
                    and not (len(d.parts) == 1 and type(d.parts[0]) is SnapshotToolResult)
                ),
                None,
            )
        if target is None:
            out.append(draft)
            continue
        if (
            result.call_id not in in_snapshot
            and not target.has_call(result.call_id)
            and known_call(result.call_id)
        ):
            target.parts.append(SnapshotToolCall(result.call_id))
            in_snapshot.add(result.call_id)
        target.parts.append(result)
    return tuple(SnapshotMessage(d.message_id, d.role, tuple(d.parts), d.metadata) for d in out)

"""The vendors' own client accumulators, fed recorded bytes through a mock HTTP transport (a
real transport of the SDK's HTTP client that answers every request with the recording):
openai-python's ``ChatCompletionStreamState`` and Responses stream, anthropic-sdk-python's
``MessageStream``. Each result is normalized to the same shape as
:func:`tests.formats.providers.conformance.ours`: ``{"texts", "reasoning", "tool_calls",
"finish_reason", "usage", "error"}`` per message."""

from __future__ import annotations

import json
from typing import Any

import pytest

__all__ = ["anthropic_message", "openai_chat", "openai_responses"]


def _client_kwargs(data: bytes, module: Any) -> dict[str, Any]:
    def answer(request: Any) -> Any:
        return module.Response(200, headers={"content-type": "text/event-stream"}, content=data)

    return {
        "api_key": "test",
        "base_url": "http://127.0.0.1:9/v1",
        "http_client": module.Client(transport=module.MockTransport(answer)),
        "max_retries": 0,
    }


def _field(value: Any, name: str) -> Any:
    """A field of a block the SDK kept as a model or (a type it does not know) as a dict."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name)


def _args(raw: Any) -> Any:
    if isinstance(raw, str):
        return json.loads(raw) if raw else None
    return raw


def openai_chat(data: bytes) -> dict[str, Any]:
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    from openai.lib.streaming.chat import ChatCompletionStreamState

    client = openai.OpenAI(**_client_kwargs(data, httpx2))
    state: Any = ChatCompletionStreamState()
    for chunk in client.chat.completions.create(model="m", messages=[], stream=True):
        state.handle_chunk(chunk)
    try:
        completion = state.get_final_completion()
    except Exception:  # raises on a length / content_filter ending: its last snapshot
        completion = state.current_completion_snapshot
    messages = []
    for choice in sorted(completion.choices, key=lambda c: c.index):
        message = choice.message
        messages.append(
            {
                "texts": message.content or "",
                "reasoning": "",
                "refusal": message.refusal,
                "tool_calls": [
                    {
                        "id": call.id,
                        "name": call.function.name,
                        "arguments": _args(call.function.arguments),
                    }
                    for call in message.tool_calls or []
                ],
                "finish_reason": choice.finish_reason,
            }
        )
    usage = completion.usage
    return {
        "messages": messages,
        "usage": None
        if usage is None
        else {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens},
        "error": None,
    }


def openai_responses(data: bytes) -> dict[str, Any]:
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    client = openai.OpenAI(**_client_kwargs(data, httpx2))
    try:
        with client.responses.stream(model="m", input="x") as stream:
            for _ in stream:
                pass
            response = stream.get_final_response()
    except openai.APIError as exc:  # an `error` event: the SDK raises (README quirk)
        body = exc.body if isinstance(exc.body, dict) else {}
        return {"messages": [], "usage": None, "error": {"code": body.get("code")}}
    texts, reasoning, calls = [], [], []
    for item in response.output:
        kind = item.type
        if kind == "message":
            texts += [c.text for c in item.content if c.type == "output_text"]
        elif kind == "reasoning":
            reasoning += [s.text for s in item.summary or []]
        elif kind in ("function_call", "custom_tool_call"):
            raw = getattr(item, "arguments", None) or getattr(item, "input", None)
            calls.append({"id": item.call_id, "name": item.name, "arguments": _args(raw)})
        elif kind == "mcp_call":
            calls.append(
                {
                    "id": item.id,
                    "name": item.name,
                    "arguments": _args(item.arguments),
                    "output": item.output,
                }
            )
        elif kind == "code_interpreter_call":
            outputs = [o.logs for o in item.outputs or [] if o.type == "logs"]
            calls.append(
                {"id": item.id, "name": kind, "arguments": {"code": item.code}, "output": outputs}
            )
        elif kind == "web_search_call":
            action = item.action.model_dump(exclude_none=True) if item.action else None
            calls.append({"id": item.id, "name": kind, "arguments": action})
    usage = response.usage
    return {
        "messages": [
            {
                "texts": "".join(texts),
                "reasoning": "".join(reasoning),
                "tool_calls": calls,
                "finish_reason": response.status,
            }
        ],
        "usage": None
        if usage is None
        else {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
        "error": None,
    }


def anthropic_message(data: bytes) -> dict[str, Any]:
    anthropic = pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")
    client = anthropic.Anthropic(**_client_kwargs(data, httpx2))
    error = None
    # The beta client: it knows the MCP connector blocks (the plain one keeps their input {}).
    with client.beta.messages.stream(model="m", max_tokens=1, messages=[]) as stream:
        try:
            for _ in stream:
                pass
            message = stream.get_final_message()
        except anthropic.APIError as exc:
            error = {"code": getattr(exc, "type", None)}
            message = stream.current_message_snapshot
    texts, reasoning, signatures, calls = [], [], [], []
    results: dict[str, Any] = {}
    for block in message.content:
        kind = block.type
        if kind == "text":
            texts.append(block.text)
        elif kind == "thinking":
            reasoning.append(block.thinking)
            signatures.append(block.signature)
        elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            calls.append({"id": block.id, "name": block.name, "arguments": block.input})
        elif kind == "web_search_tool_result":
            content = block.content
            results[block.tool_use_id] = (
                [{"url": _field(r, "url"), "title": _field(r, "title")} for r in content]
                if isinstance(content, list)
                else content
            )
        elif kind == "mcp_tool_result":
            content = block.content
            results[block.tool_use_id] = (
                content if isinstance(content, str) else [_field(c, "text") for c in content]
            )
    for call in calls:
        if call["id"] in results:
            call["output"] = results[call["id"]]
    return {
        "messages": [
            {
                "texts": "".join(texts),
                "reasoning": "".join(reasoning),
                "signatures": signatures,
                "tool_calls": calls,
                "finish_reason": message.stop_reason,
            }
        ],
        "usage": {
            "input_tokens": message.usage.input_tokens,
            "output_tokens": message.usage.output_tokens,
        },
        "error": error,
    }

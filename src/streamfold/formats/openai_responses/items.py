"""The Responses API's vocabulary as the decoder reads it: which output items are tool calls,
server tools or kept as custom events, which events carry nothing of their own, how an
incomplete response maps to a ``finish_reason``, and a server tool call's input and output from
its finished item (``docs/openai-responses.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CALL_ITEMS",
    "CUSTOM_ITEMS",
    "INCOMPLETE_FINISH",
    "QUIET",
    "SERVER_ITEMS",
    "server_input",
    "server_output",
]

CALL_ITEMS: Final = frozenset({"function_call", "custom_tool_call"})
SERVER_ITEMS: Final = frozenset(
    {
        "web_search_call",
        "code_interpreter_call",
        "file_search_call",
        "image_generation_call",
        "computer_call",
        "local_shell_call",
        "shell_call",
        "apply_patch_call",
    }
)
CUSTOM_ITEMS: Final = frozenset({"mcp_list_tools", "mcp_approval_request", "compaction"})

# Events applied without an event of their own: progress of an item, or a ``.done`` whose
# content the deltas (or the finished item) give.
QUIET: Final = frozenset(
    {
        "response.in_progress",
        "response.queued",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.refusal.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
    }
)

INCOMPLETE_FINISH: Final = {"max_output_tokens": "length", "content_filter": "content_filter"}


def server_input(kind: str, item: Mapping[str, Any]) -> Any:
    """A server tool call's input, from its finished item: ``action`` (web search, computer,
    shell), ``code`` (code interpreter), ``queries`` (file search); the item minus its id,
    type, status and outputs otherwise."""
    if kind == "code_interpreter_call":
        return {"code": item.get("code")}
    if kind == "file_search_call":
        return {"queries": item.get("queries")}
    action = item.get("action")
    if isinstance(action, Mapping):
        return action
    skip = {"id", "type", "status", "outputs", "results", "result", "output"}
    return {k: v for k, v in item.items() if k not in skip}


def server_output(kind: str, item: Mapping[str, Any]) -> Any:
    """A server tool call's output: ``outputs`` (code interpreter), ``results`` (file search),
    ``result`` (image generation), ``output``; ``None`` when the item has none."""
    for key in ("outputs", "results", "result", "output"):
        value = item.get(key)
        if value is not None:
            return value
    return None

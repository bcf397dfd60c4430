"""The OpenAI Responses decoder's state: plain values, so that it is its own snapshot cursor
(:mod:`streamfold.formats.openai_responses.cursor`)."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ResponsesItem", "ResponsesState"]


@attrs.define(slots=True, eq=False)
class ResponsesItem:
    """An output item of the open response (``response.output_item.added`` … ``.done``)."""

    kind: str
    """The item's ``type`` (``message``, ``reasoning``, ``function_call``, ``mcp_call``,
    ``web_search_call``…)."""
    call_id: str | None = None
    """The tool call the item is (function, custom, MCP and server tool calls)."""
    streamed: bool = False
    """Whether text or arguments of the item were streamed (else its ``.done`` item gives them)."""
    done: bool = False


@attrs.define(slots=True, eq=False)
class ResponsesState:
    """The open response (a stream carries one)."""

    run_id: str | None = None
    wire_id: str | None = None
    """The response's ``id``."""
    message_id: str | None = None
    """The response's one assistant message (started with the run)."""
    message_started: bool = False
    items: dict[str, ResponsesItem] = attrs.field(factory=dict)
    """Output items by item id (or ``"#<output_index>"`` for an item without one)."""
    calls: dict[str, bool] = attrs.field(factory=dict)
    """call_id → finished (the shared OpenAI-style handlers' view)."""
    text_seen: bool = False
    function_calls: int = 0
    refusal: list[str] = attrs.field(factory=list)
    annotations: list[Any] = attrs.field(factory=list)
    last_sequence: int | None = None
    error: list[str | None] | None = None
    """``[message, code]`` of an ``error`` event, used by the ``response.failed`` after it."""
    runs: int = 0
    ids: dict[str, int] = attrs.field(factory=dict)
    """Run ids issued so far (:func:`~streamfold.formats._provider.issue_id`)."""

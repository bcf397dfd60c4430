"""The Anthropic Messages decoder's state: plain values, so that it is its own snapshot cursor
(:mod:`streamfold.formats.anthropic.cursor`)."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["AnthropicBlock", "AnthropicState"]


@attrs.define(slots=True, eq=False)
class AnthropicBlock:
    """An open content block (``content_block_start`` … ``content_block_stop``)."""

    kind: str
    """``"text"``, ``"reasoning"`` (thinking, redacted_thinking), ``"tool"`` (tool_use,
    server_tool_use, mcp_tool_use) or ``"other"`` (a result block, an unknown block)."""
    call_id: str | None = None
    step_id: str | None = None
    streamed: bool = False
    """Whether a tool block received ``input_json_delta`` text."""
    start_input: Any = None
    """A tool block's ``input`` from its start (used when no JSON is streamed)."""
    signature: str = ""


@attrs.define(slots=True, eq=False)
class AnthropicState:
    """The open message (a stream carries one: ``message_start`` … ``message_stop``)."""

    run_id: str | None = None
    message_id: str | None = None
    blocks: dict[str, AnthropicBlock] = attrs.field(factory=dict)
    """Open blocks: wire ``index`` (as text) → block."""
    usage: dict[str, int] = attrs.field(factory=dict)
    """The message's usage counts so far (``message_start``, updated by ``message_delta``)."""
    stop_reason: str | None = None
    stop_sequence: str | None = None
    citations: list[Any] = attrs.field(factory=list)
    """``citations_delta`` citations, ``{"block": index, **citation}``; set on the message's
    metadata at its end."""
    runs: int = 0
    ids: dict[str, int] = attrs.field(factory=dict)
    """Run ids issued so far (:func:`~streamfold.formats._provider.issue_id`)."""

"""The OpenAI Chat Completions decoder's state: plain values, so that it is its own snapshot
cursor (:mod:`streamfold.formats.openai_chat.cursor`)."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ChatChoice", "ChatState"]


@attrs.define(slots=True, eq=False)
class ChatChoice:
    """One choice (``choices[i]``, ``n > 1`` gives several) of the open completion: one
    assistant message."""

    message_id: str
    calls: dict[str, str] = attrs.field(factory=dict)
    """The choice's tool calls: wire ``index`` (as text) → call_id."""
    open_calls: list[str] = attrs.field(factory=list)
    """Calls whose arguments are not complete yet (completed at the choice's finish)."""
    refusal: list[str] = attrs.field(factory=list)
    """``delta.refusal`` pieces, joined into the message's metadata at its finish."""
    logprobs_content: list[Any] = attrs.field(factory=list)
    logprobs_refusal: list[Any] = attrs.field(factory=list)
    finish_reason: str | None = None
    finished: bool = False


@attrs.define(slots=True, eq=False)
class ChatState:
    """The open completion (at most one: a stream carries one response)."""

    run_id: str | None = None
    """The open run, ``None`` before the first chunk and after the run ended."""
    wire_id: str | None = None
    """The completion's ``id`` (``None`` until a chunk gives a non-empty one: Azure's
    ``prompt_filter_results`` chunk comes first with ``id: ""``)."""
    choices: dict[str, ChatChoice] = attrs.field(factory=dict)
    """Choice ``index`` (as text) → its state."""
    first_finish: str | None = None
    """The finish_reason of choice 0 (or of the first choice that finished): the run's."""
    runs: int = 0
    ids: dict[str, int] = attrs.field(factory=dict)
    """Run ids issued so far (:func:`~streamfold.formats._provider.issue_id`)."""

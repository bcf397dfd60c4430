"""The Vercel AI SDK UI message stream decoder's state: plain values, so that it is its own
snapshot cursor (:mod:`streamfold.formats.vercel_ui.cursor`)."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["VercelState"]


@attrs.define(slots=True, eq=False)
class VercelState:
    """The open assistant message (a stream carries one: ``start`` … ``finish``)."""

    run_id: str | None = None
    message_id: str | None = None
    calls: dict[str, str] = attrs.field(factory=dict)
    """Tool calls of the message: toolCallId → ``"input"`` (arguments streaming),
    ``"ready"`` (input available), ``"done"`` (output or error)."""
    step: int = 0
    """Steps started so far (``start-step``)."""
    step_open: bool = False
    error: str | None = None
    """The ``errorText`` of an ``error`` chunk: the run fails when the stream ends."""
    sources: list[Any] = attrs.field(factory=list)
    files: list[Any] = attrs.field(factory=list)
    runs: int = 0
    ids: dict[str, int] = attrs.field(factory=dict)
    """Run ids issued so far (:func:`~streamfold.formats._provider.issue_id`)."""

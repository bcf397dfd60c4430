"""Pieces shared by the command line's views: styles, marks, sizes and one-line texts.

Nothing here imports rich, so the plain log (:mod:`.plain`) works without it; the styles are
plain rich style strings that :mod:`.labels`, :mod:`.live` and :mod:`.inspect` apply.
Every string that came from a stream goes through :mod:`streamfold.safe_text` before it is
printed (docs/cli.md, "Untrusted text").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from ...model import Run, RunStatus, Span, SpanStatus, ToolCall, ToolCallState, Usage
from ...model.text import dumps
from ...safe_text import inline

__all__ = [
    "OPEN_AT_CUT",
    "RUN_STYLES",
    "SPAN_MARKS",
    "SUBAGENT_MARK",
    "TOOL_MARK",
    "TOOL_STATE_STYLES",
    "call_name",
    "group_children",
    "run_status",
    "tool_outcome",
    "usage_text",
]

TOOL_STATE_STYLES: Final[dict[ToolCallState, str]] = {
    ToolCallState.AWAITING_INPUT: "bright_black",
    ToolCallState.INPUT_STREAMING: "cyan",
    ToolCallState.INPUT_COMPLETE: "blue",
    ToolCallState.APPROVAL_REQUESTED: "bold magenta",
    ToolCallState.APPROVAL_RESPONDED: "magenta",
    ToolCallState.EXECUTING: "bold yellow",
    ToolCallState.COMPLETE: "green",
    ToolCallState.ERROR: "bold red",
    ToolCallState.DENIED: "red",
    ToolCallState.CANCELLED: "bright_black",
}
RUN_STYLES: Final[dict[RunStatus, str]] = {
    RunStatus.RUNNING: "bold yellow",
    RunStatus.COMPLETED: "bold green",
    RunStatus.FAILED: "bold red",
    RunStatus.CANCELLED: "magenta",
    RunStatus.AWAITING_APPROVAL: "bold magenta",
    RunStatus.INTERRUPTED: "yellow",
    RunStatus.INCOMPLETE: "yellow",
}
SPAN_MARKS: Final[dict[SpanStatus, tuple[str, str]]] = {
    SpanStatus.OPEN: ("●", "bold yellow"),
    SpanStatus.OK: ("✓", "green"),
    SpanStatus.ERROR: ("✗", "bold red"),
    SpanStatus.UNCLOSED: ("◌", "yellow"),
}
TOOL_MARK: Final = "⚙"
SUBAGENT_MARK: Final = "⤷ sub-agent"
OPEN_AT_CUT: Final = "open at cut"
"""How a run that was still running is shown when a replay stopped early (``--until``, ``q``):
the recording goes on, so the run did not fail; it is open where the replay was cut."""


def usage_text(usage: Usage) -> str:
    """``prompt N · completion N · total N`` (tokens) for the views."""
    return (
        f"prompt {usage.prompt_tokens} · completion {usage.completion_tokens}"
        f" · total {usage.total_tokens}"
    )


def run_status(run: Run, *, cut: bool = False) -> str:
    """The run's status as the views print it: ``open at cut`` for a running run of a replay
    that stopped before the end of its input, else the status value."""
    if cut and run.status is RunStatus.RUNNING:
        return OPEN_AT_CUT
    return str(run.status)


def tool_outcome(call: ToolCall) -> str:
    """The call's outcome as one text (:attr:`streamfold.model.ToolCall.display`): the error,
    the result's text (never quoted JSON), a structured result as compact JSON, else the
    streamed output; ``""`` when there is nothing yet."""
    shown = call.display
    if shown is None:
        return "null" if call.result is not None else ""  # a JSON null result
    if isinstance(shown, str):
        return shown
    return dumps(shown, default=str).decode()


def call_name(call: ToolCall) -> str:
    """``name (call_id)`` of a tool call, escaped for the terminal (``?`` for a call without a name
    yet)."""
    return f"{inline(call.name or '?')} ({inline(call.call_id)})"


def group_children(children: Sequence[Span]) -> Iterator[tuple[str | None, list[Span]]]:
    """Children in order; consecutive sub-agent spans of the same tool call grouped together."""
    group: list[Span] = []
    key: str | None = None
    for child in children:
        child_key = child.parent_tool_call_id
        if group and child_key != key:
            yield key, group
            group = []
        key = child_key
        group.append(child)
    if group:
        yield key, group

"""One-line rich labels shared by the live view and the ``inspect`` report: tool calls, spans,
sub-agents and run headers. Stream text goes through :mod:`streamfold.safe_text` into
:class:`rich.text.Text` objects, never into markup (docs/cli.md, "Untrusted text")."""

from __future__ import annotations

from typing import Final

from rich.text import Text

from ...model import Run, Span, ToolCall
from ...safe_text import inline, preview
from .pieces import (
    RUN_STYLES,
    SPAN_MARKS,
    SUBAGENT_MARK,
    TOOL_MARK,
    TOOL_STATE_STYLES,
    run_status,
    tool_outcome,
)

__all__ = ["PREVIEW", "one_line", "run_header", "span_label", "subagent_label", "tool_line"]

PREVIEW: Final = 72
"""Characters of a one-line preview in the live view."""


def tool_line(call: ToolCall, *, limit: int = PREVIEW) -> Text:
    """``⚙ name [state] call_id  args → result`` on one line (all stream text made safe)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{TOOL_MARK} ", style="cyan")
    line.append(inline(call.name or "?"), style="bold")
    line.append(" ")
    line.append(f"[{call.state}]", style=TOOL_STATE_STYLES[call.state])
    line.append(f" {inline(call.call_id)}", style="bright_black")
    if call.arguments:
        line.append("  ")
        line.append(preview(call.arguments, limit), style="bright_black")
    outcome = tool_outcome(call)
    if outcome:
        line.append(" → ")
        line.append(preview(outcome, limit), style="red" if call.error else "")
    return line


def span_label(span: Span, *, with_usage: bool = True) -> Text:
    """A span's line in the tree view: its status mark, name and status, its error (previewed, red)
    and, with ``with_usage``, its own tokens. The name and error are stream text, escaped for the
    terminal (streamfold.safe_text)."""
    mark, style = SPAN_MARKS[span.status]
    label = Text()
    label.append(f"{mark} ", style=style)
    label.append(inline(span.name), style="bold")
    label.append(f" {span.status}", style=style)
    if span.error:
        label.append(": ")
        label.append(preview(span.error, PREVIEW), style="red")
    if with_usage and span.usage:
        label.append(f"  ({span.usage.total_tokens} tok)", style="bright_black")
    return label


def subagent_label(call: ToolCall | None, call_id: str) -> Text:
    """The line that opens a sub-agent under the tool call ``call_id`` that ran it (docs/loom.md,
    A14): the call's name and state when the call is known."""
    label = Text(f"{SUBAGENT_MARK} via ", style="bold magenta")
    if call is not None:
        label.append(inline(call.name or "?"), style="bold")
        label.append(" ")
        label.append(f"[{call.state}]", style=TOOL_STATE_STYLES[call.state])
    label.append(f" {inline(call_id)}", style="bright_black")
    return label


def run_header(run: Run, *, cut: bool = False) -> Text:
    """A run's header line: id, status (``open at cut`` for a running run of a replay stopped early,
    with ``cut``), agent, thread, stop and finish reasons, ``lossy`` and total tokens; stream text
    escaped for the terminal."""
    header = Text()
    header.append("▶ run ", style="bold")
    header.append(inline(run.run_id), style="bold")
    header.append(" · ")
    header.append(run_status(run, cut=cut), style=RUN_STYLES[run.status])
    if run.agent:
        header.append(f" · agent {inline(run.agent)}")
    if run.thread_id:
        header.append(f" · thread {inline(run.thread_id)}", style="bright_black")
    if run.stop_reason:
        header.append(f" · stop {inline(run.stop_reason)}", style="bright_black")
    if run.finish_reason:
        header.append(f" · finish {inline(run.finish_reason)}", style="bright_black")
    if run.lossy:
        header.append(" · lossy", style="yellow")
    if run.usage:
        header.append(f"  {run.usage.total_tokens} tok", style="bright_black")
    return header


def one_line(text: str, style: str = "") -> Text:
    """``text`` as one terminal line that never wraps (an ellipsis where it is cut); the caller
    escapes stream text first."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")

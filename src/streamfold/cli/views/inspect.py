"""The ``streamfold inspect`` report (docs/cli.md, "inspect"): runs, span trees, tool calls,
usage, and every diagnostic — the reducer's and the recording file's own problems."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from ...model import Conversation, Diagnostic, Run, Span
from ...reducer import Reducer
from ...safe_text import inline, preview
from .labels import span_label, subagent_label
from .pieces import RUN_STYLES, TOOL_STATE_STYLES, group_children, tool_outcome, usage_text

if TYPE_CHECKING:
    from ...framing import RecordingProblem

__all__ = ["inspect_report"]


def inspect_report(
    reducer: Reducer, *, source: str, problems: Sequence[RecordingProblem] = ()
) -> list[Text]:
    """The ``streamfold inspect`` report of a folded conversation, one Text per line.
    ``problems`` are the recording file's own problems (``Recording.problems``); they are
    counted and listed with the diagnostics."""
    conversation = reducer.conversation
    out: list[Text] = []
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted + len(problems)
    head = Text(inline(source), style="bold")
    head.append(
        f": {reducer.frames_in} frames ({reducer.frames_applied} applied,"
        f" {reducer.frames_dropped} dropped) · {len(conversation.sessions)} session(s)"
        f" · {len(conversation.runs)} run(s) · {count} diagnostic(s)"
    )
    out.append(head)
    for run in conversation.runs:
        out.append(Text())
        out.extend(_inspect_run(run))
    usage = _inspect_usage(conversation)
    if usage:
        out.append(Text())
        out.extend(usage)
    out.append(Text())
    out.extend(_inspect_diagnostics(conversation, problems))
    return out


def _inspect_run(run: Run) -> list[Text]:
    head = Text("run ", style="bold")
    head.append(inline(run.run_id), style="bold")
    head.append(f" · session {inline(run.session_id)}")
    if run.thread_id:
        head.append(f" · thread {inline(run.thread_id)}")
    head.append(" · ")
    head.append(str(run.status), style=RUN_STYLES[run.status])
    if run.agent:
        head.append(f" · agent {inline(run.agent)}")
    if run.stop_reason:
        head.append(f" · stop_reason {inline(run.stop_reason)}")
    if run.finish_reason:
        head.append(f" · finish_reason {inline(run.finish_reason)}")
    if run.lossy:
        missing = ", ".join(f"{a}..{b - 1}" for a, b in run.missing)
        head.append(f" · lossy (missing {missing})", style="yellow")
    lines = [head]
    if run.input_text:
        lines.append(_field("input", preview(run.input_text, 160)))
    if run.error is not None:
        lines.append(_field("error", preview(run.error, 160), style="red"))
    if run.reply is not None:
        lines.append(_field("reply", preview(run.reply, 160), style="green"))
    elif run.messages:
        text = run.text
        if text:
            lines.append(_field("text", preview(text, 160)))
    if run.spans:
        lines.append(Text("  spans:"))
        lines.extend(_inspect_spans(run, run.spans, 2))
    if run.tool_calls:
        lines.append(Text("  tool calls:"))
        for call in run.tool_calls.values():
            line = Text("    ")
            line.append(inline(call.call_id), style="bright_black")
            line.append("  ")
            line.append(inline(call.name or "?"), style="bold")
            line.append("  ")
            line.append(str(call.state), style=TOOL_STATE_STYLES[call.state])
            line.append(f"  args {preview(call.arguments, 80)}")
            outcome = tool_outcome(call)
            if outcome:
                line.append(f"  {'error' if call.error else 'result'} {preview(outcome, 80)}")
            lines.append(line)
    if run.usage:  # only what a sender reported (Usage.reports), never a made-up zero
        lines.append(_field("usage", usage_text(run.usage)))
    return lines


def _inspect_spans(run: Run, spans: Sequence[Span], depth: int) -> list[Text]:
    lines: list[Text] = []
    for call_id, group in group_children(spans):
        inner = depth
        if call_id is not None:
            line = Text("  " * depth)
            line.append_text(subagent_label(run.tool_calls.get(call_id), call_id))
            lines.append(line)
            inner = depth + 1
        for span in group:
            line = Text("  " * inner)
            line.append_text(span_label(span))
            lines.append(line)
            lines.extend(_inspect_spans(run, span.children, inner + 1))
    return lines


def _inspect_usage(conversation: Conversation) -> list[Text]:
    """The usage table: the runs whose sender reported usage (``Usage.reports``), and their
    sum; nothing when no run reported any."""
    rows = [(inline(r.run_id), r.usage) for r in conversation.runs if r.usage]
    if not rows:
        return []
    width = max([len("all runs")] + [len(name) for name, _ in rows])
    lines = [Text("usage", style="bold")]
    lines.append(Text(f"  {'run':<{width}}  {'prompt':>10}  {'completion':>10}  {'total':>10}"))
    rows.append(("all runs", conversation.usage))
    for name, usage in rows:
        lines.append(
            Text(
                f"  {name:<{width}}  {usage.prompt_tokens:>10}  {usage.completion_tokens:>10}"
                f"  {usage.total_tokens:>10}",
                style="bold" if name == "all runs" and usage is conversation.usage else "",
            )
        )
    return lines


def _inspect_diagnostics(
    conversation: Conversation, problems: Sequence[RecordingProblem], *, frames_shown: int = 5
) -> list[Text]:
    diagnostics = list(conversation.diagnostics)
    count = len(diagnostics) + conversation.diagnostics_evicted + len(problems)
    lines = [Text(f"diagnostics ({count})", style="bold")]
    if conversation.diagnostics_evicted:
        lines.append(
            Text(f"  {conversation.diagnostics_evicted} older diagnostic(s) not kept", style="dim")
        )
    by_problem: dict[str, list[RecordingProblem]] = defaultdict(list)
    for problem in problems:
        by_problem[problem.code].append(problem)
    for code, found in by_problem.items():
        numbers = [str(p.line) for p in found if p.line is not None]
        line = Text(f"  {inline(code)}", style="yellow")
        line.append(f" ×{len(found)} (recording file)")
        if numbers:
            more = ", …" if len(numbers) > frames_shown else ""
            line.append(f" · lines {', '.join(numbers[:frames_shown])}{more}")
        line.append(" · skipped")
        lines.append(line)
        lines.append(Text(f"    {preview(found[0].message, 120)}", style="dim"))
        if found[0].raw is not None:
            lines.append(Text(f"    raw: {preview(found[0].raw, 120)}", style="dim"))
    by_code: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        by_code[diagnostic.code].append(diagnostic)
    for code, group in by_code.items():
        severities = Counter(str(d.severity) for d in group)
        frames = [d.frame_index for d in group if d.frame_index is not None]
        shown = ", ".join(str(f) for f in frames[:frames_shown])
        if len(frames) > frames_shown:
            shown += ", …"
        dropped = sum(d.dropped for d in group)
        line = Text(f"  {inline(code)}", style="yellow")
        line.append(f" ×{len(group)} ({', '.join(sorted(severities))})")
        if shown:
            line.append(f" · frames {shown}")
        if dropped:
            line.append(f" · {dropped} dropped")
        lines.append(line)
        first = group[0]
        lines.append(Text(f"    {preview(first.message, 120)}", style="dim"))
        if first.raw is not None:
            lines.append(Text(f"    raw: {preview(first.raw, 120)}", style="dim"))
    return lines


def _field(name: str, value: str, *, style: str = "") -> Text:
    line = Text(f"  {name}: ")
    line.append(value, style=style)
    return line

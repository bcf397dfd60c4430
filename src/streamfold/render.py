"""Views of a conversation for the command line: the rich live view, the plain-text replay log
and the ``inspect`` report.

Every string that came from a stream (text, names, ids, tool arguments and results, diagnostic
messages and raw frames) goes through :mod:`streamfold.safe_text` before it is printed, and is
put in a :class:`rich.text.Text` object (never into markup), so neither terminal control
sequences nor rich markup from a stream are ever interpreted.

The views read the model (``reducer.conversation``); notifications only tell them *what* changed:

* :class:`LiveView` keeps one rendered tree per run and rebuilds only the runs that the
  notifications since the last render touched (the caller decides how often to render);
* :class:`PlainPrinter` turns notifications into one line per structural change and prints the
  assistant text of a message in one piece when it is done;
* :func:`inspect_report` describes a folded conversation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .model import (
    Conversation,
    Diagnostic,
    Message,
    ReasoningPart,
    Run,
    RunStatus,
    Span,
    SpanStatus,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    Usage,
)
from .notifications import (
    Evicted,
    MessageCompleted,
    MessageStarted,
    Notification,
    ReasoningDelta,
    ReplyReceived,
    RunFinished,
    RunStarted,
    SessionStarted,
    SpanEntered,
    SpanExited,
    TextDelta,
    TextReplaced,
    ToolCallArgumentsDelta,
    ToolCallStarted,
    ToolCallStateChanged,
    ToolOutputDelta,
    UsageUpdated,
)
from .reducer import Reducer
from .safe_text import inline, preview, printable, tail

__all__ = [
    "RUN_STYLES",
    "TOOL_STATE_STYLES",
    "LiveView",
    "PlainPrinter",
    "inspect_report",
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
_SPAN_MARKS: Final[dict[SpanStatus, tuple[str, str]]] = {
    SpanStatus.OPEN: ("●", "bold yellow"),
    SpanStatus.OK: ("✓", "green"),
    SpanStatus.ERROR: ("✗", "bold red"),
    SpanStatus.UNCLOSED: ("◌", "yellow"),
}
_TOOL_MARK: Final = "⚙"
_SUBAGENT_MARK: Final = "⤷ sub-agent"

# Live view sizes (characters / lines): enough to follow, small enough to fit a terminal.
_STREAM_TAIL_CHARS: Final = 360
_STREAM_TAIL_LINES: Final = 6
_PREVIEW: Final = 72
_RECENT_SPANS: Final = 6
_RECENT_FINISHED_RUNS: Final = 3


# ------------------------------------------------------------------------------- pieces


def usage_text(usage: Usage) -> str:
    return (
        f"prompt {usage.prompt_tokens} · completion {usage.completion_tokens}"
        f" · total {usage.total_tokens}"
    )


def _tool_line(call: ToolCall, *, limit: int = _PREVIEW) -> Text:
    """``⚙ name [state] call_id  args → result`` on one line (all stream text made safe)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{_TOOL_MARK} ", style="cyan")
    line.append(inline(call.name or "?"), style="bold")
    line.append(" ")
    line.append(f"[{call.state}]", style=TOOL_STATE_STYLES[call.state])
    line.append(f" {inline(call.call_id)}", style="bright_black")
    if call.arguments:
        line.append("  ")
        line.append(preview(call.arguments, limit), style="bright_black")
    outcome = _tool_outcome(call)
    if outcome:
        line.append(" → ")
        line.append(preview(outcome, limit), style="red" if call.error else "")
    return line


def _tool_outcome(call: ToolCall) -> str:
    """The error, else the result (its decoded text when it came JSON-quoted), else the output."""
    if call.error is not None:
        return call.error
    if call.result is not None:
        value = call.result_value
        return value if isinstance(value, str) else call.result
    return call.output


def _span_label(span: Span, *, with_usage: bool = True) -> Text:
    mark, style = _SPAN_MARKS[span.status]
    label = Text()
    label.append(f"{mark} ", style=style)
    label.append(inline(span.name), style="bold")
    label.append(f" {span.status}", style=style)
    if span.error:
        label.append(": ")
        label.append(preview(span.error, _PREVIEW), style="red")
    if with_usage and span.usage:
        label.append(f"  ({span.usage.total_tokens} tok)", style="bright_black")
    return label


def _subagent_label(call: ToolCall | None, call_id: str) -> Text:
    label = Text(f"{_SUBAGENT_MARK} via ", style="bold magenta")
    if call is not None:
        label.append(inline(call.name or "?"), style="bold")
        label.append(" ")
        label.append(f"[{call.state}]", style=TOOL_STATE_STYLES[call.state])
    label.append(f" {inline(call_id)}", style="bright_black")
    return label


def _run_header(run: Run) -> Text:
    header = Text()
    header.append("▶ run ", style="bold")
    header.append(inline(run.run_id), style="bold")
    header.append(" · ")
    header.append(str(run.status), style=RUN_STYLES[run.status])
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


def _stream_tail(text: str) -> str:
    shown = tail(text, _STREAM_TAIL_CHARS)
    lines = shown.split("\n")
    if len(lines) > _STREAM_TAIL_LINES:
        shown = "…" + "\n".join(lines[-_STREAM_TAIL_LINES:])
    return shown


def _group_children(
    children: Sequence[Span],
) -> Iterator[tuple[str | None, list[Span]]]:
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


# ------------------------------------------------------------------------------ live view


class _RunIndex:
    """Where a run's messages and tool calls sit in its span tree (built per render)."""

    __slots__ = ("loose_calls", "messages", "span_calls")

    def __init__(self, run: Run) -> None:
        self.messages: dict[str, Message] = {m.message_id: m for m in run.messages}
        in_message = {
            part.call.call_id
            for m in run.messages
            for part in m.parts
            if isinstance(part, ToolCallPart)
        }
        self.span_calls: dict[str | None, list[ToolCall]] = defaultdict(list)
        for call in run.tool_calls.values():
            if call.call_id not in in_message:
                self.span_calls[call.span_id].append(call)
        self.loose_calls = self.span_calls.get(None, [])


class LiveView:
    """The live replay view: sessions → runs → span trees, streaming text, tool calls, usage.

    Feed it every notification (:meth:`apply`, O(1) per notification: it only records which runs
    changed) and call :meth:`render` when the screen should change (the caller rate-limits).
    A render rebuilds the trees of the runs changed since the previous render and reuses the
    others. ``render(final=True)`` renders every run in full, for the summary printed at the end.
    """

    def __init__(self, reducer: Reducer, *, title: str | None = None) -> None:
        self._reducer = reducer
        self._title = title
        self._cache: dict[str, RenderableType] = {}
        self._dirty: set[str] = set()
        self._finished: list[str] = []
        self.changed = False
        """Whether anything changed since the last :meth:`render`."""
        self.renders = 0

    @property
    def conversation(self) -> Conversation:
        return self._reducer.conversation

    def apply(self, notes: Iterable[Notification]) -> None:
        dirty = self._dirty
        for note in notes:
            self.changed = True
            if isinstance(note, Evicted):
                for run in note.session.runs:
                    self._cache.pop(run.run_id, None)
                continue
            if isinstance(note, Diagnostic | SessionStarted):
                continue
            dirty.add(note.run_id)
            if isinstance(note, RunFinished):
                self._finished.append(note.run_id)

    def render(self, *, final: bool = False) -> RenderableType:
        self.renders += 1
        self.changed = False
        conversation = self.conversation
        visible = self._visible_runs(final)
        parts: list[RenderableType] = []
        if self._title:
            parts.append(Text(inline(self._title), style="bold underline"))
        hidden = len(conversation.runs) - sum(len(runs) for runs in visible.values())
        if hidden:
            parts.append(Text(f"… {hidden} earlier finished run(s) not shown", style="dim"))
        for session_id, runs in visible.items():
            session = conversation.sessions[session_id]
            title = Text("session ", style="bold blue")
            title.append(inline(session_id), style="bold blue")
            if session.thread_id:
                title.append(f" · thread {inline(session.thread_id)}", style="bright_black")
            tree = Tree(title, guide_style="bright_black")
            for run in runs:
                tree.add(self._run_renderable(run, final))
            parts.append(tree)
        parts.append(self._footer(final))
        self._dirty.clear()
        return Group(*parts)

    def _visible_runs(self, final: bool) -> dict[str, list[Run]]:
        recent = set(self._finished[-_RECENT_FINISHED_RUNS:])
        visible: dict[str, list[Run]] = {}
        for session_id, session in self.conversation.sessions.items():
            runs = [
                run
                for run in session.runs
                if final or not run.status.is_terminal or run.run_id in recent
            ]
            if runs:
                visible[session_id] = runs
        return visible

    def _run_renderable(self, run: Run, final: bool) -> RenderableType:
        if final:
            return _run_tree(run, full=True)
        cached = self._cache.get(run.run_id)
        if cached is None or run.run_id in self._dirty:
            cached = _run_tree(run, full=not run.status.is_terminal)
            self._cache[run.run_id] = cached
        return cached

    def _footer(self, final: bool) -> RenderableType:
        conversation = self.conversation
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
        table.add_column("run")
        table.add_column("status")
        table.add_column("prompt", justify="right")
        table.add_column("completion", justify="right")
        table.add_column("total", justify="right")
        runs = conversation.runs
        shown = runs if final else [r for r in runs if r.usage or not r.status.is_terminal]
        if not final and len(shown) > 8:
            shown = shown[-8:]
        for run in shown:
            usage = run.usage
            table.add_row(
                Text(inline(run.run_id)),
                Text(str(run.status), style=RUN_STYLES[run.status]),
                str(usage.prompt_tokens),
                str(usage.completion_tokens),
                str(usage.total_tokens),
            )
        total = conversation.usage
        table.add_row(
            Text("all runs", style="bold"),
            "",
            str(total.prompt_tokens),
            str(total.completion_tokens),
            str(total.total_tokens),
            style="bold",
            end_section=True,
        )
        reducer = self._reducer
        count = len(conversation.diagnostics) + conversation.diagnostics_evicted
        status = Text(
            f"frames {reducer.frames_in} ({reducer.frames_applied} applied,"
            f" {reducer.frames_dropped} dropped) · "
        )
        status.append(f"{count} diagnostic(s)", style="yellow" if count else "green")
        return Group(Text("usage", style="bold"), table, status)


def _run_tree(run: Run, *, full: bool) -> RenderableType:
    """One run. ``full``: the span tree with streaming text; else a compact summary."""
    tree = Tree(_run_header(run), guide_style="bright_black")
    if run.input_text:
        line = Text("user: ", style="bold cyan")
        line.append(preview(run.input_text, _PREVIEW * 2))
        tree.add(line)
    if full:
        index = _RunIndex(run)
        streaming = not run.status.is_terminal
        spans = run.spans
        if streaming and len(spans) > _RECENT_SPANS:
            skipped = spans[: len(spans) - _RECENT_SPANS]
            tree.add(Text(f"… {len(skipped)} earlier span(s)", style="dim"))
            spans = spans[-_RECENT_SPANS:]
        for message in run.messages:
            if message.span_id is None and message.role == "assistant":
                _add_message(tree, message, index, streaming=streaming)
        for call in index.loose_calls:
            tree.add(_tool_line(call))
        for key, group in _group_children(spans):
            _add_span_group(tree, run, key, group, index, streaming=streaming)
    if run.reply is not None:
        reply = Text("reply: ", style="bold green")
        reply.append(printable(run.reply) if full else preview(run.reply, _PREVIEW * 2))
        tree.add(reply)
    if run.error is not None:
        error = Text("error: ", style="bold red")
        error.append(preview(run.error, _PREVIEW * 2))
        tree.add(error)
    return tree


def _add_span_group(
    parent: Tree,
    run: Run,
    call_id: str | None,
    spans: list[Span],
    index: _RunIndex,
    *,
    streaming: bool,
) -> None:
    if call_id is not None:
        call = run.tool_calls.get(call_id)
        label = _subagent_label(call, call_id)
        if streaming and all(s.status is not SpanStatus.OPEN for s in spans):
            # A finished sub-agent, while the run goes on: one line.
            count = sum(1 for s in spans for _ in s.walk())
            label.append(f"  ({count} span(s))", style="bright_black")
            parent.add(label)
            return
        parent = parent.add(label)
    quiet: Text | None = None  # consecutive closed spans with nothing to show, on one line
    for span in spans:
        if streaming and span.status is not SpanStatus.OPEN and _is_empty(span, index):
            if quiet is None:
                quiet = Text(no_wrap=True, overflow="ellipsis")
                parent.add(quiet)
            else:
                quiet.append(" · ", style="bright_black")
            quiet.append_text(_span_label(span))
            continue
        quiet = None
        _add_span(parent, run, span, index, streaming=streaming)


def _is_empty(span: Span, index: _RunIndex) -> bool:
    """Whether a span shows nothing but its label (no text, no tool calls, no children)."""
    if span.children or index.span_calls.get(span.span_id):
        return False
    for message_id in span.message_ids:
        message = index.messages.get(message_id)
        if message is not None and message.parts:
            return False
    return True


def _add_span(parent: Tree, run: Run, span: Span, index: _RunIndex, *, streaming: bool) -> None:
    node = parent.add(_span_label(span))
    live = streaming and span.status is SpanStatus.OPEN
    for message_id in span.message_ids:
        message = index.messages.get(message_id)
        if message is not None:
            _add_message(node, message, index, streaming=live)
    for call in index.span_calls.get(span.span_id, ()):
        node.add(_tool_line(call))
    for key, group in _group_children(span.children):
        _add_span_group(node, run, key, group, index, streaming=streaming)


def _add_message(parent: Tree, message: Message, index: _RunIndex, *, streaming: bool) -> None:
    """A message's parts in order: growing text while it streams, one-line previews after."""
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.buffer:
                if streaming:
                    parent.add(Text(_stream_tail(part.text)))
                else:
                    parent.add(_one_line(preview(part.text, _PREVIEW * 2)))
        elif isinstance(part, ReasoningPart):
            if part.buffer:
                if streaming:
                    parent.add(Text(_stream_tail(part.text), style="dim italic"))
                else:
                    parent.add(_one_line(preview(part.text, _PREVIEW), style="dim italic"))
        elif isinstance(part, ToolCallPart):
            parent.add(_tool_line(part.call))


def _one_line(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


# ---------------------------------------------------------------------------- plain text


class PlainPrinter:
    """Replay as plain text lines, for pipes and files: deterministic, no timing, no styling.

    One line per structural notification (run started/finished, span entered/exited, tool-call
    state changes, usage, reply, diagnostics). A message's text is printed in one piece when it
    is done: when the message completes, when its span exits, or before a tool call it contains
    starts (so text and tool calls keep their order).
    """

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._printed: dict[TextPart | ReasoningPart, int] = {}  # part → characters printed
        self._messages: dict[str, Message] = {}
        self._spans: dict[str, Span] = {}

    def line(self, run_id: str | None, text: str) -> None:
        prefix = f"[{inline(run_id)}] " if run_id is not None else ""
        self._write(prefix + text + "\n")

    def handle(self, notes: Iterable[Notification]) -> None:
        for note in notes:
            self._handle(note)

    def _handle(self, note: Notification) -> None:
        match note:
            case SessionStarted(session_id=session_id):
                self.line(None, f"session {inline(session_id)} started")
            case RunStarted(run_id=run_id, session_id=session_id, run=run):
                extra = f" · agent {inline(run.agent)}" if run.agent else ""
                self.line(run_id, f"run started (session {inline(session_id)}){extra}")
            case RunFinished(run_id=run_id, status=status, run=run):
                for message in run.messages:
                    self._flush(message)
                details = [str(status)]
                if run.stop_reason:
                    details.append(f"stop_reason {inline(run.stop_reason)}")
                if run.finish_reason:
                    details.append(f"finish_reason {inline(run.finish_reason)}")
                if run.error:
                    details.append(f"error: {preview(run.error, 200)}")
                details.append(f"usage {usage_text(run.usage)}")
                self.line(run_id, "run " + " · ".join(details))
            case ReplyReceived(run_id=run_id, text=text, run=run):
                for message in run.messages:
                    self._flush(message)
                self._block(run_id, "reply", text)
            case SpanEntered(run_id=run_id, span=span):
                self._spans[span.span_id] = span
                indent = "  " * span.depth
                via = ""
                if span.parent_tool_call_id is not None:
                    via = f" ({_SUBAGENT_MARK} via {inline(span.parent_tool_call_id)})"
                self.line(run_id, f"{indent}▸ {inline(span.name)}{via}")
            case SpanExited(run_id=run_id, span=span):
                for message_id in span.message_ids:
                    done = self._messages.get(message_id)
                    if done is not None:
                        self._flush(done)
                indent = "  " * span.depth
                outcome = str(span.status)
                if span.error:
                    outcome += f": {preview(span.error, 200)}"
                self.line(run_id, f"{indent}◂ {inline(span.name)} {outcome}")
            case MessageStarted(message_id=message_id, message=message):
                self._messages[message_id] = message
                if message.role != "assistant":
                    self._flush(message)  # e.g. the user's input, complete from the start
            case MessageCompleted(message=message):
                self._flush(message)
            case ToolCallStarted(run_id=run_id, call=call):
                owner = self._messages.get(call.message_id) if call.message_id else None
                if owner is not None:
                    self._flush(owner)
                self.line(run_id, f"tool {_call_name(call)}: started")
            case ToolCallStateChanged(run_id=run_id, new=new, call=call):
                text = f"tool {_call_name(call)}: {new}"
                if new in (ToolCallState.INPUT_COMPLETE, ToolCallState.APPROVAL_REQUESTED):
                    text += f" · args {preview(call.arguments, 200)}"
                elif new.is_terminal:
                    outcome = _tool_outcome(call)
                    if outcome:
                        text += f" · {'error' if call.error else 'result'} {preview(outcome, 200)}"
                self.line(run_id, text)
            case UsageUpdated(run_id=run_id, usage=usage, total=total):
                self.line(
                    run_id,
                    f"usage +{usage.prompt_tokens} prompt +{usage.completion_tokens} completion"
                    f" (run total {total.total_tokens})",
                )
            case Diagnostic() as diagnostic:
                where = (
                    f"frame {diagnostic.frame_index}" if diagnostic.frame_index is not None else ""
                )
                dropped = " (dropped)" if diagnostic.dropped else ""
                self.line(
                    diagnostic.run_id,
                    f"diagnostic {diagnostic.severity} {inline(diagnostic.code)} {where}{dropped}:"
                    f" {preview(diagnostic.message, 200)}",
                )
            case TextReplaced(part=part):
                if isinstance(part, TextPart):
                    self._printed.pop(part, None)
            case TextDelta() | ReasoningDelta() | ToolCallArgumentsDelta() | ToolOutputDelta():
                pass  # text is printed per message, when it is done
            case _:
                pass  # state, checkpoints, custom and search events: see `streamfold inspect`

    def _flush(self, message: Message) -> None:
        """Print the text of ``message`` that was not printed yet."""
        span = self._spans.get(message.span_id) if message.span_id else None
        where = f" ({inline(span.name)})" if span is not None else ""
        for part in message.parts:
            if not isinstance(part, TextPart | ReasoningPart):
                continue
            done = self._printed.get(part, 0)
            text = part.text
            if len(text) <= done:
                continue
            self._printed[part] = len(text)
            label = "reasoning" if isinstance(part, ReasoningPart) else message.role
            self._block(message.run_id, f"{inline(label)}{where}", text[done:])

    def _block(self, run_id: str | None, label: str, text: str) -> None:
        lines = printable(text).split("\n")
        self.line(run_id, f"{label}: {lines[0]}")
        for more in lines[1:]:
            self.line(run_id, f"    {more}")


def _call_name(call: ToolCall) -> str:
    return f"{inline(call.name or '?')} ({inline(call.call_id)})"


# -------------------------------------------------------------------------------- inspect


def inspect_report(reducer: Reducer, *, source: str) -> list[Text]:
    """The ``streamfold inspect`` report of a folded conversation, one Text per line."""
    conversation = reducer.conversation
    out: list[Text] = []
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted
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
    out.append(Text())
    out.extend(_inspect_usage(conversation))
    out.append(Text())
    out.extend(_inspect_diagnostics(conversation))
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
            outcome = _tool_outcome(call)
            if outcome:
                line.append(f"  {'error' if call.error else 'result'} {preview(outcome, 80)}")
            lines.append(line)
    lines.append(_field("usage", usage_text(run.usage)))
    return lines


def _inspect_spans(run: Run, spans: Sequence[Span], depth: int) -> list[Text]:
    lines: list[Text] = []
    for call_id, group in _group_children(spans):
        inner = depth
        if call_id is not None:
            line = Text("  " * depth)
            line.append_text(_subagent_label(run.tool_calls.get(call_id), call_id))
            lines.append(line)
            inner = depth + 1
        for span in group:
            line = Text("  " * inner)
            line.append_text(_span_label(span))
            lines.append(line)
            lines.extend(_inspect_spans(run, span.children, inner + 1))
    return lines


def _inspect_usage(conversation: Conversation) -> list[Text]:
    width = max([len("all runs")] + [len(inline(r.run_id)) for r in conversation.runs])
    lines = [Text("usage", style="bold")]
    lines.append(Text(f"  {'run':<{width}}  {'prompt':>10}  {'completion':>10}  {'total':>10}"))
    rows = [(inline(r.run_id), r.usage) for r in conversation.runs]
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


def _inspect_diagnostics(conversation: Conversation, *, frames_shown: int = 5) -> list[Text]:
    diagnostics = list(conversation.diagnostics)
    count = len(diagnostics) + conversation.diagnostics_evicted
    lines = [Text(f"diagnostics ({count})", style="bold")]
    if conversation.diagnostics_evicted:
        lines.append(
            Text(f"  {conversation.diagnostics_evicted} older diagnostic(s) not kept", style="dim")
        )
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

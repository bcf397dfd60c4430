"""The live replay view (rich): sessions → runs → span trees, streaming text, tool calls, usage,
and a status line with the replay's position, speed and keys (docs/cli.md, "The live view").

The view reads the model (``reducer.conversation``); notifications only tell it *what* changed:
it keeps one rendered tree per run and rebuilds only the runs that the notifications since the
last render touched (the caller decides how often to render).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ...model import (
    Conversation,
    Diagnostic,
    Message,
    ReasoningPart,
    Run,
    Span,
    SpanStatus,
    TextPart,
    ToolCall,
    ToolCallPart,
)
from ...notifications import Evicted, Notification, RunFinished, SessionStarted
from ...reducer import Reducer
from ...safe_text import inline, preview, printable, tail
from .labels import PREVIEW, one_line, run_header, span_label, subagent_label, tool_line
from .pieces import RUN_STYLES, group_children, run_status

__all__ = ["LiveView"]

# Live view sizes (characters / lines): enough to follow, small enough to fit a terminal.
_STREAM_TAIL_CHARS: Final = 360
_STREAM_TAIL_LINES: Final = 6
_RECENT_SPANS: Final = 6
_RECENT_FINISHED_RUNS: Final = 3


def _stream_tail(text: str) -> str:
    shown = tail(text, _STREAM_TAIL_CHARS)
    lines = shown.split("\n")
    if len(lines) > _STREAM_TAIL_LINES:
        shown = "…" + "\n".join(lines[-_STREAM_TAIL_LINES:])
    return shown


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
    others. ``render(final=True)`` renders every run in full, for the view printed at the end.

    ``status`` (called at each render) gives the replay's status line, shown under the footer.
    Set :attr:`cut` when the replay stopped before the end of its input: running runs then show
    as ``open at cut``. :attr:`problems` counts what was wrong with the recording file itself
    (``RecordingProblem``, docs/recording.md); the footer counts them with the diagnostics.
    """

    def __init__(
        self,
        reducer: Reducer,
        *,
        title: str | None = None,
        status: Callable[[], Text] | None = None,
        problems: int = 0,
    ) -> None:
        self._reducer = reducer
        self._title = title
        self._status = status
        self._cache: dict[str, RenderableType] = {}
        self._dirty: set[str] = set()
        self._finished: list[str] = []
        self.changed = False
        """Whether anything changed since the last :meth:`render`."""
        self.renders = 0
        self.cut = False
        self.problems = problems

    @property
    def conversation(self) -> Conversation:
        """The conversation the view shows (the reducer's, live)."""
        return self._reducer.conversation

    def apply(self, notes: Iterable[Notification]) -> None:
        """Take in a batch of notifications: the runs they touch are redrawn at the next
        :meth:`render` (the others come from a cache), finished runs are remembered, evicted
        sessions leave the cache. O(len(notes))."""
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
        """The view as a rich renderable: the visible runs' trees, the usage table and the status
        line; ``final=True`` for the last frame (every run shown, the runs that were still running
        marked ``open at cut`` when the replay was cut)."""
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
            return _run_tree(run, full=True, cut=self.cut)
        cached = self._cache.get(run.run_id)
        if cached is None or run.run_id in self._dirty:
            cached = _run_tree(run, full=not run.status.is_terminal, cut=self.cut)
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
                Text(run_status(run, cut=self.cut), style=RUN_STYLES[run.status]),
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
        count = len(conversation.diagnostics) + conversation.diagnostics_evicted + self.problems
        status = Text(
            f"frames {reducer.frames_in} ({reducer.frames_applied} applied,"
            f" {reducer.frames_dropped} dropped) · "
        )
        status.append(f"{count} diagnostic(s)", style="yellow" if count else "green")
        if self._status is None:
            return Group(Text("usage", style="bold"), table, status)
        return Group(Text("usage", style="bold"), table, status, self._status())


def _run_tree(run: Run, *, full: bool, cut: bool = False) -> RenderableType:
    """One run. ``full``: the span tree with streaming text; else a compact summary."""
    tree = Tree(run_header(run, cut=cut), guide_style="bright_black")
    if run.input_text:
        line = Text("user: ", style="bold cyan")
        line.append(preview(run.input_text, PREVIEW * 2))
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
            tree.add(tool_line(call))
        for key, group in group_children(spans):
            _add_span_group(tree, run, key, group, index, streaming=streaming)
    if run.reply is not None:
        reply = Text("reply: ", style="bold green")
        reply.append(printable(run.reply) if full else preview(run.reply, PREVIEW * 2))
        tree.add(reply)
    if run.error is not None:
        error = Text("error: ", style="bold red")
        error.append(preview(run.error, PREVIEW * 2))
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
        label = subagent_label(call, call_id)
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
            quiet.append_text(span_label(span))
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
    node = parent.add(span_label(span))
    live = streaming and span.status is SpanStatus.OPEN
    for message_id in span.message_ids:
        message = index.messages.get(message_id)
        if message is not None:
            _add_message(node, message, index, streaming=live)
    for call in index.span_calls.get(span.span_id, ()):
        node.add(tool_line(call))
    for key, group in group_children(span.children):
        _add_span_group(node, run, key, group, index, streaming=streaming)


def _add_message(parent: Tree, message: Message, index: _RunIndex, *, streaming: bool) -> None:
    """A message's parts in order: growing text while it streams, one-line previews after."""
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.buffer:
                if streaming:
                    parent.add(Text(_stream_tail(part.text)))
                else:
                    parent.add(one_line(preview(part.text, PREVIEW * 2)))
        elif isinstance(part, ReasoningPart):
            if part.buffer:
                if streaming:
                    parent.add(Text(_stream_tail(part.text), style="dim italic"))
                else:
                    parent.add(one_line(preview(part.text, PREVIEW), style="dim italic"))
        elif isinstance(part, ToolCallPart):
            parent.add(tool_line(part.call))

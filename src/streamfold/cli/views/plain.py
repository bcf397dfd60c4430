"""The plain replay log, for pipes, files and terminals without rich (docs/cli.md, "The plain
log"): one line per structural change, deterministic, no timing, no styling. Imports nothing
from rich."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ...model import (
    Conversation,
    Diagnostic,
    Message,
    ReasoningPart,
    RunStatus,
    Span,
    TextPart,
    ToolCallState,
)
from ...notifications import (
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
from ...safe_text import inline, preview, printable
from .pieces import OPEN_AT_CUT, SUBAGENT_MARK, call_name, tool_outcome, usage_text

if TYPE_CHECKING:
    from ...framing import RecordingProblem

__all__ = ["PlainPrinter", "problem_line"]


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
        """Write one log line, prefixed with ``[run_id]`` when there is one; ``text`` is already
        escaped."""
        prefix = f"[{inline(run_id)}] " if run_id is not None else ""
        self._write(prefix + text + "\n")

    def handle(self, notes: Iterable[Notification]) -> None:
        """Print what a batch of notifications changed, one line per structural change (sessions,
        runs, spans, tool calls, diagnostics) and message text as it completes (docs/cli.md, the
        plain log)."""
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
                    via = f" ({SUBAGENT_MARK} via {inline(span.parent_tool_call_id)})"
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
                self.line(run_id, f"tool {call_name(call)}: started")
            case ToolCallStateChanged(run_id=run_id, new=new, call=call):
                text = f"tool {call_name(call)}: {new}"
                if new in (ToolCallState.INPUT_COMPLETE, ToolCallState.APPROVAL_REQUESTED):
                    text += f" · args {preview(call.arguments, 200)}"
                elif new.is_terminal:
                    outcome = tool_outcome(call)
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

    def problems(self, problems: Iterable[RecordingProblem]) -> None:
        """One line per problem of the recording file itself (docs/recording.md)."""
        for problem in problems:
            self.line(None, problem_line(problem))

    def start_at(self, conversation: Conversation) -> None:
        """The replay starts here (``--from``): the frames before were applied silently, so
        their text counts as printed and their messages and spans as known."""
        for run in conversation.runs:
            for span in run.walk_spans():
                self._spans[span.span_id] = span
            for message in run.messages:
                self._messages[message.message_id] = message
                for part in message.parts:
                    if isinstance(part, TextPart | ReasoningPart):
                        self._printed[part] = len(part.text)

    def cut(self, conversation: Conversation) -> None:
        """The replay stopped before the end of its input: the text not printed yet of the
        runs still open, then one line per such run."""
        for run in conversation.runs:
            if run.status is RunStatus.RUNNING:
                for message in run.messages:
                    self._flush(message)
                self.line(run.run_id, f"run {OPEN_AT_CUT} · usage {usage_text(run.usage)}")


def problem_line(problem: RecordingProblem) -> str:
    """``diagnostic warning truncated_record line 9 (skipped): …`` — a recording problem in the
    shape of a diagnostic line (they are counted with the diagnostics)."""
    where = f" line {problem.line}" if problem.line is not None else ""
    return (
        f"diagnostic warning {inline(problem.code)}{where} (skipped):"
        f" {preview(problem.message, 200)}"
    )

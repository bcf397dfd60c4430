"""Runs, sessions, spans, the reply and usage: ``StartRun``, ``EndRun``, ``SetReply``,
``OpenSpan``, ``CloseSpan``, ``ReportUsage``; the open-run and session limits."""

from __future__ import annotations

from typing import Final

from .. import events as ev
from ..model import (
    RUN_TRANSITIONS,
    ReasoningPart,
    Run,
    RunStatus,
    Session,
    Severity,
    Span,
    SpanStatus,
    TextPart,
    ToolCallState,
)
from ..model.values import _appended
from ..notifications import (
    Evicted,
    MessageCompleted,
    ReplyReceived,
    RunFinished,
    RunStarted,
    SessionStarted,
    SpanEntered,
    SpanExited,
    UsageUpdated,
)
from .state import INPUT_OPEN, FoldState, Notes
from .text import flush_halves

__all__ = [
    "apply_close_span",
    "apply_end_run",
    "apply_open_span",
    "apply_report_usage",
    "apply_set_reply",
    "apply_start_run",
    "get_run",
]


def get_run(state: FoldState, run_id: str, notes: Notes) -> Run:
    """The run ``run_id``; an unknown id (a decoder slip, not a reason to lose data) starts an
    implicit run in session ``"default"`` with an ``unknown_run`` diagnostic."""
    run = state.runs.get(run_id)
    if run is None:
        state.diagnose(
            ev.Diagnose("unknown_run", f"event for unknown run {run_id!r}", run_id=run_id), notes
        )
        apply_start_run(state, ev.StartRun(session_id="default", run_id=run_id), notes)
        run = state.runs[run_id]
    return run


def apply_start_run(state: FoldState, e: ev.StartRun, notes: Notes) -> None:
    """Apply ``StartRun`` (:class:`streamfold.events.StartRun`): a run begins in session
    ``session_id`` (the session is created on first sight)."""
    conversation = state.conversation
    session = conversation.sessions.get(e.session_id)
    if session is None:
        session = conversation.sessions[e.session_id] = Session(e.session_id)
        notes.append(SessionStarted(e.session_id, session))
        if state.max_sessions is not None:
            _limit_sessions(state, e.session_id, notes)
    if e.run_id in state.runs:
        state.diagnose(
            ev.Diagnose("duplicate_run", f"run {e.run_id!r} already started", run_id=e.run_id),
            notes,
        )
        return
    run = Run(
        run_id=e.run_id,
        session_id=e.session_id,
        thread_id=e.thread_id,
        agent=e.agent,
        input_text=e.input_text,
        parent_run_id=e.parent_run_id,
        metadata=dict(e.metadata) if e.metadata else {},
        start_frame=state.index,
        start_time=state.now(),
        time_source=state.time_source(),
    )
    if e.thread_id and session.thread_id is None:
        session.thread_id = e.thread_id
    state.runs[e.run_id] = run
    state.open_runs[e.run_id] = run
    session.runs.append(run)
    notes.append(RunStarted(e.session_id, e.run_id, run))
    if len(state.open_runs) > state.max_open_runs:
        _limit_open_runs(state, notes)
    if e.input_text is not None:
        input_id = f"{e.run_id}/input"
        if input_id in state.messages:
            state.diagnose(
                ev.Diagnose(
                    "duplicate_message",
                    f"message {input_id!r} already started",
                    Severity.INFO,
                    run_id=e.run_id,
                ),
                notes,
            )
        else:
            state.new_message(run, input_id, "user", notes, text=e.input_text)


def apply_end_run(state: FoldState, e: ev.EndRun, notes: Notes) -> None:
    """Apply ``EndRun`` (:class:`streamfold.events.EndRun`): a run ends."""
    run = get_run(state, e.run_id, notes)
    if e.status not in RUN_TRANSITIONS[run.status]:  # the one check of a run's lifecycle
        if run.status.is_terminal:
            code, text = "run_already_ended", f"run {e.run_id!r} already ended ({run.status})"
        else:
            code, text = "illegal_run_transition", f"run {e.run_id!r} cannot end as {e.status}"
        state.diagnose(ev.Diagnose(code, text, run_id=e.run_id), notes)
        return
    if state.halves:  # the run's text streams end: pending surrogate halves (core/text.py)
        flush_halves(state, notes, run_id=run.run_id)
    index, now = state.index, state.now()
    for span in run.walk_spans():
        if span.status is SpanStatus.OPEN:
            span.status = SpanStatus.UNCLOSED
            span.end_frame, span.end_time = index, now
            notes.append(SpanExited(run.run_id, span.span_id, span.name, False, None, span))
    for call in run.tool_calls.values():
        if call.state in INPUT_OPEN:
            state.complete_input(call, notes)
        elif call.state is ToolCallState.EXECUTING:
            state.set_tool_state(call, ToolCallState.CANCELLED, notes)
    for message in run.messages:
        if not message.completed:
            message.completed = True
            message.end_frame, message.end_time = index, now
            notes.append(MessageCompleted(run.run_id, message.message_id, message))
        for part in message.parts:  # finished texts as one string each (TextBuffer.settle)
            if type(part) is TextPart or type(part) is ReasoningPart:
                part.buffer.settle()
    run.status = e.status
    state.open_runs.pop(run.run_id, None)
    run.finish_reason = e.finish_reason if e.finish_reason is not None else run.finish_reason
    run.stop_reason = e.stop_reason if e.stop_reason is not None else run.stop_reason
    run.error = e.error if e.error is not None else run.error
    run.error_code = e.error_code if e.error_code is not None else run.error_code
    run.end_frame, run.end_time = index, now
    if run.time_source is None:
        run.time_source = state.time_source()
    notes.append(
        RunFinished(run.run_id, run.status, run.finish_reason, run.stop_reason, run.error, run)
    )


def apply_set_reply(state: FoldState, e: ev.SetReply, notes: Notes) -> None:
    """Apply ``SetReply`` (:class:`streamfold.events.SetReply`): the sender's authoritative final
    answer for a run."""
    run = get_run(state, e.run_id, notes)
    text = e.text
    if text and run.messages:  # the answer as streamed: keep one copy of it, not two
        streamed = run.messages[-1].text
        if streamed == text:
            text = streamed
    run.reply = text
    if e.reasoning is not None:
        run.reasoning_content = e.reasoning
    if e.thread_id is not None:
        run.thread_id = e.thread_id
        session = state.conversation.sessions[run.session_id]
        session.thread_id = session.thread_id or e.thread_id
    notes.append(ReplyReceived(run.run_id, e.text, run))


MAX_SPAN_DEPTH: Final = 64
"""The deepest a span tree nests (a run's top-level spans are level 1). A span opened inside a
span at this level is placed beside it, with a ``span_too_deep`` diagnostic: every span and its
messages are kept, and every view of the tree (the JSON export, the terminal, a transcript)
stays within what its writer and reader can nest (docs/how-to/bound-memory.md)."""


def _at_depth_limit(span: Span) -> bool:
    """Whether ``span`` is at level :data:`MAX_SPAN_DEPTH` (at most that many steps up)."""
    level = 1
    parent = span.parent
    while parent is not None:
        level += 1
        parent = parent.parent
        if level >= MAX_SPAN_DEPTH:
            return True
    return level >= MAX_SPAN_DEPTH


def apply_open_span(state: FoldState, e: ev.OpenSpan, notes: Notes) -> None:
    """Apply ``OpenSpan`` (:class:`streamfold.events.OpenSpan`): open span ``span_id`` named
    ``name`` inside ``parent_span_id`` (``None``: at run level)."""
    run = get_run(state, e.run_id, notes)
    parent = state.spans.get(e.parent_span_id) if e.parent_span_id else None
    if parent is not None and _at_depth_limit(parent):
        state.diagnose(
            ev.Diagnose(
                "span_too_deep",
                f"span {e.span_id!r} would nest {MAX_SPAN_DEPTH + 1} levels deep: placed beside"
                f" its parent {parent.span_id!r}",
                run_id=e.run_id,
            ),
            notes,
        )
        parent = parent.parent
    span = Span(
        span_id=e.span_id,
        name=e.name,
        run_id=e.run_id,
        node_id=e.node_id,
        event_id=e.event_id,
        parent=parent,
        parent_tool_call_id=e.parent_tool_call_id,
        start_frame=state.index,
        start_time=state.now(),
    )
    if parent is not None:
        parent._children = _appended(parent._children, span)
    else:
        run._spans = _appended(run._spans, span)
    state.spans[e.span_id] = span
    notes.append(SpanEntered(e.run_id, e.span_id, e.name, e.parent_span_id, span))


def apply_close_span(state: FoldState, e: ev.CloseSpan, notes: Notes) -> None:
    """Apply ``CloseSpan`` (:class:`streamfold.events.CloseSpan`): close span ``span_id``."""
    span = state.spans.get(e.span_id)
    if span is None or span.status is not SpanStatus.OPEN:
        state.diagnose(
            ev.Diagnose(
                "unknown_span",
                f"close of unknown or closed span {e.span_id!r}",
                run_id=e.run_id,
            ),
            notes,
        )
        return
    if e.unclosed:
        span.status = SpanStatus.UNCLOSED
    else:
        span.status = SpanStatus.ERROR if e.error is not None else SpanStatus.OK
    span.error = e.error
    span.end_frame, span.end_time = state.index, state.now()
    ok = span.status is SpanStatus.OK
    notes.append(SpanExited(e.run_id, e.span_id, span.name, ok, e.error, span))


def apply_report_usage(state: FoldState, e: ev.ReportUsage, notes: Notes) -> None:
    """Apply ``ReportUsage`` (:class:`streamfold.events.ReportUsage`): a usage report."""
    run = get_run(state, e.run_id, notes)
    session = state.conversation.sessions[run.session_id]
    targets = [run.usage, session.usage, state.conversation.usage]
    if e.mode == "set":
        previous = state.usage_set.get(e.run_id)
        if previous is not None:
            for target in targets:
                target.add(previous, -1)
        state.usage_set[e.run_id] = e.usage
    for target in targets:
        target.add(e.usage)
    if e.span_id is not None:
        span = state.spans.get(e.span_id)
        if span is not None:
            span.usage.add(e.usage)
    notes.append(UsageUpdated(e.run_id, e.span_id, e.usage, run.usage))


# ------------------------------------------------------------------------------- limits


def _limit_open_runs(state: FoldState, notes: Notes) -> None:
    while len(state.open_runs) > state.max_open_runs:
        oldest = next(iter(state.open_runs.values()))
        state.diagnose(
            ev.Diagnose(
                "run_evicted",
                f"more than max_open_runs={state.max_open_runs} runs open: "
                f"{oldest.run_id!r} ended as incomplete",
                run_id=oldest.run_id,
            ),
            notes,
        )
        apply_end_run(
            state,
            ev.EndRun(oldest.run_id, RunStatus.INCOMPLETE, error="evicted: too many open runs"),
            notes,
        )
        state.tell_decoders("run_evicted", notes, oldest.session_id, oldest.run_id)


def _limit_sessions(state: FoldState, keep: str, notes: Notes) -> None:
    """Past ``max_sessions``, the oldest session whose runs all ended leaves the model."""
    sessions = state.conversation.sessions
    limit = state.max_sessions
    if limit is None or len(sessions) <= limit:
        return
    for session_id, session in sessions.items():
        if session_id != keep and all(run.status.is_terminal for run in session.runs):
            break
    else:
        return  # every other session is still running: nothing can leave yet
    del sessions[session_id]
    state.message_runs.pop(session_id, None)
    for run in session.runs:
        state.runs.pop(run.run_id, None)
        state.usage_set.pop(run.run_id, None)
        for span in run.walk_spans():
            state.spans.pop(span.span_id, None)
        for message in run.messages:
            state.forget_message(message)
        for call_id, call in run.tool_calls.items():
            state.calls.pop((run.run_id, call_id), None)
            if state.latest_call.get(call_id) is call:
                del state.latest_call[call_id]
    notes.append(Evicted(session_id, session))
    state.tell_decoders("session_evicted", notes, session)

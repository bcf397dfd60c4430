"""A folded :class:`~streamfold.model.Conversation` as rows per table (pure Python).

No pyarrow here: ``streamfold export --to jsonl`` writes these rows as they are. A row is a
``dict`` with exactly the columns of its table in :data:`streamfold.tables.schema.TABLES`, in
order; times are ``datetime`` (UTC) or ``None``. Shapes and meanings: docs/batch.md "Tables".

Frame indexes are the reducer's unless ``frame_map`` is given: the ``--log`` job folds each
session in a reducer of its own and maps the session's frame indexes back to the log's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from ..model import (
    UNSET,
    Conversation,
    Diagnostic,
    Message,
    Run,
    Session,
    Span,
    ToolCall,
    ToolCallPart,
    Usage,
)
from ..model.text import dumps
from .schema import TABLE_NAMES

__all__ = [
    "FrameMap",
    "Rows",
    "conversation_rows",
    "diagnostic_row",
    "empty_rows",
    "model_times",
]

Rows = dict[str, list[dict[str, Any]]]
"""Table name → its rows (every table present, possibly empty)."""
FrameMap = Callable[[int | None], int | None]
"""Maps a reducer frame index to the input's (``None`` stays ``None``)."""

_Timed = Run | Span | Message | ToolCall


def empty_rows() -> Rows:
    """A :data:`Rows` with every table and no rows."""
    return {name: [] for name in TABLE_NAMES}


# ------------------------------------------------------------------------------------ times


def model_times(obj: _Timed) -> tuple[datetime | None, datetime | None]:
    """``(start_time, end_time)`` of a model object, as UTC datetimes.

    THE ONE PLACE where model times become table columns. The model's times are seconds
    (docs/transcript.md, "Time"): the wire's epoch times, or arrival times of any origin. Only
    wall-clock times become columns: a time from 2001 on (``>= 1e9`` s since the Unix epoch;
    AG-UI ``timestamp``, a ``time.time`` clock) is converted to a UTC ``datetime``; a time
    counted from the start of a stream (a recording's ``t``) or no time gives ``None``.
    """
    return _wall(obj.start_time), _wall(obj.end_time)


_WALL_CLOCK_FROM: Final = 1.0e9


def _wall(seconds: float | None) -> datetime | None:
    if seconds is None or not _WALL_CLOCK_FROM <= seconds < 1.0e11:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


# ------------------------------------------------------------------------------------- rows


def _identity(index: int | None) -> int | None:
    return index


def _details(values: dict[str, int]) -> str | None:
    return dumps(values, option=orjson.OPT_SORT_KEYS).decode() if values else None


def _tokens(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _times(obj: _Timed, start: int | None, end: int | None, fmap: FrameMap) -> dict[str, Any]:
    start_time, end_time = model_times(obj)
    return {
        "start_time": start_time,
        "end_time": end_time,
        "start_frame": fmap(start),
        "end_frame": fmap(end),
    }


def _model_name(run: Run) -> str | None:
    model = run.metadata.get("model")
    return model if isinstance(model, str) else None


def conversation_rows(
    conversation: Conversation,
    source: str,
    *,
    frame_map: FrameMap | None = None,
    into: Rows | None = None,
) -> Rows:
    """Rows of every table for ``conversation`` (appended to ``into`` when given).

    ``source`` names the input in every row. Rows come in model order: sessions in first-seen
    order, runs in start order, spans depth first.
    """
    rows = into if into is not None else empty_rows()
    fmap = frame_map or _identity
    for session in conversation.sessions.values():
        _session_rows(session, source, fmap, rows)
    for diagnostic in conversation.diagnostics:
        rows["diagnostics"].append(diagnostic_row(diagnostic, source, fmap))
    if conversation.diagnostics_evicted:
        rows["diagnostics"].append(
            {
                "source": source,
                "session_id": None,
                "run_id": None,
                "code": "diagnostics_evicted",
                "severity": "warning",
                "message": f"{conversation.diagnostics_evicted} older diagnostics were not kept "
                "(the reducer's max_diagnostics)",
                "dropped": False,
                "frame_index": None,
                "event_id": None,
                "raw": None,
            }
        )
    return rows


def diagnostic_row(
    diagnostic: Diagnostic, source: str, fmap: FrameMap = _identity
) -> dict[str, Any]:
    """The ``diagnostics`` row of one diagnostic."""
    return {
        "source": source,
        "session_id": diagnostic.session_id,
        "run_id": diagnostic.run_id,
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "dropped": diagnostic.dropped,
        "frame_index": fmap(diagnostic.frame_index),
        "event_id": diagnostic.event_id,
        "raw": diagnostic.raw,
    }


def _session_rows(session: Session, source: str, fmap: FrameMap, rows: Rows) -> None:
    messages: list[Message] = []
    seen: set[int] = set()
    for run in session.runs:
        _run_rows(run, source, fmap, rows)
        for message in run.messages:
            if id(message) not in seen:
                seen.add(id(message))
                messages.append(message)
    # seq orders the conversation's messages; its position within the session is what stays
    # the same however the sessions of a log were grouped into reducers.
    messages.sort(key=lambda m: m.seq)
    for position, message in enumerate(messages):
        rows["messages"].append(_message_row(message, session, position, source, fmap))


def _run_rows(run: Run, source: str, fmap: FrameMap, rows: Rows) -> None:
    spans = list(run.walk_spans())
    rows["runs"].append(
        {
            "source": source,
            "session_id": run.session_id,
            "run_id": run.run_id,
            "thread_id": run.thread_id,
            "parent_run_id": run.parent_run_id,
            "agent": run.agent,
            "model": _model_name(run),
            "status": run.status.value,
            "finish_reason": run.finish_reason,
            "stop_reason": run.stop_reason,
            "error": run.error,
            "error_code": run.error_code,
            "input_text": run.input_text,
            "text": run.text,
            "lossy": run.lossy,
            "span_count": len(spans),
            "message_count": len(run.messages),
            "tool_call_count": len(run.tool_calls),
            **_tokens(run.usage),
            "usage_reports": run.usage.reports,
            **_times(run, run.start_frame, run.end_frame, fmap),
        }
    )
    for span in spans:
        rows["spans"].append(_span_row(span, run, source, fmap))
    for call in run.tool_calls.values():
        rows["tool_calls"].append(_tool_call_row(call, run, source, fmap))
    _usage_rows(run, spans, source, fmap, rows["usage"])


def _span_row(span: Span, run: Run, source: str, fmap: FrameMap) -> dict[str, Any]:
    return {
        "source": source,
        "session_id": run.session_id,
        "run_id": run.run_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent.span_id if span.parent is not None else None,
        "parent_tool_call_id": span.parent_tool_call_id,
        "name": span.name,
        "node_id": span.node_id,
        "event_id": span.event_id,
        "depth": span.depth,
        "status": span.status.value,
        "error": span.error,
        **_tokens(span.usage),
        **_times(span, span.start_frame, span.end_frame, fmap),
    }


def _message_row(
    message: Message, session: Session, position: int, source: str, fmap: FrameMap
) -> dict[str, Any]:
    return {
        "source": source,
        "session_id": session.session_id,
        "run_id": message.run_id,
        "message_id": message.message_id,
        "span_id": message.span_id,
        "role": message.role,
        "seq": position,
        "text": message.text,
        "reasoning": message.reasoning,
        "completed": message.completed,
        "part_count": len(message.parts),
        "tool_call_ids": [p.call.call_id for p in message.parts if isinstance(p, ToolCallPart)],
        **_times(message, message.start_frame, message.end_frame, fmap),
    }


def _tool_call_row(call: ToolCall, run: Run, source: str, fmap: FrameMap) -> dict[str, Any]:
    timeline = call.timeline
    start = timeline[0][1] if timeline else None
    end = timeline[-1][1] if timeline and call.state.is_terminal else None
    approved = call.approval.approved if call.approval is not None else None
    return {
        "source": source,
        "session_id": run.session_id,
        "run_id": run.run_id,
        "call_id": call.call_id,
        "name": call.name,
        "message_id": call.message_id,
        "span_id": call.span_id,
        "state": call.state.value,
        "arguments": call.arguments,
        "arguments_valid": call.input is not UNSET,
        "output": call.output,
        "result": call.result,
        "error": call.error,
        "approved": approved,
        "provider_executed": call.provider_executed,
        "client_tool": call.client_tool,
        **_times(call, start, end, fmap),
    }


def _usage_row(
    run: Run,
    span: Span | None,
    usage: Usage,
    source: str,
    fmap: FrameMap,
) -> dict[str, Any]:
    owner: Run | Span = span if span is not None else run
    return {
        "source": source,
        "session_id": run.session_id,
        "run_id": run.run_id,
        "span_id": span.span_id if span is not None else None,
        "scope": "span" if span is not None else "run",
        "agent": span.name if span is not None else run.agent,
        "model": _model_name(run),
        **_tokens(usage),
        "input_tokens_details": _details(usage.prompt_tokens_details),
        "output_tokens_details": _details(usage.completion_tokens_details),
        "reports": usage.reports,
        **_times(owner, owner.start_frame, owner.end_frame, fmap),
    }


def _usage_rows(
    run: Run, spans: Iterable[Span], source: str, fmap: FrameMap, out: list[dict[str, Any]]
) -> None:
    """One row per span that reported usage (a model call in that node), and one for the part
    of the run's usage no span took (per-run reports; a report replaced by a later one is
    already taken out of the run's total). The rows of a run sum to its usage."""
    rest = run.usage.copy()
    for span in spans:
        if span.usage:
            out.append(_usage_row(run, span, span.usage, source, fmap))
            rest.add(span.usage, -1)
    if rest.reports > 0 or rest.prompt_tokens or rest.completion_tokens or rest.total_tokens:
        rest.prompt_tokens_details = {k: v for k, v in rest.prompt_tokens_details.items() if v}
        rest.completion_tokens_details = {
            k: v for k, v in rest.completion_tokens_details.items() if v
        }
        out.append(_usage_row(run, None, rest, source, fmap))

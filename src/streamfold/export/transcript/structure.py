"""The transcript structure: a :class:`~streamfold.model.Conversation` as the tree a person reads
(``docs/transcript.md``, "The JSON structure").

Per session and run, the agent/span tree: run → span (node) → message (its parts in order, a
tool call where its part is) → tool call → the sub-agent spans it started, with times, usage and
the diagnostics placed where they happened. Every value is plain JSON data (``dict``, ``list``,
``str``, ``int``, ``float``, ``bool``, ``None`` plus the stream's own JSON values); stream text is
*not* escaped here: each writer escapes for its medium.

Built one run at a time (:func:`iter_runs`), so a writer holds one run's tree beside the model,
never the whole transcript (bounded memory, ``bench/bench_transcript.py``).

Node shapes (``kind`` first):

* ``run``: ``run_id``, ``session_id``, ``agent``, ``parent_run_id``, ``status``,
  ``finish_reason``, ``stop_reason``, ``error``, ``error_code``, ``model``, ``reply``, ``lossy``,
  ``missing`` + ``missing_unit``, ``usage``, times, ``children``;
* ``span``: ``span_id``, ``name``, ``node_id``, ``status``, ``error``, ``usage``, times,
  ``children``;
* ``message``: ``message_id``, ``role``, ``completed``, ``model``, times, ``ttft``, ``parts``
  (``{"kind": "text"|"reasoning", "text"}``, ``{"kind": "tool-result", "call_id", "content",
  "is_error", "error", "in_call"}``: ``in_call`` says the run's tool call node shows the same
  result, so a reader may skip the part; tool calls as ``tool_call`` nodes);
* ``tool_call``: ``call_id``, ``name``, ``state``, ``arguments`` (the parsed value, else the
  text), ``result`` (the value, else the text), ``output``, ``error``, ``approval``, times,
  ``input_frame`` / ``input_time``, ``latency``, ``children`` (sub-agent spans);
* ``diagnostic``: ``code``, ``severity``, ``message``, ``frame``, ``time``, ``dropped``, ``raw``.

Times: ``start_frame`` / ``end_frame`` (0-based frame indexes, always there when known) and
``start_time`` / ``end_time`` (seconds on the run's clock, ``None`` without times);
``duration`` (seconds, or frames when the run has no times: see ``time_unit``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from ...model import (
    UNSET,
    Conversation,
    Diagnostic,
    Message,
    ReasoningPart,
    Run,
    Session,
    Span,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from ...model.text import dumps

__all__ = [
    "TRANSCRIPT_VERSION",
    "document_head",
    "iter_runs",
    "model_name",
    "run_tree",
    "session_head",
    "time_basis",
    "usage_dict",
    "write_json",
]

TRANSCRIPT_VERSION: Final = 1
"""The ``transcript`` key of the JSON document; bumped when a key changes meaning."""

TIME_SOURCES: Final = {
    "wire": "the sender's own timestamps (AG-UI `timestamp`), seconds since the Unix epoch",
    "arrival": "arrival times given with the frames (a recording's `t`, `feed(..., at=...)` "
    "or a reducer clock), in seconds",
    "frames": "no times in the input: frame indexes order events and durations count frames",
}


def usage_dict(usage: Usage) -> dict[str, Any] | None:
    """Usage in the OpenTelemetry GenAI terms, ``None`` when nothing was reported:
    ``{"input_tokens", "output_tokens", "total_tokens", "reports"}`` plus the details when any."""
    if not usage:
        return None
    out: dict[str, Any] = {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "reports": usage.reports,
    }
    if usage.prompt_tokens_details:
        out["input_tokens_details"] = dict(usage.prompt_tokens_details)
    if usage.completion_tokens_details:
        out["output_tokens_details"] = dict(usage.completion_tokens_details)
    return out


def model_name(*metadatas: dict[str, Any]) -> str | None:
    """The model a sender named in metadata (``model``, or a format's section's ``model``, e.g.
    TanStack's ``{"tanstack": {"model": …}}``), first found wins; ``None`` when none did."""
    for metadata in metadatas:
        value = metadata.get("model")
        if isinstance(value, str):
            return value
        for section in metadata.values():
            if isinstance(section, dict):
                value = section.get("model")
                if isinstance(value, str):
                    return value
    return None


def time_basis(conversation: Conversation) -> str:
    """``"wire"``, ``"arrival"``, ``"frames"`` or ``"mixed"``: where the runs' times come from."""
    sources = {
        run.time_source or "frames" for s in conversation.sessions.values() for run in s.runs
    }
    if not sources:
        return "frames"
    return sources.pop() if len(sources) == 1 else "mixed"


def _delta(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 6)


def _times(
    start_frame: int | None,
    end_frame: int | None,
    start_time: float | None,
    end_time: float | None,
    timed: bool,
) -> dict[str, Any]:
    duration: float | int | None
    if timed:
        duration = _delta(start_time, end_time)
    else:
        duration = None if start_frame is None or end_frame is None else end_frame - start_frame
    return {
        "start_frame": start_frame,
        "end_frame": end_frame,
        "start_time": start_time,
        "end_time": end_time,
        "duration": duration,
    }


def _value(value: Any, text: str | None) -> Any:
    return text if value is UNSET else value


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {
        "kind": "diagnostic",
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "frame": d.frame_index,
        "time": d.time,
        "dropped": d.dropped,
        "raw": d.raw,
    }


def document_head(
    conversation: Conversation, stats: dict[str, int] | None = None
) -> dict[str, Any]:
    """The document's head: version, time basis (``source`` + its meaning), frame counts (when
    given), usage, diagnostics not tied to a run and how many diagnostics were evicted."""
    basis = time_basis(conversation)
    return {
        "transcript": TRANSCRIPT_VERSION,
        "time": {
            "source": basis,
            "unit": "frame" if basis == "frames" else "s",
            "about": TIME_SOURCES.get(basis, "runs differ: each run states its time_source"),
        },
        "frames": dict(stats) if stats is not None else None,
        "usage": usage_dict(conversation.usage),
        "diagnostics": [_diagnostic(d) for d in conversation.diagnostics if d.run_id is None],
        "diagnostics_evicted": conversation.diagnostics_evicted,
    }


def session_head(session: Session) -> dict[str, Any]:
    """A session without its runs: ``session_id``, ``thread_id``, ``usage``, run count."""
    return {
        "session_id": session.session_id,
        "thread_id": session.thread_id,
        "usage": usage_dict(session.usage),
        "runs": len(session.runs),
    }


def iter_runs(
    conversation: Conversation, session_id: str | None = None
) -> Iterator[tuple[Session, Iterator[dict[str, Any]]]]:
    """``(session, its run trees one at a time)`` per session (only ``session_id`` when given),
    in first-seen order. A run's tree is built when its iterator reaches it."""
    by_run: dict[str, list[Diagnostic]] = {}
    for d in conversation.diagnostics:
        if d.run_id is not None:
            by_run.setdefault(d.run_id, []).append(d)
    for session in conversation.sessions.values():
        if session_id is not None and session.session_id != session_id:
            continue
        yield session, (run_tree(run, by_run.get(run.run_id, ())) for run in session.runs)


def run_tree(run: Run, diagnostics: Iterable[Diagnostic] = ()) -> dict[str, Any]:
    """One run as a ``run`` node (see the module docstring)."""
    timed = run.time_source is not None
    run_model = model_name(run.metadata)
    node: dict[str, Any] = {
        "kind": "run",
        "run_id": run.run_id,
        "session_id": run.session_id,
        "agent": run.agent,
        "parent_run_id": run.parent_run_id,
        "status": run.status.value,
        "finish_reason": run.finish_reason,
        "stop_reason": run.stop_reason,
        "error": run.error,
        "error_code": run.error_code,
        "model": run_model,
        "time_source": run.time_source or "frames",
        "time_unit": "s" if timed else "frame",
        **_times(run.start_frame, run.end_frame, run.start_time, run.end_time, timed),
        "usage": usage_dict(run.usage),
        "reply": run.display_reply,
        "lossy": run.lossy,
        "missing": [list(r) for r in run.missing],
        "missing_unit": run.missing_unit,
        "children": [],
    }
    builder = _Builder(run, timed, run_model)
    node["children"] = builder.build()
    builder.place_diagnostics(node, diagnostics)
    return node


class _Builder:
    """Places a run's spans, messages and tool calls in one tree (each object once)."""

    def __init__(self, run: Run, timed: bool, run_model: str | None) -> None:
        self.run, self.timed, self.run_model = run, timed, run_model
        self.calls = run.tool_calls
        # Sub-agent spans go under the tool call that started them (when it is in this run).
        self.sub_spans: dict[str, list[Span]] = {}
        for span in run.walk_spans():
            call_id = span.parent_tool_call_id
            if call_id is not None and call_id in self.calls:
                parent = span.parent
                if parent is None or parent.parent_tool_call_id != call_id:
                    self.sub_spans.setdefault(call_id, []).append(span)
        self.moved = {id(s) for spans in self.sub_spans.values() for s in spans}
        self.messages_in: dict[str, list[Message]] = {}
        self.loose_messages: list[Message] = []
        span_ids = {span.span_id for span in run.walk_spans()}
        for message in run.messages:
            if message.span_id is not None and message.span_id in span_ids:
                self.messages_in.setdefault(message.span_id, []).append(message)
            else:
                self.loose_messages.append(message)
        placed = {p.call.call_id for m in run.messages for p in m.parts if type(p) is ToolCallPart}
        self.calls_in: dict[str | None, list[ToolCall]] = {}
        for call in self.calls.values():
            if call.call_id not in placed:
                key = call.span_id if call.span_id in span_ids else None
                self.calls_in.setdefault(key, []).append(call)
        self.spans_by_id: dict[str, dict[str, Any]] = {}

    def build(self) -> list[dict[str, Any]]:
        run = self.run
        items: list[tuple[int, dict[str, Any]]] = []
        items += [
            (_order(s.start_frame), self.span(s)) for s in run.spans if id(s) not in self.moved
        ]
        items += [(_order(m.start_frame), self.message(m)) for m in self.loose_messages]
        items += [(_first_frame(c), self.call(c)) for c in self.calls_in.get(None, ())]
        return [node for _, node in sorted(items, key=lambda item: item[0])]

    def span(self, span: Span) -> dict[str, Any]:
        node: dict[str, Any] = {
            "kind": "span",
            "span_id": span.span_id,
            "name": span.name,
            "node_id": span.node_id,
            "status": span.status.value,
            "error": span.error,
            **_times(span.start_frame, span.end_frame, span.start_time, span.end_time, self.timed),
            "usage": usage_dict(span.usage),
            "children": [],
        }
        self.spans_by_id[span.span_id] = node
        items: list[tuple[int, dict[str, Any]]] = []
        items += [
            (_order(c.start_frame), self.span(c)) for c in span.children if id(c) not in self.moved
        ]
        items += [
            (_order(m.start_frame), self.message(m)) for m in self.messages_in.get(span.span_id, ())
        ]
        items += [(_first_frame(c), self.call(c)) for c in self.calls_in.get(span.span_id, ())]
        node["children"] = [n for _, n in sorted(items, key=lambda item: item[0])]
        return node

    def message(self, message: Message) -> dict[str, Any]:
        run = self.run
        ttft = None
        if self.timed and message.first_token_time is not None and run.start_time is not None:
            ttft = round(message.first_token_time - run.start_time, 6)
        parts: list[dict[str, Any]] = []
        for part in message.parts:
            if type(part) is TextPart:
                parts.append({"kind": "text", "text": part.text})
            elif type(part) is ReasoningPart:
                parts.append({"kind": "reasoning", "text": part.text})
            elif type(part) is ToolCallPart:
                parts.append(self.call(part.call))
            elif type(part) is ToolResultPart:
                call = self.calls.get(part.call_id)
                parts.append(
                    {
                        "kind": "tool-result",
                        "call_id": part.call_id,
                        "content": part.content,
                        "is_error": part.is_error,
                        "error": part.error,
                        "in_call": call is not None and call.result is not None,
                    }
                )
        return {
            "kind": "message",
            "message_id": message.message_id,
            "role": message.role,
            "completed": message.completed,
            "model": model_name(message.metadata) or self.run_model,
            **_times(
                message.start_frame,
                message.end_frame,
                message.start_time,
                message.end_time,
                self.timed,
            ),
            "first_token_frame": message.first_token_frame,
            "first_token_time": message.first_token_time,
            "ttft": ttft,
            "parts": parts,
        }

    def call(self, call: ToolCall) -> dict[str, Any]:
        timeline = call._timeline
        start_frame = timeline[0][1] if timeline else None
        end_frame = timeline[-1][1] if timeline and call.state.is_terminal else None
        input_frame = next((i for s, i in timeline if s == "input-complete"), None)
        latency: float | int | None = None
        if self.timed:
            begin = call.input_time if call.input_time is not None else call.start_time
            latency = _delta(begin, call.end_time)
        elif end_frame is not None:
            begin_frame = input_frame if input_frame is not None else start_frame
            latency = None if begin_frame is None else end_frame - begin_frame
        approval = call.approval
        children = [self.span(s) for s in self.sub_spans.get(call.call_id, ())]
        return {
            "kind": "tool_call",
            "call_id": call.call_id,
            "name": call.name,
            "state": call.state.value,
            "arguments": _value(call.input, call.arguments),
            "result": _value(call.result_value, call.result),
            "output": call.output or None,
            "error": call.error,
            "approval": None
            if approval is None
            else {"approval_id": approval.approval_id, "approved": approval.approved},
            "client_tool": call.client_tool,
            **_times(start_frame, end_frame, call.start_time, call.end_time, self.timed),
            "input_frame": input_frame,
            "input_time": call.input_time,
            "latency": latency,
            "children": children,
        }

    def place_diagnostics(self, root: dict[str, Any], diagnostics: Iterable[Diagnostic]) -> None:
        """Each diagnostic goes into the innermost span open at its frame (else the run), in
        frame order among that node's children."""
        for d in diagnostics:
            target = _innermost(root, d.frame_index)
            children = target["children"]
            frame = _order(d.frame_index)
            at = len(children)
            for i, child in enumerate(children):
                if _order(child.get("start_frame", child.get("frame"))) > frame:
                    at = i
                    break
            children.insert(at, _diagnostic(d))


def _innermost(node: dict[str, Any], frame: int | None) -> dict[str, Any]:
    if frame is None:
        return node
    while True:
        for child in node["children"]:
            if child["kind"] == "span":
                start, end = child["start_frame"], child["end_frame"]
                if start is not None and start <= frame and (end is None or frame <= end):
                    node = child
                    break
        else:
            return node


_LAST: Final = 1 << 62


def _order(frame: int | None) -> int:
    return _LAST if frame is None else frame


def _first_frame(call: ToolCall) -> int:
    timeline = call._timeline
    return _order(timeline[0][1] if timeline else None)


def write_json(
    conversation: Conversation,
    write: Any,
    *,
    session_id: str | None = None,
    stats: dict[str, int] | None = None,
) -> None:
    """Write the transcript as one JSON document through ``write`` (a ``str`` consumer such as
    ``file.write``): the :func:`document_head` keys, then ``"sessions"``: a list of
    :func:`session_head` objects whose ``"runs"`` is the list of run trees. Written one run at a
    time; characters JSON leaves raw that a terminal or an editor would act on (DEL, C1, bidi
    controls) are escaped as ``\\uXXXX`` (the same JSON value)."""
    from ...safe_text import escape_json_output

    def dump(value: Any) -> str:
        return escape_json_output(dumps(value, default=repr).decode())

    head = document_head(conversation, stats)
    write("{")
    for key, value in head.items():
        write(f"{dump(key)}:{dump(value)},\n")
    write('"sessions":[')
    first_session = True
    for session, runs in iter_runs(conversation, session_id):
        fields = session_head(session)
        fields.pop("runs")
        write(("" if first_session else ",") + "\n" + dump(fields)[:-1] + ',"runs":[')
        first_session = False
        first_run = True
        for run in runs:
            write(("" if first_run else ",") + "\n" + dump(run))
            first_run = False
        write("]}")
    write("]}\n")

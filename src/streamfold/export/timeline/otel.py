"""The conversation as OpenTelemetry spans that follow the GenAI semantic conventions
(``streamfold timeline --format otlp-json``; the mapping table is in ``docs/transcript.md``,
"OpenTelemetry").

Needs the ``otel`` extra (``opentelemetry-sdk``; the OTLP JSON writer also
``opentelemetry-exporter-otlp-proto-common`` and ``opentelemetry-proto``).

* :func:`export_spans` makes the spans with the SDK and hands each finished span to a
  :class:`~opentelemetry.sdk.trace.SpanProcessor` (e.g. ``BatchSpanProcessor(OTLPSpanExporter())``
  for a collector, or ``SimpleSpanProcessor(ConsoleSpanExporter())``);
* :func:`write_otlp_json` writes them as OTLP JSON: one ``ExportTraceServiceRequest`` per run,
  one per line (the JSON Lines file the Collector's file exporter writes and its
  ``otlpjsonfile`` receiver reads), in the protobuf JSON mapping with the OTLP rules (trace and
  span ids as hex, enums as integers).

Per run one trace: ``invoke_agent {agent}`` (the run) → node spans (``{name}``) → ``chat
{model}`` per assistant message and ``execute_tool {tool}`` per tool call, siblings under the
node that made them; a tool call's sub-agent is an ``invoke_agent`` span under its
``execute_tool`` span. Diagnostics are span events ``streamfold.diagnostic`` on the innermost
span. Times: the wire's epoch seconds as they are; arrival times (seconds from the start of
the stream) and frame indexes (1 frame = 1 ms) count from the Unix epoch, and the resource
attribute ``streamfold.time_source`` says which.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from ...model import Conversation
from ...model.text import dumps
from ...safe_markup import fold
from ...safe_text import escape_json_output
from ..transcript.structure import iter_runs, time_basis

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, Tracer
    from opentelemetry.trace import Span as OtelSpan

__all__ = ["FOLD_CHARS", "export_spans", "otlp_requests", "write_otlp_json"]

FOLD_CHARS: Final = 4000
"""``gen_ai.tool.call.arguments`` / ``.result`` longer than this are folded."""

_SCOPE: Final = "streamfold"

Write = Callable[[str], Any]


def _ns(value: float | int | None, timed: bool) -> int | None:
    if value is None:
        return None
    return round(value * 1e9) if timed else int(value) * 1_000_000


def _json(value: Any) -> str:
    if isinstance(value, str):
        return fold(value, FOLD_CHARS)
    try:
        return fold(dumps(value).decode(), FOLD_CHARS)
    except TypeError:
        return fold(repr(value), FOLD_CHARS)


def _usage_attrs(usage: dict[str, Any] | None) -> dict[str, Any]:
    if not usage:
        return {}
    return {
        "gen_ai.usage.input_tokens": usage["input_tokens"],
        "gen_ai.usage.output_tokens": usage["output_tokens"],
    }


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if v is not None and v != ""}


def _sub_agent_name(arguments: Any) -> str | None:
    """The agent a tool call starts, when its arguments name one (``agent``, or the first of
    ``agents``)."""
    if isinstance(arguments, dict):
        agent = arguments.get("agent")
        if isinstance(agent, str):
            return agent
        agents = arguments.get("agents")
        if isinstance(agents, list) and agents and isinstance(agents[0], dict):
            first = agents[0].get("agent")
            if isinstance(first, str):
                return first
    return None


class _RunSpans:
    """Makes one run's spans with ``tracer``."""

    def __init__(self, tracer: Tracer, run: dict[str, Any], conversation_id: str) -> None:
        self.tracer, self.run, self.conversation_id = tracer, run, conversation_id
        self.timed = run["time_unit"] == "s"
        keys = ("start_time", "end_time") if self.timed else ("start_frame", "end_frame")
        self.keys = keys
        self.last = run[keys[1]]
        chats = _assistant_messages(run)
        self.last_chat = chats[-1] if chats else None
        self.single_chat = len(chats) == 1

    def times(self, node: dict[str, Any], start_key: str | None = None) -> tuple[int, int] | None:
        start = node.get(start_key) if start_key else None
        if start is None:
            start = node[self.keys[0]]
        end = node[self.keys[1]]
        if start is None:
            return None
        if end is None or end < start:
            end = self.last if self.last is not None and self.last >= start else start
        first, second = _ns(start, self.timed), _ns(end, self.timed)
        assert first is not None and second is not None
        return first, second

    def start(
        self, name: str, parent: OtelSpan | None, attrs: dict[str, Any], when: tuple[int, int]
    ) -> OtelSpan:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind

        context = trace.set_span_in_context(parent) if parent is not None else None
        kind = (
            SpanKind.CLIENT if attrs.get("gen_ai.operation.name") == "chat" else SpanKind.INTERNAL
        )
        return self.tracer.start_span(
            name, context=context, kind=kind, attributes=_clean(attrs), start_time=when[0]
        )

    def end(self, span: OtelSpan, when: tuple[int, int], error: str | None = None) -> None:
        from opentelemetry.trace import Status, StatusCode

        if error:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=when[1])

    def make(self) -> None:
        run = self.run
        when = self.times(run)
        if when is None:
            return
        agent = run["agent"]
        attrs = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent,
            "gen_ai.conversation.id": self.conversation_id,
            "gen_ai.request.model": run["model"],
            "gen_ai.response.finish_reasons": [run["finish_reason"]]
            if run["finish_reason"]
            else None,
            "streamfold.run.id": run["run_id"],
            "streamfold.run.status": run["status"],
            "streamfold.parent_run.id": run["parent_run_id"],
            "error.type": run["error_code"] or ("error" if run["error"] else None),
            **_usage_attrs(run["usage"]),
        }
        span = self.start(f"invoke_agent {agent}" if agent else "invoke_agent", None, attrs, when)
        self.children(run["children"], span, run["usage"] if self.single_chat else None)
        self.end(span, when, run["error"])

    def children(
        self, nodes: list[dict[str, Any]], parent: OtelSpan, usage: dict[str, Any] | None
    ) -> None:
        for node in nodes:
            kind = node["kind"]
            if kind == "span":
                self.node_span(node, parent)
            elif kind == "message":
                self.message(node, parent, usage)
            elif kind == "tool_call":
                self.tool_call(node, parent)
            elif kind == "diagnostic":
                self.diagnostic(node, parent)

    def node_span(self, node: dict[str, Any], parent: OtelSpan) -> None:
        when = self.times(node)
        if when is None:
            return
        attrs = {
            "streamfold.span.id": node["span_id"],
            "streamfold.span.name": node["name"],
            "streamfold.span.status": node["status"],
            **_usage_attrs(node["usage"]),
        }
        span = self.start(node["name"] or "span", parent, attrs, when)
        messages = [
            c for c in node["children"] if c["kind"] == "message" and c["role"] == "assistant"
        ]
        # A node's usage is its model call's when it made one (Loom reports usage per node).
        self.children(node["children"], span, node["usage"] if len(messages) == 1 else None)
        self.end(span, when, node["error"])

    def message(self, node: dict[str, Any], parent: OtelSpan, usage: dict[str, Any] | None) -> None:
        calls = [p for p in node["parts"] if p["kind"] == "tool_call"]
        if node["role"] == "assistant":
            when = self.times(node)
            if when is not None:
                model = node["model"]
                finish = self.run["finish_reason"] if node is self.last_chat else None
                attrs = {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": model,
                    "gen_ai.conversation.id": self.conversation_id,
                    "gen_ai.response.finish_reasons": [finish] if finish else None,
                    "streamfold.message.id": node["message_id"],
                    **_usage_attrs(usage),
                }
                span = self.start(f"chat {model}" if model else "chat", parent, attrs, when)
                self.end(span, when)
        for call in calls:  # the agent executes what the model asked for: siblings of chat
            self.tool_call(call, parent)

    def tool_call(self, node: dict[str, Any], parent: OtelSpan) -> None:
        when = self.times(node, "input_time" if self.timed else "input_frame")
        if when is None:
            return
        name = node["name"]
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.id": node["call_id"],
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.arguments": _json(node["arguments"])
            if node["arguments"] not in (None, "")
            else None,
            "gen_ai.tool.call.result": _json(node["result"])
            if node["result"] is not None
            else None,
            "streamfold.tool_call.state": node["state"],
            "error.type": "tool_error" if node["error"] or node["state"] == "error" else None,
        }
        span = self.start(f"execute_tool {name}" if name else "execute_tool", parent, attrs, when)
        subs = node["children"]
        if subs:
            sub_when = [w for w in (self.times(s) for s in subs) if w is not None]
            if sub_when:
                window = (min(w[0] for w in sub_when), max(w[1] for w in sub_when))
                agent = _sub_agent_name(node["arguments"])
                sub_attrs = {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": agent,
                    "gen_ai.conversation.id": self.conversation_id,
                    "streamfold.parent_tool_call.id": node["call_id"],
                }
                name = f"invoke_agent {agent}" if agent else "invoke_agent"
                sub = self.start(name, span, sub_attrs, window)
                self.children(subs, sub, None)
                self.end(sub, window)
        self.end(span, when, node["error"])

    def diagnostic(self, node: dict[str, Any], parent: OtelSpan) -> None:
        at = node["time"] if self.timed else node["frame"]
        parent.add_event(
            "streamfold.diagnostic",
            _clean(
                {
                    "streamfold.diagnostic.code": node["code"],
                    "streamfold.diagnostic.severity": node["severity"],
                    "streamfold.diagnostic.message": node["message"],
                    "streamfold.diagnostic.frame": node["frame"],
                }
            ),
            timestamp=_ns(at, self.timed),
        )


def _assistant_messages(run: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        if node["kind"] == "message" and node["role"] == "assistant":
            found.append(node)
        for child in node.get("children", ()):
            walk(child)
        for part in node.get("parts", ()):
            if part["kind"] == "tool_call":
                walk(part)

    walk(run)
    return found


def _provider(conversation: Conversation, processor: SpanProcessor) -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    resource = Resource.create(
        {"service.name": "streamfold", "streamfold.time_source": time_basis(conversation)}
    )
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return provider


def export_spans(
    conversation: Conversation, processor: SpanProcessor, *, session_id: str | None = None
) -> None:
    """Make the conversation's spans (only ``session_id``'s when given) and hand each, as it
    ends, to ``processor``; flushes it at the end (it is not shut down). Raises
    :class:`ImportError` without the ``otel`` extra."""
    provider = _provider(conversation, processor)
    tracer = provider.get_tracer(_SCOPE)
    for session, runs in iter_runs(conversation, session_id):
        conversation_id = session.thread_id or session.session_id
        for run in runs:
            _RunSpans(tracer, run, conversation_id).make()
    provider.force_flush()


def _hex_ids(node: Any) -> Any:
    """The protobuf JSON mapping writes bytes as base64; OTLP JSON wants ids as hex. A span's
    times are written even when 0 (the mapping leaves out zero values)."""
    if isinstance(node, dict):
        if "spanId" in node:
            node.setdefault("startTimeUnixNano", "0")
            node.setdefault("endTimeUnixNano", "0")
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)
    return node


def otlp_requests(
    conversation: Conversation, *, session_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """One OTLP JSON ``ExportTraceServiceRequest`` (as a dict) per run, in order."""
    from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    batch: list[ReadableSpan] = []

    class _Collect(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            batch.extend(spans)
            return SpanExportResult.SUCCESS

    provider = _provider(conversation, SimpleSpanProcessor(_Collect()))
    tracer = provider.get_tracer(_SCOPE)
    for session, runs in iter_runs(conversation, session_id):
        conversation_id = session.thread_id or session.session_id
        for run in runs:
            _RunSpans(tracer, run, conversation_id).make()
            if batch:
                request = encode_spans(batch)
                batch.clear()
                yield _hex_ids(
                    MessageToDict(
                        request,
                        use_integers_for_enums=True,
                    )
                )


def write_otlp_json(
    conversation: Conversation, write: Write, *, session_id: str | None = None
) -> None:
    """Write :func:`otlp_requests` through ``write``, one JSON object per line."""
    for request in otlp_requests(conversation, session_id=session_id):
        write(escape_json_output(dumps(request).decode()) + "\n")

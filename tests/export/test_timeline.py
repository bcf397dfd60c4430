"""Timelines (docs/transcript.md, "Timelines"): the Chrome trace and the OpenTelemetry GenAI
spans on multi-agent recordings of every format: structure, order and nesting; OTLP JSON read
back with opentelemetry-proto; any SpanProcessor through the API; hostile text inert."""

from __future__ import annotations

import base64
import io
from typing import Any

import orjson
import pytest
from google.protobuf.json_format import ParseDict  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from streamfold.cli.main import main
from streamfold.export.timeline import trace_events, write_chrome_trace
from streamfold.export.timeline.otel import export_spans, otlp_requests, write_otlp_json

from .transcript_support import MULTI, fold_hostile, fold_path, hostile_loom

# ------------------------------------------------------------------------- Chrome trace


def complete(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["ph"] == "X"]


def contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    return bool(
        outer["ts"] <= inner["ts"]
        and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 1e-6
    )


@pytest.mark.parametrize("name", sorted(MULTI))
def test_chrome_trace_of_every_format(name: str) -> None:
    conversation = fold_path(MULTI[name]).conversation
    out = io.StringIO()
    write_chrome_trace(conversation, out.write)
    document = orjson.loads(out.getvalue())
    events = document["traceEvents"]
    runs = [e for e in events if e.get("cat") == "run"]
    assert len(runs) == len(conversation.runs)
    threads = [e for e in events if e.get("name") == "thread_name"]
    assert len(threads) == len(conversation.runs)
    for run in runs:  # everything of a run lies inside the run's event, on its thread
        inner = [e for e in complete(events) if e["tid"] == run["tid"] and e["pid"] == run["pid"]]
        assert all(e["dur"] >= 0 for e in inner)
        assert all(contains(run, e) for e in inner if e["cat"] == "span")
    calls = sum(len(r.tool_calls) for r in conversation.runs)
    assert len([e for e in events if e.get("cat") == "tool"]) == calls
    assert document["otherData"]["time_source"] in ("wire", "frames", "arrival")


def test_chrome_trace_nests_the_sub_agent_inside_its_tool_call() -> None:
    events = list(trace_events(fold_path(MULTI["loom"]).conversation))
    call = next(e for e in complete(events) if e["name"] == "execute_tool invoke_agent")
    subs = [
        e
        for e in complete(events)
        if e["cat"] == "span" and e["pid"] == call["pid"] and 117 <= e["ts"] <= 291
    ]
    assert [e["name"] for e in subs] == ["think", "title", "act", "observe", "compress", "think"]
    assert all(contains(call, e) for e in subs)
    read = next(e for e in complete(events) if e["name"] == "execute_tool read")
    assert contains(call, read)
    assert read["args"]["arguments"] == {"limit": 40, "path": ".github/workflows/nightly.yml"}


def test_chrome_trace_times_are_microseconds_on_the_wire_clock() -> None:
    events = complete(list(trace_events(fold_path(MULTI["tanstack-timed"]).conversation)))
    first = events[0]
    assert first["cat"] == "run" and first["ts"] == 0
    assert first["dur"] == pytest.approx(727_000, abs=1)  # 880.172 → 880.899 s
    model = next(e for e in events if e["cat"] == "model")
    assert model["name"] == "chat claude-sonnet-4-5"


# ------------------------------------------------------------------------ OpenTelemetry


def parse_otlp(line: str) -> ExportTraceServiceRequest:
    """An OTLP JSON line as the protobuf message (ids are hex in OTLP JSON, base64 in the
    generic protobuf mapping)."""
    data = orjson.loads(line)

    def to_b64(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId"):
                    assert len(value) in (16, 32) and int(value, 16) >= 0
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                else:
                    to_b64(value)
        elif isinstance(node, list):
            for item in node:
                to_b64(item)

    to_b64(data)
    request = ExportTraceServiceRequest()
    ParseDict(data, request)
    return request


def spans_of(request: ExportTraceServiceRequest) -> list[Any]:
    return [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


def attrs(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        kind = value.WhichOneof("value")
        out[kv.key] = (
            [v.string_value for v in value.array_value.values]
            if kind == "array_value"
            else getattr(value, kind)
        )
    return out


@pytest.mark.parametrize("name", sorted(MULTI))
def test_otlp_json_of_every_format_parses_with_opentelemetry_proto(name: str) -> None:
    conversation = fold_path(MULTI[name]).conversation
    out = io.StringIO()
    write_otlp_json(conversation, out.write)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(conversation.runs)
    for line, run in zip(lines, conversation.runs, strict=True):
        spans = spans_of(parse_otlp(line))
        by_id = {s.span_id: s for s in spans}
        roots = [s for s in spans if not s.parent_span_id]
        assert len(roots) == 1 and roots[0].name.startswith("invoke_agent")
        assert attrs(roots[0])["gen_ai.operation.name"] == "invoke_agent"
        assert attrs(roots[0])["streamfold.run.id"] == run.run_id
        assert len({s.trace_id for s in spans}) == 1
        for span in spans:  # every parent is in the request, and contains its child
            if span.parent_span_id:
                parent = by_id[span.parent_span_id]
                assert parent.start_time_unix_nano <= span.start_time_unix_nano
            assert span.start_time_unix_nano <= span.end_time_unix_nano
        tools = [s for s in spans if s.name.startswith("execute_tool")]
        assert sorted(attrs(s)["gen_ai.tool.call.id"] for s in tools) == sorted(run.tool_calls)
        for tool in tools:
            a = attrs(tool)
            assert a["gen_ai.operation.name"] == "execute_tool"
            assert tool.name == f"execute_tool {a['gen_ai.tool.name']}"


def test_otel_gen_ai_attributes_and_sub_agent_nesting() -> None:
    loom = [spans_of(parse_otlp(orjson.dumps(r).decode())) for r in
            otlp_requests(fold_path(MULTI["loom"]).conversation)]  # fmt: skip
    spans = loom[0]
    by_id = {s.span_id: s for s in spans}
    call = next(s for s in spans if s.name == "execute_tool invoke_agent")
    sub = next(s for s in spans if s.parent_span_id == call.span_id)
    assert sub.name == "invoke_agent explore"
    assert attrs(sub)["gen_ai.agent.name"] == "explore"
    read = next(s for s in spans if s.name == "execute_tool read")
    chain = []
    node = read
    while node.parent_span_id:
        node = by_id[node.parent_span_id]
        chain.append(node.name)
    assert chain[:3] == ["think", "invoke_agent explore", "execute_tool invoke_agent"]
    chats = [s for s in spans if s.name == "chat"]
    assert [attrs(c)["gen_ai.usage.input_tokens"] for c in chats] == [2048, 1864, 2511, 2866]
    timed = spans_of(parse_otlp(orjson.dumps(next(otlp_requests(
        fold_path(MULTI["tanstack-timed"]).conversation))).decode()))  # fmt: skip
    root = next(s for s in timed if not s.parent_span_id)
    a = attrs(root)
    assert a["gen_ai.usage.input_tokens"] == 120 and a["gen_ai.usage.output_tokens"] == 40
    assert a["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert a["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert root.start_time_unix_nano == 1796283880172000000
    chat = next(s for s in timed if s.name == "chat claude-sonnet-4-5")
    assert attrs(chat)["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert chat.kind == 3  # CLIENT


def test_export_spans_to_any_span_processor() -> None:
    exporter = InMemorySpanExporter()
    export_spans(fold_path(MULTI["loom"]).conversation, SimpleSpanProcessor(exporter))
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert names.count("invoke_agent") == 2 and "invoke_agent explore" in names
    tool = next(s for s in spans if s.name == "execute_tool bash")
    assert tool.attributes is not None and tool.attributes["gen_ai.tool.name"] == "bash"
    assert tool.resource.attributes["streamfold.time_source"] == "frames"


# ---------------------------------------------------------------------------- injection


def test_timelines_keep_hostile_text_inert() -> None:
    conversation = fold_hostile().conversation
    for writer in (write_chrome_trace, write_otlp_json):
        out = io.StringIO()
        writer(conversation, out.write)
        text = out.getvalue()
        for raw in ("\x1b", "\x07", "\u202e", "\u2066"):
            assert raw not in text, writer.__name__
        for line in text.splitlines() if writer is write_otlp_json else [text]:
            orjson.loads(line)  # still valid JSON, with the text as JSON string values
    events = list(trace_events(conversation))
    tool = next(e for e in events if e.get("cat") == "tool")
    assert tool["args"]["tool"].startswith('"><svg onload=alert(1)>\x1b')


# --------------------------------------------------------------------------------- CLI


def test_cli_timeline(tmp_path: Any, capsys: Any) -> None:
    out = tmp_path / "trace.json"
    assert main(["timeline", str(MULTI["loom"]), "--format", "chrome-trace", "-o", str(out)]) == 0
    assert orjson.loads(out.read_bytes())["traceEvents"]
    assert main(["timeline", str(MULTI["agui"]), "--format", "otlp-json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # One ExportTraceServiceRequest per run; the sub-agents are child runs of their own.
    runs = [r for s in fold_path(MULTI["agui"]).conversation.sessions.values() for r in s.runs]
    assert len(lines) == len(runs) > 1
    assert all(spans_of(parse_otlp(line)) for line in lines)
    assert main(["timeline", str(MULTI["loom"])]) == 2  # --format is required
    hostile = tmp_path / "hostile.ndjson"
    hostile.write_bytes(b"\n".join(hostile_loom()) + b"\n")
    assert main(["timeline", str(hostile), "--format", "chrome-trace"]) == 0
    assert "\x1b" not in capsys.readouterr().out

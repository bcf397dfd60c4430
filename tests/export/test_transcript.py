"""Transcripts (docs/transcript.md): the structure on multi-agent recordings of every format
(each object once, in order, nested), times from the wire, from arrival and from frames, the
Markdown / HTML / JSON writers, and stream text staying inert in all of them."""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import pytest
from markdown_it import MarkdownIt

from streamfold import Reducer
from streamfold.cli.main import main
from streamfold.export.transcript import iter_runs, write_html, write_json, write_markdown
from streamfold.framing import Frame
from streamfold.model import Conversation
from streamfold.safe_markup import md_code, md_quote

from .transcript_support import (
    ANSI,
    BIDI,
    MULTI,
    RECORDINGS,
    fold_hostile,
    fold_path,
    hostile_loom,
)


def walk(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("children", ()):
        yield from walk(child)
    for part in node.get("parts", ()):
        if part["kind"] == "tool_call":
            yield from walk(part)


def trees(conversation: Conversation) -> list[dict[str, Any]]:
    return [run for _, runs in iter_runs(conversation) for run in runs]


def first_frame(node: dict[str, Any]) -> int:
    value = node.get("start_frame", node.get("frame"))
    return value if value is not None else 1 << 62


@pytest.mark.parametrize("name", sorted(MULTI))
def test_every_object_once_in_order(name: str) -> None:
    reducer = fold_path(MULTI[name])
    conversation = reducer.conversation
    for run, tree in zip(conversation.runs, trees(conversation), strict=True):
        nodes = list(walk(tree))
        spans = [n["span_id"] for n in nodes if n["kind"] == "span"]
        messages = [n["message_id"] for n in nodes if n["kind"] == "message"]
        calls = [n["call_id"] for n in nodes if n["kind"] == "tool_call"]
        assert sorted(spans) == sorted(s.span_id for s in run.walk_spans())
        assert sorted(messages) == sorted(m.message_id for m in run.messages)
        assert sorted(calls) == sorted(run.tool_calls)
        for node in nodes:  # siblings in start order
            children = node.get("children", [])
            frames = [first_frame(c) for c in children]
            assert frames == sorted(frames), node.get("span_id", node["kind"])


def test_loom_sub_agent_nests_under_its_tool_call() -> None:
    conversation = fold_path(MULTI["loom"]).conversation
    tree = trees(conversation)[0]
    call = next(n for n in walk(tree) if n["kind"] == "tool_call" and n["name"] == "invoke_agent")
    sub = [c["name"] for c in call["children"]]
    assert sub == ["think", "title", "act", "observe", "compress", "think"]
    inner = [n for c in call["children"] for n in walk(c) if n["kind"] == "tool_call"]
    assert [n["name"] for n in inner] == ["read", "grep"]
    # The tool call sits in the top-level think span's message, after its text.
    think = tree["children"][0]
    assert think["kind"] == "span" and think["name"] == "think"
    kinds = [p["kind"] for p in think["children"][0]["parts"]]
    assert kinds.index("tool_call") > kinds.index("text")
    # frames as the time basis, said so
    assert tree["time_source"] == "frames" and tree["time_unit"] == "frame"
    assert tree["duration"] == tree["end_frame"] - tree["start_frame"] > 0


def test_wire_times_give_durations_ttft_and_tool_latency() -> None:
    conversation = fold_path(MULTI["tanstack-timed"]).conversation
    first = trees(conversation)[0]
    assert first["time_source"] == "wire" and first["time_unit"] == "s"
    assert 1.7e9 < first["start_time"] < first["end_time"]
    message = next(n for n in walk(first) if n["kind"] == "message")
    # AG-UI timestamps: RUN_STARTED ...172, the first TEXT_MESSAGE_CONTENT ...315
    assert message["ttft"] == pytest.approx(0.143)
    calls = [n for n in walk(first) if n["kind"] == "tool_call"]
    assert [c["name"] for c in calls] == ["get_weather", "get_time"]
    assert all(0 < c["latency"] < 1 for c in calls)
    assert all(c["start_time"] <= c["input_time"] <= c["end_time"] for c in calls)


def test_arrival_times_from_at_and_from_a_clock() -> None:
    lines = (RECORDINGS / "loom-multi-agent.ndjson").read_bytes().splitlines()
    reducer = Reducer()
    for i, line in enumerate(lines):  # feed(at=), and a recording's frames with their t
        if i % 2:
            reducer.feed(orjson.loads(line), raw=line, at=10.0 + i * 0.5)
        else:
            reducer.feed_frame(Frame(line.decode(), t=10.0 + i * 0.5))
    reducer.close()
    run = reducer.conversation.runs[0]
    assert run.time_source == "arrival"
    assert run.end_frame is not None and run.spans[0].end_frame is not None
    assert run.start_time == 10.0 and run.end_time == 10.0 + run.end_frame * 0.5
    span = run.spans[0]
    assert span.end_frame is not None and span.end_time == 10.0 + span.end_frame * 0.5
    ticks = iter(range(1000, 10_000))
    clocked = Reducer(clock=lambda: float(next(ticks)))
    clocked.feed_bytes(b"".join(line + b"\n" for line in lines[:5]))
    assert clocked.conversation.runs[0].start_time == 1000.0
    # No times at all: nothing is stamped, and no clock is read.
    plain = Reducer()
    plain.feed_line(lines[0])
    assert plain.conversation.runs[0].start_time is None
    assert plain.conversation.runs[0].time_source is None
    # an arrival time holds for the frames after it that have none
    held = Reducer()
    held.feed(orjson.loads(lines[0]), at=7.0)
    for line in lines[1:120]:
        held.feed_line(line)
    assert held.conversation.runs[0].spans[0].end_time == 7.0


def test_wire_time_wins_over_arrival_and_implausible_timestamps_are_ignored() -> None:
    reducer = Reducer()
    reducer.feed(
        {"type": "RUN_STARTED", "runId": "r", "threadId": "t", "timestamp": 1767225600000}, at=5.0
    )
    reducer.feed({"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant",
                  "timestamp": "soon"}, at=6.0)  # fmt: skip
    run = reducer.conversation.runs[0]
    assert run.time_source == "wire" and run.start_time == 1767225600.0
    # a frame without a usable timestamp holds the latest wire time (one clock per run)
    assert run.messages[0].start_time == 1767225600.0


def test_json_document_round_trips_and_is_documented_shape() -> None:
    reducer = fold_path(MULTI["loom"])
    out = io.StringIO()
    write_json(reducer.conversation, out.write, stats={"frames_in": reducer.frames_in,
               "frames_applied": reducer.frames_applied, "frames_dropped": 0})  # fmt: skip
    document = orjson.loads(out.getvalue())
    assert document["transcript"] == 1
    assert document["time"]["source"] == "frames"
    sessions = document["sessions"]
    assert [s["session_id"] for s in sessions] == list(reducer.conversation.sessions)
    assert [r["run_id"] for s in sessions for r in s["runs"]] == [
        r.run_id for r in reducer.conversation.runs
    ]
    assert sessions[0]["runs"][0]["usage"]["input_tokens"] == 9289


def test_diagnostics_are_placed_where_they_happened() -> None:
    reducer = fold_path(RECORDINGS / "loom-gap-duplicate.ndjson")
    conversation = reducer.conversation
    placed = [n for t in trees(conversation) for n in walk(t) if n["kind"] == "diagnostic"]
    with_run = [d for d in conversation.diagnostics if d.run_id is not None]
    assert with_run and sorted(d["code"] for d in placed) == sorted(d.code for d in with_run)
    md = io.StringIO()
    write_markdown(conversation, md.write)
    for d in with_run:
        assert f"{d.code.replace('_', chr(92) + '_')}** at frame {d.frame_index}" in md.getvalue()


# ---------------------------------------------------------------------------- Markdown


def render_md(text: str) -> str:
    rendered: str = MarkdownIt("commonmark", {"html": True}).render(text)
    return rendered


def test_markdown_of_every_format_renders_with_its_structure() -> None:
    for name, path in MULTI.items():
        conversation = fold_path(path).conversation
        out = io.StringIO()
        write_markdown(conversation, out.write)
        html = render_md(out.getvalue())
        assert html.count("<h3>") == len(conversation.runs), name
        assert html.count("<h2>") == len(conversation.sessions), name


def test_an_unclosed_fence_in_a_reply_does_not_swallow_the_rest() -> None:
    quoted = md_quote("look:\n```python\nx = 1\n")
    html = render_md(quoted + "\n\n## After\n")
    assert "<h2>After</h2>" in html
    assert '<code class="language-python">x = 1' in html
    # backticks inside cannot close the canonical fence
    code = md_code("a\n````\n```\nb")
    assert render_md(code + "\n\n## After\n").count("<pre>") == 1
    assert "<h2>After</h2>" in render_md(code + "\n\n## After\n")


def test_model_markdown_is_rendered_but_raw_html_is_not() -> None:
    html = render_md(md_quote("**bold** and <b>raw</b> [x](javascript:alert(1))"))
    assert "<strong>bold</strong>" in html
    assert "<b>" not in html and "&lt;b&gt;raw" in html
    assert 'href="javascript:' not in html


# ------------------------------------------------------------------------- injections

INERT_RAW = ("<script", "<img", "<svg", "onerror=", "onload=", "\x1b", "\x07", "\u202e", "\u2066")


def _assert_inert_html(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<svg onload" not in lowered
    assert re.search(r"<[a-z]+[^>]*\son(error|load)=", lowered) is None
    for raw in ("\x1b", "\x07", "\u202e", "\u2066", "\u2069"):
        assert raw not in html


def test_markdown_keeps_hostile_text_inert() -> None:
    reducer = fold_hostile()
    out = io.StringIO()
    write_markdown(reducer.conversation, out.write)
    text = out.getvalue()
    for raw in ("\x1b", "\x07", "\u202e", "\u2066"):
        assert raw not in text
    html = render_md(text)
    _assert_inert_html(html)
    assert "&lt;script&gt;" in html  # shown, as text
    # the second session's heading and text are still structure and text, after everything
    assert re.search(r"<h2>Session s-2</h2>", html)
    assert "<p>SAFE-AFTER</p>" in html
    assert "␛" in text  # the escapes are visible
    assert "\\u202e" in text


def test_html_keeps_hostile_text_inert() -> None:
    out = io.StringIO()
    write_html(fold_hostile().conversation, out.write, title=f"t {ANSI}{BIDI}<script>")
    html = out.getvalue()
    # no element was opened by stream text: only our own tags appear
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "b",
        "section", "article", "figure", "figcaption", "svg", "g", "rect", "text", "line",
        "details", "summary", "div", "pre",
    }  # fmt: skip
    _assert_inert_html(html)
    assert "default-src 'none'" in html
    assert "SAFE-AFTER" in html


def test_json_keeps_hostile_text_inert() -> None:
    out = io.StringIO()
    write_json(fold_hostile().conversation, out.write)
    text = out.getvalue()
    for raw in ("\x1b", "\x07", "\u202e", "\u2066"):
        assert raw not in text
    document = orjson.loads(text)  # the same values, escaped as JSON
    message = next(n for n in walk(document["sessions"][0]["runs"][0]) if n["kind"] == "message")
    text = next(p["text"] for p in message["parts"] if p["kind"] == "text")
    assert "\u202e" in text and "<script>" in text and "\x1b" in text


# --------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_cli_transcript_writes_every_format(fmt: str, tmp_path: Any, capsys: Any) -> None:
    out = tmp_path / f"t.{fmt}"
    files = [str(MULTI["loom"]), str(RECORDINGS / "loom-gap-duplicate.ndjson")]
    assert main(["transcript", *files, "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "6d2c6c37" in text
    assert capsys.readouterr().out == ""
    if fmt == "json":
        sessions = orjson.loads(text)["sessions"]
        assert len(sessions) == 3  # two files, one model


def test_cli_transcript_session_and_stdout(capsys: Any) -> None:
    path = str(MULTI["loom"])
    session = "run-329d7871-3e9d-4d6b-aab5-0dfccff281ee"
    assert main(["transcript", path, "--session", session, "--format", "json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert [s["session_id"] for s in document["sessions"]] == [session]
    assert main(["transcript", path, "--session", "nope"]) == 2
    assert "no session" in capsys.readouterr().err


def test_cli_transcript_reads_nnrp_wire_and_a_hostile_stream(tmp_path: Any, capsys: Any) -> None:
    assert main(["transcript", str(MULTI["nnrp-wire"])]) == 0
    assert "## Session" in capsys.readouterr().out
    hostile = tmp_path / "hostile.ndjson"
    hostile.write_bytes(b"\n".join(hostile_loom()) + b"\n")
    assert main(["transcript", str(hostile), "--format", "html"]) == 0
    _assert_inert_html(capsys.readouterr().out)

"""The transcript as one self-contained HTML file (``streamfold transcript --format html``,
``docs/transcript.md``).

No network and no script: the page's Content-Security-Policy allows only its own inline style,
so even markup that slipped through could not load or run anything; and nothing slips through:
every piece of stream text goes through :func:`streamfold.safe_markup.html_text`. Reasoning and
tool details are ``<details>`` elements (collapsible without script); each run has an inline
SVG timeline, a Gantt chart of its spans, model calls (assistant messages) and tool calls on the
run's clock (seconds, or frame indexes when the input has no times). Written one run at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import orjson

from ...model import Conversation
from ...model.text import dumps
from ...safe_markup import fold, html_text
from .markdown import fmt_duration
from .structure import document_head, iter_runs, session_head

__all__ = ["FOLD_CHARS", "MAX_TIMELINE_ROWS", "timeline_rows", "write_html"]

FOLD_CHARS: Final = 20_000
"""Values longer than this are folded (the page stays usable on huge tool results)."""
MAX_TIMELINE_ROWS: Final = 400
"""A run's timeline draws at most this many rows (the rest are counted under it)."""

Write = Callable[[str], Any]

_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none';"
    " form-action 'none'"
)

_STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;
color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:1px solid #ccd;margin-top:2rem}
h3{font-size:1.1rem;margin:1.5rem 0 .3rem}
.facts{color:#556;margin:.2rem 0 .6rem}
.node{margin:.35rem 0 .35rem 1rem;border-left:2px solid #dde;padding-left:.6rem}
.span>summary{font-weight:600}
.message .role{font-size:.8rem;text-transform:uppercase;color:#667;letter-spacing:.04em}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fb;border-radius:4px;
padding:.4rem .6rem;margin:.2rem 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f0;padding:.4rem .6rem;
border-radius:4px;margin:.2rem 0}
details>summary{cursor:pointer}
.tool>summary{color:#6a3d00}.reasoning>summary{color:#555;font-style:italic}
.diag{color:#8a1c1c;margin:.3rem 0 .3rem 1rem}
.error{color:#8a1c1c;font-weight:600}
figure.timeline{margin:.5rem 0 1rem;overflow-x:auto}
svg text{font:11px system-ui,sans-serif;fill:#1d2330}
svg .run rect{fill:#9fb3d9}svg .span rect{fill:#b9d3a8}svg .model rect{fill:#e3c26f}
svg .tool rect{fill:#e59c7a}svg .diag rect{fill:#c0392b}svg .axis{stroke:#99a}
"""


def _e(value: Any) -> str:
    return html_text(value if isinstance(value, str) else str(value))


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return repr(value)


def _usage(usage: dict[str, Any] | None) -> str:
    if not usage:
        return ""
    return f"{usage['input_tokens']} in / {usage['output_tokens']} out tokens"


def _facts(*items: str) -> str:
    return " · ".join(item for item in items if item)


def write_html(
    conversation: Conversation,
    write: Write,
    *,
    session_id: str | None = None,
    stats: dict[str, int] | None = None,
    title: str = "Transcript",
) -> None:
    """Write the transcript as one HTML document through ``write``, one run at a time."""
    head = document_head(conversation, stats)
    write(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>\n"
    )
    write(f"<header><h1>{_e(title)}</h1>")
    write(f'<p class="facts">Times: {_e(head["time"]["about"])}.</p>')
    frames = head["frames"]
    if frames:
        write(
            f'<p class="facts">Frames: {frames["frames_in"]} in, {frames["frames_applied"]}'
            f" applied, {frames['frames_dropped']} dropped.</p>"
        )
    if head["usage"]:
        write(f'<p class="facts">Usage: {_usage(head["usage"])}.</p>')
    for d in head["diagnostics"]:
        _diagnostic(d, write)
    write("</header>\n")
    number = 0
    for session, runs in iter_runs(conversation, session_id):
        s = session_head(session)
        thread = f" (thread {_e(s['thread_id'])})" if s["thread_id"] else ""
        write(f'<section class="session"><h2>Session {_e(s["session_id"])}{thread}</h2>\n')
        if s["usage"]:
            write(f'<p class="facts">Session usage: {_usage(s["usage"])}.</p>')
        for run in runs:
            number += 1
            _run(run, write, number)
        write("</section>\n")
    write("</body></html>\n")


def _run(run: dict[str, Any], write: Write, number: int) -> None:
    unit = run["time_unit"]
    agent = f" · agent {_e(run['agent'])}" if run["agent"] else ""
    write(f'<article class="run" id="run-{number}"><h3>Run {_e(run["run_id"])}{agent}</h3>')
    facts = _facts(
        f"status {_e(run['status'])}",
        f"duration {fmt_duration(run['duration'], unit)}" if run["duration"] is not None else "",
        f"model {_e(run['model'])}" if run["model"] else "",
        f"finish reason {_e(run['finish_reason'])}" if run["finish_reason"] else "",
        f"stop reason {_e(run['stop_reason'])}" if run["stop_reason"] else "",
        f"usage {_usage(run['usage'])}" if run["usage"] else "",
        f"parent run {_e(run['parent_run_id'])}" if run["parent_run_id"] else "",
        f"times: {_e(run['time_source'])}",
    )
    write(f'<p class="facts">{facts}</p>')
    if run["error"]:
        write(f'<p class="error">Error: {_e(run["error"])}</p>')
    if run["lossy"]:
        ranges = ", ".join(f"[{a}, {b})" for a, b in run["missing"])
        write(f'<p class="error">Frames missing ({_e(run["missing_unit"] or "")}): {ranges}</p>')
    write('<figure class="timeline">')
    _svg(run, write)
    write("</figure>")
    for child in run["children"]:
        _node(child, write, unit)
    if run["reply"]:
        write(
            f'<div class="node reply"><b>Reply</b><div class="text">{_e(run["reply"])}</div></div>'
        )
    write("</article>\n")


def _node(node: dict[str, Any], write: Write, unit: str) -> None:
    kind = node["kind"]
    if kind == "span":
        summary = _facts(
            f"Span {_e(node['name'])}",
            _e(node["status"]),
            fmt_duration(node["duration"], unit),
            f"usage {_usage(node['usage'])}" if node["usage"] else "",
        )
        write(f'<details class="node span" open><summary>{summary}</summary>')
        if node["error"]:
            write(f'<p class="error">Error: {_e(node["error"])}</p>')
        for child in node["children"]:
            _node(child, write, unit)
        write("</details>")
    elif kind == "message":
        _message(node, write, unit)
    elif kind == "tool_call":
        _tool_call(node, write, unit)
    elif kind == "diagnostic":
        _diagnostic(node, write)


def _message(node: dict[str, Any], write: Write, unit: str) -> None:
    facts = _facts(
        _e(node["role"]),
        f"model {_e(node['model'])}" if node["model"] else "",
        f"time to first token {fmt_duration(node['ttft'], 's')}"
        if node["ttft"] is not None
        else "",
        fmt_duration(node["duration"], unit),
        "" if node["completed"] else "incomplete",
    )
    write(f'<div class="node message"><div class="role">{facts}</div>')
    for part in node["parts"]:
        kind = part["kind"]
        if kind == "text":
            if part["text"]:
                write(f'<div class="text">{_e(part["text"])}</div>')
        elif kind == "reasoning":
            if part["text"]:
                write(
                    '<details class="reasoning"><summary>Reasoning</summary>'
                    f'<div class="text">{_e(fold(part["text"], FOLD_CHARS))}</div></details>'
                )
        elif kind == "tool_call":
            _tool_call(part, write, unit)
        elif kind == "tool-result" and not part["in_call"]:
            label = "Tool result (error)" if part["is_error"] else "Tool result"
            write(
                f'<details class="tool"><summary>{label} for {_e(part["call_id"])}</summary>'
                f"<pre>{_e(fold(_json_text(part['content']), FOLD_CHARS))}</pre></details>"
            )
    write("</div>")


def _tool_call(node: dict[str, Any], write: Write, unit: str) -> None:
    summary = _facts(
        f"Tool call {_e(node['name'] or '(unnamed)')}",
        _e(node["state"]),
        f"latency {fmt_duration(node['latency'], unit)}" if node["latency"] is not None else "",
    )
    write(f'<details class="node tool"><summary>{summary}</summary>')
    write(f'<p class="facts">id {_e(node["call_id"])}</p>')
    if node["arguments"] not in (None, ""):
        write(f"<b>Arguments</b><pre>{_e(fold(_json_text(node['arguments']), FOLD_CHARS))}</pre>")
    if node["approval"] is not None:
        approved = node["approval"]["approved"]
        answer = "pending" if approved is None else ("approved" if approved else "denied")
        write(f"<p>Approval: {answer}</p>")
    if node["output"]:
        write(f"<b>Output</b><pre>{_e(fold(node['output'], FOLD_CHARS))}</pre>")
    if node["result"] is not None:
        write(f"<b>Result</b><pre>{_e(fold(_json_text(node['result']), FOLD_CHARS))}</pre>")
    if node["error"]:
        write(f'<p class="error">Error: {_e(node["error"])}</p>')
    write("</details>")
    for child in node["children"]:  # the sub-agent's spans, shown open under the call
        write('<div class="node subagent">')
        _node(child, write, unit)
        write("</div>")


def _diagnostic(node: dict[str, Any], write: Write) -> None:
    where = f" at frame {node['frame']}" if node["frame"] is not None else ""
    dropped = " (frame dropped)" if node["dropped"] else ""
    write(
        f'<p class="diag">⚠ <b>{_e(node["severity"])} {_e(node["code"])}</b>{where}{dropped}:'
        f" {_e(node['message'])}</p>"
    )


# ------------------------------------------------------------------------------ timeline


def timeline_rows(run: dict[str, Any]) -> Iterator[tuple[str, str, int, Any, Any]]:
    """``(css class, label, depth, start, end)`` per bar of a run tree, depth first: the run,
    spans, model calls (assistant messages), tool calls, diagnostics (a point). Start and end
    are times (seconds) when the run has them, else frame indexes."""
    timed = run["time_unit"] == "s"
    key = ("start_time", "end_time") if timed else ("start_frame", "end_frame")

    def walk(node: dict[str, Any], depth: int) -> Iterator[tuple[str, str, int, Any, Any]]:
        kind = node["kind"]
        if kind == "span":
            yield "span", node["name"], depth, node[key[0]], node[key[1]]
        elif kind == "message":
            if node["role"] == "assistant":
                yield "model", f"{node['model'] or 'model'} call", depth, node[key[0]], node[key[1]]
        elif kind == "tool_call":
            yield "tool", node["name"] or "tool", depth, node[key[0]], node[key[1]]
        elif kind == "diagnostic":
            at = node["time"] if timed else node["frame"]
            yield "diag", node["code"], depth, at, at
            return
        for child in node.get("children", ()):
            yield from walk(child, depth + 1)
        for part in node.get("parts", ()):
            if part["kind"] == "tool_call":
                yield from walk(part, depth + 1)

    yield "run", run["agent"] or "run", 0, run[key[0]], run[key[1]]
    for child in run["children"]:
        yield from walk(child, 1)


def _svg(run: dict[str, Any], write: Write) -> None:
    rows: list[tuple[str, str, int, Any, Any]] = []
    hidden = 0
    for row in timeline_rows(run):
        if len(rows) < MAX_TIMELINE_ROWS:
            rows.append(row)
        else:
            hidden += 1
    points = [v for _, _, _, a, b in rows for v in (a, b) if v is not None]
    if not points:
        write("<figcaption>No timeline: nothing in this run has a start.</figcaption>")
        return
    low, high = min(points), max(points)
    span = (high - low) or 1
    label_w, chart_w, row_h = 220, 640, 18
    width, height = label_w + chart_w + 10, row_h * len(rows) + 30
    timed = run["time_unit"] == "s"
    write(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="timeline of the run">'
    )
    for i, (css, label, depth, start, end) in enumerate(rows):
        y = 4 + i * row_h
        if start is None:
            start = end if end is not None else high
        if end is None:
            end = high  # still open at the end of the input
        x = label_w + (start - low) / span * chart_w
        w = max((end - start) / span * chart_w, 2)
        length = fmt_duration(
            round(end - start, 6) if timed else end - start, "s" if timed else "frame"
        )
        tip = f"{label} · {length}"
        write(
            f'<g class="bar {css}"><title>{_e(tip)}</title>'
            f'<text x="{4 + min(depth, 12) * 8}" y="{y + 12}">{_e(fold(label, 28))}</text>'
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 5}" rx="2"/></g>'
        )
    axis_y = 8 + len(rows) * row_h
    total = fmt_duration(round(high - low, 6) if timed else high - low, "s" if timed else "frame")
    write(
        f'<line class="axis" x1="{label_w}" y1="{axis_y}" x2="{label_w + chart_w}" y2="{axis_y}"/>'
        f'<text x="{label_w}" y="{axis_y + 14}">0</text>'
        f'<text x="{label_w + chart_w - 80}" y="{axis_y + 14}">{_e(total)}</text></svg>'
    )
    if hidden:
        write(f"<figcaption>{hidden} more bars not drawn.</figcaption>")

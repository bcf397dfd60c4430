"""The transcript as Markdown (``streamfold transcript --format md``, ``docs/transcript.md``).

Structure comes from headings and labels this module writes; every piece of stream text goes
through :mod:`streamfold.safe_markup`: names and ids as inert inline text, the model's own
Markdown (messages, reasoning) rendered inside a block quote it cannot break, tool arguments,
results and raw frames as fenced code blocks no line of which can close them. Long values are
folded (:data:`FOLD_CHARS`). Written one run at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson

from ...model import Conversation
from ...model.text import dumps
from ...safe_markup import fold, md_code, md_inline, md_quote
from .structure import document_head, iter_runs, session_head

__all__ = ["FOLD_CHARS", "fmt_duration", "write_markdown"]

FOLD_CHARS: Final = 4000
"""Tool arguments, results, outputs, reasoning and raw frames longer than this are folded."""

Write = Callable[[str], Any]


def fmt_duration(value: float | int | None, unit: str) -> str:
    """``1.234 s`` / ``850 ms`` / ``12 frames``; ``""`` when unknown."""
    if value is None:
        return ""
    if unit == "frame":
        return f"{int(value)} frame{'s' if value != 1 else ''}"
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.3f} s"


def _usage(usage: dict[str, Any] | None) -> str:
    if not usage:
        return ""
    return f"{usage['input_tokens']} in / {usage['output_tokens']} out tokens"


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return repr(value)


def _facts(*pairs: tuple[str, str]) -> str:
    return " · ".join(f"{label} {value}" if label else value for label, value in pairs if value)


def write_markdown(
    conversation: Conversation,
    write: Write,
    *,
    session_id: str | None = None,
    stats: dict[str, int] | None = None,
    title: str = "Transcript",
) -> None:
    """Write the transcript of ``conversation`` (only ``session_id`` when given) as Markdown
    through ``write`` (e.g. ``file.write``), one run at a time."""
    head = document_head(conversation, stats)
    write(f"# {md_inline(title)}\n\n")
    time = head["time"]
    write(f"Times: {time['about']}.\n\n")  # our own text, Markdown already
    frames = head["frames"]
    if frames:
        write(
            f"Frames: {frames['frames_in']} in, {frames['frames_applied']} applied,"
            f" {frames['frames_dropped']} dropped.\n\n"
        )
    if head["usage"]:
        write(f"Usage: {_usage(head['usage'])}.\n\n")
    for d in head["diagnostics"]:
        _diagnostic(d, write)
    if head["diagnostics_evicted"]:
        write(f"({head['diagnostics_evicted']} older diagnostics were not kept.)\n\n")
    for session, runs in iter_runs(conversation, session_id):
        s = session_head(session)
        thread = f" (thread {md_inline(s['thread_id'])})" if s["thread_id"] else ""
        write(f"## Session {md_inline(s['session_id'])}{thread}\n\n")
        if s["usage"]:
            write(f"Session usage: {_usage(s['usage'])}.\n\n")
        for run in runs:
            _run(run, write)


def _run(run: dict[str, Any], write: Write) -> None:
    unit = run["time_unit"]
    agent = f" · agent {md_inline(run['agent'])}" if run["agent"] else ""
    write(f"### Run {md_inline(run['run_id'])}{agent}\n\n")
    facts = _facts(
        ("status", md_inline(run["status"])),
        ("duration", fmt_duration(run["duration"], unit)),
        ("model", md_inline(run["model"]) if run["model"] else ""),
        ("finish reason", md_inline(run["finish_reason"]) if run["finish_reason"] else ""),
        ("stop reason", md_inline(run["stop_reason"]) if run["stop_reason"] else ""),
        ("usage", _usage(run["usage"])),
        ("parent run", md_inline(run["parent_run_id"]) if run["parent_run_id"] else ""),
        ("times", md_inline(run["time_source"])),
        (
            "frames",
            f"{run['start_frame']}–{run['end_frame']}" if run["start_frame"] is not None else "",
        ),
    )
    write(f"{facts}\n\n")
    if run["error"]:
        write(f"**Error:** {md_inline(run['error'])}\n\n")
    if run["lossy"]:
        ranges = ", ".join(f"[{a}, {b})" for a, b in run["missing"])
        write(f"**Frames missing** ({md_inline(run['missing_unit'] or '')}): {ranges}\n\n")
    for child in run["children"]:
        _node(child, write, 4, unit)
    if run["reply"]:
        write("**Reply:**\n\n")
        write(md_quote(run["reply"]) + "\n\n")


def _heading(depth: int) -> str:
    return "#" * min(depth, 6) + " " + ("↳ " * max(depth - 6, 0))


def _node(node: dict[str, Any], write: Write, depth: int, unit: str) -> None:
    kind = node["kind"]
    if kind == "span":
        facts = _facts(
            ("", md_inline(node["status"])),
            ("", fmt_duration(node["duration"], unit)),
            ("usage", _usage(node["usage"])),
        )
        write(f"{_heading(depth)}Span {md_inline(node['name'])} · {facts}\n\n")
        if node["error"]:
            write(f"**Error:** {md_inline(node['error'])}\n\n")
        for child in node["children"]:
            _node(child, write, depth + 1, unit)
    elif kind == "message":
        _message(node, write, depth, unit)
    elif kind == "tool_call":
        _tool_call(node, write, depth, unit)
    elif kind == "diagnostic":
        _diagnostic(node, write)


def _message(node: dict[str, Any], write: Write, depth: int, unit: str) -> None:
    facts = _facts(
        ("model", md_inline(node["model"]) if node["model"] else ""),
        ("time to first token", fmt_duration(node["ttft"], "s")),
        ("", fmt_duration(node["duration"], unit)),
        ("", "" if node["completed"] else "incomplete"),
    )
    role = md_inline(node["role"])
    write(f"{_heading(depth)}Message · {role}{' · ' + facts if facts else ''}\n\n")
    for part in node["parts"]:
        kind = part["kind"]
        if kind == "text":
            if part["text"]:
                write(md_quote(part["text"]) + "\n\n")
        elif kind == "reasoning":
            if part["text"]:
                write("*Reasoning:*\n\n")
                write(md_quote(fold(part["text"], FOLD_CHARS)) + "\n\n")
        elif kind == "tool_call":
            _tool_call(part, write, depth + 1, unit)
        elif kind == "tool-result" and not part["in_call"]:
            label = "Tool result (error)" if part["is_error"] else "Tool result"
            write(f"*{label} for {md_inline(part['call_id'])}:*\n\n")
            write(md_code(fold(_json_text(part["content"]), FOLD_CHARS)) + "\n\n")


def _tool_call(node: dict[str, Any], write: Write, depth: int, unit: str) -> None:
    facts = _facts(
        ("", md_inline(node["state"])),
        ("latency", fmt_duration(node["latency"], unit)),
        ("id", md_inline(node["call_id"])),
    )
    name = md_inline(node["name"] or "(unnamed)")
    write(f"{_heading(depth)}Tool call {name} · {facts}\n\n")
    if node["arguments"] not in (None, ""):
        write("Arguments:\n\n" + md_code(fold(_json_text(node["arguments"]), FOLD_CHARS)) + "\n\n")
    if node["approval"] is not None:
        approved = node["approval"]["approved"]
        answer = "pending" if approved is None else ("approved" if approved else "denied")
        write(f"Approval: {answer}\n\n")
    if node["output"]:
        write("Output:\n\n" + md_code(fold(node["output"], FOLD_CHARS)) + "\n\n")
    if node["result"] is not None:
        write("Result:\n\n" + md_code(fold(_json_text(node["result"]), FOLD_CHARS)) + "\n\n")
    if node["error"]:
        write(f"**Error:** {md_inline(node['error'])}\n\n")
    for child in node["children"]:
        _node(child, write, depth + 1, unit)


def _diagnostic(node: dict[str, Any], write: Write) -> None:
    where = f" at frame {node['frame']}" if node["frame"] is not None else ""
    dropped = " (frame dropped)" if node["dropped"] else ""
    write(
        f"> ⚠ **{md_inline(node['severity'])} {md_inline(node['code'])}**{where}{dropped}:"
        f" {md_inline(node['message'])}\n\n"
    )

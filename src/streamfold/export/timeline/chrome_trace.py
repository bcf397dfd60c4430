"""The conversation as a Chrome trace (``streamfold timeline --format chrome-trace``): the JSON
Trace Event Format that Perfetto (ui.perfetto.dev) and ``chrome://tracing`` open
(``docs/transcript.md``, "Timelines").

One process per session and one thread per run (metadata events name them), and a complete
event (``"ph": "X"``) per run, span, model call (assistant message) and tool call, nested by
time on the run's thread: a tool call's sub-agent spans lie inside it. Diagnostics are instant
events (``"ph": "i"``). ``args`` carry ids, status, usage, model, arguments and results (long
values folded). ``ts`` / ``dur`` are microseconds from the earliest start on the same clock;
without times, one frame counts as one microsecond (``otherData.time_unit`` says which).
Written one event at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from ...model import Conversation
from ...model.text import dumps
from ...safe_markup import fold
from ...safe_text import escape_json_output
from ..transcript.structure import document_head, iter_runs

__all__ = ["FOLD_CHARS", "trace_events", "write_chrome_trace"]

FOLD_CHARS: Final = 2000
"""Argument, result and text values in ``args`` longer than this are folded."""

Write = Callable[[str], Any]


def _origins(conversation: Conversation) -> dict[str, float]:
    """The earliest start per clock (``"wire"``, ``"arrival"``, ``"frames"``): O(runs)."""
    origins: dict[str, float] = {}
    for session in conversation.sessions.values():
        for run in session.runs:
            source = run.time_source or "frames"
            start = run.start_time if run.time_source else run.start_frame
            if start is not None and (source not in origins or start < origins[source]):
                origins[source] = float(start)
    return origins


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return fold(value, FOLD_CHARS)
    try:
        text = dumps(value).decode()
    except TypeError:
        text = repr(value)
    return value if len(text) <= FOLD_CHARS else fold(text, FOLD_CHARS)


def trace_events(
    conversation: Conversation, session_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """The trace events, in order: per session its process name, per run its thread name and
    the run's events depth first."""
    origins = _origins(conversation)
    for pid, (session, runs) in enumerate(iter_runs(conversation, session_id), start=1):
        name = f"session {session.session_id}"
        yield {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}
        for tid, run in enumerate(runs, start=1):
            origin = origins.get(run["time_source"], 0.0)
            yield from _RunEvents(run, pid, tid, origin).events()


class _RunEvents:
    """One run's events on its thread."""

    def __init__(self, run: dict[str, Any], pid: int, tid: int, origin: float) -> None:
        self.run, self.pid, self.tid, self.origin = run, pid, tid, origin
        self.timed = run["time_unit"] == "s"
        self.scale = 1e6 if self.timed else 1.0
        self.keys = ("start_time", "end_time") if self.timed else ("start_frame", "end_frame")
        self.last = run[self.keys[1]]

    def events(self) -> Iterator[dict[str, Any]]:
        run = self.run
        name = f"run {run['run_id']}"
        yield {
            "ph": "M",
            "name": "thread_name",
            "pid": self.pid,
            "tid": self.tid,
            "args": {"name": name},
        }
        agent = run["agent"]
        args = {
            "run_id": run["run_id"],
            "status": run["status"],
            "model": run["model"],
            "finish_reason": run["finish_reason"],
            "usage": run["usage"],
            "error": run["error"],
            "time_source": run["time_source"],
        }
        found = self.event(f"invoke_agent {agent}" if agent else "invoke_agent", "run", run, args)
        if found is not None:
            yield found
        for child in run["children"]:
            yield from self.walk(child)

    def ts(self, value: float) -> float:
        return round((value - self.origin) * self.scale, 3)

    def event(
        self, name: str, cat: str, node: dict[str, Any], args: dict[str, Any]
    ) -> dict[str, Any] | None:
        start, end = node[self.keys[0]], node[self.keys[1]]
        if start is None:
            return None
        if end is None:  # still open at the end of the input
            end = self.last if self.last is not None and self.last >= start else start
        return {
            "ph": "X",
            "name": name,
            "cat": cat,
            "pid": self.pid,
            "tid": self.tid,
            "ts": self.ts(start),
            "dur": round(max(end - start, 0) * self.scale, 3),
            "args": {k: v for k, v in args.items() if v is not None},
        }

    def walk(self, node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        kind = node["kind"]
        found: dict[str, Any] | None = None
        if kind == "span":
            args = {
                "span_id": node["span_id"],
                "status": node["status"],
                "error": node["error"],
                "usage": node["usage"],
            }
            found = self.event(node["name"], "span", node, args)
        elif kind == "message" and node["role"] == "assistant":
            text = "".join(p["text"] for p in node["parts"] if p["kind"] == "text")
            args = {
                "message_id": node["message_id"],
                "model": node["model"],
                "ttft_s": node["ttft"],
                "text": _text(text),
            }
            model = node["model"]
            found = self.event(f"chat {model}" if model else "chat", "model", node, args)
        elif kind == "tool_call":
            args = {
                "call_id": node["call_id"],
                "tool": node["name"],
                "state": node["state"],
                "arguments": _text(node["arguments"]),
                "result": _text(node["result"]),
                "error": node["error"],
            }
            name = f"execute_tool {node['name'] or ''}".strip()
            found = self.event(name, "tool", node, args)
        elif kind == "diagnostic":
            at = node["time"] if self.timed else node["frame"]
            if at is not None:
                yield {
                    "ph": "i",
                    "s": "t",
                    "name": node["code"],
                    "cat": "diagnostic",
                    "pid": self.pid,
                    "tid": self.tid,
                    "ts": self.ts(at),
                    "args": {
                        "severity": node["severity"],
                        "message": node["message"],
                        "frame": node["frame"],
                    },
                }
            return
        if found is not None:
            yield found
        for part in node.get("parts", ()):
            if part["kind"] == "tool_call":
                yield from self.walk(part)
        for child in node.get("children", ()):
            yield from self.walk(child)


def write_chrome_trace(
    conversation: Conversation, write: Write, *, session_id: str | None = None
) -> None:
    """Write the JSON Object Format of the Trace Event Format through ``write``, one event at
    a time: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}``."""
    head = document_head(conversation)
    write('{"traceEvents":[')
    first = True
    for event in trace_events(conversation, session_id):
        text = escape_json_output(dumps(event, default=repr).decode())
        write(("\n" if first else ",\n") + text)
        first = False
    source = head["time"]["source"]
    other = {
        "producer": "streamfold",
        "time_source": source,
        "time_unit": "1 frame = 1 us" if source == "frames" else "us",
        "about": head["time"]["about"],
    }
    write('\n],"displayTimeUnit":"ms","otherData":' + dumps(other).decode() + "}\n")

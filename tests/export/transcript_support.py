"""Shared pieces of the transcript and timeline tests: the multi-agent recordings of every
format, folded through the CLI's reader, and a hostile stream."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from streamfold import Reducer
from streamfold.cli.main import _read

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"

MULTI = {
    "loom": RECORDINGS / "loom-multi-agent.ndjson",
    "nnrp": RECORDINGS / "nnrp-concurrent.ndjson",
    "nnrp-wire": RECORDINGS / "nnrp-wire-concurrent.nnrp",
    "tanstack": RECORDINGS / "tanstack-agui-tools.sse",
    "tanstack-timed": RECORDINGS / "timed" / "tanstack-agui-tools.recording.ndjson",
    "agui": RECORDINGS / "agui" / "agui-sdk-subagents.sse",
    "agui-langgraph": RECORDINGS / "agui" / "langgraph-tools.sse",
    "vercel-ui": RECORDINGS / "vercel-ui-tools-multistep.sse",
}


def fold_path(path: Path) -> Reducer:
    """``path`` folded as the CLI folds it (arrival times of a recording included)."""
    namespace = argparse.Namespace(file=str(path), strict=False, framing=None, format=None)
    recording, _ = _read(namespace)
    reducer = Reducer()
    for frame in recording:
        reducer.feed_frame(frame)
    reducer.close()
    return reducer


# Everything a hostile sender can put in stream text, tool names and arguments.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
ANSI = "\x1b[2J\x1b]0;owned\x07\x1b]52;c;b3duZWQ=\x07"
BIDI = "\u202eevil\u202c\u2066x\u2069"
FENCE = "```python\nstill code?"
HOSTILE = f"{SCRIPT} {IMG} {ANSI} {BIDI}\n{FENCE}\n[x](javascript:alert(1)) <b>bold</b>"


def hostile_loom() -> list[bytes]:
    """A Loom stream whose text, node names, tool names, arguments and results are hostile,
    followed by a second, clean run that must still be outside anything the first opened."""
    call = f"call-{IMG}"
    name = f'"><svg onload=alert(1)>{ANSI}'
    arguments = {"q": HOSTILE, "x": "</pre><script>alert(3)</script>"}
    frames: list[dict[str, Any]] = [
        {"session_id": "s-1", "type": "node_enter", "id": f"think{SCRIPT}"},
        {"session_id": "s-1", "type": "thought_chunk", "content": HOSTILE, "id": "think"},
        {"session_id": "s-1", "type": "message_chunk", "content": HOSTILE, "id": "think"},
        {"session_id": "s-1", "type": "tool_call", "call_id": call, "name": name,
         "arguments": arguments},
        {"session_id": "s-1", "type": "node_exit", "id": f"think{SCRIPT}", "result": "Ok"},
        {"session_id": "s-1", "type": "node_enter", "id": "act"},
        {"session_id": "s-1", "type": "tool_start", "call_id": call, "name": name},
        {"session_id": "s-1", "type": "tool_end", "call_id": call, "name": name,
         "result": HOSTILE + "\n```\n" + SCRIPT},
        {"session_id": "s-1", "type": "node_exit", "id": "act", "result": "Ok"},
        {"session_id": "s-1", "reply": HOSTILE},
        {"session_id": "s-2", "type": "node_enter", "id": "after"},
        {"session_id": "s-2", "type": "message_chunk", "content": "SAFE-AFTER", "id": "after"},
        {"session_id": "s-2", "type": "node_exit", "id": "after", "result": "Ok"},
        {"session_id": "s-2", "reply": "SAFE-AFTER"},
    ]  # fmt: skip
    return [orjson.dumps(f) for f in frames]


def fold_hostile() -> Reducer:
    reducer = Reducer()
    for line in hostile_loom():
        reducer.feed_line(line)
    reducer.close()
    return reducer

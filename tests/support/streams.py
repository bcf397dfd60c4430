"""Realistic test streams shared by the framing, io, aio, replay and coalescing tests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson

from streamfold import Reducer
from streamfold.export.json import to_dict
from streamfold.framing import Frame
from streamfold.io.recording import RecordingWriter

from ..formats.loom.loomscript import Envelope

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"
"""The example recordings (examples/recordings/)."""


def loom_lines(session: str = "sess-1", *, answer: str = "It is sunny in Paris.") -> list[bytes]:
    """A realistic Loom run: reasoning, text, streamed tool arguments, a tool, a reply."""
    env = Envelope(session)
    env.event("run_start", run_id=f"{session}-run", message="Weather in Paris?", agent="react")
    env.event("node_enter", id="think")
    for word in ["The", " user", " wants", " a", " forecast", "."]:
        env.event("thought_chunk", content=word, id="think")
    for word in ["Let", " me", " check", " ✓"]:
        env.event("message_chunk", content=word, id="think")
    env.event("tool_call_chunk", call_id="call_1", name="weather", arguments_delta="")
    for piece in ['{"ci', 'ty": "Par', 'is"}']:
        env.event("tool_call_chunk", call_id=None, name=None, arguments_delta=piece)
    env.event("tool_call", call_id="call_1", name="weather", arguments={"city": "Paris"})
    env.event("usage", prompt_tokens=100, completion_tokens=20, total_tokens=120)
    env.event("node_exit", id="think", result="Ok")
    env.event("node_enter", id="act")
    env.event("tool_start", call_id="call_1", name="weather")
    env.event("tool_output", call_id="call_1", name="weather", content="sunny")
    env.event(
        "tool_end",
        call_id="call_1",
        name="weather",
        result="sunny, 21°C",
        is_error=False,
        raw_result=None,
    )
    env.event("node_exit", id="act", result="Ok")
    env.event("node_enter", id="think")
    for word in answer.split(" "):
        env.event("message_chunk", content=word + " ", id="think")
    env.event("node_exit", id="think", result="Ok")
    env.reply(answer, session)
    return env.lines


def loom_bytes(session: str = "sess-1") -> bytes:
    return b"\n".join(loom_lines(session)) + b"\n"


def loom_sse(session: str = "sess-1") -> bytes:
    """The Loom run as Server-Sent Events with ids, a comment and a ``[DONE]`` terminator."""
    out = [b": keep-alive\n\n"]
    for i, line in enumerate(loom_lines(session), 1):
        out.append(b"id: %d\ndata: %s\n\n" % (i, line))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def timed_frames(lines: list[bytes], gap: float = 0.05) -> list[Frame]:
    return [Frame(line, round(i * gap, 6)) for i, line in enumerate(lines)]


def recording_bytes(frames: list[Frame], **options: Any) -> bytes:
    buf = io.BytesIO()
    with RecordingWriter(buf, **options) as writer:
        for frame in frames:
            writer.write(frame)
    return buf.getvalue()


TIME_KEYS = frozenset(
    {"start_time", "end_time", "first_token_time", "input_time", "time", "time_source"}
)


def untimed(value: Any) -> Any:
    """``value`` (snapshot data) without the model's times: the same frames arriving at other
    times (or with no times) give the same model otherwise (docs/transcript.md, "Time")."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def model(reducer: Reducer) -> dict[str, Any]:
    """The whole model plus the frame counters, for equality checks; times left out (arrival
    times differ between a recording and its bytes, the rest must not)."""
    stats = {
        "frames_in": reducer.frames_in,
        "frames_applied": reducer.frames_applied,
        "frames_dropped": reducer.frames_dropped,
    }
    document: dict[str, Any] = untimed(to_dict(reducer.conversation, stats=stats))
    return document


def fold_frames(frames: tuple[Frame, ...] | list[Frame], *, close: bool = True) -> Reducer:
    reducer = Reducer()
    for frame in frames:
        reducer.feed_frame(frame)
    if close:
        reducer.close()
    return reducer


def fold_bytes(data: bytes, framing: str = "ndjson") -> Reducer:
    reducer = Reducer()
    if framing == "sse":
        reducer.feed_sse(data)
    else:
        reducer.feed_bytes(data)
    reducer.close()
    return reducer


def chunk_recording(chunks: list[dict[str, Any]], start: int = 1_700_000_000_000) -> bytes:
    entries = [
        {"chunk": chunk, "timestamp": start + 40 * i, "index": i} for i, chunk in enumerate(chunks)
    ]
    doc = {"version": 1, "timestamp": start - 100, "model": "m", "chunks": entries}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


HEADS = {
    "ndjson": loom_bytes(),
    "sse": loom_sse(),
    "recording": recording_bytes(timed_frames(loom_lines()[:3])),
    "chunk-recording": chunk_recording([{"type": "x"}]),
    "chunk-recording-compact": b'{"version":1,"chunks":[{"chunk":{"a":1},"timestamp":1}]}\n',
}

"""Build small provider SSE streams for unit tests."""

from __future__ import annotations

from typing import Any

import orjson

from streamfold import Reducer
from streamfold.model import Run

__all__ = ["fold_frames", "only_run", "resumed", "sse"]


def sse(frames: list[Any], *, events: bool = False, done: bool = False) -> bytes:
    """``data:`` blocks of ``frames`` (dicts are JSON-encoded, strings kept), optionally with
    ``event: <type>`` lines and a final ``data: [DONE]``."""
    out = []
    for frame in frames:
        data = frame if isinstance(frame, str) else orjson.dumps(frame).decode()
        head = f"event: {frame['type']}\n" if events and isinstance(frame, dict) else ""
        out.append(f"{head}data: {data}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def fold_frames(frames: list[Any], **kw: Any) -> Reducer:
    reducer = Reducer()
    reducer.feed_sse(sse(frames, **kw))
    reducer.close()
    return reducer


def only_run(reducer: Reducer) -> Run:
    (run,) = [r for s in reducer.conversation.sessions.values() for r in s.runs]
    return run


def resumed(data: bytes) -> list[bytes]:
    """The model export after folding ``data`` with a snapshot and restore at every event
    boundary, one per cut (each must equal the uninterrupted fold)."""
    from streamfold.export.json import to_json

    cuts = [i + 2 for i in range(len(data) - 1) if data[i : i + 2] == b"\n\n"]
    out = []
    for cut in cuts:
        first = Reducer()
        first.feed_sse(data[:cut])
        second = Reducer.from_snapshot(first.snapshot())
        second.feed_sse(data[cut:])
        second.close()
        out.append(to_json(second.conversation))
    return out

"""The text rule in every field (issues #17 and #23 item 8): a frame given as a dict (from
``json.loads``, which keeps lone surrogates) may hold a lone surrogate in any string, not only
in text deltas. Ids, names, roles, metadata and values are made well formed (U+FFFD, with an
``unpaired_surrogate`` diagnostic) as they enter the model, so that the model never holds a lone
surrogate at rest and every output (snapshot, JSON, transcripts) can be written as UTF-8.

Each case takes a real recording of one format and puts a lone surrogate at the end of every
string value of every frame (the discriminator fields aside, which would only make the frames
unknown)."""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.export.transcript import write_html, write_json, write_markdown
from streamfold.snapshot import to_bytes

from ..formats.providers.corpus import corpus_streams

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"
CASES = [
    "loom-multi-agent.ndjson",
    "loom-react-parallel-tools.ndjson",
    "loom-tot.ndjson",
    "nnrp-openai.ndjson",
    "nnrp-concurrent.ndjson",
    "nnrp-tool-call-stop.ndjson",
    "tanstack-agui-tools.sse",
    "tanstack-legacy-tools.sse",
    "tanstack-eraB-text-tools.sse",
    "agui/agui-sdk-subagents.sse",
    "agui/agui-sdk-surface.sse",
    "vercel-ui-tools-multistep.sse",
]
_DISCRIMINATORS = frozenset({"type", "message_type", "event", "object"})


def frames_of(path: Path) -> list[dict[str, Any]]:
    frames = []
    for line in path.read_text().splitlines():
        if path.suffix == ".sse":
            if not line.startswith("data:"):
                continue
            line = line[5:].strip()
        if line.startswith("{"):
            frames.append(json.loads(line))
    return frames


def poison(value: Any, half: str, key: str | None = None) -> Any:
    if isinstance(value, str):
        return value if key in _DISCRIMINATORS else value + half
    if isinstance(value, dict):
        return {k: poison(v, half, k) for k, v in value.items()}
    if isinstance(value, list):
        return [poison(v, half) for v in value]
    return value


def strings(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every string reachable from a model object (attrs objects, containers, dict keys)."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        yield value
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from strings(getattr(value, field.name), seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key, seen)
            yield from strings(item, seen)
    elif isinstance(value, list | tuple | deque | set | frozenset):
        for item in value:
            yield from strings(item, seen)


def lone(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def case_paths() -> list[Path]:
    paths = [RECORDINGS / name for name in CASES]
    for fmt in ("openai-chat", "openai-responses", "anthropic"):
        paths += corpus_streams(fmt)[:1]
    return paths


@pytest.mark.parametrize("half", [chr(0xD83D), chr(0xDC00)], ids=["high", "low"])
@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.name)
def test_a_lone_surrogate_in_any_field_never_reaches_the_model(path: Path, half: str) -> None:
    frames = frames_of(path)
    assert frames
    reducer = Reducer()
    for frame in frames:
        reducer.feed(poison(frame, half))
    reducer.close()
    conversation = reducer.conversation
    assert conversation.runs, "the poisoned stream still folds"
    assert [s for s in strings(conversation) if lone(s)] == []
    assert "unpaired_surrogate" in {d.code for d in conversation.diagnostics}
    assert json.loads(to_json(conversation))
    assert to_bytes(reducer)
    for write in (write_markdown, write_html, write_json):
        out = io.StringIO()
        write(conversation, out.write)
        out.getvalue().encode("utf-8")  # strict: a lone surrogate would raise here


def test_the_callers_dict_is_not_modified() -> None:
    frame = {"type": "RUN_STARTED", "threadId": "t\ud800", "runId": "r", "input": {"k": ["\udfff"]}}
    copy = json.loads(json.dumps(frame))
    reducer = Reducer()
    reducer.feed(frame)
    assert frame == copy
    assert reducer.conversation.runs[0].thread_id == "t\ufffd"

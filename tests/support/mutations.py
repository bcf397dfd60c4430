"""Mutations of valid streams, shared by the hypothesis properties (``tests/test_adversarial.py``,
``tests/cli/test_cli_fuzz.py``) and the seeded mutation run (``fuzz/mutation_run.py``).

A stream is a list of JSON lines. :func:`mutate` applies up to six mutations, each chosen through
a :class:`Pick` (hypothesis draws in the tests, a seeded ``random.Random`` in the long run):
drop, duplicate, swap, truncate, corrupt the bytes, retype a field, a 200 kB string, nesting
past ``max_json_depth`` and past orjson's reader, deep JSON text inside a string, integers past
64 bits, invalid UTF-8, an unknown type, every field null.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

T = TypeVar("T")

KINDS = (
    "drop",
    "duplicate",
    "swap",
    "truncate",
    "corrupt",
    "retype",
    "huge",
    "nest",
    "deep_text",
    "big_int",
    "bad_utf8",
    "unknown_type",
    "null_fields",
)
RETYPES: tuple[Any, ...] = (1, -1, 2**70, 1.5, True, "x", [], {}, None)
BIG_INTS = (2**64 - 1, 2**64, -(2**63) - 1, 10**40)
ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = ROOT / "examples" / "recordings"


class Pick(Protocol):
    def integer(self, low: int, high: int, label: str) -> int: ...

    def choice(self, options: Sequence[T], label: str) -> T: ...


class RandomPick:
    """Choices from a seeded ``random.Random`` (reproducible by seed)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int, label: str) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[T], label: str) -> T:
        return options[self.rng.randrange(len(options))]


def mutate(lines: Sequence[bytes], pick: Pick) -> list[bytes]:
    out = list(lines)
    for _ in range(pick.integer(0, 6, "mutations")):
        if not out:
            break
        i = pick.integer(0, len(out) - 1, "at")
        kind = pick.choice(KINDS, "kind")
        line = out[i]
        if kind == "drop":
            del out[i]
        elif kind == "duplicate":
            out.insert(i, line)
        elif kind == "swap" and i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
        elif kind == "truncate":
            out[i] = line[: pick.integer(0, len(line), "cut")]
        elif kind == "corrupt":
            pos = pick.integer(0, max(len(line) - 1, 0), "pos")
            out[i] = line[:pos] + b"\x00}{" + line[pos + 1 :]
        elif kind == "bad_utf8":
            out[i] = line + b"\xff\xfe\xc3"
        elif kind != "swap":
            changed = _change_field(line, kind, pick)
            if changed is not None:
                out[i] = changed
    return out


def _change_field(line: bytes, kind: str, pick: Pick) -> bytes | None:
    try:
        frame: Any = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    try:
        return _changed(frame, kind, pick)
    except RecursionError:  # a line an earlier mutation nested past json's recursion limit
        return None


def _changed(frame: Any, kind: str, pick: Pick) -> bytes | None:
    if not isinstance(frame, dict) or not frame:
        return None
    key = pick.choice(sorted(frame), "key")
    if kind == "retype":
        frame[key] = pick.choice(RETYPES, "value")
    elif kind == "null_fields":
        frame = dict.fromkeys(frame)
    elif kind == "unknown_type":
        frame["type"] = "never_seen_before"
    elif kind == "huge":
        frame[key] = "A" * 200_000
    elif kind == "deep_text":  # JSON text nested past every writer, inside a string
        depth = pick.choice((200, 300, 1000, 2000), "depth")
        frame[key] = "[" * depth + "]" * depth
    elif kind == "big_int":  # beyond 64 bits, or near 2**64 so that sums pass it
        frame[key] = pick.choice(BIG_INTS, "int")
    else:  # "nest": past max_json_depth, orjson's writer and its reader
        depth = pick.choice((129, 200, 300, 1000, 5000), "depth")
        nested = "[" * depth + "0" + "]" * depth
        return (json.dumps(frame)[:-1] + f',"deep":{nested}}}').encode()
    return json.dumps(frame).encode()


def recording_lines(path: Path) -> list[bytes]:
    """A recording as JSON lines (the ``data:`` payloads of an ``.sse`` file)."""
    lines = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    if path.suffix == ".sse":
        lines = [line[5:].strip() for line in lines if line.startswith(b"data:")]
    return [line for line in lines if line.startswith(b"{")]


# One or more real recordings per format (nnrp-wire is binary and has its own fuzzing).
FORMAT_RECORDINGS = {
    "loom": ["loom-multi-agent.ndjson", "loom-react-parallel-tools.ndjson", "loom-tot.ndjson"],
    "tanstack": [
        "tanstack-agui-tools.sse",
        "tanstack-legacy-tools.sse",
        "tanstack-agui-approval.sse",
        "agui/agui-sdk-subagents.sse",
    ],
    "nnrp": ["nnrp-reorder.ndjson", "nnrp-tool-call-stop.ndjson", "nnrp-openai.ndjson"],
    "vercel-ui": ["vercel-ui-tools-multistep.sse"],
}
PROVIDER_CORPUS = ROOT.parent / "shared" / "corpus" / "providers"


def streams_of_every_format() -> dict[str, list[list[bytes]]]:
    """Base streams by format: the recordings above, and the first streams of the provider
    corpus (OpenAI Chat, OpenAI Responses, Anthropic) when it is beside the checkout."""
    streams = {
        fmt: [recording_lines(RECORDINGS / name) for name in names]
        for fmt, names in FORMAT_RECORDINGS.items()
    }
    for fmt in ("openai-chat", "openai-responses", "anthropic"):
        paths = sorted((PROVIDER_CORPUS / fmt).glob("*.sse"))[:3]
        if paths:
            streams[fmt] = [recording_lines(path) for path in paths]
    return streams


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``document`` with the item at ``path`` (keys and indexes) set to ``value``."""
    out = copy.deepcopy(document)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out

#!/usr/bin/env python3
"""Regenerate the NNRP recordings in this directory (deterministic, standard library only).

No NNRP component emits JSON: the wire is binary, and the token profile's JSON "mock dump" is a
documentation rendering (docs/nnrp.md). These files are what a debug/bridge
tool that follows the docs page would log, so this script *is* the sender. It models:

* the token profile's mock dump (the NNRP token profile pages, summarised in ``docs/nnrp.md``): the
  full ``common_header``
  (zero-padded hex ids, ``header_len`` 40, ``meta_len``/``body_len`` computed from the binary
  layout: 32-byte body prelude + 24-byte descriptor + the chunk), ``fixed_metadata`` with
  ``result_status`` and flow fields, the ``typed_payload_descriptor`` (``offset`` =
  ``sequence_start``, ``length`` = the chunk's UTF-8 size), ``profile_body.token`` and
  ``payload_frame.token_chunk``;
* "tokens" as a byte-level BPE tokenizer would cut them (words with their leading space; runs of
  non-ASCII text cut into 2-byte pieces, so multi-byte characters are split across tokens),
  sequence positions counted in tokens, half-open ``[start, end)`` unless a file says otherwise;
* the OpenAI-compatible profile as the vLLM adapter sends it
  (docs/nnrp.md#openai-compatible-profile-frames): one compact,
  key-sorted JSON event per ``PARTIAL_RESULT`` body with ``result_sequence = delta_sequence =
  1..N``, then one ``RESULT_PUSH`` with ``status_code`` and ``response.completed``.

Run ``python examples/recordings/make_nnrp_recordings.py`` to rewrite every ``nnrp-*.ndjson``
and ``nnrp-expected.json`` (the facts each file must fold to, derived here from the scenario,
not from streamfold).
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Json = Any
HERE = Path(__file__).resolve().parent
EXPECTED_FILE = HERE / "nnrp-expected.json"

_TOKEN_RE = re.compile(r" ?[A-Za-z0-9_]+| ?[^\sA-Za-z0-9_]| +|\n")


def tokenize(text: str) -> list[bytes]:
    """Byte-level BPE-like tokens: ASCII words with their leading space, punctuation, and
    non-ASCII characters cut into 2-byte pieces (so a 3-byte character spans two tokens)."""
    tokens: list[bytes] = []
    for match in _TOKEN_RE.finditer(text):
        piece = match.group().encode()
        if piece.isascii():
            tokens.append(piece)
        else:
            tokens.extend(piece[i : i + 2] for i in range(0, len(piece), 2))
    assert b"".join(tokens) == text.encode()
    return tokens


def dumps(frame: Json) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def hex_id(value: int, digits: int) -> str:
    return f"0x{value:0{digits}x}"


@dataclass
class Chunk:
    """A run of tokens with its token range (half-open)."""

    data: bytes
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.data.decode()


def chunks_of(
    text: str, sizes: list[int], start: int = 0, *, whole_characters: bool = True
) -> list[Chunk]:
    """Group ``text``'s tokens into chunks of ``sizes`` tokens (cycled). Text chunks
    (``token_chunk`` strings) are extended to whole characters; raw-byte chunks are not."""
    tokens = tokenize(text)
    out: list[Chunk] = []
    pos = 0
    i = 0
    while pos < len(tokens):
        n = sizes[i % len(sizes)]
        while whole_characters and not _decodes(b"".join(tokens[pos : pos + n])):
            n += 1
        group = tokens[pos : pos + n]
        out.append(Chunk(b"".join(group), start + pos, start + pos + len(group)))
        pos += len(group)
        i += 1
    return out


def _decodes(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Operation:
    """One NNRP operation as a token-profile sender writes it (mock-dump shape)."""

    session: int
    frame: int
    view: int = 0
    route: int = 9
    trace: int = 0
    raw_bytes: bool = False
    inclusive: bool = False
    numeric_vocab: bool = False
    int_ids: bool = False

    def header(self, kind: str, body_len: int = 0, meta_len: int = 24, flags: int = 0) -> Json:
        codes = {"RESULT_PUSH": 0x12, "PARTIAL_RESULT": 0x38, "FRAME_SUBMIT": 0x10}
        header: dict[str, Json] = {
            "version_major": 1,
            "wire_format": 0,
            "msg_type": codes.get(kind, kind) if self.numeric_vocab else kind,
            "header_len": 40,
            "meta_len": meta_len,
            "body_len": body_len,
        }
        if self.int_ids:
            header.update(session_id=self.session, frame_id=self.frame, view_id=self.view)
            header.update(route_id=self.route, trace_id=self.trace)
        else:
            header.update(
                session_id=hex_id(self.session, 8),
                frame_id=hex_id(self.frame, 8),
                view_id=hex_id(self.view, 8),
                route_id=hex_id(self.route, 8),
                trace_id=hex_id(self.trace, 16),
            )
        if flags:
            header["flags"] = flags if self.numeric_vocab else _flag_names(flags)
        return header

    def token_frame(
        self,
        chunk: Chunk,
        *,
        terminal: bool = False,
        stop_reason: str = "none",
        flags: int = 0,
        credit: int = 1,
    ) -> Json:
        end = chunk.end - 1 if self.inclusive else chunk.end
        payload: dict[str, Json]
        if self.raw_bytes:
            payload = {"token_chunk_base64": base64.b64encode(chunk.data).decode()}
        else:
            payload = {"token_chunk": chunk.text}
        descriptor_flags: Json
        if self.numeric_vocab:
            descriptor_flags = 0x1 if terminal else 0x2
        else:
            descriptor_flags = ["stop_reason_present", "terminal" if terminal else "partial"]
        return {
            "message_type": 0x12 if self.numeric_vocab else "RESULT_PUSH",
            "common_header": self.header("RESULT_PUSH", 32 + 24 + len(chunk.data), flags=flags),
            "fixed_metadata": {
                "result_status": (0 if terminal else 1)
                if self.numeric_vocab
                else ("complete" if terminal else "partial"),
                "flow_scope": 1 if self.numeric_vocab else "session",
                "flow_credit_delta": credit,
            },
            "typed_payload_descriptor": {
                "profile_id": 2 if self.numeric_vocab else "token",
                "schema_id": 0x1001 if self.numeric_vocab else "llm.chat.delta.v1",
                "schema_version": 3 if self.numeric_vocab else 1,
                "stream_semantics": 2 if self.numeric_vocab else "ordered_incremental",
                "offset": chunk.start,
                "length": len(chunk.data),
                "descriptor_flags": descriptor_flags,
            },
            "profile_body": {
                "token": {
                    "token_unit": "bpe",
                    "sequence_start": chunk.start,
                    "sequence_end": end,
                    "terminal": terminal,
                    "stop_reason": stop_reason,
                }
            },
            "payload_frame": payload,
        }

    def stream(self, chunks: list[Chunk], stop_reason: str = "eos") -> list[Json]:
        frames = [self.token_frame(c) for c in chunks[:-1]]
        frames.append(self.token_frame(chunks[-1], terminal=True, stop_reason=stop_reason))
        return frames

    def submit(self, user: str, *, operation: str = "chat.completions.create") -> Json:
        request = {
            "schema_version": "openai-compatible/1",
            "operation": operation,
            "request_id": f"req_{self.session:x}_{self.frame:x}",
            "body": {
                "model": "qwen2.5-7b-instruct",
                "messages": [{"role": "user", "content": user}],
                "stream": True,
            },
        }
        body = dumps(request)
        return {
            "message_type": "FRAME_SUBMIT",
            "common_header": self.header("FRAME_SUBMIT", len(body.encode()), meta_len=32),
            "fixed_metadata": {"operation_id": self.frame + 0x1000},
            "body": body,
        }

    def control(self, kind: str, meta: Json, **extra: Json) -> Json:
        return {
            "message_type": kind,
            "common_header": self.header(kind, meta_len=32),
            "fixed_metadata": meta,
            **extra,
        }

    def event(
        self, seq: int | None, event: Json, *, kind: str = "PARTIAL_RESULT", **meta: Json
    ) -> Json:
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        fixed: dict[str, Json] = {"operation_id": self.frame + 0x1000}
        if seq is not None:
            fixed.update(result_sequence=seq, delta_sequence=seq, flags=0)
        fixed.update(meta)
        return {
            "message_type": kind,
            "common_header": self.header(kind, len(body.encode()), meta_len=40),
            "fixed_metadata": fixed,
            "body": body,
        }


def _flag_names(flags: int) -> list[str]:
    names = ["ack_required", "can_drop", "stale", "eos", "retransmit", "keyframe"]
    return [name for i, name in enumerate(names) if flags >> i & 1]


RETRANSMIT = 0x10


def with_flags(frame: Json, flags: int) -> Json:
    frame = json.loads(json.dumps(frame))
    header = frame["common_header"]
    header["flags"] = _flag_names(flags) if isinstance(header.get("frame_id"), str) else flags
    return frame


# --------------------------------------------------------------------------------------------
# Scenarios. Each returns its frames and the facts the fold must give.


@dataclass
class Recording:
    name: str
    description: str
    frames: list[Json] = field(default_factory=list)
    runs: list[dict[str, Json]] = field(default_factory=list)
    diagnostics: dict[str, int] = field(default_factory=dict)


def run_fact(
    op: Operation,
    text: str,
    status: str = "completed",
    *,
    suffix: str = "",
    finish: str | None = "stop",
    stop: str | None = "eos",
    missing: list[list[int]] | None = None,
    error_code: str | None = None,
    input_text: str | None = None,
    tool_calls: dict[str, Json] | None = None,
    usage: list[int] | None = None,
) -> dict[str, Json]:
    fact: dict[str, Json] = {
        "run_id": f"nnrp:{hex_id(op.session, 8)}:{hex_id(op.frame, 8)}{suffix}",
        "status": status,
        "text": text,
        "finish_reason": finish,
        "stop_reason": stop,
        "missing": missing or [],
        "error_code": error_code,
    }
    if input_text is not None:
        fact["input_text"] = input_text
    if tool_calls is not None:
        fact["tool_calls"] = tool_calls
    if usage is not None:
        fact["usage"] = usage
    return fact


ANSWER = (
    "NNRP keeps one session per connection and multiplexes operations by frame id. "
    "When a transport migrates, the server replays frames after the last acknowledged "
    "one, and then retries over TCP if QUIC is blocked."
)


def clean() -> Recording:
    op = Operation(0x34, 0xC21, trace=0x8E6A6E6DB54A11AF)
    user = "How does NNRP survive a network change?"
    chunks = chunks_of(ANSWER, [3, 2, 4])
    rec = Recording("nnrp-clean.ndjson", "one operation, in order, mock-dump shape")
    rec.frames = [op.submit(user), *op.stream(chunks)]
    rec.runs = [run_fact(op, ANSWER, input_text=user)]
    return rec


def concurrent() -> Recording:
    """Two sessions, three frames interleaved; one frame has a second view lane, which is an
    operation of its own (its own text and terminal, ``docs/nnrp.md``)."""
    a1 = Operation(0x11, 0x101, trace=0xA1)
    a2 = Operation(0x11, 0x102, trace=0xA2)
    a2_side = Operation(0x11, 0x102, view=1, trace=0xA2)
    b1 = Operation(0x22, 0x101, trace=0xB1, int_ids=True)  # same frame id, other session
    texts = {
        "a1": "Paris is the capital of France.",
        "a2": "Sorting a list in Python: use sorted(items) or items.sort().",
        "a2_side": "[citation: docs.python.org/3/howto/sorting]",
        "b1": "東京は日本の首都です。",
    }
    streams = {
        "a1": a1.stream(chunks_of(texts["a1"], [2, 3])),
        "a2": a2.stream(chunks_of(texts["a2"], [3])),
        "a2_side": a2_side.stream(chunks_of(texts["a2_side"], [4])),
        "b1": b1.stream(chunks_of(texts["b1"], [2])),
    }
    rec = Recording("nnrp-concurrent.ndjson", "3 operations in 2 sessions, interleaved")
    order = ["a2_side", "a1", "b1", "a2"]
    while any(streams.values()):
        for key in order:
            if streams[key]:
                rec.frames.append(streams[key].pop(0))
    # runs are listed by session, then in first-seen order (a2's side lane speaks first)
    rec.runs = [
        run_fact(a2_side, texts["a2_side"], suffix=":0x0001"),
        run_fact(a1, texts["a1"]),
        run_fact(a2, texts["a2"]),
        run_fact(b1, texts["b1"]),
    ]
    return rec


def retransmits() -> Recording:
    """A transport migration: the server replays frames from the last acknowledged one with
    the RETRANSMIT flag; a proxy also duplicates one frame without the flag."""
    op = Operation(0x40, 0x7, trace=0x40007)
    chunks = chunks_of(ANSWER, [2, 3])
    frames = op.stream(chunks)
    rec = Recording("nnrp-retransmit.ndjson", "duplicates and RETRANSMIT replays, dropped")
    cut = 9
    rec.frames = frames[:cut]
    rec.frames.append(frames[4])  # proxy duplicate, no flag
    rec.frames += [with_flags(f, RETRANSMIT) for f in frames[cut - 3 : cut]]  # the replay
    rec.frames += frames[cut:]
    rec.runs = [run_fact(op, ANSWER)]
    rec.diagnostics = {"duplicate_chunk": 4}
    return rec


def reorder() -> Recording:
    """Raw-byte chunks (base64) delivered out of order within the window, the terminal early;
    multi-byte characters are split across tokens."""
    text = "Grüße aus Köln — 東京から “こんにちは” 🎉 and back."
    op = Operation(0x51, 0x3, raw_bytes=True, trace=0x5103)
    chunks = chunks_of(text, [2, 3], whole_characters=False)
    assert not all(_decodes(c.data) for c in chunks), "some chunk must cut a character"
    frames = op.stream(chunks)
    rng = random.Random(4)
    delivered: list[Json] = frames[:1]  # the first chunk sets the lane's base
    block = 5
    for i in range(1, len(frames), block):
        group = frames[i : i + block]
        rng.shuffle(group)
        delivered += group
    rec = Recording("nnrp-reorder.ndjson", "base64 byte chunks shuffled within blocks of 5")
    rec.frames = delivered
    rec.runs = [run_fact(op, text)]
    held = _held_count(frames, delivered)
    rec.diagnostics = {"chunk_out_of_order": held}
    if _terminal_early(frames, delivered):
        rec.diagnostics["terminal_deferred"] = 1
    return rec


def _held_count(in_order: list[Json], delivered: list[Json]) -> int:
    """How many deliveries arrive before their predecessor (held chunks)."""
    position = {id(f): i for i, f in enumerate(in_order)}
    applied = -1
    seen: set[int] = set()
    held = 0
    for frame in delivered:
        i = position[id(frame)]
        if i != applied + 1:
            held += 1
            seen.add(i)
            continue
        applied = i
        while applied + 1 in seen:
            applied += 1
    return held


def _terminal_early(in_order: list[Json], delivered: list[Json]) -> bool:
    return delivered.index(in_order[-1]) != len(delivered) - 1


def gap() -> Recording:
    """Two chunks of one operation never arrive. Its terminal comes while later chunks are
    held, so the run waits (grace: 64 frames) while a concurrent operation streams on; then
    the gaps are permanent: the run is incomplete with the missing token ranges. One lost
    chunk finally shows up after that and is a late frame."""
    op = Operation(0x60, 0x21, trace=0x6021)
    other = Operation(0x60, 0x22, trace=0x6022)
    chunks = chunks_of(ANSWER, [3])
    other_text = ANSWER + " " + ANSWER
    other_chunks = chunks_of(other_text, [1])
    lost = {4, 9}
    rec = Recording("nnrp-gap.ndjson", "lost chunks: incomplete with missing ranges")
    frames = op.stream(chunks)
    other_frames = other.stream(other_chunks)
    assert len(other_frames) > 70
    rec.frames = [f for i, f in enumerate(frames) if i not in lost]
    rec.frames += other_frames[:70]
    rec.frames.append(op.token_frame(chunks[4]))  # the lost chunk shows up after the end
    rec.frames += other_frames[70:]
    text = "".join(c.text for i, c in enumerate(chunks) if i not in lost)
    missing = [[chunks[i].start, chunks[i].end] for i in sorted(lost)]
    rec.runs = [
        run_fact(op, text, "incomplete", missing=missing),
        run_fact(other, other_text),
    ]
    rec.diagnostics = {
        "chunk_out_of_order": sum(1 for i in range(len(chunks)) if i > min(lost) and i not in lost),
        "terminal_deferred": 1,
        "sequence_gap": 2,
        "late_frame": 1,
    }
    return rec


def tool_call_stop() -> Recording:
    """The model stops with stop_reason tool_call; the agent runs the tool and submits a
    second operation that streams the final answer."""
    first = Operation(0x70, 0x1, trace=0x7001)
    second = Operation(0x70, 0x2, trace=0x7002)
    user = "What's the weather in Paris?"
    call = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    answer = "It is 18 °C and sunny in Paris."
    rec = Recording("nnrp-tool-call-stop.ndjson", "stop_reason tool_call, then a follow-up op")
    rec.frames = [first.submit(user), *first.stream(chunks_of(call, [4]), stop_reason="tool_call")]
    rec.frames += [
        second.submit("[tool result] 18 °C, sunny"),
        *second.stream(chunks_of(answer, [3])),
    ]
    rec.runs = [
        run_fact(first, call, finish="tool_calls", stop="tool_call", input_text=user),
        run_fact(second, answer, input_text="[tool result] 18 °C, sunny"),
    ]
    return rec


def openai_profile() -> Recording:
    """The OpenAI-compatible profile as the vLLM adapter sends it, with a resume replay."""
    op = Operation(0x80, 0x5, trace=0x8005)
    user = "Book a table for two at 8pm and tell me the weather."
    events: list[Json] = []
    for piece in ["I'll ", "check ", "the ", "weather ", "first."]:
        events.append({"type": "response.output_text.delta", "index": 0, "delta": piece})
    call_id = "call_Qm9va1RhYmxlMjAwMA"
    events.append(
        {
            "type": "response.tool_call.started",
            "index": 1,
            "item_id": "item_1",
            "call_id": call_id,
            "name": "get_weather",
        }
    )
    for part in ['{"city":', ' "Paris",', ' "unit": "c"}']:
        events.append(
            {
                "type": "response.tool_call.delta",
                "index": 1,
                "item_id": "item_1",
                "call_id": call_id,
                "arguments_delta": part,
            }
        )
    arguments = '{"city": "Paris", "unit": "c"}'
    events.append(
        {
            "type": "response.tool_call.completed",
            "index": 1,
            "item_id": "item_1",
            "call_id": call_id,
            "name": "get_weather",
            "arguments": arguments,
        }
    )
    events.append(
        {
            "type": "response.usage",
            "usage": {"input_tokens": 41, "output_tokens": 27, "total_tokens": 68},
        }
    )
    frames = [op.event(i + 1, e) for i, e in enumerate(events)]
    rec = Recording("nnrp-openai.ndjson", "OpenAI-compatible events, resume replay deduplicated")
    rec.frames = [op.submit(user)]
    rec.frames += frames[:7]
    rec.frames += [with_flags(f, RETRANSMIT) for f in frames[4:7]]  # replay after SESSION_MIGRATE
    rec.frames += frames[7:]
    body = {
        "id": "chatcmpl-5",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "I'll check the weather first."},
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 41, "completion_tokens": 27, "total_tokens": 68},
    }
    rec.frames.append(
        op.event(
            None,
            {"type": "response.completed", "body": body},
            kind="RESULT_PUSH",
            status_code=200,
            payload_kind_bitmap=16,
            result_class=0,
        )
    )
    rec.runs = [
        run_fact(
            op,
            "I'll check the weather first.",
            finish="tool_calls",
            stop=None,
            input_text=user,
            tool_calls={call_id: ["get_weather", "input-complete", {"city": "Paris", "unit": "c"}]},
            usage=[41, 27, 68],
        )
    ]
    rec.diagnostics = {"duplicate_result": 3}
    return rec


def cancel_and_error() -> Recording:
    """The client cancels one operation (late frames follow, as expected); another fails
    with a frame-scoped ERROR; a third is dropped by the server (deadline)."""
    cancelled = Operation(0x90, 0x1, trace=0x9001)
    failed = Operation(0x90, 0x2, trace=0x9002)
    dropped = Operation(0x90, 0x3, trace=0x9003)
    c_chunks = chunks_of(ANSWER, [3])
    f_chunks = chunks_of("Let me think about that", [2])
    d_chunks = chunks_of("Working on it", [2])
    rec = Recording("nnrp-cancel.ndjson", "CANCEL with late frames, ERROR, RESULT_DROP_REASON")
    rec.frames = [cancelled.token_frame(c) for c in c_chunks[:4]]
    rec.frames += [failed.token_frame(c) for c in f_chunks]
    rec.frames.append(
        cancelled.control(
            "CANCEL", {"operation_id": 0x1091, "control_sequence": 1, "reason_code": 3, "flags": 0}
        )
    )
    rec.frames += [cancelled.token_frame(c) for c in c_chunks[4:6]]  # already in flight
    rec.frames.append(cancelled.control("RESULT_DROP_REASON", {"drop_reason": 3}))
    rec.frames.append(
        failed.control(
            "ERROR",
            {"error_code": 0xC, "error_scope": "frame", "is_fatal": 1, "retry_after_ms": 0},
            diagnostic="decoder worker crashed",
        )
    )
    rec.frames += [dropped.token_frame(c) for c in d_chunks[:1]]
    rec.frames.append(
        dropped.control("RESULT_DROP_REASON", {"drop_reason": 1}, diagnostic="deadline 2s")
    )
    rec.runs = [
        run_fact(
            cancelled,
            "".join(c.text for c in c_chunks[:4]),
            "cancelled",
            finish="cancelled",
            stop=None,
            error_code="cancel",
        ),
        run_fact(
            failed,
            "".join(c.text for c in f_chunks),
            "failed",
            finish="error",
            stop=None,
            error_code="internal_error",
        ),
        run_fact(
            dropped,
            d_chunks[0].text,
            "failed",
            finish="dropped",
            stop=None,
            error_code="deadline_expired",
        ),
    ]
    rec.diagnostics = {"late_frame": 3}
    return rec


def inclusive_numeric() -> Recording:
    """A sender with inclusive sequence ends, integer ids, numeric message/flag/semantics codes
    (the wire's vocabulary rendered as numbers)."""
    op = Operation(0xA0, 0x9, inclusive=True, numeric_vocab=True, int_ids=True, trace=0xA009)
    text = "Inclusive ranges: the chunk [128, 135] holds eight tokens."
    chunks = chunks_of(text, [3, 4], start=128)
    rec = Recording("nnrp-inclusive.ndjson", "inclusive ranges and numeric vocabularies")
    rec.frames = op.stream(chunks)
    rec.runs = [run_fact(op, text)]
    # The lane starts past 0 (first_sequence unknown): its terminal waits while the start
    # window is open, for chunks before the first one received (docs/nnrp.md).
    rec.diagnostics = {"chunk_out_of_order": 1, "inclusive_ranges": 1, "terminal_deferred": 1}
    return rec


SCENARIOS: list[Callable[[], Recording]] = [
    clean,
    concurrent,
    retransmits,
    reorder,
    gap,
    tool_call_stop,
    openai_profile,
    cancel_and_error,
    inclusive_numeric,
]


def main() -> None:
    expected: dict[str, Json] = {}
    for scenario in SCENARIOS:
        rec = scenario()
        path = HERE / rec.name
        path.write_text("".join(dumps(f) + "\n" for f in rec.frames), encoding="utf-8")
        expected[rec.name] = {
            "description": rec.description,
            "frames": len(rec.frames),
            "runs": rec.runs,
            "diagnostics": rec.diagnostics,
        }
    EXPECTED_FILE.write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()

"""NNRP on the wire vs its JSON rendering: the same operations, folded from binary NNRP/1
packets (``nnrp-wire``) and from NDJSON (``nnrp``), measured in the same run.

Run: ``.venv/bin/python bench/bench_nnrp_wire.py [N ...]`` (default 10k and 100k deltas).

Each stream is a sequence of operations (sessions of 4 turns, 40 deltas a turn) with the same
text deltas in both encodings:

* **token profile**: ``PARTIAL_RESULT`` packets carrying the chunk (``result_sequence`` 1..n)
  and a ``RESULT_PUSH`` (64-byte metadata, empty body, status 200) per operation; the JSON
  side is the rendering the wire decoder translates to (``docs/nnrp.md``, "How the wire maps
  onto the JSON rendering"), one NDJSON line per packet;
* **OpenAI profile**: ``PARTIAL_RESULT`` packets with one compact
  ``response.output_text.delta`` event and a ``RESULT_PUSH`` with ``response.completed``; the
  JSON side wraps the same events (``{"message_type", "common_header", "fixed_metadata",
  "event"}``).

For each it prints the bytes, the time per delta for the bytes split in 64 KiB chunks (binary
through ``NnrpWireStream`` + ``feed_wire``, JSON through ``Reducer.feed_bytes``), and the ratio
binary / JSON. Timings live here, never in tests.
"""

from __future__ import annotations

import gc
import random
import struct
import sys
import time
from collections.abc import Callable

import orjson

from streamfold.formats.nnrp_wire import NnrpWireStream, Packet, close_wire, feed_wire
from streamfold.reducer import Reducer

WORDS = (
    "the ",
    "wire ",
    "is ",
    "binary ",
    "and ",
    "packets ",
    "are ",
    "concatenated ",
    "über ",
    "世界 ",
    "fast ",
    "ok. ",
)
TURN = 40
CHUNK = 64 * 1024


def _meta_partial(op: int, seq: int, size: int) -> bytes:
    return struct.pack("<QQQQII", op, seq, 0, seq, size, 0)


def _meta_push(status: int) -> bytes:
    return struct.pack(
        "<HHHHHHHHHHIIQQBBHIHHIHH",
        status,
        0,
        0,
        0,
        2,
        0,
        1,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        2,
        1,
        0,
    )


def streams(n: int, *, openai: bool, seed: int = 7) -> tuple[bytes, bytes]:
    """(binary, ndjson) for ``n`` deltas."""
    rng = random.Random(seed)
    binary: list[bytes] = []
    lines: list[bytes] = []
    done = 0
    op = 0
    while done < n:
        session, frame = 0x100 + op // 4, op % 4 + 1
        op_id = 0x1000 + op
        header = {
            "session_id": f"0x{session:08x}",
            "frame_id": f"0x{frame:08x}",
            "view_id": "0x0000",
            "route_id": "0x0000",
            "trace_id": "0x0000000000000000",
            "flags": 0,
        }
        text = ""
        for seq in range(1, min(TURN, n - done) + 1):
            delta = rng.choice(WORDS)
            text += delta
            if openai:
                event = {"delta": delta, "index": 0, "type": "response.output_text.delta"}
                body = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
                line: dict[str, object] = {
                    "message_type": "PARTIAL_RESULT",
                    "common_header": header,
                    "fixed_metadata": {"operation_id": op_id, "result_sequence": seq},
                    "event": event,
                }
            else:
                body = delta.encode()
                line = {
                    "message_type": "PARTIAL_RESULT",
                    "common_header": header,
                    "fixed_metadata": {"operation_id": op_id, "result_sequence": seq},
                    "typed_payload_descriptor": {},
                    "profile_body": {"token": {"sequence_start": seq, "sequence_end": seq + 1}},
                    "payload_frame": {"token_chunk": delta},
                }
            binary.append(
                Packet(
                    1,
                    0,
                    0x38,
                    0,
                    session,
                    frame,
                    0,
                    0,
                    0,
                    _meta_partial(op_id, seq, len(body)),
                    body,
                ).pack()
            )
            lines.append(orjson.dumps(line))
            done += 1
        push_body = b""
        push: dict[str, object] = {
            "message_type": "RESULT_PUSH",
            "common_header": header,
            "fixed_metadata": {"status_code": 200},
            "typed_payload_descriptor": {},
            "profile_body": {},
        }
        if openai:
            completed = {"type": "response.completed", "body": {"output_text": text}}
            push_body = orjson.dumps(completed)
            push["event"] = completed
        binary.append(
            Packet(1, 0, 0x12, 0, session, frame, 0, 0, 0, _meta_push(200), push_body).pack()
        )
        lines.append(orjson.dumps(push))
        op += 1
    return b"".join(binary), b"\n".join(lines) + b"\n"


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def fold_binary(data: bytes) -> Reducer:
    reducer, stream = Reducer(format="nnrp-wire"), NnrpWireStream()
    for chunk in _chunks(data):
        feed_wire(reducer, stream, chunk)
    close_wire(reducer, stream)
    reducer.close()
    return reducer


def fold_json(data: bytes) -> Reducer:
    reducer = Reducer(format="nnrp")
    for chunk in _chunks(data):
        reducer.feed_bytes(chunk)
    reducer.close()
    return reducer


def best(fn: Callable[[bytes], Reducer], data: bytes, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    return min(times)


def texts(reducer: Reducer) -> list[str]:
    return [
        "".join(m.text for m in run.messages)
        for session in reducer.conversation.sessions.values()
        for run in session.runs
    ]


def main(sizes: list[int]) -> None:
    print(
        "| Stream | deltas | binary bytes | JSON bytes | binary µs/delta | JSON µs/delta "
        "| binary / JSON |"
    )
    print("|---|---|---|---|---|---|---|")
    for openai in (False, True):
        for n in sizes:
            binary, ndjson = streams(n, openai=openai)
            a, b = fold_binary(binary), fold_json(ndjson)
            assert texts(a) == texts(b) and a.frames_dropped == b.frames_dropped == 0
            tb, tj = best(fold_binary, binary), best(fold_json, ndjson)
            label = "OpenAI events" if openai else "token chunks"
            print(
                f"| {label} | {n:,} | {len(binary):,} | {len(ndjson):,} | "
                f"{tb / n * 1e6:.2f} | {tj / n * 1e6:.2f} | {tb / tj:.2f}× |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])

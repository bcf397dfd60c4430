"""Loom throughput: streamfold vs plain ``orjson.loads`` of the same lines.

Run: ``.venv/bin/python bench/bench_loom.py``. Prints frames per second and the ratio to the
orjson floor at several stream lengths (per-frame cost must stay flat as the stream grows).
Not part of the test suite: timings belong here, never in tests.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TypeVar

import orjson

from streamfold import Reducer

T = TypeVar("T")


def chunk_lines(n: int) -> list[bytes]:
    lines = [
        orjson.dumps(
            {
                "session_id": "run-1",
                "node_id": "run-think-0",
                "event_id": 1,
                "type": "node_enter",
                "id": "think",
            }
        )
    ]
    for i in range(n):
        lines.append(
            orjson.dumps(
                {
                    "type": "message_chunk",
                    "content": "tok ",
                    "id": "think",
                    "session_id": "run-1",
                    "node_id": "run-think-0",
                    "event_id": i + 2,
                }
            )
        )
    return lines


def best_of(repeat: int, fn: Callable[[T], object], arg: T) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - start)
    return best


def parse_all(lines: list[bytes]) -> None:
    for x in lines:
        orjson.loads(x)


def by_line(lines: list[bytes]) -> None:
    r = Reducer(format="loom")
    for x in lines:
        r.feed_line(x)


def by_bytes(blob: bytes) -> None:
    r = Reducer(format="loom")
    for i in range(0, len(blob), 65536):
        r.feed_bytes(blob[i : i + 65536])
    r.close()


def main() -> None:
    print(f"{'frames':>9} {'orjson.loads':>14} {'feed_line':>14} {'feed_bytes':>14} "
          f"{'ratio':>7} {'µs/frame':>9}")  # fmt: skip
    for n in (10_000, 100_000, 1_000_000):
        lines = chunk_lines(n)
        blob = b"\n".join(lines) + b"\n"
        floor = best_of(3, parse_all, lines)
        t_line = best_of(3, by_line, lines)
        t_bytes = best_of(3, by_bytes, blob)
        print(
            f"{n:>9} {n / floor:>12,.0f}/s {n / t_line:>12,.0f}/s {n / t_bytes:>12,.0f}/s "
            f"{t_line / floor:>6.1f}x {t_line / n * 1e6:>9.2f}"
        )


if __name__ == "__main__":
    main()

"""The async layer's cost: ``streamfold.aio`` vs the sync core on the same bytes.

Run: ``.venv/bin/python bench/bench_async.py [FRAMES [REPEAT]]``. For one Loom stream (text
deltas, the hot path) it times

* the sync core: ``Reducer.feed_bytes`` / ``feed_sse`` per chunk, then ``close()``;
* ``aio.reduce`` over an async iterator of the same chunks, every notification taken with
  ``async for`` — on asyncio and on trio;
* the sync twin ``aio.reduce_sync``; and the async path while recording every frame;

with 64 KiB chunks (a file, a fast network) and one frame per chunk (a slow trickle), and prints
each as a ratio to the sync core (1.00 = no overhead). The paths take turns in every round (so a
busy machine slows them all alike) and the best round counts. Timings belong here, never in
tests.
"""

from __future__ import annotations

import gc
import io
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import orjson

from streamfold import Reducer, aio
from streamfold.io.recording import RecordingWriter


def loom_stream(n: int) -> bytes:
    enter = {"session_id": "s", "node_id": "run-think-0", "event_id": 1, "type": "node_enter"}
    lines = [orjson.dumps(enter | {"id": "think"})]
    for i in range(n):
        frame = {
            "type": "message_chunk",
            "content": "tok ",
            "id": "think",
            "session_id": "s",
            "node_id": "run-think-0",
            "event_id": i + 2,
        }
        lines.append(orjson.dumps(frame))
    return b"\n".join(lines) + b"\n"


def as_sse(ndjson: bytes) -> bytes:
    return b"".join(b"data: " + line + b"\n\n" for line in ndjson.splitlines())


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def per_frame(data: bytes, sep: bytes) -> list[bytes]:
    parts = data.split(sep)
    return [part + sep for part in parts[:-1]]


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_interleaved(repeat: int, paths: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best time of each path, the paths taking turns in every round."""
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(repeat):
        for name, fn in paths.items():
            best[name] = min(best[name], timed(fn))
    return best


def sync_core(chunks: list[bytes], framing: str) -> None:
    reducer = Reducer()
    feed = reducer.feed_sse if framing == "sse" else reducer.feed_bytes
    for chunk in chunks:
        feed(chunk)
    reducer.close()


async def source(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def async_path(chunks: list[bytes], framing: str, backend: str, record: bool = False) -> None:
    async def run() -> None:
        recorder = RecordingWriter(io.BytesIO(), autoflush=False) if record else None
        options: dict[str, Any] = {"framing": framing, "recorder": recorder}
        async with aio.reduce(source(chunks), **options) as stream:
            async for _note in stream:
                pass

    anyio.run(run, backend=backend)


def sync_twin(chunks: list[bytes], framing: str) -> None:
    options: dict[str, Any] = {"framing": framing}
    for _note in aio.reduce_sync(chunks, **options):
        pass


def empty_loop(backend: str) -> None:
    async def run() -> None:
        pass

    anyio.run(run, backend=backend)


def paths_for(chunks: list[bytes], framing: str) -> dict[str, Callable[[], object]]:
    return {
        "sync core (feed_bytes/sse)": lambda: sync_core(chunks, framing),
        "aio.reduce_sync": lambda: sync_twin(chunks, framing),
        "aio.reduce on asyncio": lambda: async_path(chunks, framing, "asyncio"),
        "aio.reduce on trio": lambda: async_path(chunks, framing, "trio"),
        "aio.reduce + recorder": lambda: async_path(chunks, framing, "asyncio", record=True),
    }


LOOP_COST = {
    "aio.reduce on asyncio": "asyncio",
    "aio.reduce on trio": "trio",
    "aio.reduce + recorder": "asyncio",
}


def main() -> None:
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    ndjson = loom_stream(frames)
    streams = {"ndjson": ndjson, "sse": as_sse(ndjson)}
    loops = best_interleaved(
        repeat,
        {"asyncio": lambda: empty_loop("asyncio"), "trio": lambda: empty_loop("trio")},
    )
    print(f"{frames} Loom text frames; best of {repeat} interleaved rounds")
    print("ratio = time / sync core time; starting and stopping the event loop is subtracted")
    print()
    header = f"{'framing':7} {'chunks':>13} {'path':28} {'seconds':>8} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    for framing, data in streams.items():
        sep = b"\n\n" if framing == "sse" else b"\n"
        for label, chunks in (
            ("64 KiB", chunked(data, 64 * 1024)),
            ("one per frame", per_frame(data, sep)),
        ):
            best = best_interleaved(repeat, paths_for(chunks, framing))
            for path, backend in LOOP_COST.items():
                best[path] -= loops[backend]
            base = best["sync core (feed_bytes/sse)"]
            for path, seconds in best.items():
                ratio = seconds / base
                if path.startswith("aio.reduce on"):
                    ratios.append(ratio)
                print(f"{framing:7} {label:>13} {path:28} {seconds:8.3f} {ratio:6.2f}")
            print()
    print(
        f"aio.reduce / sync core (no recorder): median {statistics.median(ratios):.2f},"
        f" worst {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()

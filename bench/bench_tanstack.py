"""One long TanStack assistant message: streamfold vs the reference client.

Run: ``.venv/bin/python bench/bench_tanstack.py [N ...]`` (default 10k, 30k, 100k deltas).

The stream is one AG-UI run with one message streamed as N ``TEXT_MESSAGE_CONTENT`` deltas of 4
characters, as SSE bytes the way a TanStack server writes them. For each size it prints
streamfold's time (SSE framing, JSON parsing, decoder, reducer, and the UIMessage export at the
end), the floor (``orjson.loads`` of the same payloads), the time per delta — flat when the work
is linear in the number of deltas — and, when node and ``conformance/node_modules`` are present,
the reference ``StreamProcessor``'s time for the same chunks (``conformance/bench_reference.mjs``;
chunks already parsed, so the reference does less work than streamfold here) and the ratio.
Timings live here, never in tests.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from streamfold import Reducer
from streamfold.export.tanstack import to_ui_messages

ROOT = Path(__file__).resolve().parents[1]
DELTA = "abc "


def agui_sse(n: int) -> bytes:
    events = [{"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
              {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"}]  # fmt: skip
    head = b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events)
    delta = b"data: " + orjson.dumps(
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": DELTA}
    )
    tail = [
        {"type": "TEXT_MESSAGE_END", "messageId": "m"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r", "finishReason": "stop"},
    ]
    return (
        head + (delta + b"\n\n") * n + b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in tail)
    )


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fold_sse(data: bytes) -> str:
    reducer = Reducer()
    for i in range(0, len(data), 65536):
        reducer.feed_sse(data[i : i + 65536])
    reducer.close()
    (message,) = to_ui_messages(reducer.conversation)
    text: str = message["parts"][0]["content"]
    return text


def floor(data: bytes) -> None:
    for line in data.split(b"\n"):
        if line:
            orjson.loads(line[6:])


def reference(n: int, version: str) -> float | None:
    if (
        shutil.which("node") is None
        or not (ROOT / "conformance/node_modules/@tanstack/ai").is_dir()
    ):
        return None
    done = subprocess.run(
        ["node", str(ROOT / "conformance" / "bench_reference.mjs"), str(n), DELTA, version],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds: float = json.loads(done.stdout)["seconds"]
    return seconds


def main(sizes: list[int]) -> None:
    node = "node found" if shutil.which("node") else "node not found: reference not run"
    print(f"TanStack AG-UI, one message, {len(DELTA)}-character deltas ({node})")
    print(f"{'deltas':>9}{'streamfold':>12}{'µs/delta':>10}{'orjson':>10}{'x orjson':>9}"
          f"{'reference':>11}{'ref/sf':>8}")  # fmt: skip
    for n in sizes:
        data = agui_sse(n)
        assert fold_sse(data) == DELTA * n
        t = best_of(3, lambda: fold_sse(data))  # noqa: B023 (called in this iteration)
        base = best_of(3, lambda: floor(data))  # noqa: B023
        ref = reference(n, "current")
        ref_text = f"{ref:>10.3f}s{ref / t:>7.0f}x" if ref is not None else f"{'-':>11}{'-':>8}"
        print(f"{n:>9,}{t:>11.3f}s{t / n * 1e6:>10.2f}{base:>9.3f}s{t / base:>8.1f}x{ref_text}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 30_000, 100_000])

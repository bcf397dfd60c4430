"""Latency from a frame's arrival to its AG-UI SSE event, over real servers on 127.0.0.1.

Run: ``.venv/bin/python bench/bench_agui_latency.py [FRAMES [INTERVAL_MS]]``.

An upstream server (uvicorn, loopback) sends a Loom NDJSON stream one frame per chunk, every
``INTERVAL_MS`` milliseconds, and notes when it wrote each frame. Two proxies read it with
``httpx`` and serve it to a client that reads their SSE with ``httpx``:

* ``streamfold``: ``streamfold.web`` (frame → reducer → :class:`~streamfold.chat.ChatState` →
  AG-UI encoder → SSE), the path of ``streamfold serve URL``;
* ``relay``: the same proxy that forwards each upstream chunk unchanged as an SSE ``data:``
  frame (no parsing): the cost of the two hops alone.

For each text frame the client records when the SSE event that carries its delta arrived; the
latency is that time minus the upstream's write time (one process, one monotonic clock). It
prints p50 / p99 / max for both and the ratio of the medians. Timings belong here, never in
tests.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from streamfold.web import agui_sse

SESSION = "bench-latency"


def frames(n: int) -> list[bytes]:
    out: list[dict[str, Any]] = [
        {"session_id": SESSION, "event_id": 0, "type": "run_start", "run_id": "r", "agent": "a"},
    ]
    for i in range(n):
        out.append(
            {
                "session_id": SESSION,
                "event_id": i + 1,
                "type": "message_chunk",
                "content": f"<{i}>",
                "id": "think",
            }
        )
    out.append({"session_id": SESSION, "event_id": n + 1, "type": "node_exit", "id": "think"})
    out.append({"session_id": SESSION, "reply": "done"})
    return [orjson.dumps(f) + b"\n" for f in out]


@contextmanager
def running(app: Any, port: int) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def upstream_app(lines: list[bytes], interval: float, sent: dict[int, float]) -> Starlette:
    async def stream(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            start = time.perf_counter()
            for i, line in enumerate(lines):
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent[i - 1] = time.perf_counter()  # frame i carries token i - 1
                yield line

        return StreamingResponse(body(), media_type="application/x-ndjson")

    return Starlette(routes=[Route("/stream", stream)])


def relay_app(upstream: str) -> Starlette:
    async def events(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            async with (
                httpx.AsyncClient(timeout=None) as client,
                client.stream("GET", upstream) as response,
            ):
                async for chunk in response.aiter_raw():
                    yield b"data: " + chunk.rstrip(b"\n") + b"\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    return Starlette(routes=[Route("/events", events)])


def streamfold_app(upstream: str) -> Starlette:
    async def events(request: Request) -> Response:
        return StreamingResponse(agui_sse(upstream), media_type="text/event-stream")

    return Starlette(routes=[Route("/events", events)])


def measure(proxy: str, n: int, sent: dict[int, float]) -> list[float]:
    got: dict[int, float] = {}
    buffer = b""
    with httpx.stream("GET", proxy + "/events", timeout=None) as response:
        for chunk in response.iter_raw():
            now = time.perf_counter()
            buffer += chunk
            *frames_, buffer = buffer.split(b"\n\n")
            for frame in frames_:
                text = frame.decode()
                start = text.find("<")
                while start >= 0:
                    end = text.find(">", start)
                    token = text[start + 1 : end]
                    if token.isdigit():
                        got.setdefault(int(token), now)
                    start = text.find("<", end)
    return [(got[i] - sent[i]) * 1000 for i in range(n) if i in got and i in sent]


def report(name: str, latencies: list[float]) -> float:
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{name:>10}: {len(latencies)} frames  p50 {p50:.3f} ms  p99 {p99:.3f} ms  "
        f"max {latencies[-1]:.3f} ms"
    )
    return p50


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    interval = (float(sys.argv[2]) if len(sys.argv) > 2 else 2.0) / 1000
    lines = frames(n)
    results = {}
    for name, make, port in (
        ("relay", relay_app, 18771),
        ("streamfold", streamfold_app, 18772),
    ):
        sent: dict[int, float] = {}
        with (
            running(upstream_app(lines, interval, sent), 18770) as upstream,
            running(make(upstream + "/stream"), port) as proxy,
        ):
            results[name] = report(name, measure(proxy, n, sent))
    print(f"streamfold / relay p50 ratio: {results['streamfold'] / results['relay']:.2f}x")


if __name__ == "__main__":
    main()

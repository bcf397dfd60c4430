"""Follow a live HTTP Server-Sent Events endpoint with httpx and ``streamfold.aio``.

::

    python examples/follow_sse.py http://127.0.0.1:8000/events
    python examples/follow_sse.py URL --record run.recording.ndjson   # then: chat_ui.py it

Text streams to stdout as it arrives; structural changes (runs, tool calls) get a line each. When
the connection breaks mid-stream, the follower reconnects with ``Last-Event-ID`` (the reducer's
SSE cursor, ``reducer.sse_last_event_id``) and goes on with the same reducer: the half-received
event of the broken connection is dropped, the server resends it. With ``--record`` every frame
is written, with its arrival time, to a streamfold recording (one timeline across reconnects).

Needs ``httpx`` (``pip install httpx``). Everything printed from the stream goes through
``streamfold.safe_text`` first.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

import anyio
import httpx

from streamfold import Reducer
from streamfold.aio import AsyncReduction
from streamfold.clock import Clock, SystemClock
from streamfold.io.recording import RecordingWriter
from streamfold.notifications import (
    Notification,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCallStarted,
    ToolCallStateChanged,
)
from streamfold.safe_text import inline, printable

__all__ = ["Printer", "follow", "main"]


class Printer:
    """Streams assistant text and prints one line per structural change."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._mid_line = False

    def _line(self, text: str) -> None:
        if self._mid_line:
            self.out.write("\n")
            self._mid_line = False
        self.out.write(text + "\n")

    def __call__(self, note: Notification) -> None:
        match note:
            case TextDelta(delta=delta):
                self.out.write(printable(delta))
                self._mid_line = not delta.endswith("\n")
            case ReasoningDelta():
                pass  # thinking is not shown in this follower
            case RunStarted(run_id=run_id):
                self._line(f"── run {inline(run_id)} started")
            case RunFinished(run_id=run_id, status=status):
                self._line(f"── run {inline(run_id)} {status}")
            case ToolCallStarted(name=name, call_id=call_id):
                self._line(f"  tool {inline(name or '?')} ({inline(call_id)})")
            case ToolCallStateChanged(call_id=call_id, new=new):
                self._line(f"  tool {inline(call_id)} → {new}")
            case _:
                pass
        self.out.flush()


async def follow(
    url: str,
    *,
    on_note: Callable[[Notification], object],
    client: httpx.AsyncClient | None = None,
    reducer: Reducer | None = None,
    recorder: RecordingWriter | None = None,
    retries: int = 3,
    retry_delay: float = 1.0,
    on_reconnect: Callable[[str | None, Exception], object] | None = None,
    clock: Clock | None = None,
) -> Reducer:
    """Reduce the SSE stream at ``url`` until the server ends it; returns the (closed) reducer.

    A transport error (connection reset, incomplete chunked body…) reconnects up to ``retries``
    times in a row, sending ``Last-Event-ID``; a clean end of the response ends the follow.
    """
    reducer = reducer if reducer is not None else Reducer()
    clock = clock if clock is not None else SystemClock()
    own_client = client is None
    if client is None:
        client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None))
    epoch: float | None = None  # one recording timeline across reconnects
    failures = 0
    try:
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if reducer.sse_last_event_id is not None:
                headers["Last-Event-ID"] = reducer.sse_last_event_id
            try:
                async with client.stream("GET", url, headers=headers) as response:
                    response.raise_for_status()
                    stream: AsyncReduction = AsyncReduction(
                        response.aiter_bytes(),
                        reducer=reducer,
                        framing="sse",
                        recorder=recorder,
                        clock=clock,
                        close_reducer=False,
                        epoch=epoch,
                    )
                    try:
                        async with stream:
                            async for note in stream:
                                failures = 0
                                on_note(note)
                    finally:
                        epoch = stream.epoch
                break  # the server ended the stream
            except httpx.TransportError as exc:
                failures += 1
                if failures > retries:
                    raise
                if on_reconnect is not None:
                    on_reconnect(reducer.sse_last_event_id, exc)
                await anyio.sleep(retry_delay)
    finally:
        if own_client:
            await client.aclose()
    for note in reducer.close():
        on_note(note)
    return reducer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("url", help="the SSE endpoint (GET)")
    parser.add_argument("--record", metavar="FILE", help="also write a streamfold recording")
    parser.add_argument("--retries", type=int, default=3, help="reconnects in a row (default 3)")
    args = parser.parse_args(argv)
    printer = Printer(sys.stdout)

    def reconnecting(cursor: str | None, exc: Exception) -> None:
        print(
            f"\n[connection lost: {inline(str(exc))}; resuming after {cursor!r}]", file=sys.stderr
        )

    async def run() -> Reducer:
        if args.record is None:
            return await follow(
                args.url, on_note=printer, retries=args.retries, on_reconnect=reconnecting
            )
        with RecordingWriter.open(args.record, framing="sse", meta={"url": args.url}) as writer:
            return await follow(
                args.url,
                on_note=printer,
                recorder=writer,
                retries=args.retries,
                on_reconnect=reconnecting,
            )

    try:
        reducer = anyio.run(run)
    except (httpx.HTTPError, OSError) as exc:
        print(f"follow_sse: {inline(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"\n[{reducer.frames_in} frames, {len(reducer.conversation.runs)} run(s)]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

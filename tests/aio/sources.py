"""Sources and helpers shared by the async tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel

from streamfold import Reducer, aio
from streamfold.notifications import Notification

from ..support.streams import loom_lines


async def pieces(data: bytes, *cuts: int) -> AsyncIterator[bytes]:
    prev = 0
    for cut in (*cuts, len(data)):
        yield data[prev:cut]
        prev = cut


async def items(values: Sequence[Any]) -> AsyncIterator[Any]:
    for value in values:
        yield value


class ByteSource(anyio.abc.ByteReceiveStream):
    """An anyio byte stream: ``chunks``, then the end — or a hang, like a quiet connection."""

    def __init__(self, chunks: list[bytes], *, hang: bool = False) -> None:
        self.chunks = list(chunks)
        self.hang = hang
        self.waiting = anyio.Event()
        self.closed = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.closed:
            raise anyio.ClosedResourceError
        if self.chunks:
            await anyio.lowlevel.checkpoint()
            return self.chunks.pop(0)
        if self.hang:
            self.waiting.set()
            await anyio.sleep_forever()
        raise anyio.EndOfStream

    async def aclose(self) -> None:
        self.closed = True


def two_sessions() -> bytes:
    a, b = loom_lines("A"), loom_lines("B", answer="Rain in Oslo.")
    mixed = [line for pair in zip(a, b, strict=False) for line in pair]
    mixed += a[len(b) :] + b[len(a) :]
    return b"\n".join(mixed) + b"\n"


def notes_of(data: bytes) -> list[Notification]:
    return Reducer().feed_bytes(data)


async def drain(sub: aio.Subscription, into: list[Any]) -> None:
    async for item in sub:
        into.append(item)


async def settle(rounds: int = 10) -> None:
    """Let the other tasks run until they wait (a few scheduler rounds, no wall time)."""
    for _ in range(rounds):
        await anyio.lowlevel.checkpoint()

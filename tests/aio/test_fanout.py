"""Fan-out: subscriptions filtered by type, session and predicate; block and drop policies."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest

from streamfold import aio
from streamfold.aio import Broadcaster, Lagged
from streamfold.errors import UsageError
from streamfold.notifications import (
    Notification,
    ReasoningDelta,
    RunStarted,
    TextDelta,
    ToolCallArgumentsDelta,
)

from ..support.streams import loom_bytes
from .sources import drain, notes_of, pieces, two_sessions

pytestmark = pytest.mark.anyio


async def test_subscriptions_filter_by_type_session_and_predicate() -> None:
    data = two_sessions()
    stream = aio.reduce(pieces(data, 100, 2000))
    everything = stream.subscribe(max_buffer=1000)
    texts = stream.subscribe(types=(TextDelta, ReasoningDelta), max_buffer=1000)
    session_a = stream.subscribe(session="A", max_buffer=1000)
    tools = stream.subscribe(where=lambda n: isinstance(n, ToolCallArgumentsDelta))
    got: dict[str, list[Any]] = {"all": [], "texts": [], "a": [], "tools": []}
    iterated: list[Notification] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(drain, everything, got["all"])
        tg.start_soon(drain, texts, got["texts"])
        tg.start_soon(drain, session_a, got["a"])
        tg.start_soon(drain, tools, got["tools"])
        async for note in stream:
            iterated.append(note)
    assert got["all"] == iterated
    assert got["texts"] == [n for n in iterated if isinstance(n, TextDelta | ReasoningDelta)]
    assert got["tools"] == [n for n in iterated if isinstance(n, ToolCallArgumentsDelta)]
    runs_a = {run.run_id for run in stream.conversation.sessions["A"].runs}
    in_a = [
        n
        for n in iterated
        if getattr(n, "session_id", None) == "A"
        or (getattr(n, "session_id", None) is None and getattr(n, "run_id", None) in runs_a)
    ]
    assert got["a"] == in_a
    assert 0 < len(in_a) < len(iterated)


async def test_block_policy_slows_the_producer_and_loses_nothing() -> None:
    stream = aio.reduce(pieces(loom_bytes(), *range(0, len(loom_bytes()), 64)))
    slow = stream.subscribe(max_buffer=2, policy="block")
    received: list[Any] = []
    peak = 0

    async def slow_consumer() -> None:
        nonlocal peak
        async for item in slow:
            peak = max(peak, slow._send.statistics().current_buffer_used)
            received.append(item)
            for _ in range(3):
                await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow_consumer)
        iterated = [note async for note in stream]
    assert received == iterated
    assert peak <= 2
    assert slow.missed == 0


async def test_drop_policy_sends_lagged_in_place_of_what_was_missed() -> None:
    notes = notes_of(loom_bytes())[:12]
    async with Broadcaster() as hub:
        sub = hub.subscribe(max_buffer=4, policy="drop")
        await hub.publish(notes[:10])  # nobody reads: 4 kept, 6 dropped
        assert sub.missed == 6
        assert [await sub.receive(), await sub.receive()] == notes[:2]
        await hub.publish(notes[10:])  # room for the Lagged marker and one more note
    rest = [item async for item in sub]
    assert rest == [notes[2], notes[3], Lagged(6), notes[10], Lagged(1)]
    assert sub.missed == 7
    delivered = 2 + sum(1 for item in rest if not isinstance(item, Lagged))
    assert delivered + sum(i.missed for i in rest if isinstance(i, Lagged)) == len(notes)


async def test_drop_policy_memory_is_bounded_under_a_flood() -> None:
    stream = aio.reduce(pieces(loom_bytes() * 1))
    sub = stream.subscribe(max_buffer=3, policy="drop")
    iterated = [note async for note in stream]  # the subscriber never reads while it runs
    assert sub._send.statistics().current_buffer_used <= 4
    rest = [item async for item in sub]
    assert rest[:3] == iterated[:3]
    assert rest[3] == Lagged(len(iterated) - 3)


async def test_a_subscriber_that_leaves_does_not_stop_the_producer() -> None:
    stream = aio.reduce(pieces(loom_bytes(), 100, 200, 300))
    quitter = stream.subscribe(max_buffer=1, policy="block")
    await quitter.aclose()
    conversation = await stream.run()
    assert conversation.runs[0].reply == "It is sunny in Paris."
    late = stream.subscribe()
    assert [item async for item in late] == []  # subscribed after the end: ends at once


async def test_broadcaster_tracks_sessions_itself() -> None:
    notes = notes_of(two_sessions())
    async with Broadcaster() as hub:
        sub = hub.subscribe(session="B", types=RunStarted, max_buffer=100)
        await hub.publish(notes)
    got = [item async for item in sub]
    assert [n.session_id for n in got if isinstance(n, RunStarted)] == ["B"]
    with pytest.raises(UsageError):
        await hub.publish(notes)
    with pytest.raises(UsageError):
        hub.subscribe(policy="later")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        hub.subscribe(max_buffer=0)

"""Coalescing: fewer, bigger deltas; never a lost character, never a reordered target."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer, aio
from streamfold.clock import FakeClock
from streamfold.coalesce import Coalescer, coalesce_all, coalesced
from streamfold.errors import UsageError
from streamfold.model import ReasoningPart, TextPart, ToolCall
from streamfold.notifications import (
    CheckpointSaved,
    Notification,
    ReasoningDelta,
    TextDelta,
    ToolCallArgumentsDelta,
)

from .support.streams import loom_bytes, loom_lines

PART_A, PART_B = TextPart(), TextPart()  # two text parts of one message
THINK = ReasoningPart()
CALL = ToolCall("call-1")


def text(delta: str, part: TextPart = PART_A, message: str = "m1") -> TextDelta:
    return TextDelta("r1", message, delta, part)


def think(delta: str) -> ReasoningDelta:
    return ReasoningDelta("r1", "m1", delta, THINK)


def args(delta: str, call: ToolCall = CALL) -> ToolCallArgumentsDelta:
    return ToolCallArgumentsDelta("r1", call.call_id, delta, call)


def other(n: int) -> CheckpointSaved:
    return CheckpointSaved("r1", f"cp{n}")


def normalized(notes: list[Notification], *, same_model: bool = True) -> list[Any]:
    """Runs of same-target deltas joined: what a reader of the stream ends up knowing.

    ``same_model=False`` compares notifications of two reducers (by value, not identity)."""
    out: list[Any] = []
    for note in notes:
        if isinstance(note, ToolCallArgumentsDelta):
            ref = id(note.call) if same_model else None
            key: Any = (type(note), note.run_id, note.call_id, ref)
        elif isinstance(note, TextDelta | ReasoningDelta):
            ref = id(note.part) if same_model else None
            key = (type(note), note.run_id, note.message_id, ref)
        else:
            out.append(note if same_model else repr(note))
            continue
        if out and isinstance(out[-1], list) and out[-1][0] == key:
            out[-1][1] += note.delta
        else:
            out.append([key, note.delta])
    return out


# ----------------------------------------------------------------------------- pure class


def test_merges_consecutive_deltas_of_one_target() -> None:
    co = Coalescer(window=0.05)
    assert co.feed(text("Hel"), 0.0) == []
    assert co.feed(text("lo"), 0.01) == []
    assert co.pending == 2
    assert co.deadline == 0.05
    out = co.feed(other(1), 0.02)
    assert out == [text("Hello"), other(1)]
    assert co.merged == 1
    assert co.flush() == []


def test_the_merged_delta_keeps_the_last_reference() -> None:
    call_x = ToolCall("x")
    first, last = args('{"a"', call_x), args(": 1}", call_x)
    co = Coalescer(window=None)
    co.feed(first)
    co.feed(last)
    (merged,) = co.flush()
    assert isinstance(merged, ToolCallArgumentsDelta)
    assert merged.delta == '{"a": 1}'
    assert merged.call is last.call
    single = text("alone")
    co.feed(single)
    assert co.flush()[0] is single  # a batch of one passes unchanged


def test_another_target_flushes_first() -> None:
    co = Coalescer(window=1.0)
    notes: list[Notification] = [
        text("a"),
        text("b"),
        text("c", PART_B),
        think("t"),
        think("u"),
        args("{"),
        text("d"),
    ]
    out = co.feed_many(notes) + co.flush()
    assert out == [
        text("ab"),
        text("c", PART_B),
        think("tu"),
        args("{"),
        text("d"),
    ]
    # Same ids but another part object (text after a tool call) is another target.
    assert out[0].part is PART_A  # type: ignore[union-attr]
    assert out[1].part is PART_B  # type: ignore[union-attr]


def test_time_window() -> None:
    co = Coalescer(window=0.016)
    out = []
    for t, d in [(0.0, "a"), (0.01, "b"), (0.0159, "c"), (0.016, "d"), (0.02, "e"), (0.04, "f")]:
        out += co.feed(text(d), t)
    out += co.flush()
    assert [n.delta for n in out] == ["abc", "de", "f"]  # type: ignore[union-attr]


def test_poll_flushes_when_the_window_ends() -> None:
    co = Coalescer(window=0.05)
    co.feed(text("a"), 1.0)
    co.feed(text("b"), 1.02)
    assert co.poll(1.049) == []
    assert co.poll(1.05) == [text("ab")]
    assert co.deadline is None
    assert co.poll(5.0) == []


def test_size_budget() -> None:
    co = Coalescer(window=None, max_chars=5)
    out = co.feed_many([text("ab"), text("cd"), text("ef"), text("g")])
    assert out == [text("abcd")]
    assert co.feed(text("hijklmn")) == [text("efg"), text("hijklmn")]  # too big alone: as is
    assert co.feed_many([text("ab"), text("cde")]) == [text("abcde")]  # exactly full: out now


def test_window_zero_never_merges_and_validation() -> None:
    co = Coalescer(window=0)
    notes = [text("a"), text("b")]
    assert co.feed_many(notes, 3.0) + co.flush() == notes
    with pytest.raises(UsageError):
        Coalescer(window=-1)
    with pytest.raises(UsageError):
        Coalescer(max_chars=0)


def test_coalesce_all_on_a_real_stream() -> None:
    notes = Reducer().feed_bytes(loom_bytes())
    merged = coalesce_all(notes)
    assert normalized(merged) == normalized(notes)
    assert len(merged) < len(notes)
    texts = [n for n in merged if isinstance(n, TextDelta)]
    assert [n.delta for n in texts] == ["Let me check ✓", "It is sunny in Paris. "]
    assert next(n for n in merged if isinstance(n, ReasoningDelta)).delta == (
        "The user wants a forecast."
    )


TARGETS: list[Callable[[str], Notification]] = [
    lambda d: text(d),
    lambda d: text(d, PART_B),
    lambda d: text(d, PART_A, "m2"),
    lambda d: think(d),
    lambda d: args(d),
]

events = st.lists(
    st.tuples(
        st.integers(min_value=-1, max_value=len(TARGETS) - 1),  # -1: another notification
        st.text(min_size=0, max_size=6),
        st.floats(min_value=0, max_value=0.05),
    ),
    max_size=60,
)


@given(
    events,
    st.one_of(st.none(), st.floats(min_value=0, max_value=0.1)),
    st.integers(min_value=1, max_value=12),
)
def test_nothing_lost_nothing_reordered(
    spec: list[tuple[int, str, float]], window: float | None, max_chars: int
) -> None:
    notes: list[Notification] = []
    times: list[float] = []
    now = 0.0
    for i, (target, delta, gap) in enumerate(spec):
        now += gap
        notes.append(other(i) if target < 0 else TARGETS[target](delta))
        times.append(now)
    co = Coalescer(window=window, max_chars=max_chars)
    out: list[Notification] = []
    for note, t in zip(notes, times, strict=True):
        out += co.poll(t)
        out += co.feed(note, t)
    out += co.flush()
    assert normalized(out) == normalized(notes)
    assert len(out) + co.merged == len(notes)
    for note in out:
        if isinstance(note, TextDelta | ReasoningDelta | ToolCallArgumentsDelta):
            assert len(note.delta) <= max_chars or any(note is n for n in notes)


# ----------------------------------------------------------------------------- async wrapper


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        await anyio.lowlevel.checkpoint()


@pytest.mark.anyio
async def test_async_flushes_when_the_window_ends_without_new_input() -> None:
    clock = FakeClock(autojump=False)
    send, receive = anyio.create_memory_object_stream[Notification](10)
    got: list[Notification] = []

    async def collect(notes: Any) -> None:
        async for note in notes:
            got.append(note)

    async with (
        coalesced(receive, window=0.05, clock=clock) as notes,
        send,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(collect, notes)
        await send.send(text("Hel"))
        await settle()  # read at time 0: the window ends at 0.05
        clock.set(0.01)
        await send.send(text("lo"))
        await settle()
        assert got == []  # waiting for more within the window
        clock.set(0.05)  # the window ends: the timer flushes
        await settle()
        assert got == [text("Hello")]
        await send.send(other(1))
        await send.send(text("!"))
        await settle()
        assert got == [text("Hello"), other(1)]
        send.close()  # end of input flushes the rest
    assert got == [text("Hello"), other(1), text("!")]


@pytest.mark.anyio
async def test_async_over_a_reduction_loses_nothing() -> None:
    data = b"\n".join(loom_lines() * 2) + b"\n"
    expected = Reducer().feed_bytes(data)
    stream = aio.reduce(pieces(data, 64), close_reducer=False)
    clock = FakeClock(autojump=False)  # time stands still: the window never ends
    async with coalesced(stream, window=0.016, clock=clock) as notes:
        out = [note async for note in notes]
    assert normalized(out, same_model=False) == normalized(expected, same_model=False)
    assert len(out) < len(expected)


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        await anyio.lowlevel.checkpoint()
        yield data[i : i + size]


@pytest.mark.anyio
async def test_async_source_errors_come_after_the_notes_before_them() -> None:
    async def failing() -> AsyncIterator[Notification]:
        yield text("a")
        yield text("b")
        raise ValueError("upstream broke")

    got: list[Notification] = []

    async def consume() -> None:
        async with coalesced(failing(), clock=FakeClock(autojump=False)) as notes:
            async for note in notes:
                got.append(note)

    with pytest.raises(ValueError, match="upstream broke"):
        await consume()
    assert got == [text("ab")]


@pytest.mark.anyio
async def test_leaving_early_cancels_the_reading_and_closes_the_source() -> None:
    closed = []

    async def source() -> AsyncIterator[bytes]:
        try:
            yield loom_bytes()
            await anyio.sleep_forever()
        finally:
            closed.append(True)

    stream = aio.reduce(source())
    async with coalesced(stream, clock=FakeClock(autojump=False)) as notes:
        first = await notes.receive()
    assert type(first).__name__ == "SessionStarted"
    assert closed == [True]
    assert stream.done
    assert not stream.reducer.closed
    with pytest.raises(KeyError):
        async with coalesced(stream, clock=FakeClock()) as notes:
            raise KeyError("the body's own error passes through unchanged")

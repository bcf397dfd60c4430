"""The async reduction on asyncio and trio: same models as the sync core, cancellation."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import orjson
import pytest

from streamfold import Reducer, aio
from streamfold.clock import FakeClock
from streamfold.errors import ProtocolError, UsageError
from streamfold.io.recording import RecordingWriter, read_recording
from streamfold.model import Conversation
from streamfold.notifications import (
    Notification,
    TextDelta,
)
from streamfold.replay import Replayer

from ..support.streams import (
    HEADS,
    fold_bytes,
    loom_bytes,
    loom_lines,
    loom_sse,
    model,
    recording_bytes,
    timed_frames,
)
from .sources import ByteSource, drain, items, notes_of, pieces, settle

pytestmark = pytest.mark.anyio


# ----------------------------------------------------------------- same model as the core


async def test_reduce_equals_the_sync_core_for_every_framing() -> None:
    cases = {
        "ndjson": (loom_bytes(), fold_bytes(loom_bytes())),
        "sse": (loom_sse(), fold_bytes(loom_sse(), "sse")),
    }
    for framing, (data, want) in cases.items():
        for explicit in (framing, None):
            async with aio.reduce(pieces(data, 10, 500), framing=explicit) as stream:
                notes = [note async for note in stream]
            assert stream.framing == framing
            assert model(stream.reducer) == model(want)
            assert len(notes) > 30
    async with aio.reduce(pieces(HEADS["recording"], 7)) as stream:
        await stream.run()
    assert stream.framing == "recording"
    assert model(stream.reducer) == model(fold_bytes(b"\n".join(loom_lines()[:3])))


async def test_every_byte_split_of_a_recording() -> None:
    frames = timed_frames(loom_lines()[:10])
    data = recording_bytes(frames)
    want = model(fold_bytes(b"\n".join(loom_lines()[:10])))
    for cut in range(len(data) + 1):
        stream = aio.reduce(pieces(data, cut))
        await stream.run()
        assert stream.framing == "recording", cut
        assert model(stream.reducer) == want, cut


async def test_every_byte_split_of_ndjson_and_sse_with_detection_and_recording() -> None:
    for data, framing in ((b"\n".join(loom_lines()[:8]), "ndjson"), (loom_sse()[:900], "sse")):
        want = model(fold_bytes(data, framing))
        for cut in range(len(data) + 1):
            buf = io.BytesIO()
            stream = aio.reduce(pieces(data, cut), recorder=RecordingWriter(buf), clock=FakeClock())
            await stream.run()
            assert stream.framing == framing
            assert model(stream.reducer) == want, cut
            recorded = read_recording(buf.getvalue())
            assert recorded.header["framing"] == framing
            assert len(recorded) == stream.reducer.frames_in


async def test_a_streamed_recording_with_a_truncated_tail_is_reported() -> None:
    data = recording_bytes(timed_frames(loom_lines()[:6]))
    stream = aio.reduce(pieces(data[:-9], 100))
    await stream.run()
    assert [p.code for p in stream.problems] == ["truncated_record"]
    assert stream.reducer.frames_in == 5
    assert aio.reduce(pieces(b"")).problems == ()


async def test_sources_of_every_shape() -> None:
    want = model(fold_bytes(loom_bytes()))
    lines = [line.decode() for line in loom_lines()]
    assert model((await run(items(lines))).reducer) == want
    objects = [orjson.loads(line) for line in loom_lines()]
    assert model((await run(items(objects))).reducer) == want
    chunks = [bytearray(loom_bytes()[:100]), memoryview(loom_bytes()[100:])]
    assert model((await run(items(chunks))).reducer) == want
    source = ByteSource([loom_bytes()[:333], loom_bytes()[333:]])
    assert model((await run(source)).reducer) == want
    assert source.closed
    # SSE as text lines without terminators (httpx aiter_lines()).
    sse_lines = loom_sse().decode().split("\n")
    stream = await run(items(sse_lines), framing="sse")
    assert model(stream.reducer) == model(fold_bytes(loom_sse(), "sse"))


async def run(source: Any, **options: Any) -> aio.AsyncReduction:
    async with aio.reduce(source, **options) as stream:
        await stream.run()
    return stream


async def test_fold_and_object_form() -> None:
    conversation = await aio.fold(pieces(loom_bytes(), 50))
    assert isinstance(conversation, Conversation)
    assert conversation.runs[0].reply == "It is sunny in Paris."
    stream = aio.reduce(pieces(loom_bytes(), 50), format="loom")
    assert stream.reducer.format == "loom"
    first = await stream.__anext__()
    assert stream.conversation.sessions  # the live model is there after the first note
    assert type(first).__name__ == "SessionStarted"
    await stream.aclose()
    assert stream.done
    with pytest.raises(UsageError):
        aio.reduce(pieces(b""), reducer=Reducer(), strict=True)


async def test_unknown_item_type_fails_and_closes_the_source() -> None:
    closed = []

    async def source() -> AsyncIterator[Any]:
        try:
            yield 42
        finally:
            closed.append(True)

    with pytest.raises(UsageError):
        await aio.fold(source())
    assert closed == [True]


async def test_strict_mode_error_closes_the_source() -> None:
    source = ByteSource([b'{"type":"node_enter","id":"a"}\nnot json\n', b"more\n"])
    stream = aio.reduce(source, strict=True)
    with pytest.raises(ProtocolError):
        await stream.run()
    assert source.closed
    assert stream.done


# ----------------------------------------------------------------------------- cancellation


async def test_cancel_while_waiting_for_the_source() -> None:
    data = loom_bytes()
    cut = data.index(b"\n", 1000) + 20  # the last chunk ends in the middle of a line
    source = ByteSource([data[:500], data[500:cut]], hang=True)
    seen: list[Notification] = []
    stream = aio.reduce(source)
    sub = stream.subscribe()

    async def consume(scope: anyio.CancelScope) -> None:
        with scope:
            async for note in stream:
                seen.append(note)

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(consume, scope)
        tg.start_soon(drain, sub, [])
        await source.waiting.wait()
        scope.cancel()
    assert scope.cancelled_caught
    assert source.closed
    assert stream.done
    # Consistent: exactly the complete lines are applied; the reducer is still open.
    expected = Reducer()
    expected.feed_bytes(data[:cut])
    assert model(stream.reducer) == model(expected)
    assert not stream.reducer.closed
    r = stream.reducer
    assert r.frames_applied + r.frames_dropped == r.frames_in
    assert len(seen) + len(stream.pending) == len(notes_of(data[:cut]))


async def test_cancel_while_handling_a_note_closes_the_source_with_async_with() -> None:
    source = ByteSource([line + b"\n" for line in loom_lines()])
    with anyio.CancelScope() as scope:
        async with aio.reduce(source) as stream:
            async for note in stream:
                if isinstance(note, TextDelta):
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()  # cancelled here, in the consumer
    assert scope.cancelled_caught
    assert source.closed
    assert stream.reducer.frames_in < len(loom_lines())


async def test_cancel_while_blocked_on_a_full_subscriber() -> None:
    source = ByteSource([loom_bytes()], hang=True)
    stream = aio.reduce(source)
    sub = stream.subscribe(max_buffer=1, policy="block")  # never read
    scope = anyio.CancelScope()

    async def produce() -> None:
        with scope:
            await stream.run()

    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        await settle()
        assert sub._send.statistics().tasks_waiting_send == 1  # the producer waits for room
        scope.cancel()
    assert scope.cancelled_caught
    assert source.closed
    # The whole chunk was applied before publishing: the model is complete for it.
    assert model(stream.reducer) == model(unclosed(loom_bytes()))
    assert [type(item).__name__ async for item in sub] == ["SessionStarted"]


def unclosed(data: bytes) -> Reducer:
    reducer = Reducer()
    reducer.feed_bytes(data)
    return reducer


async def test_async_generator_source_is_finalized_on_early_exit() -> None:
    events: list[str] = []

    async def source() -> AsyncIterator[bytes]:
        try:
            for line in loom_lines():
                yield line + b"\n"
        finally:
            events.append("closed")

    async with aio.reduce(source()) as stream:
        async for _ in stream:
            break
    assert events == ["closed"]


async def test_segments_into_one_reducer() -> None:
    data = loom_bytes()
    cut = data.index(b"\n", 1500) + 1
    reducer = Reducer()
    await aio.AsyncReduction(pieces(data[:cut], 33), reducer=reducer, close_reducer=False).run()
    assert not reducer.closed
    await aio.AsyncReduction(pieces(data[cut:], 33), reducer=reducer).run()
    assert model(reducer) == model(fold_bytes(data))


async def test_a_broken_segment_drops_its_partial_frame() -> None:
    data = loom_bytes()
    cut = data.index(b"\n", 1500) + 1

    async def broken() -> AsyncIterator[bytes]:
        yield data[:cut]
        yield data[cut : cut + 25]  # half a line, then the connection breaks
        raise OSError("connection reset")

    reducer = Reducer()
    with pytest.raises(OSError, match="reset"):
        await aio.AsyncReduction(broken(), reducer=reducer, close_reducer=False).run()
    await aio.AsyncReduction(pieces(data[cut:], 33), reducer=reducer).run()
    assert model(reducer) == model(fold_bytes(data))


# ------------------------------------------------------------------- record, then replay


async def timed_pieces(
    clock: FakeClock, schedule: list[tuple[float, bytes]]
) -> AsyncIterator[bytes]:
    start = clock.now()
    for at, piece in schedule:
        await clock.sleep_until(start + at)
        yield piece


async def test_recorded_arrival_times_come_back_in_replay() -> None:
    lines = loom_lines()[:6]
    schedule = [(0.25 * i, line + b"\n") for i, line in enumerate(lines)]
    # Split one line across two arrivals: it counts as arriving when it is complete.
    schedule[2:3] = [(0.5, lines[2][:10]), (0.6, lines[2][10:] + b"\n")]
    clock = FakeClock(100.0)
    buf = io.BytesIO()
    stream = aio.reduce(timed_pieces(clock, schedule), recorder=RecordingWriter(buf), clock=clock)
    await stream.run()
    recording = read_recording(buf.getvalue())
    assert [f.t for f in recording.frames] == [0.0, 0.25, 0.6, 0.75, 1.0, 1.25]
    replay_clock = FakeClock()
    seen: list[float] = []
    async for _step in Replayer(recording).play(clock=replay_clock):
        seen.append(replay_clock.now())
    assert seen == [0.0, 0.25, 0.6, 0.75, 1.0, 1.25, 1.25]  # the last step closes the reducer
    instant = Replayer(recording, speed=None)
    assert [step.delay for step in instant.steps()] == [0.0] * 7
    assert model(stream.reducer) == model(instant.reducer)

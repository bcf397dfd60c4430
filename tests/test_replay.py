"""Replay: original timing on a fake clock at any speed, pause/resume, seek, step."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from streamfold import Reducer
from streamfold.clock import FakeClock
from streamfold.errors import UsageError
from streamfold.framing import Frame
from streamfold.io.recording import Recording, read_recording
from streamfold.replay import PeriodicSnapshots, Replayer, Step

from .support.streams import loom_lines, loom_sse, model, recording_bytes

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# Irregular gaps, a burst at the same instant, and a clock that went backwards once.
TIMES = [0.5, 0.5, 0.52, 0.9, 0.9, 2.0, 1.9, 2.3, 2.31, 4.0, 4.0, 4.25]


def recording() -> Recording:
    lines = loom_lines()[: len(TIMES)]
    frames = tuple(Frame(line, t) for line, t in zip(lines, TIMES, strict=True))
    return Recording(frames, "recording")


def monotone(times: list[float]) -> list[float]:
    out, prev = [], 0.0
    for t in times:
        prev = max(prev, t)
        out.append(prev)
    return out


def replayed() -> dict[str, Any]:
    replayer = Replayer(recording(), speed=None)
    replayer.run()
    return model(replayer.reducer)


def fold_prefix(rec: Recording, n: int) -> dict[str, Any]:
    reducer = Reducer()
    for frame in rec.frames[:n]:
        reducer.feed_frame(frame)
    return model(reducer)


# ---------------------------------------------------------------------------------- timing


@pytest.mark.parametrize("speed", [1.0, 4.0, 0.5])
async def test_play_at_the_original_timing_times_a_speed_factor(speed: float) -> None:
    clock = FakeClock(1000.0)
    replayer = Replayer(recording(), speed=speed)
    at: list[float] = []
    steps: list[Step] = []
    async for step in replayer.play(clock=clock):
        at.append(clock.now() - 1000.0)
        steps.append(step)
    want = [t / speed for t in monotone(TIMES)]
    assert at[:-1] == pytest.approx(want)
    assert steps[-1].frame is None  # the closing step, right after the last frame
    assert at[-1] == pytest.approx(want[-1])
    assert [s.index for s in steps] == list(range(len(TIMES) + 1))
    assert sum(s.delay for s in steps) == pytest.approx(max(TIMES) / speed)
    assert replayer.finished
    assert replayer.reducer.closed


async def test_instant_replay_never_waits() -> None:
    clock = FakeClock()
    replayer = Replayer(recording(), speed=None)
    steps = [step async for step in replayer.play(clock=clock)]
    assert clock.now() == 0.0
    assert clock.sleeps == []
    assert [s.delay for s in steps] == [0.0] * len(steps)
    assert model(replayer.reducer) == replayed()


async def test_a_slow_consumer_catches_up_instead_of_stretching_the_replay() -> None:
    clock = FakeClock()
    at = []
    async for step in Replayer(recording()).play(clock=clock):
        at.append(clock.now())
        if step.index == 3:
            await clock.sleep(1.0)  # rendering took a second: frames 4, 5 are already due
    assert at[4:6] == [1.9, 2.0]
    assert at[6:] == pytest.approx([*monotone(TIMES)[6:], 4.25])


def test_next_delay() -> None:
    replayer = Replayer(recording(), speed=2)
    assert replayer.next_delay == 0.25
    replayer.seek(5)
    assert replayer.next_delay == pytest.approx((2.0 - 0.9) / 2)
    replayer.seek(len(TIMES))
    assert replayer.next_delay == 0.0
    replayer.speed = None
    replayer.seek(0)
    assert replayer.next_delay == 0.0


def test_steps_report_delays_without_sleeping() -> None:
    replayer = Replayer(recording(), speed=2)
    delays = [step.delay for step in replayer.steps()]
    gaps = [b - a for a, b in zip([0.0, *monotone(TIMES)], monotone(TIMES), strict=False)]
    assert delays == pytest.approx([g / 2 for g in gaps] + [0.0])


def test_untimed_recordings_use_the_interval() -> None:
    rec = read_recording(loom_sse(), framing="sse")
    assert not rec.timed
    replayer = Replayer(rec, untimed_interval=0.02)
    assert replayer.times[:3] == pytest.approx((0.0, 0.02, 0.04))
    assert replayer.duration == pytest.approx(0.02 * (len(rec) - 1))
    assert {s.delay for s in Replayer(rec).steps()} == {0.0}


def test_speed_validation() -> None:
    with pytest.raises(UsageError):
        Replayer(recording(), speed=0)
    with pytest.raises(UsageError):
        Replayer(recording(), speed=-1)
    assert Replayer(recording(), speed=float("inf")).speed is None
    with pytest.raises(UsageError):
        Replayer(recording(), reducer_factory=Reducer, strict=True)
    with pytest.raises(UsageError):
        Replayer(recording(), untimed_interval=-1)


# --------------------------------------------------------------------------- pause, speed


async def test_pause_and_resume() -> None:
    clock = FakeClock()
    replayer = Replayer(recording())
    at: list[float] = []

    async def resume_later() -> None:
        await clock.sleep(10.0)
        replayer.resume()

    async with anyio.create_task_group() as tg:
        async for step in replayer.play(clock=clock):
            at.append(clock.now())
            if step.index == 3:  # at 0.9; the next frame is due at 0.9 (burst), then 2.0
                replayer.pause()
                assert replayer.paused
                tg.start_soon(resume_later)
    # Paused at replay time 0.9 for 10 s: every later frame is 10 s late, none is skipped.
    assert at[:4] == pytest.approx([0.5, 0.5, 0.52, 0.9])
    assert at[4:-1] == pytest.approx([t + 10.0 for t in monotone(TIMES)[4:]])


async def test_pause_in_the_middle_of_a_gap_keeps_the_elapsed_part() -> None:
    clock = FakeClock(autojump=False)
    replayer = Replayer(recording())
    at: list[float] = []

    async def consume() -> None:
        async for step in replayer.play(clock=clock, until_frame=7):
            at.append(clock.now())
            del step

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await settle()  # the replay starts at clock time 0 and waits for 0.5
        assert at == []
        clock.set(1.0)  # frames up to 0.9 are due
        await settle()
        assert len(at) == 5
        clock.set(1.5)  # half-way to the frame due at 2.0
        replayer.pause()
        clock.set(5.0)  # paused: nothing happens
        await settle()
        assert len(at) == 5
        replayer.resume()  # 0.5 s of replay time are left until 2.0
        clock.set(5.4)
        await settle()
        assert len(at) == 5
        clock.set(5.5)
        await settle()
        assert at[5] == 5.5
        clock.set(20.0)
    assert len(at) == 7


async def test_speed_change_while_playing() -> None:
    clock = FakeClock()
    replayer = Replayer(recording())
    at = []
    async for step in replayer.play(clock=clock):
        at.append(clock.now())
        if step.index == 5:  # at 2.0
            replayer.speed = 4
    assert at[5] == 2.0
    assert at[-2] == pytest.approx(2.0 + (4.25 - 2.0) / 4)


async def test_until_frame_and_time() -> None:
    replayer = Replayer(recording(), speed=None)
    got = [s.index async for s in replayer.play(clock=FakeClock(), until_time=0.9)]
    assert got == [0, 1, 2, 3, 4]
    assert replayer.position == 5
    got = [s.index for s in replayer.steps(until_frame=7)]
    assert got == [5, 6]
    got = [s.index for s in replayer.steps()]
    assert got == [7, 8, 9, 10, 11, 12]
    assert replayer.finished
    assert replayer.step() is None


# --------------------------------------------------------------------------------- seeking


def test_seek_equals_folding_the_prefix_at_every_frame() -> None:
    rec = recording()
    replayer = Replayer(rec)
    order = [*range(len(rec) + 1), 3, 0, len(rec), 7, 7, 2, 11]
    for n in order:
        replayer.seek(n)
        assert replayer.position == n
        assert model(replayer.reducer) == fold_prefix(rec, n), n


def test_seek_then_step_and_seek_after_the_end() -> None:
    rec = recording()
    replayer = Replayer(rec)
    list(replayer.steps())
    assert replayer.finished
    generation = replayer.generation
    replayer.seek(5)
    assert replayer.generation == generation + 1
    assert replayer.position == 5
    step = replayer.step()
    assert step is not None
    assert step.index == 5
    assert model(replayer.reducer) == fold_prefix(rec, 6)
    replayer.seek(-3)
    assert replayer.position == 0
    replayer.seek(999)
    assert replayer.position == len(rec)


def test_seek_time() -> None:
    rec = recording()
    replayer = Replayer(rec)
    replayer.seek_time(2.0)
    assert replayer.position == 7  # frames due by 2.0 (the one stamped 1.9 counts as 2.0)
    assert replayer.now == 2.0
    replayer.seek_time(0.4)
    assert replayer.position == 0
    assert model(replayer.reducer) == fold_prefix(rec, 0)
    assert replayer.index_at(100) == len(rec)


def test_seek_uses_a_snapshot_store() -> None:
    rec = recording()

    class Store:
        def __init__(self) -> None:
            self.offers: list[int] = []
            self.asked: list[int] = []

        def restore(self, index: int) -> tuple[int, Reducer] | None:
            self.asked.append(index)
            k = index - index % 4
            reducer = Reducer()
            for frame in rec.frames[:k]:
                reducer.feed_frame(frame)
            return k, reducer

        def offer(self, index: int, reducer: Reducer) -> None:
            self.offers.append(index)

    store = Store()
    replayer = Replayer(rec, snapshots=store)
    replayer.seek(10)
    replayer.seek(6)
    assert store.asked == [6]
    assert store.offers == [*range(1, 11), 5, 6]  # restored at 4, folded 4→6
    assert model(replayer.reducer) == fold_prefix(rec, 6)


def test_periodic_snapshots_make_backward_seeks_short() -> None:
    lines = loom_lines() * 1
    rec = Recording(tuple(Frame(line, i * 0.01) for i, line in enumerate(lines)), "recording")
    store = PeriodicSnapshots(every=5, max_snapshots=4)
    replayer = Replayer(rec, snapshots=store)
    replayer.seek(len(rec))
    assert len(store.indexes) <= 4
    assert store.every > 5  # thinned out to stay within max_snapshots
    for n in [len(rec) - 1, 17, 3, 0, 25, 11]:
        replayer.seek(n)
        assert model(replayer.reducer) == fold_prefix(rec, n), n
    assert store.enabled
    restored = store.restore(len(rec))
    assert restored is not None
    assert restored[0] == store.indexes[-1]
    assert model(restored[1]) == fold_prefix(rec, restored[0])
    replayer.run()
    assert model(replayer.reducer) == replayed_all(rec)


def replayed_all(rec: Recording) -> dict[str, Any]:
    replayer = Replayer(rec, speed=None)
    replayer.run()
    return model(replayer.reducer)


def test_periodic_snapshots_validation() -> None:
    with pytest.raises(UsageError):
        PeriodicSnapshots(every=0)


async def test_seek_while_playing_restarts_the_timing_from_there() -> None:
    clock = FakeClock()
    replayer = Replayer(recording())
    seen: list[tuple[int, float]] = []
    async for step in replayer.play(clock=clock):
        seen.append((step.index, clock.now()))
        if step.index == 8 and len(seen) < 10:
            replayer.seek(2)  # back to just after frame 1 (t=0.5), at clock time 2.31
    assert [i for i, _ in seen] == [*range(9), *range(2, 13)]
    assert seen[9][0] == 2
    assert seen[9][1] == pytest.approx(2.31 + 0.02)
    assert model(replayer.reducer) == replayed()


def test_step_by_step() -> None:
    rec = recording()
    replayer = Replayer(rec, close=False)
    for i in range(len(rec)):
        step = replayer.step()
        assert step is not None
        assert step.index == i
        assert step.frame == rec.frames[i]
        assert model(replayer.reducer) == fold_prefix(rec, i + 1)
    assert replayer.step() is None
    assert replayer.finished
    assert not replayer.reducer.closed


def test_open_any_recording_file(tmp_path: Any) -> None:
    path = tmp_path / "run.recording.ndjson"
    path.write_bytes(recording_bytes(list(recording().frames)))
    replayer = Replayer.open(path, speed=2, format="loom")
    assert replayer.reducer.format == "loom"
    assert replayer.times == tuple(monotone(TIMES))


async def settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        await anyio.lowlevel.checkpoint()

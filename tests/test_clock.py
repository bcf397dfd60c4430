"""Clocks: time enters as data; the fake clock moves only when told."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from streamfold.clock import FakeClock

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def settle(rounds: int = 10) -> None:
    """Let the other tasks run until they wait (a few scheduler rounds, no wall time)."""
    for _ in range(rounds):
        await anyio.lowlevel.checkpoint()


async def test_fake_clock_without_autojump_waits_for_advance() -> None:
    clock = FakeClock(autojump=False)
    woke: list[float] = []

    async def sleeper(until: float) -> None:
        await clock.sleep_until(until)
        woke.append(clock.now())

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper, 2.0)
        tg.start_soon(sleeper, 1.0)
        await settle()
        assert woke == []
        clock.advance(1.5)
        await settle()
        assert woke == [1.5]
        clock.set(5.0)
    assert woke == [1.5, 5.0]
    assert sorted(clock.sleeps) == [1.0, 2.0]

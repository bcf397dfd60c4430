"""Where time comes from: time enters streamfold as data, never read behind the caller's back.

:class:`Clock` is injectable everywhere time matters — arrival times of recorded frames
(``streamfold.aio``), replay pacing (``streamfold.replay``), coalescing windows
(``streamfold.coalesce``): :class:`SystemClock` by default, :class:`FakeClock` in tests, so that
arrival times, replay and coalescing run in zero wall time under test (docs/async.md).
"""

from __future__ import annotations

from typing import Protocol

import anyio
import anyio.lowlevel

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Where time comes from: seconds on a monotonic scale, and a way to wait for a moment."""

    def now(self) -> float:
        """The current time in seconds on the clock's monotonic scale (not the Unix epoch)."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once :meth:`now` has reached ``deadline`` (seconds on the same scale); at once
        when it already has."""
        ...


class SystemClock:
    """The event loop's clock (:func:`anyio.current_time`, :func:`anyio.sleep_until`)."""

    def now(self) -> float:
        """The event loop's time in seconds (:func:`anyio.current_time`)."""
        return anyio.current_time()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the event loop's time reaches ``deadline`` (seconds,
        :func:`anyio.sleep_until`)."""
        await anyio.sleep_until(deadline)


class FakeClock:
    """A clock for tests: time only moves when someone moves it.

    With ``autojump=True`` (the default) :meth:`sleep_until` moves the time to the deadline at
    once (after a checkpoint), so a single sleeper — a replay — runs in zero wall time with exact
    timestamps. With ``autojump=False`` sleepers wait until :meth:`advance` or :meth:`set`
    reaches their deadline, which lets a test interleave several timed tasks deterministically.
    ``sleeps`` records every deadline waited for.
    """

    def __init__(self, start: float = 0.0, *, autojump: bool = True) -> None:
        self._now = start
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, anyio.Event]] = []

    def now(self) -> float:
        """The fake time in seconds (moved only by :meth:`set`, :meth:`advance` or an autojumping
        sleep)."""
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        """Record ``deadline`` in :attr:`sleeps`; with ``autojump`` move the time to it at once,
        else wait until :meth:`set` or :meth:`advance` reaches it. Ends with a checkpoint either
        way."""
        self.sleeps.append(deadline)
        if self.autojump:
            if deadline > self._now:
                self._now = deadline
            await anyio.lowlevel.checkpoint()
            return
        while self._now < deadline:
            event = anyio.Event()
            entry = (deadline, event)
            self._waiters.append(entry)
            try:
                await event.wait()
            finally:
                if entry in self._waiters:
                    self._waiters.remove(entry)
        await anyio.lowlevel.checkpoint()

    async def sleep(self, seconds: float) -> None:
        """:meth:`sleep_until` the current time plus ``seconds``."""
        await self.sleep_until(self._now + seconds)

    def set(self, now: float) -> None:
        """Move the time to ``now`` (never backwards) and wake the sleepers it reaches."""
        if now > self._now:
            self._now = now
        for deadline, event in list(self._waiters):
            if deadline <= self._now:
                event.set()

    def advance(self, seconds: float) -> None:
        """Move the time forward by ``seconds`` and wake the sleepers whose deadline it reaches."""
        self.set(self._now + seconds)

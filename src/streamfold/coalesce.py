"""Coalescing for UIs: merge runs of small deltas into fewer, bigger ones.

A model streams text a few characters at a time; a UI that re-renders per delta wastes its
frames. :class:`Coalescer` (pure, sans-IO: time is an argument) merges *consecutive*
:class:`~streamfold.notifications.TextDelta`, :class:`~streamfold.notifications.ReasoningDelta`
and :class:`~streamfold.notifications.ToolCallArgumentsDelta` notifications of the same target
(the same part object, or the same tool call) into one, until

* the time window since the first merged delta ends (``window`` seconds, e.g. 0.016 or 0.05),
* the merged text would pass ``max_chars``,
* any other notification arrives (it is passed on right after the merged delta), or
* :meth:`Coalescer.flush` is called (end of stream).

Nothing is lost or reordered: the merged delta is the concatenation, in order, and it keeps the
ids and the ``part`` / ``call`` reference of the last delta merged. A delta for another target
flushes the pending one first, so the order of targets is the order of arrival.

:func:`coalesced` is the async wrapper: it reads a notification stream in a background task and
also flushes when the window ends with nothing new arriving (on an injectable clock).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import TypeVar, cast

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream

from .clock import Clock, SystemClock
from .errors import UsageError
from .notifications import Notification, ReasoningDelta, TextDelta, ToolCallArgumentsDelta

__all__ = ["MERGEABLE", "Coalescer", "coalesce_all", "coalesced"]

MERGEABLE = (TextDelta, ReasoningDelta, ToolCallArgumentsDelta)
"""The notification types that are merged."""

_Delta = TextDelta | ReasoningDelta | ToolCallArgumentsDelta


class Coalescer:
    """Merge consecutive deltas of the same target (see the module docs).

    ``window`` is in seconds on the caller's clock (``None``: no time limit — merge until
    another notification or the size budget; ``0``: never merge); ``max_chars`` the size
    budget of one merged delta (a single bigger delta passes as it is).
    """

    __slots__ = (
        "_count",
        "_deadline",
        "_key",
        "_last",
        "_pieces",
        "_ref",
        "_size",
        "max_chars",
        "merged",
        "window",
    )

    def __init__(self, *, window: float | None = 0.016, max_chars: int = 4096) -> None:
        if window is not None and (not window >= 0 or not math.isfinite(window)):
            raise UsageError("window must be a number of seconds >= 0, or None")
        if max_chars < 1:
            raise UsageError("max_chars must be >= 1")
        self.window = window
        self.max_chars = max_chars
        self.merged = 0
        """How many deltas were folded into others so far (what the UI was spared)."""
        self._last: _Delta | None = None
        self._ref: object = None
        self._key: tuple[str, str] = ("", "")
        self._pieces: list[str] = []
        self._size = 0
        self._count = 0
        self._deadline: float | None = None

    @property
    def deadline(self) -> float | None:
        """When the pending merged delta must go out (``None``: nothing pending, or no window)."""
        return self._deadline if self._last is not None else None

    @property
    def pending(self) -> int:
        """How many deltas are waiting in the pending merge."""
        return self._count

    def feed(self, note: Notification, now: float = 0.0) -> list[Notification]:
        """Take one notification at time ``now``; returns what is ready to go out, in order."""
        kind = type(note)
        if kind is TextDelta or kind is ReasoningDelta or kind is ToolCallArgumentsDelta:
            assert isinstance(note, _Delta)
            ref: object
            if isinstance(note, ToolCallArgumentsDelta):
                ref, key = note.call, (note.run_id, note.call_id)
            else:
                ref, key = note.part, (note.run_id, note.message_id)
            delta = note.delta
            last = self._last
            out: list[Notification] = []
            if last is not None:
                deadline = self._deadline
                if (
                    type(last) is kind
                    and self._ref is ref
                    and self._key == key
                    and (deadline is None or now < deadline)
                    and self._size + len(delta) <= self.max_chars
                ):
                    self._pieces.append(delta)
                    self._size += len(delta)
                    self._count += 1
                    self._last = note
                    return self.flush() if self._size >= self.max_chars else out
                out = self.flush()
            self._last = note
            self._ref = ref
            self._key = key
            self._pieces = [delta]
            self._size = len(delta)
            self._count = 1
            self._deadline = None if self.window is None else now + self.window
            if self._size >= self.max_chars:
                out += self.flush()
            return out
        out = self.flush()
        out.append(note)
        return out

    def feed_many(self, notes: Iterable[Notification], now: float = 0.0) -> list[Notification]:
        """:meth:`feed` each notification of one frame at time ``now`` (seconds, the caller's
        clock); returns what is ready to go out, in order."""
        out: list[Notification] = []
        for note in notes:
            out += self.feed(note, now)
        return out

    def poll(self, now: float) -> list[Notification]:
        """The pending merged delta if its window has ended by ``now`` (call it from a timer)."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self.flush()
        return []

    def flush(self) -> list[Notification]:
        """The pending merged delta, now (end of stream, or before a pause)."""
        last = self._last
        if last is None:
            return []
        count = self._count
        pieces = self._pieces
        self._last = None
        self._ref = None
        self._pieces = []
        self._size = 0
        self._count = 0
        self._deadline = None
        if count == 1:
            return [last]
        self.merged += count - 1
        return [attrs.evolve(last, delta="".join(pieces))]


def coalesce_all(notes: Iterable[Notification], *, max_chars: int = 4096) -> list[Notification]:
    """Merge every run of consecutive same-target deltas (no time window): for notifications
    that are all available at once, such as an instant replay or a whole fold."""
    co = Coalescer(window=None, max_chars=max_chars)
    out = co.feed_many(notes)
    out += co.flush()
    return out


_T = TypeVar("_T")


@contextlib.asynccontextmanager
async def coalesced(
    source: AsyncIterable[_T],
    *,
    window: float | None = 0.016,
    max_chars: int = 4096,
    clock: Clock | None = None,
    max_buffer: int = 64,
    close_source: bool = True,
) -> AsyncIterator[MemoryObjectReceiveStream[_T]]:
    """Coalesce an async stream of notifications (``AsyncReduction``, a subscription…)::

        async with coalesced(stream, window=0.05) as notes:
            async for note in notes:
                view.apply(note)

    A background task reads ``source`` and a timer flushes a pending merge when its window ends
    on ``clock`` (default: the event loop's), so text never waits for the next delta. Items that
    are not notifications (a subscription's :class:`~streamfold.aio.Lagged`) pass through like
    any other non-delta, in order. The output
    is a bounded memory stream (``max_buffer``): a slow consumer slows the reading of ``source``.
    Leaving the block stops the reading and closes ``source`` (its ``aclose()``, shielded from
    cancellation: an :class:`~streamfold.aio.AsyncReduction` then closes its own source) unless
    ``close_source=False``. An exception raised by the source is re-raised here after the
    notifications before it were delivered.
    """
    co = Coalescer(window=window, max_chars=max_chars)
    clk: Clock = clock if clock is not None else SystemClock()
    send, receive = anyio.create_memory_object_stream[_T](max_buffer)
    lock = anyio.Lock()
    timer_scope = anyio.CancelScope()
    state = _PumpState()

    async def emit(notes: list[Notification]) -> None:
        for note in notes:
            await send.send(cast(_T, note))

    async def pump() -> None:
        try:
            try:
                async for note in source:
                    async with lock:
                        await emit(co.feed(cast(Notification, note), clk.now()))
                    if co.deadline is not None:
                        state.armed.set()
            except anyio.BrokenResourceError:
                return  # the consumer went away
            except Exception as exc:
                state.error = exc
            async with lock:
                await emit(co.flush())
        except anyio.BrokenResourceError:
            pass
        finally:
            timer_scope.cancel()
            send.close()
            aclose = getattr(source, "aclose", None)
            if close_source and callable(aclose):
                with anyio.CancelScope(shield=True):
                    await aclose()

    async def timer() -> None:
        with timer_scope:
            while True:
                await state.armed.wait()
                state.armed = anyio.Event()
                while (deadline := co.deadline) is not None:
                    await clk.sleep_until(deadline)
                    async with lock:
                        await emit(co.poll(clk.now()))

    body_error: BaseException | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(pump)
        tg.start_soon(timer)
        try:
            yield receive
        except BaseException as exc:  # re-raised below, outside the task group (no group)
            body_error = exc
        finally:
            tg.cancel_scope.cancel()
            receive.close()
    if body_error is not None:
        raise body_error
    if state.error is not None:
        raise state.error


class _PumpState:
    __slots__ = ("armed", "error")

    def __init__(self) -> None:
        self.armed = anyio.Event()
        self.error: Exception | None = None

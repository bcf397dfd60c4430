"""Async streams: reduce any async source with anyio (asyncio or trio), and fan notifications out.

A thin layer around the sync core: every byte and frame goes through the same
:class:`~streamfold.reducer.Reducer` calls a sync caller would make, so asyncio, trio and sync
users get identical models. Five lines::

    async with streamfold.aio.reduce(response.aiter_bytes(), framing="sse") as stream:
        async for note in stream:
            if isinstance(note, TextDelta):
                print(note.delta, end="")
    print(stream.conversation.runs)

Sources: an anyio :class:`~anyio.abc.ByteReceiveStream`, or any async iterable of ``bytes``
(chunks split anywhere: ``httpx`` ``aiter_bytes()``), ``str`` (one or more complete lines:
``aiter_lines()``, websocket text messages) or parsed frames (``Mapping`` objects). The framing
of bytes is ``"ndjson"``, ``"sse"``, ``"chunk-recording"``, ``"recording"`` or detected from the
first bytes. :func:`streamfold.io.sync.reduce_sync` is the twin for plain iterables; both go
through the one intake, :class:`streamfold.io.intake.Intake`.

Cancellation: the reducer is only ever called between awaits, so a cancelled consumer leaves the
model consistent (every frame applied whole or not at all); the source is closed (shielded), the
subscriptions end, and the reducer is left open (call ``reducer.close()`` to end open runs).
Use ``async with`` (or :meth:`AsyncReduction.aclose`) so that the source is closed even when the
consumer stops iterating early.

Fan-out: :meth:`AsyncReduction.subscribe` gives each consumer its own bounded stream
(:mod:`streamfold.aio.fanout`). Time: arrival times come from an injectable
:class:`~streamfold.clock.Clock` (:mod:`streamfold.clock`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from types import TracebackType
from typing import Any

import anyio

from ..clock import Clock, SystemClock
from ..errors import UsageError
from ..framing.detect import Framing
from ..framing.lines import DEFAULT_MAX_LINE_BYTES
from ..io.intake import Item, ReductionState, distinct
from ..io.recording import RecordingWriter
from ..model import Conversation
from ..notifications import Notification
from ..reducer import Reducer
from .fanout import Broadcaster, Policy, Subscription

__all__ = ["AsyncReduction", "fold", "reduce"]


class AsyncReduction(ReductionState):
    """Reduce an async source: an async iterator of notifications with the live model attached.

    ``reducer`` (or ``conversation``) is the live model; ``framing`` the framing in use. With a
    ``recorder`` every frame is written, with its arrival time on ``clock``, before it is applied.
    ``close_reducer=False`` leaves the reducer open at the end of the source (to feed it the next
    connection of the same stream: SSE reconnects with ``reducer.sse_last_event_id``); such a
    reduction cuts frames itself so that a partial frame never leaks into the next source.
    ``close_source=False`` leaves the source open. ``epoch`` is the clock time that arrival times
    are measured from (default: when iteration starts; pass the previous segment's
    :attr:`epoch` to continue one recording across reconnects). Extra keyword arguments are
    :class:`~streamfold.reducer.Reducer` options.
    """

    def __init__(
        self,
        source: AsyncIterable[Item],
        *,
        reducer: Reducer | None = None,
        framing: Framing | None = None,
        name: str = "",
        recorder: RecordingWriter | None = None,
        clock: Clock | None = None,
        close_reducer: bool = True,
        close_source: bool = True,
        epoch: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        **reducer_options: Any,
    ) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._source = source
        self._iter: AsyncIterator[Item] | None = None
        self._start: float | None = epoch
        self._close_source_flag = close_source
        self._begin(
            reducer,
            reducer_options,
            framing=framing,
            name=name,
            recorder=recorder,
            close_reducer=close_reducer,
            max_line_bytes=max_line_bytes,
        )
        self._hub: Broadcaster | None = None

    def _elapsed(self) -> float:
        start = self._start
        return self.clock.now() - (start if start is not None else 0.0)

    @property
    def epoch(self) -> float | None:
        """The clock time arrival times are measured from (``None`` until iteration starts)."""
        return self._start

    def subscribe(
        self,
        *,
        types: type[Any] | tuple[type[Any], ...] | None = None,
        session: str | None = None,
        where: Callable[[Notification], bool] | None = None,
        max_buffer: int = 256,
        policy: Policy = "block",
        name: str | None = None,
    ) -> Subscription:
        """A new subscriber's stream (see :meth:`Broadcaster.subscribe`). It receives what is
        reduced from now on, and ends when the reduction ends."""
        if self._hub is None:
            self._hub = Broadcaster(session_of=self._session_of)
            if self._done:
                self._hub.close()
        return self._hub.subscribe(
            types=types,
            session=session,
            where=where,
            max_buffer=max_buffer,
            policy=policy,
            name=name,
        )

    def _session_of(self, note: Notification) -> str | None:
        session = getattr(note, "session_id", None)
        if session is not None:
            return str(session)
        run_id = getattr(note, "run_id", None)
        if run_id is None:
            return None
        try:
            return self.reducer.run(run_id).session_id
        except UsageError:
            return None

    def __aiter__(self) -> AsyncReduction:
        return self

    async def __anext__(self) -> Notification:
        if self._stopped:
            raise StopAsyncIteration
        buffer = self._buffer
        while not buffer:
            if self._done:
                raise StopAsyncIteration
            await self._pull()
        return buffer.popleft()

    async def _pull(self) -> None:
        if self._iter is None:
            self._iter = aiter(self._source)
            if self._start is None:
                self._start = self.clock.now()
        try:
            try:
                item = await self._iter.__anext__()
            except StopAsyncIteration:
                notes = self._intake.finish(self._close_reducer)
                self._done = True
                self._buffer.extend(notes)
                if self._hub is not None and notes:
                    await self._hub.publish(notes)
                await self._shutdown()
                return
            notes = self._intake.feed(item)
            if notes:
                self._buffer.extend(notes)
                if self._hub is not None:
                    await self._hub.publish(notes)
        except BaseException:
            self._done = self._stopped = True
            await self._shutdown()
            raise

    async def _shutdown(self) -> None:
        """Close the source (shielded from cancellation) and end the subscriptions."""
        if self._hub is not None:
            self._hub.close()
        if not self._close_source_flag:
            return
        with anyio.CancelScope(shield=True):
            for obj in distinct(self._iter, self._source):
                aclose = getattr(obj, "aclose", None)
                if callable(aclose):
                    await aclose()

    async def run(self) -> Conversation:
        """Consume the whole source (publishing to subscribers); returns the conversation."""
        async for _ in self:
            pass
        return self.conversation

    async def aclose(self) -> None:
        """Stop early: close the source and end the subscriptions; iteration ends (what was
        applied but not handed out stays in :attr:`pending`; the reducer stays open)."""
        if not self._done:
            self._done = self._stopped = True
            await self._shutdown()

    async def __aenter__(self) -> AsyncReduction:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def reduce(source: AsyncIterable[Item], **options: Any) -> AsyncReduction:
    """``async for note in reduce(source, framing=…)`` — see :class:`AsyncReduction`.

    Prefer ``async with reduce(…) as stream:`` so that the source is closed however the
    iteration ends.
    """
    return AsyncReduction(source, **options)


async def fold(source: AsyncIterable[Item], **options: Any) -> Conversation:
    """Reduce the whole source and return the final conversation."""
    async with AsyncReduction(source, **options) as stream:
        return await stream.run()

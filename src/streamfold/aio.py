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
first bytes. :func:`reduce_sync` is the twin for plain iterables.

Cancellation: the reducer is only ever called between awaits, so a cancelled consumer leaves the
model consistent (every frame applied whole or not at all); the source is closed (shielded), the
subscriptions end, and the reducer is left open (call ``reducer.close()`` to end open runs).
Use ``async with`` (or :meth:`AsyncReduction.aclose`) so that the source is closed even when the
consumer stops iterating early.

Fan-out: :meth:`AsyncReduction.subscribe` / :class:`Broadcaster` give each consumer its own
bounded anyio memory stream, filtered by type, session or predicate, with a slow-consumer policy:
``"block"`` (back-pressure: the producer waits) or ``"drop"`` (the consumer later receives a
:class:`Lagged` telling how many notifications it missed). Memory is bounded either way.

Time: :class:`Clock` is injectable everywhere (:class:`SystemClock` by default, :class:`FakeClock`
for tests), so arrival times, replay and coalescing run in zero wall time under test.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, Literal, Protocol, TypeAlias

import anyio
import anyio.lowlevel
import attrs
import orjson
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .errors import UsageError
from .framing import DEFAULT_MAX_LINE_BYTES
from .model import Conversation
from .notifications import Notification, RunStarted
from .recording import (
    Frame,
    FrameSplitter,
    InputFraming,
    RecordingProblem,
    RecordingWriter,
    detect_stream_framing,
    feed_frame,
    worth_detecting,
)
from .reducer import Reducer

__all__ = [
    "AsyncReduction",
    "Broadcaster",
    "Clock",
    "FakeClock",
    "Item",
    "Lagged",
    "Policy",
    "Reduction",
    "Subscription",
    "SystemClock",
    "fold",
    "reduce",
    "reduce_sync",
]

Item: TypeAlias = bytes | bytearray | memoryview | str | Mapping[str, Any]
"""What a source may yield: bytes (split anywhere), complete text lines, or parsed frames."""

Policy = Literal["block", "drop"]
"""What happens when a subscriber's buffer is full: ``"block"`` the producer until it has room,
or ``"drop"`` the notification and send a :class:`Lagged` later."""


# ------------------------------------------------------------------------------------ clocks


class Clock(Protocol):
    """Where time comes from: seconds on a monotonic scale, and a way to wait for a moment."""

    def now(self) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


class SystemClock:
    """The event loop's clock (:func:`anyio.current_time`, :func:`anyio.sleep_until`)."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep_until(self, deadline: float) -> None:
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
        return self._now

    async def sleep_until(self, deadline: float) -> None:
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
        await self.sleep_until(self._now + seconds)

    def set(self, now: float) -> None:
        """Move the time to ``now`` (never backwards) and wake the sleepers it reaches."""
        if now > self._now:
            self._now = now
        for deadline, event in list(self._waiters):
            if deadline <= self._now:
                event.set()

    def advance(self, seconds: float) -> None:
        self.set(self._now + seconds)


# --------------------------------------------------------------------------------- the intake


class _Intake:
    """Sans-IO: source items in, notifications out, frames recorded on the way.

    Without a recorder, NDJSON and SSE bytes go straight to ``reducer.feed_bytes`` /
    ``feed_sse`` (the sync core, nothing added). With a recorder, or for recording framings, a
    :class:`FrameSplitter` cuts frames first; each batch is written (and flushed) before the
    reducer sees it, so a frame whose notifications were seen is never missing from the file.
    """

    def __init__(
        self,
        reducer: Reducer,
        framing: InputFraming | None,
        name: str,
        recorder: RecordingWriter | None,
        elapsed: Callable[[], float],
        max_line_bytes: int,
        direct: bool,
    ) -> None:
        self.reducer = reducer
        self.recorder = recorder
        self.name = name
        self.framing: InputFraming | None = None
        self._elapsed = elapsed
        self._max_line_bytes = max_line_bytes
        self._allow_direct = direct and recorder is None
        self._direct: Callable[[bytes], list[Notification]] | None = None
        self._splitter: FrameSplitter | None = None
        self._head = bytearray()
        if framing is not None:
            self._choose(framing)

    @property
    def problems(self) -> tuple[RecordingProblem, ...]:
        splitter = self._splitter
        return tuple(splitter.problems) if splitter is not None else ()

    def _choose(self, framing: InputFraming) -> None:
        self.framing = framing
        if self._allow_direct and framing == "ndjson":
            self._direct = self.reducer.feed_bytes
        elif self._allow_direct and framing == "sse":
            self._direct = self.reducer.feed_sse
        else:
            self._splitter = FrameSplitter(
                framing, name=self.name, max_line_bytes=self._max_line_bytes
            )

    def feed(self, item: Item) -> list[Notification]:
        if isinstance(item, bytes):
            data = item
        elif isinstance(item, str):
            data = item.encode() + b"\n"
        elif isinstance(item, bytearray | memoryview):
            data = bytes(item)
        elif isinstance(item, Mapping):
            return self._feed_object(item)
        else:
            raise UsageError(f"cannot reduce a {type(item).__name__} (bytes, str or a mapping)")
        direct = self._direct
        if direct is not None:
            return direct(data)
        splitter = self._splitter
        if splitter is not None:
            t = self._elapsed()
            return self._feed_frames(splitter.feed(data, t), t)
        self._head += data
        if not worth_detecting(self._head, data):
            return []
        framing = detect_stream_framing(bytes(self._head), self.name)
        if framing is None:
            return []
        data = bytes(self._head)
        self._head.clear()
        self._choose(framing)
        return self._route(data)

    def _route(self, data: bytes) -> list[Notification]:
        direct = self._direct
        if direct is not None:
            return direct(data)
        splitter = self._splitter
        assert splitter is not None
        t = self._elapsed()
        return self._feed_frames(splitter.feed(data, t), t)

    def _feed_object(self, obj: Mapping[str, Any]) -> list[Notification]:
        if self.recorder is not None:
            text = orjson.dumps(obj, default=str).decode()
            self.recorder.write_many([Frame(text, self._elapsed(), value=obj)])
        return self.reducer.feed(obj)

    def _feed_frames(self, frames: list[Frame], t: float) -> list[Notification]:
        """Record (arrival time ``t``), then apply. Frames cut from plain bytes already carry
        ``t``; a recording's frames carry their recorded times and are re-stamped."""
        if not frames:
            return []
        recorder = self.recorder
        if recorder is not None:
            recorder.write_many([f if f.t == t else attrs.evolve(f, t=t) for f in frames])
        reducer = self.reducer
        notes: list[Notification] = []
        for frame in frames:
            notes += feed_frame(reducer, frame)
        return notes

    def finish(self, close_reducer: bool) -> list[Notification]:
        """End of the source: frames still buffered, then (optionally) ``reducer.close()``."""
        notes: list[Notification] = []
        if self._splitter is None and self._direct is None and self._head:
            head = bytes(self._head)
            self._head.clear()
            self._choose(detect_stream_framing(head, self.name, final=True) or "ndjson")
            notes += self._route(head)
        if self._splitter is not None:
            t = self._elapsed()
            notes += self._feed_frames(self._splitter.close(t), t)
        if close_reducer and not self.reducer.closed:
            notes += self.reducer.close()
        return notes


def _make_reducer(
    reducer: Reducer | None, max_line_bytes: int, options: Mapping[str, Any]
) -> Reducer:
    if reducer is not None:
        if options:
            raise UsageError("pass Reducer options or a reducer, not both")
        return reducer
    return Reducer(max_line_bytes=max_line_bytes, **options)


# ------------------------------------------------------------------------------- sync twin


class _ReductionState:
    """What the sync and async reductions share: the reducer, the intake and the read-only
    view of their progress."""

    reducer: Reducer
    _intake: _Intake
    _buffer: deque[Notification]
    _done: bool

    @property
    def conversation(self) -> Conversation:
        return self.reducer.conversation

    @property
    def framing(self) -> InputFraming | None:
        """The framing in use (detected after the first bytes); ``None`` before."""
        return self._intake.framing

    @property
    def done(self) -> bool:
        """The source ended, failed or was closed."""
        return self._done

    @property
    def problems(self) -> tuple[RecordingProblem, ...]:
        """What was wrong with a recording source (a truncated last record, bad lines…): the
        frames around them were reduced; see :class:`~streamfold.recording.RecordingProblem`."""
        return self._intake.problems

    @property
    def pending(self) -> tuple[Notification, ...]:
        """Notifications already applied to the model but not yet handed out by iteration."""
        return tuple(self._buffer)


class Reduction(_ReductionState):
    """Reduce a plain iterable of items (the sync twin of :class:`AsyncReduction`).

    Iterate it for notifications, or call :meth:`run`. ``conversation`` / ``reducer`` are live.
    """

    def __init__(
        self,
        source: Iterable[Item],
        *,
        reducer: Reducer | None = None,
        framing: InputFraming | None = None,
        name: str = "",
        recorder: RecordingWriter | None = None,
        clock: Callable[[], float] = time.monotonic,
        close_reducer: bool = True,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        **reducer_options: Any,
    ) -> None:
        self.reducer = _make_reducer(reducer, max_line_bytes, reducer_options)
        self.recorder = recorder
        self._source = source
        self._iter: Iterator[Item] | None = None
        self._clock = clock
        self._start = 0.0
        self._close_reducer = close_reducer
        self._intake = _Intake(
            self.reducer,
            framing,
            name,
            recorder,
            self._elapsed,
            max_line_bytes,
            direct=close_reducer,
        )
        self._buffer: deque[Notification] = deque()
        self._done = False
        self._stopped = False

    def _elapsed(self) -> float:
        return self._clock() - self._start

    def __iter__(self) -> Reduction:
        return self

    def __next__(self) -> Notification:
        if self._stopped:
            raise StopIteration
        buffer = self._buffer
        while not buffer:
            if self._done:
                raise StopIteration
            self._pull()
        return buffer.popleft()

    def _pull(self) -> None:
        if self._iter is None:
            self._iter = iter(self._source)
            self._start = self._clock()
        try:
            try:
                item = next(self._iter)
            except StopIteration:
                self._buffer.extend(self._intake.finish(self._close_reducer))
                self._done = True
                self._close_source()
                return
            self._buffer.extend(self._intake.feed(item))
        except BaseException:
            self._done = self._stopped = True
            self._close_source()
            raise

    def _close_source(self) -> None:
        for obj in _distinct(self._iter, self._source):
            close = getattr(obj, "close", None)
            if callable(close):
                close()

    def run(self) -> Conversation:
        """Consume the whole source; returns the conversation."""
        for _ in self:
            pass
        return self.conversation

    def close(self) -> None:
        """Stop early: close the source (the reducer stays open; iteration ends). Idempotent."""
        if not self._done:
            self._done = self._stopped = True
            self._close_source()

    def __enter__(self) -> Reduction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reduce_sync(source: Iterable[Item], **options: Any) -> Reduction:
    """``for note in reduce_sync(chunks, framing="sse"): …`` — see :class:`Reduction`."""
    return Reduction(source, **options)


def _distinct(*objs: object) -> list[object]:
    out: list[object] = []
    for obj in objs:
        if obj is not None and all(obj is not seen for seen in out):
            out.append(obj)
    return out


# ------------------------------------------------------------------------------ async reduce


class AsyncReduction(_ReductionState):
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
        framing: InputFraming | None = None,
        name: str = "",
        recorder: RecordingWriter | None = None,
        clock: Clock | None = None,
        close_reducer: bool = True,
        close_source: bool = True,
        epoch: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        **reducer_options: Any,
    ) -> None:
        self.reducer = _make_reducer(reducer, max_line_bytes, reducer_options)
        self.recorder = recorder
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._source = source
        self._iter: AsyncIterator[Item] | None = None
        self._start: float | None = epoch
        self._close_reducer = close_reducer
        self._close_source_flag = close_source
        self._intake = _Intake(
            self.reducer,
            framing,
            name,
            recorder,
            self._elapsed,
            max_line_bytes,
            direct=close_reducer,
        )
        self._buffer: deque[Notification] = deque()
        self._done = False
        self._stopped = False
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
            for obj in _distinct(self._iter, self._source):
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


# ------------------------------------------------------------------------------- fan-out


@attrs.frozen
class Lagged:
    """Sent to a ``"drop"`` subscriber in place of the ``missed`` notifications it was too slow
    to take (they were dropped for it alone; the model and other subscribers have them)."""

    missed: int


class Subscription:
    """One consumer's bounded stream of notifications (and :class:`Lagged` markers).

    Iterate it (``async for note in sub``) or :meth:`receive`; it ends when the producer ends.
    Closing it (``async with``, :meth:`aclose`) unsubscribes. ``missed`` counts what a ``"drop"``
    subscriber lost in total.
    """

    def __init__(
        self,
        hub: Broadcaster,
        *,
        types: tuple[type[Any], ...] | None,
        session: str | None,
        where: Callable[[Notification], bool] | None,
        max_buffer: int,
        policy: Policy,
        name: str | None,
    ) -> None:
        if max_buffer < 1:
            raise UsageError("max_buffer must be >= 1")
        if policy not in ("block", "drop"):
            raise UsageError(f"unknown policy {policy!r} (block or drop)")
        self.types = types
        self.session = session
        self.where = where
        self.max_buffer = max_buffer
        self.policy: Policy = policy
        self.name = name
        self.missed = 0
        self._lag = 0
        self._hub = hub
        # A "drop" stream has one slot more than its budget: a final Lagged always fits.
        capacity = max_buffer + 1 if policy == "drop" else max_buffer
        send, receive = anyio.create_memory_object_stream[Notification | Lagged](capacity)
        self._send: MemoryObjectSendStream[Notification | Lagged] = send
        self._receive: MemoryObjectReceiveStream[Notification | Lagged] = receive
        self.closed = False

    def accepts(self, note: Notification, session: Callable[[Notification], str | None]) -> bool:
        if self.types is not None and not isinstance(note, self.types):
            return False
        if self.session is not None and session(note) != self.session:
            return False
        return self.where is None or self.where(note)

    async def _deliver(self, note: Notification) -> None:
        send = self._send
        if self.policy == "block":
            try:
                send.send_nowait(note)
            except anyio.WouldBlock:
                await send.send(note)
            return
        used = send.statistics().current_buffer_used
        budget = self.max_buffer
        if self._lag and used < budget:
            send.send_nowait(Lagged(self._lag))
            self._lag = 0
            used += 1
        if used < budget:
            send.send_nowait(note)
        else:
            self._lag += 1
            self.missed += 1

    def _end(self) -> None:
        if self._lag:
            with contextlib.suppress(
                anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError
            ):
                self._send.send_nowait(Lagged(self._lag))
            self._lag = 0
        self._send.close()
        self.closed = True

    async def receive(self) -> Notification | Lagged:
        """The next item; raises :class:`anyio.EndOfStream` when the producer has ended."""
        return await self._receive.receive()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Notification | Lagged:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        """Unsubscribe (the producer no longer waits for or counts this consumer)."""
        self._receive.close()
        self._hub._remove(self)
        await anyio.lowlevel.checkpoint()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Broadcaster:
    """Fan notifications out to subscribers, each with its own bounded stream and policy.

    ``publish`` delivers to every subscriber whose filter accepts a notification, in order.
    A ``"block"`` subscriber with a full buffer makes ``publish`` wait (back-pressure reaches
    the source); a ``"drop"`` subscriber loses the notification and gets a :class:`Lagged`
    with the count before its next delivery (or at the end). ``session_of`` maps a
    notification to its session for ``session=`` filters (default: from ``session_id`` fields
    and the runs seen in ``RunStarted`` notifications).
    """

    def __init__(self, *, session_of: Callable[[Notification], str | None] | None = None) -> None:
        self._subs: list[Subscription] = []
        self._session_of = session_of
        self._run_sessions: dict[str, str] = {}
        self._closed = False

    @property
    def subscribers(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

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
        """A new subscription: ``types`` (a class or tuple: ``isinstance`` filter), ``session``
        (only that session's notifications), ``where`` (any predicate); ``max_buffer``
        notifications at most wait in its stream; ``policy`` for when it is full."""
        if types is not None and not isinstance(types, tuple):
            types = (types,)
        sub = Subscription(
            self,
            types=types,
            session=session,
            where=where,
            max_buffer=max_buffer,
            policy=policy,
            name=name,
        )
        if self._closed:
            sub._end()
        else:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def session_of(self, note: Notification) -> str | None:
        if self._session_of is not None:
            return self._session_of(note)
        session = getattr(note, "session_id", None)
        if session is not None:
            return str(session)
        run_id = getattr(note, "run_id", None)
        return None if run_id is None else self._run_sessions.get(run_id)

    async def publish(self, notes: Sequence[Notification]) -> None:
        """Deliver ``notes`` to the subscribers (in order, per subscriber)."""
        if self._closed:
            raise UsageError("publish after close()")
        if self._session_of is None:
            for note in notes:
                if isinstance(note, RunStarted):
                    self._run_sessions[note.run_id] = note.session_id
        for sub in list(self._subs):
            session = self.session_of
            for note in notes:
                if not sub.accepts(note, session):
                    continue
                try:
                    await sub._deliver(note)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    self._remove(sub)  # the consumer went away
                    break

    def close(self) -> None:
        """End every subscription after what it already holds (a pending Lagged included)."""
        if self._closed:
            return
        self._closed = True
        for sub in self._subs:
            sub._end()
        self._subs.clear()

    async def aclose(self) -> None:
        self.close()
        await anyio.lowlevel.checkpoint()

    async def __aenter__(self) -> Broadcaster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

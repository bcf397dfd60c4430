"""Fan-out: one producer's notifications to many consumers, each with a bounded stream.

:class:`Broadcaster` gives each consumer its own bounded anyio memory stream
(:class:`Subscription`), filtered by type, session or predicate, with a slow-consumer policy:
``"block"`` (back-pressure: the producer waits) or ``"drop"`` (the consumer later receives a
:class:`Lagged` telling how many notifications it missed). Memory is bounded either way
(docs/async.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio
import anyio.lowlevel
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import UsageError
from ..notifications import Notification, RunStarted

__all__ = ["Broadcaster", "Lagged", "Policy", "Subscription"]

Policy = Literal["block", "drop"]
"""What happens when a subscriber's buffer is full: ``"block"`` the producer until it has room,
or ``"drop"`` the notification and send a :class:`Lagged` later."""


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
        """Whether ``note`` passes this subscription's filters: its ``types`` (``isinstance``), its
        ``session`` (compared with ``session(note)``, the broadcaster's
        :meth:`Broadcaster.session_of`) and its ``where`` predicate."""
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
        """The open subscriptions, in subscription order (a snapshot: subscribing or closing later
        does not change it)."""
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
        """The session a notification belongs to: the ``session_of`` callable given to the
        constructor, else the notification's ``session_id``, else the session of its ``run_id``
        (learnt from the ``RunStarted`` notifications published so far); ``None`` when unknown
        (docs/async.md)."""
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
        """:meth:`close`, then one checkpoint so that waiting subscribers see the end."""
        self.close()
        await anyio.lowlevel.checkpoint()

    async def __aenter__(self) -> Broadcaster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

"""Replay a recording: at the original timing, at any speed, or instantly; pause, seek, step.

A :class:`Replayer` owns a reducer and a cursor over a recording's frames. Its core is sync and
clock-free — :meth:`Replayer.step` applies the next frame and says how long to wait before it
(``Step.delay``), :meth:`Replayer.steps` iterates, :meth:`Replayer.seek` rebuilds the model at
any frame by re-folding the prefix — and :meth:`Replayer.play` is the async loop that waits on an
injectable :class:`~streamfold.clock.Clock`, so that tests run in zero wall time::

    replayer = Replayer.open("run.recording.ndjson", speed=4)
    async for step in replayer.play():
        view.apply(step.notes)

Timing: frame ``i`` is due ``times[i] / speed`` seconds after the start of the replay
(``times`` are the recorded arrival times, made non-decreasing; a frame without a time follows
the previous one after ``untimed_interval``). ``play`` schedules on absolute deadlines, so a
slow consumer does not stretch the replay: it catches up. ``speed=None`` is instant.

Seeking re-folds frames ``[0, n)`` into a fresh reducer when going backwards (forwards it folds
on from the current position). A :class:`SnapshotStore` may hand back a reducer already at frame
``k <= n`` instead: ``Replayer(…, snapshots=PeriodicSnapshots(every=1000))`` keeps reducer
snapshots (``Reducer.snapshot()``, docs/snapshot.md) so a seek re-folds at most ``every`` frames.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Protocol

import anyio
import anyio.lowlevel
import attrs

from .clock import Clock, SystemClock
from .errors import SnapshotError, UsageError
from .framing.frame import Frame
from .io.recording import Recording, read_recording
from .model import Conversation
from .notifications import Notification
from .reducer import Reducer

__all__ = ["PeriodicSnapshots", "Replayer", "SnapshotStore", "Step"]


@attrs.frozen
class Step:
    """One replayed frame.

    ``index`` is the frame's position in the recording (``len(frames)`` for the final step,
    which closes the reducer and has ``frame=None``); ``t`` its recorded time; ``delay`` the
    wait before it at the current speed (the gap since the previous frame; 0 when instant);
    ``notes`` what applying it changed.
    """

    index: int
    t: float
    delay: float
    notes: list[Notification]
    frame: Frame | None


class SnapshotStore(Protocol):
    """Hook for seeking without re-folding from frame 0 (:class:`PeriodicSnapshots` implements
    it with reducer snapshots, docs/snapshot.md).

    ``restore(n)`` returns ``(k, reducer)`` — a reducer that has folded exactly frames
    ``[0, k)`` with ``k <= n`` — or ``None``; the replayer takes ownership of that reducer.
    ``offer(k, reducer)`` is called after every frame the replayer folds; a store may keep a
    snapshot (it must copy: the reducer goes on changing).
    """

    def restore(self, index: int) -> tuple[int, Reducer] | None:
        """A reducer that has folded frames ``[0, k)``, ``k <= index``, as ``(k, reducer)``, or
        ``None``; the caller owns it."""
        ...

    def offer(self, index: int, reducer: Reducer) -> None:
        """``reducer`` has folded frames ``[0, index)``: keep a copy if the store wants one."""
        ...


class PeriodicSnapshots:
    """A :class:`SnapshotStore` on reducer snapshots (docs/snapshot.md): a snapshot of the
    reducer every ``every`` frames, so a backward seek re-folds at most ``every`` frames.

    Memory is bounded: past ``max_snapshots`` every other snapshot is dropped and the spacing
    doubles. A reducer that cannot be snapshotted (a foreign decoder) just turns the store off:
    seeking falls back to re-folding from frame 0.
    """

    def __init__(self, every: int = 1000, *, max_snapshots: int = 64) -> None:
        if every < 1 or max_snapshots < 2:
            raise UsageError("every must be >= 1 and max_snapshots >= 2")
        self.every = every
        self.max_snapshots = max_snapshots
        self._snaps: dict[int, dict[str, Any]] = {}
        self.enabled = True

    @property
    def indexes(self) -> list[int]:
        """The frame positions that have a snapshot."""
        return sorted(self._snaps)

    def offer(self, index: int, reducer: Reducer) -> None:
        """Keep a snapshot of ``reducer`` when ``index`` is a multiple of ``every`` (past
        ``max_snapshots`` every other one is dropped and the spacing doubles); a reducer that cannot
        be snapshotted turns the store off."""
        if not self.enabled or index % self.every or index in self._snaps:
            return
        try:
            self._snaps[index] = reducer.snapshot()
        except SnapshotError:
            self.enabled = False
            self._snaps.clear()
            return
        if len(self._snaps) > self.max_snapshots:
            self.every *= 2
            self._snaps = {k: v for k, v in self._snaps.items() if k % self.every == 0}

    def restore(self, index: int) -> tuple[int, Reducer] | None:
        """The latest snapshot at or before frame ``index``, restored as ``(k, reducer)``, or
        ``None`` (a snapshot that fails to restore is forgotten)."""
        best = max((k for k in self._snaps if k <= index), default=None)
        if best is None:
            return None
        try:
            return best, Reducer.from_snapshot(self._snaps[best])
        except SnapshotError:
            del self._snaps[best]
            return None


def _check_speed(speed: float | None) -> float | None:
    if speed is None or speed == math.inf:
        return None
    if not speed > 0 or not math.isfinite(speed):
        raise UsageError("speed must be a positive number (or None / inf for instant)")
    return float(speed)


class Replayer:
    """Replay ``recording`` (a :class:`~streamfold.io.recording.Recording` or frames).

    ``speed``: 1 is the original timing, 4 four times faster, ``None`` instant.
    ``reducer_factory`` makes the reducer (default ``Reducer(**reducer_options)``); a new one
    is made whenever a seek goes backwards — read :attr:`reducer` after seeking
    (:attr:`generation` counts the rebuilds). ``close=True`` ends the replay with a step that
    closes the reducer (ending runs that never finished), as the end of a live stream would.
    """

    def __init__(
        self,
        recording: Recording | Sequence[Frame],
        *,
        speed: float | None = 1.0,
        untimed_interval: float = 0.0,
        reducer_factory: Callable[[], Reducer] | None = None,
        snapshots: SnapshotStore | None = None,
        close: bool = True,
        **reducer_options: Any,
    ) -> None:
        if reducer_factory is not None and reducer_options:
            raise UsageError("pass Reducer options or a reducer_factory, not both")
        if not untimed_interval >= 0 or not math.isfinite(untimed_interval):
            raise UsageError("untimed_interval must be >= 0")
        frames = recording.frames if isinstance(recording, Recording) else tuple(recording)
        self.frames: tuple[Frame, ...] = tuple(frames)
        self.times: tuple[float, ...] = self._times(self.frames, untimed_interval)
        """Each frame's replay time in seconds (recorded ``t``, made non-decreasing)."""
        self._speed = _check_speed(speed)
        self._factory: Callable[[], Reducer] = reducer_factory or (
            lambda: Reducer(**reducer_options)
        )
        self.snapshots = snapshots
        self.close_at_end = close
        self._reducer = self._factory()
        self.position = 0
        """How many frames have been applied (the index of the next frame)."""
        self.generation = 0
        """Incremented each time a backward seek replaces :attr:`reducer`."""
        self._finished = False
        # play() state
        self._clock: Clock | None = None
        self._base = (0.0, 0.0)  # (clock time, replay time) of the last (re)start
        self._paused = False
        self._paused_at = 0.0
        self._resumed: anyio.Event | None = None
        self._wake: anyio.CancelScope | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str], **options: Any) -> Replayer:
        """Read any recording file (:func:`~streamfold.io.recording.read_recording`) and replay
        it."""
        return cls(read_recording(path), **options)

    @staticmethod
    def _times(frames: Sequence[Frame], interval: float) -> tuple[float, ...]:
        times: list[float] = []
        prev = 0.0
        for i, frame in enumerate(frames):
            t = frame.t
            if t is None:
                t = prev + interval if i else 0.0
            prev = max(prev, t)
            times.append(prev)
        return tuple(times)

    # ----------------------------------------------------------------------- state

    @property
    def reducer(self) -> Reducer:
        """The reducer the frames are folded into (a new one after a backward seek)."""
        return self._reducer

    @property
    def conversation(self) -> Conversation:
        """The conversation as of the cursor (the reducer's, live)."""
        return self._reducer.conversation

    @property
    def duration(self) -> float:
        """The recording's length in replay time (the last frame's time)."""
        return self.times[-1] if self.times else 0.0

    @property
    def finished(self) -> bool:
        """The replay is over (every frame applied and, with ``close``, the reducer closed)."""
        return self._finished

    @property
    def now(self) -> float:
        """The replay time of the cursor: the time of the last applied frame."""
        return self.times[self.position - 1] if self.position else 0.0

    @property
    def next_delay(self) -> float:
        """The wait before the next frame at the current speed (0 at the end or when instant):
        what a view needs to decide whether to draw now, before a long pause."""
        if self.position >= len(self.frames):
            return 0.0
        return self._delay(self.position)

    @property
    def speed(self) -> float | None:
        """The replay speed factor (1 = the recorded timing, 4 = four times faster); ``None``:
        instant, no waiting between frames. Settable while playing."""
        return self._speed

    @speed.setter
    def speed(self, speed: float | None) -> None:
        """Change speed, also while playing (the replay goes on from where it is)."""
        new = _check_speed(speed)
        if self._clock is not None and not self._paused:
            current = self._replay_time(self._clock.now())
            self._speed = new
            self._base = (self._clock.now(), current)
            self._interrupt()
        else:
            self._speed = new

    @property
    def paused(self) -> bool:
        """Whether the replay is paused (:meth:`pause` / :meth:`resume`)."""
        return self._paused

    def index_at(self, t: float) -> int:
        """How many frames are due by replay time ``t`` (the position after seeking to ``t``)."""
        return bisect.bisect_right(self.times, t)

    # ----------------------------------------------------------------------- stepping

    def _delay(self, index: int) -> float:
        if self._speed is None:
            return 0.0
        gap = self.times[index] - (self.times[index - 1] if index else 0.0)
        return gap / self._speed

    def step(self) -> Step | None:
        """Apply the next frame (or, at the end, close the reducer); ``None`` when finished."""
        if self._finished:
            return None
        index = self.position
        if index < len(self.frames):
            frame = self.frames[index]
            notes = self._reducer.feed_frame(frame)
            self.position = index + 1
            if self.snapshots is not None:
                self.snapshots.offer(self.position, self._reducer)
            return Step(index, self.times[index], self._delay(index), notes, frame)
        self._finished = True
        if not self.close_at_end:
            return None
        notes = self._reducer.close()
        return Step(index, self.duration, 0.0, notes, None)

    def _stop(self, until_frame: int | None, until_time: float | None) -> int | None:
        stop = len(self.frames)
        if until_frame is not None:
            stop = min(stop, max(until_frame, 0))
        if until_time is not None:
            stop = min(stop, self.index_at(until_time))
        return None if stop >= len(self.frames) else stop

    def steps(
        self, *, until_frame: int | None = None, until_time: float | None = None
    ) -> Iterator[Step]:
        """Apply frames one by one from the cursor, without waiting (each step says its
        ``delay``: the caller sleeps). Stops before frame ``until_frame`` / after the frames due
        by ``until_time``; when it runs to the end it closes the reducer (``close=True``)."""
        stop = self._stop(until_frame, until_time)
        while stop is None or self.position < stop:
            step = self.step()
            if step is None:
                return
            yield step

    def run(self) -> Conversation:
        """Apply every remaining frame (and close) at once; returns the conversation."""
        for _ in self.steps():
            pass
        return self.conversation

    # ----------------------------------------------------------------------- seeking

    def seek(self, index: int) -> None:
        """Put the model at frame ``index``: frames ``[0, index)`` applied, nothing else.

        Forwards it folds on from the cursor; backwards (or after the reducer was closed) it
        starts a new reducer — from a :class:`SnapshotStore` when one can help — and re-folds the
        prefix. No notifications are returned: read the model (a UI re-renders from it).
        """
        index = min(max(index, 0), len(self.frames))
        if index < self.position or self._finished:
            start, reducer = 0, None
            if self.snapshots is not None:
                restored = self.snapshots.restore(index)
                if restored is not None and 0 <= restored[0] <= index:
                    start, reducer = restored
            self._reducer = reducer if reducer is not None else self._factory()
            self.position = start
            self._finished = False
            self.generation += 1
        reducer = self._reducer
        frames = self.frames
        offer = self.snapshots.offer if self.snapshots is not None else None
        for i in range(self.position, index):
            reducer.feed_frame(frames[i])
            if offer is not None:
                offer(i + 1, reducer)
        self.position = index
        if self._clock is not None:
            self._base = (self._clock.now(), self.now)
            self._paused_at = self.now
            self._interrupt()

    def seek_time(self, t: float) -> None:
        """:meth:`seek` to the frames due by replay time ``t``."""
        self.seek(self.index_at(t))

    # ----------------------------------------------------------------------- playing

    def _replay_time(self, wall: float) -> float:
        wall0, t0 = self._base
        speed = self._speed
        if speed is None:
            return self.now
        t = t0 + (wall - wall0) * speed
        if self.position < len(self.times):
            t = min(t, self.times[self.position])
        return max(t, t0)

    def _interrupt(self) -> None:
        if self._wake is not None:
            self._wake.cancel()

    def pause(self) -> None:
        """Stop the clock of :meth:`play` (it waits until :meth:`resume`)."""
        if self._paused:
            return
        if self._clock is not None:
            self._paused_at = self._replay_time(self._clock.now())
        else:
            self._paused_at = self.now
        self._paused = True
        self._interrupt()

    def resume(self) -> None:
        """Go on from where :meth:`pause` stopped."""
        if not self._paused:
            return
        self._paused = False
        if self._clock is not None:
            self._base = (self._clock.now(), self._paused_at)
        if self._resumed is not None:
            self._resumed.set()
            self._resumed = None

    async def play(
        self,
        *,
        clock: Clock | None = None,
        until_frame: int | None = None,
        until_time: float | None = None,
    ) -> AsyncIterator[Step]:
        """Yield steps at their replay times on ``clock`` (default: the event loop's).

        Honors :meth:`pause` / :meth:`resume`, :attr:`speed` changes and :meth:`seek` made
        while playing (from another task or between steps). ``until_*`` as in :meth:`steps`.
        """
        clock = clock if clock is not None else SystemClock()
        self._clock = clock
        self._base = (clock.now(), self.now)
        stop = self._stop(until_frame, until_time)
        try:
            while not self._finished and (stop is None or self.position < stop):
                if self._paused:
                    if self._resumed is None:
                        self._resumed = anyio.Event()
                    await self._resumed.wait()
                    continue
                index = self.position
                if self._speed is not None and index < len(self.frames):
                    wall0, t0 = self._base
                    deadline = wall0 + (self.times[index] - t0) / self._speed
                    if deadline > clock.now():
                        with anyio.CancelScope() as scope:
                            self._wake = scope
                            await clock.sleep_until(deadline)
                        self._wake = None
                        if scope.cancel_called:
                            continue  # paused, sought or sped up: recompute
                    else:
                        await anyio.lowlevel.checkpoint()
                else:
                    await anyio.lowlevel.checkpoint()
                if self._paused or self.position != index:
                    continue
                step = self.step()
                if step is None:
                    return
                yield step
        finally:
            self._wake = None
            self._clock = None

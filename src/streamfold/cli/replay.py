"""Replay for the command line: positions, pacing, and the plain and live replay loops.

Every replay has one timeline, in seconds at speed 1 (:func:`frame_times`): a recording with
arrival times keeps them (docs/recording.md); any other input is paced by
:func:`fixed_pacer` — :data:`STRUCTURAL_DELAY` after a frame that changed the structure,
:data:`TEXT_DELAY` after any other. ``--from`` / ``--until`` (:class:`Position`: ``12s`` or
``frame:40``) and the live view's clock are on that timeline in every mode; ``--speed`` and
``--instant`` only change how long the replay waits (docs/cli.md, "Positions and timing").

:class:`Player` is the sans-IO core (which frame next, how long to wait, where to stop);
:func:`replay_plain` and :func:`replay_live` drive it with an injectable ``sleep`` / ``clock`` /
``read_key``, so tests run without wall time.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from ..io.recording import Recording
from ..notifications import (
    MessageStarted,
    Notification,
    ReplyReceived,
    RunFinished,
    RunStarted,
    SpanEntered,
    SpanExited,
    ToolCallStarted,
    ToolCallStateChanged,
)
from ..reducer import Reducer
from .keys import KEYS_HELP, Controls, ReadKey
from .views.pieces import usage_text
from .views.plain import PlainPrinter

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "MAX_FPS",
    "STRUCTURAL_DELAY",
    "TEXT_DELAY",
    "Pacer",
    "Player",
    "Position",
    "fixed_pacer",
    "frame_times",
    "instant_pacer",
    "replay_live",
    "replay_plain",
    "status_text",
    "summary_text",
]

TEXT_DELAY: Final = 0.015
"""Seconds after a streaming frame (text, reasoning, tool arguments, usage…) at speed 1."""
STRUCTURAL_DELAY: Final = 0.12
"""Seconds after a structural frame (a run, span, message or tool call starting or ending)."""
MAX_FPS: Final = 20.0
"""The live view re-renders at most this many times per second."""

_STRUCTURAL: Final = (
    RunStarted,
    RunFinished,
    ReplyReceived,
    SpanEntered,
    SpanExited,
    MessageStarted,
    ToolCallStarted,
    ToolCallStateChanged,
)

Pacer = Callable[[Sequence[Notification]], float]
"""How long to wait after a frame, given the notifications it produced (seconds)."""


def fixed_pacer(speed: float = 1.0) -> Pacer:
    """A fixed delay per frame: :data:`STRUCTURAL_DELAY` when the frame changed the structure
    (runs, spans, tool-call states), else :data:`TEXT_DELAY` (0 for a frame that changed
    nothing); both divided by ``speed``. Raises :class:`ValueError` for a speed that is not a
    positive finite number."""
    if not speed > 0 or math.isinf(speed):
        raise ValueError("speed must be a positive finite number")
    text, structural = TEXT_DELAY / speed, STRUCTURAL_DELAY / speed

    def pace(notes: Sequence[Notification]) -> float:
        if not notes:
            return 0.0
        for note in notes:
            if isinstance(note, _STRUCTURAL):
                return structural
        return text

    return pace


def instant_pacer(notes: Sequence[Notification]) -> float:
    """No delay at all."""
    return 0.0


_SECONDS = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(s|ms)")
_FRAME = re.compile(r"frame:(\d+)")


@attrs.frozen
class Position:
    """A point of a replay: ``frame:N`` (frame index, 0-based, as diagnostics number frames)
    or ``Ns`` / ``Nms`` (time on the replay's timeline, :func:`frame_times`).

    As ``--from``, frames before the position are applied silently; as ``--until``, the replay
    stops before frame ``N``, or after the last frame due by that time.
    """

    frame: int | None = None
    seconds: float | None = None

    @classmethod
    def parse(cls, text: str) -> Position:
        """``"12s"``, ``"1.5s"``, ``"250ms"`` or ``"frame:40"``. Raises :class:`ValueError`
        (with the message the command line prints) for anything else, a bare number too."""
        value = text.strip()
        match = _FRAME.fullmatch(value)
        if match:
            return cls(frame=int(match.group(1)))
        match = _SECONDS.fullmatch(value)
        if match:
            number = float(match.group(1))
            return cls(seconds=number / 1000 if match.group(2) == "ms" else number)
        hint = f" (say {value}s or frame:{value})" if re.fullmatch(r"\d+", value) else ""
        raise ValueError(f"not a position: {text!r}{hint}; use 12s, 250ms or frame:40")

    def __str__(self) -> str:
        if self.frame is not None:
            return f"frame:{self.frame}"
        return f"{self.seconds:g}s"


def frame_times(
    recording: Recording,
    reducer_factory: Callable[[], Reducer] = Reducer,
    pacer: Pacer | None = None,
) -> list[float]:
    """Each frame's time on the replay's timeline, in seconds at speed 1.

    A recording with arrival times keeps them (made non-decreasing; a frame without a time
    shares the previous one). Frames of an untimed input follow each other by ``pacer``
    (default :func:`fixed_pacer` at speed 1), which needs each frame's notifications: the
    input is folded once into a scratch reducer from ``reducer_factory`` (lenient, thrown away).
    """
    times: list[float] = []
    if recording.timed:
        last = 0.0
        for frame in recording.frames:
            if frame.t is not None and frame.t > last:
                last = frame.t
            times.append(last)
        return times
    pace = pacer or fixed_pacer(1.0)
    scratch = reducer_factory()
    now = 0.0
    for frame in recording.frames:
        times.append(now)
        now += pace(scratch.feed_frame(frame))
    return times


class Player:
    """The replay's sans-IO core over ``recording`` and ``reducer``.

    ``times`` is :func:`frame_times`; ``speed`` ``None`` is instant (no waiting; the timeline
    is unchanged). ``start`` / ``until`` select the part replayed (:class:`Position`).
    :meth:`skip` applies the frames before ``start`` (their notifications are returned, not
    shown), :meth:`step` applies the next frame, :attr:`gap` is the time to the next frame on
    the timeline, :meth:`finish` closes the reducer — unless the replay was :attr:`cut`, in
    which case runs still running stay open (``open at cut``), since the input goes on.
    """

    def __init__(
        self,
        recording: Recording,
        reducer: Reducer,
        *,
        times: Sequence[float],
        speed: float | None = 1.0,
        start: Position | None = None,
        until: Position | None = None,
    ) -> None:
        self.frames = recording.frames
        self.times = tuple(times)
        self.timed = recording.timed
        self.reducer = reducer
        self.speed = speed
        self.position = 0
        """How many frames have been applied (the index of the next frame)."""
        self.start_index = self._index(start, after=False) if start is not None else 0
        self.stop_index = self._index(until, after=True) if until is not None else len(self.frames)
        self.stop_index = max(self.stop_index, self.start_index)

    def _index(self, position: Position, *, after: bool) -> int:
        if position.frame is not None:
            return min(position.frame, len(self.frames))
        seconds = position.seconds or 0.0
        for index, t in enumerate(self.times):
            if t > seconds or (t == seconds and not after):
                return index
        return len(self.frames)

    @property
    def cut(self) -> bool:
        """The replay stops (or stopped) before the end of its input."""
        return self.stop_index < len(self.frames)

    @property
    def total(self) -> float:
        """The timeline's length: the last frame's time."""
        return self.times[-1] if self.times else 0.0

    @property
    def elapsed(self) -> float:
        """The time of the last applied frame."""
        return self.times[self.position - 1] if self.position else 0.0

    @property
    def gap(self) -> float:
        """Timeline seconds from the last applied frame to the next one (0 at the stop)."""
        if self.position == 0 or self.position >= self.stop_index:
            return 0.0
        return self.times[self.position] - self.times[self.position - 1]

    def delay(self) -> float:
        """Wall seconds to wait before the next frame at the current speed."""
        return 0.0 if self.speed is None else self.gap / self.speed

    def skip(self) -> list[Notification]:
        """Apply the frames before ``start`` (a no-op once past it)."""
        notes: list[Notification] = []
        while self.position < self.start_index:
            notes += self.reducer.feed_frame(self.frames[self.position])
            self.position += 1
        return notes

    def step(self) -> list[Notification] | None:
        """Apply the next frame; ``None`` at the stop."""
        if self.position >= self.stop_index:
            return None
        notes = self.reducer.feed_frame(self.frames[self.position])
        self.position += 1
        return notes

    def stop_here(self) -> None:
        """Stop at the current position (the ``q`` key): the replay is cut there."""
        self.stop_index = self.position

    def finish(self) -> list[Notification]:
        """End of the replay: close the reducer when the whole input was applied (ending runs
        that never finished, as the end of a live stream would); nothing when cut."""
        if self.cut:
            return []
        return self.reducer.close()


def _clock_text(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:05.2f}"


def status_text(player: Player, controls: Controls | None = None) -> str:
    """``frame 12/431 · 0:03.20 / 0:41.00 · speed 2× · playing · keys: …`` (the live view's
    status line)."""
    speed = "instant" if player.speed is None else f"{player.speed:g}×"
    parts = [
        f"frame {player.position}/{len(player.frames)}",
        f"{_clock_text(player.elapsed)} / {_clock_text(player.total)}"
        + ("" if player.timed else " (paced)"),
        f"speed {speed}",
    ]
    if controls is not None:
        parts.append("paused" if controls.paused else "playing")
        parts.append(f"keys: {KEYS_HELP}")
    return " · ".join(parts)


def summary_text(player: Player, problems: int = 0) -> str:
    """The replay's last line: ``end: …`` or ``end (cut at frame 12 · 1.90s): …``."""
    reducer = player.reducer
    conversation = reducer.conversation
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted + problems
    head = "end"
    runs = f"{len(conversation.runs)} run(s)"
    if player.cut:
        head = f"end (cut at frame {player.position} · {player.elapsed:.2f}s)"
        still = sum(1 for run in conversation.runs if not run.status.is_terminal)
        runs += f", {still} open at cut"
    return (
        f"{head}: {runs} · usage {usage_text(conversation.usage)}"
        f" · frames {reducer.frames_in} ({reducer.frames_applied} applied,"
        f" {reducer.frames_dropped} dropped) · {count} diagnostic(s)"
    )


def replay_plain(
    player: Player,
    write: Callable[[str], object],
    *,
    sleep: Callable[[float], object] = time.sleep,
    flush: Callable[[], object] | None = None,
    recording: Recording | None = None,
) -> None:
    """Replay as the plain log (:class:`~streamfold.cli.views.plain.PlainPrinter`): one line
    per structural change, then the recording's own problems (``recording.problems``), the runs
    open at a cut, and :func:`summary_text`. Waits ``player.delay()`` after each frame."""
    printer = PlainPrinter(write)
    if player.skip():
        printer.start_at(player.reducer.conversation)
    while (notes := player.step()) is not None:
        printer.handle(notes)
        delay = player.delay()
        if delay > 0:
            if flush is not None:
                flush()
            sleep(delay)
    printer.handle(player.finish())
    problems = recording.problems if recording is not None else ()
    printer.problems(problems)
    if player.cut:
        printer.cut(player.reducer.conversation)
    printer.line(None, summary_text(player, len(problems)))


def replay_live(
    player: Player,
    console: Console,
    *,
    title: str | None = None,
    read_key: ReadKey | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_fps: float = MAX_FPS,
    recording: Recording | None = None,
) -> int:
    """Replay with the rich live view on ``console``; returns the number of renders.

    The view is re-rendered at most ``max_fps`` times per second of ``clock`` (changes in
    between are coalesced), and right before a wait of at least one frame interval, so a
    structural change is on screen while the replay pauses on it. With ``read_key`` (a
    terminal's keys, :func:`streamfold.cli.keys.terminal_keys`) the keys pause, step, change
    the speed and quit (:class:`~streamfold.cli.keys.Controls`); without it the replay sleeps.
    At the end the live display is replaced by the final view, printed normally; on Ctrl-C the
    last view is printed before :class:`KeyboardInterrupt` goes on, so it stays on screen.
    """
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from .views.live import LiveView

    problems = len(recording.problems) if recording is not None else 0
    controls = Controls(player) if read_key is not None else None
    view = LiveView(
        player.reducer,
        title=title,
        status=lambda: Text(status_text(player, controls), style="dim"),
        problems=problems,
    )
    interval = 1.0 / max_fps
    last = -math.inf
    view.apply(player.skip())
    live = Live(
        view.render(),
        console=console,
        auto_refresh=False,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        vertical_overflow="ellipsis",
    )

    def redraw() -> None:
        nonlocal last
        live.update(view.render(), refresh=True)
        last = clock()

    try:
        with live:
            while (notes := player.step()) is not None:
                view.apply(notes)
                delay = player.delay()
                if view.changed and (clock() - last >= interval or delay >= interval):
                    redraw()
                if controls is None:
                    if delay > 0:
                        sleep(delay)
                    continue
                assert read_key is not None
                controls.wait(player.gap, read_key=read_key, clock=clock, on_change=redraw)
                if controls.quit:
                    player.stop_here()
            view.apply(player.finish())
    except KeyboardInterrupt:
        view.cut = True
        console.print(Group(view.render(), Text("interrupted (Ctrl-C)", style="dim")))
        raise
    view.cut = player.cut
    controls = None  # the final view's status line has no keys
    final = Text(summary_text(player, problems), style="dim")
    console.print(Group(view.render(final=True), final))
    return view.renders

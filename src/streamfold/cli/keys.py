"""The live view's keys: a sans-IO controller and the terminal that feeds it.

Keys (docs/cli.md, "The live view"): ``space`` (or ``p``) pauses and resumes; ``n`` (or ``.``,
or the right arrow) applies one frame and stays paused; ``+`` / ``=`` doubles the speed, ``-``
halves it; ``q`` stops the replay where it is (the view stays, runs still running are ``open
at cut``). Ctrl-C still interrupts (the terminal is put in cbreak mode, which keeps signals).

:class:`Controls` is the whole behaviour and does no I/O: it reads keys through a
``read_key(timeout)`` function (``None`` blocks) and time through ``clock()``, so tests drive it
with scripted keys and a fake clock. :func:`terminal_keys` gives the real ``read_key`` for a
terminal on stdin.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Callable, Iterator
from typing import Final, Protocol

__all__ = ["KEYS_HELP", "MAX_SPEED", "MIN_SPEED", "Controls", "ReadKey", "terminal_keys"]


class Player(Protocol):
    """What the keys change on a replay (:class:`streamfold.cli.replay.Player` is one): its
    ``speed`` factor, ``None`` for as fast as possible."""

    speed: float | None


ReadKey = Callable[[float | None], str | None]
"""``read_key(timeout)``: the next key (a one-character string, ``"right"`` for the right
arrow), or ``None`` when ``timeout`` seconds passed first; ``timeout=None`` waits for a key."""

KEYS_HELP: Final = "space pause · n step · +/- speed · q quit"
MIN_SPEED: Final = 1 / 64
MAX_SPEED: Final = 1024.0


class Controls:
    """Pause, step, speed and quit for a :class:`~streamfold.cli.replay.Player`."""

    def __init__(self, player: Player) -> None:
        self.player = player
        self.paused = False
        self.steps = 0
        """Frames to apply one by one while paused (``n``)."""
        self.quit = False

    def handle(self, key: str) -> bool:
        """Apply one key; returns whether anything changed (the caller redraws)."""
        player = self.player
        if key in (" ", "p"):
            self.paused = not self.paused
            self.steps = 0
        elif key in ("n", ".", "right"):
            self.paused = True
            self.steps += 1
        elif key in ("+", "="):
            if player.speed is None:
                return False
            player.speed = min(player.speed * 2, MAX_SPEED)
        elif key == "-":
            if player.speed is None:
                return False
            player.speed = max(player.speed / 2, MIN_SPEED)
        elif key in ("q", "Q"):
            self.quit = True
        else:
            return False
        return True

    def wait(
        self,
        gap: float,
        *,
        read_key: ReadKey,
        clock: Callable[[], float],
        on_change: Callable[[], object],
    ) -> None:
        """Wait until the next frame is due — ``gap`` seconds of the timeline at the current
        speed, however often the speed changes meanwhile — handling keys. Returns early for a
        step (``n``) or ``q``; while paused, waits for keys only."""
        waited = 0.0  # timeline seconds already waited
        while not self.quit:
            if self.paused:
                if self.steps:
                    self.steps -= 1
                    return
                key = read_key(None)
                if key is not None and self.handle(key):
                    on_change()
                continue
            speed = self.player.speed
            if speed is None or waited >= gap:
                return
            start = clock()
            key = read_key((gap - waited) / speed)
            waited += (clock() - start) * speed
            if key is not None and self.handle(key):
                on_change()


_ARROW_RIGHT: Final = b"\x1b[C"


@contextlib.contextmanager
def terminal_keys(fd: int | None = None) -> Iterator[ReadKey | None]:
    """Keys from the terminal on ``fd`` (default stdin), in cbreak mode (keys arrive one by one,
    not echoed; Ctrl-C still interrupts) until the block ends. Yields ``None`` when ``fd`` is
    not a terminal (then the replay has no keys)."""
    if fd is None:
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, ValueError, OSError):
            yield None
            return
    if not os.isatty(fd):
        yield None
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def read_key(timeout: float | None) -> str | None:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(fd, 16)
        if not data:
            return "q"  # the terminal went away: stop
        if data.startswith(_ARROW_RIGHT):
            return "right"
        return data[:1].decode("latin-1")

    try:
        yield read_key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

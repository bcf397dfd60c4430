"""The live view's keys: the sans-IO controller with scripted keys and a fake clock, and the
real thing in a pseudo-terminal (``python -m streamfold replay`` with keys typed into it)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from streamfold import Reducer
from streamfold.cli import Player, Position, frame_times
from streamfold.cli.keys import Controls
from streamfold.cli.replay import status_text
from streamfold.io.recording import read_recording

from .run import RECORDINGS, env

DEMO = RECORDINGS / "loom-multi-agent.ndjson"


class _Keys:
    """Scripted keys on a fake clock: ``(at, key)`` pairs; ``read_key`` advances the clock."""

    def __init__(self, script: list[tuple[float, str]]) -> None:
        self.script = list(script)
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def read_key(self, timeout: float | None) -> str | None:
        if self.script and (timeout is None or self.script[0][0] <= self.now + timeout):
            at, key = self.script.pop(0)
            self.now = max(self.now, at)
            return key
        if timeout is None:
            return "q"  # the script is over
        self.now += timeout
        return None


def _player(speed: float | None = 1.0) -> Player:
    recording = read_recording(DEMO)
    return Player(recording, Reducer(), times=frame_times(recording), speed=speed)


def test_speed_keys_change_the_wait_mid_way() -> None:
    player = _player()
    controls = Controls(player)
    keys = _Keys([(0.5, "+")])  # after 0.5 s of a 1 s gap, twice as fast: 0.25 s more
    controls.wait(1.0, read_key=keys.read_key, clock=keys.clock, on_change=lambda: None)
    assert player.speed == 2.0
    assert keys.now == pytest.approx(0.75)
    assert controls.handle("-") and controls.handle("-")
    assert player.speed == 0.5
    assert not controls.handle("x")


def test_pause_step_and_quit() -> None:
    player = _player()
    controls = Controls(player)
    changes: list[str] = []

    def changed() -> None:
        changes.append(status_text(player, controls))

    # Pause at 0.1 s, step one frame at 5 s (the wait returns: the frame is due).
    keys = _Keys([(0.1, " "), (5.0, "n")])
    controls.wait(1.0, read_key=keys.read_key, clock=keys.clock, on_change=changed)
    assert controls.paused and keys.now == 5.0
    assert "paused" in changes[0]
    assert changes[0].endswith("keys: space pause · n step · +/- speed · q quit")
    # Still paused: the next wait returns only for a key; space resumes, then the gap runs.
    keys = _Keys([(1.0, " ")])
    controls.wait(0.5, read_key=keys.read_key, clock=keys.clock, on_change=changed)
    assert not _paused(controls)
    assert keys.now == pytest.approx(1.5)
    keys = _Keys([(0.2, "q")])
    controls.wait(3.0, read_key=keys.read_key, clock=keys.clock, on_change=changed)
    assert _quit(controls)
    assert keys.now == pytest.approx(0.2)


def _paused(controls: Controls) -> bool:  # read through a call: mypy narrows attributes
    return controls.paused


def _quit(controls: Controls) -> bool:
    return controls.quit


def test_status_line() -> None:
    player = _player(speed=2.0)
    player.step()
    player.step()
    text = status_text(player)
    assert re.fullmatch(r"frame 2/431 · 0:00\.12 / 0:\d\d\.\d\d \(paced\) · speed 2×", text)
    assert Position.parse("frame:3") == Position(frame=3)
    assert Position.parse("250ms") == Position(seconds=0.25)
    assert str(Position.parse("1.5s")) == "1.5s"


# --------------------------------------------------------------------- a real terminal (pty)


@pytest.fixture
def terminal() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    if sys.platform == "win32":
        pytest.skip("no pseudo-terminals")
    import pty

    parent, child = pty.openpty()
    os.set_blocking(parent, False)
    environ = env()
    environ.update(COLUMNS="100", LINES="40", TERM="xterm")

    def controlling_terminal() -> None:  # after setsid: the pty becomes the session's tty
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "streamfold", "replay", str(DEMO), "--speed", "0.25"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=environ,
        start_new_session=True,
        preexec_fn=controlling_terminal,
    )
    os.close(child)
    try:
        yield parent, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        os.close(parent)


def _read_until(fd: int, pattern: str, seen: bytearray, deadline: float = 30.0) -> str:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", seen.decode("utf-8", "replace"))
        if re.search(pattern, text):
            return text
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    raise AssertionError(f"{pattern!r} never appeared; last output: {text[-2000:]!r}")


def test_keys_in_a_terminal(terminal: tuple[int, subprocess.Popen[bytes]]) -> None:
    fd, process = terminal
    seen = bytearray()
    _read_until(fd, r"speed 0\.25× · playing · keys: space pause", seen)
    os.write(fd, b"+")
    _read_until(fd, r"speed 0\.5× · playing", seen)
    os.write(fd, b" ")
    text = _read_until(fd, r"frame (\d+)/431 [^\n]* · paused", seen)
    paused_at = int(re.findall(r"frame (\d+)/431 [^\n]* · paused", text)[-1])
    os.write(fd, b"n")
    _read_until(fd, rf"frame {paused_at + 1}/431 [^\n]* · paused", seen)
    os.write(fd, b"q")
    text = _read_until(fd, r"end \(cut at frame \d+", seen)
    assert process.wait(timeout=20) == 0
    assert "open at cut" in text


def test_ctrl_c_leaves_the_last_view(terminal: tuple[int, subprocess.Popen[bytes]]) -> None:
    fd, process = terminal
    seen = bytearray()
    _read_until(fd, r"frame [1-9]\d*/431", seen)
    os.write(fd, b"\x03")  # the terminal turns it into SIGINT
    text = _read_until(fd, r"interrupted \(Ctrl-C\)", seen)
    assert process.wait(timeout=20) == 130
    final = text[text.rindex("streamfold replay ·") :]
    assert "session run-" in final and "usage" in final  # the view, not an empty screen

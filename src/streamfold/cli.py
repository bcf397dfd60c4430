"""The ``streamfold`` command line.

::

    streamfold demo [--speed X | --instant]            replay the bundled multi-agent recording
    streamfold replay FILE [--speed X | --instant] [--format NAME] [--plain]
    streamfold inspect FILE [--json] [--format NAME]   fold a whole file, print the final model

``replay`` shows a live view (rich) on a terminal and a plain, deterministic log otherwise (or
with ``--plain``). Recordings carry no timestamps yet, so replay paces frames with a fixed delay
per frame (:func:`fixed_pacer`); a pacer is just a function from a frame's notifications to a
delay, so a replayer with the original timing can take its place.

Exit codes: 0 ok, 1 input unreadable, 2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Final

import orjson

from . import __version__
from .errors import UsageError
from .export.tanstack import CONVERT_TARGETS, render_converted
from .formats import FORMATS
from .framing.detect import FRAMINGS, Framing
from .io.recording import Recording, read_recording
from .io.sync import CHUNK_SIZE, fold
from .notifications import (
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
from .reducer import Reducer
from .replay import Replayer
from .safe_text import escape_json_output, inline
from .snapshot import to_dict

__all__ = [
    "DEMO_RECORDING",
    "STRUCTURAL_DELAY",
    "TEXT_DELAY",
    "Pacer",
    "feed_paced",
    "fixed_pacer",
    "instant_pacer",
    "main",
    "replay_live",
    "replay_plain",
]

DEMO_RECORDING: Final = "demo-multi-agent.ndjson"
"""The bundled recording ``streamfold demo`` replays (in ``streamfold/data``)."""

TEXT_DELAY: Final = 0.015
"""Seconds per streaming frame (text, reasoning, tool arguments, usage…) at speed 1."""
STRUCTURAL_DELAY: Final = 0.12
"""Seconds per structural frame (a run, span or tool call starting or ending) at speed 1."""
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
    (runs, spans, tool-call states), else :data:`TEXT_DELAY`; both divided by ``speed``."""
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
    """No delay at all (``--instant``)."""
    return 0.0


# ---------------------------------------------------------------------------------- replay


def read_input(
    source: IO[bytes], framing: Framing | None, name: str, reducer: Reducer
) -> Recording:
    """Read a whole input as frames (:func:`streamfold.io.recording.read_recording`): NDJSON,
    SSE, a ChunkRecording or a streamfold recording with arrival times; detected when
    ``framing`` is ``None``."""
    return read_recording(source, framing=framing, name=name, max_line_bytes=reducer.max_line_bytes)


def fold_input(source: IO[bytes], framing: Framing | None, name: str, reducer: Reducer) -> None:
    """Fold a whole input into ``reducer`` and close it (:func:`streamfold.io.sync.fold`; the
    framing detected when ``None``)."""
    fold(iter(lambda: source.read(CHUNK_SIZE), b""), reducer, framing=framing, name=name)


def feed_paced(
    source: IO[bytes],
    reducer: Reducer,
    *,
    pacer: Pacer,
    on_frame: Callable[[Sequence[Notification], float], object],
    sleep: Callable[[float], object] = time.sleep,
    framing: Framing | None = None,
    name: str = "",
    speed: float | None = None,
    start: float | None = None,
    until: float | None = None,
) -> None:
    """Feed ``source`` to ``reducer`` frame by frame, calling ``on_frame(notes, delay)`` for each
    frame that produced notifications and then sleeping ``delay``; close the reducer at the end
    (``on_frame`` gets the closing notifications with delay 0).

    The delay after a frame is the recorded gap to the next frame divided by ``speed`` when the
    input is a recording with arrival times and ``speed`` is given (:class:`Replayer`), else
    ``pacer(notes)``. ``start`` / ``until`` (seconds of recorded time, or frame numbers for
    untimed inputs) skip ahead without pausing and stop early. ``framing`` is ``"ndjson"``,
    ``"sse"``, ``"chunk-recording"`` or ``"recording"``; ``None`` detects it.
    """
    recording = read_input(source, framing, name, reducer)
    timed = recording.timed and speed is not None
    replayer = Replayer(recording, speed=speed if timed else None, reducer_factory=lambda: reducer)
    if start is not None:
        if timed:
            replayer.seek_time(start)
        else:
            replayer.seek(int(start))
    until_time = until if timed else None
    until_frame = int(until) if until is not None and not timed else None
    for step in replayer.steps(until_time=until_time, until_frame=until_frame):
        notes = step.notes
        if step.frame is None:
            on_frame(notes, 0.0)
            return
        if not notes:
            continue
        delay = replayer.next_delay if timed else pacer(notes)
        on_frame(notes, delay)
        if delay > 0:
            sleep(delay)
    on_frame(reducer.close(), 0.0)


def replay_plain(
    source: IO[bytes],
    write: Callable[[str], object],
    *,
    reducer: Reducer,
    pacer: Pacer = instant_pacer,
    sleep: Callable[[float], object] = time.sleep,
    flush: Callable[[], object] | None = None,
    framing: Framing | None = None,
    name: str = "",
    speed: float | None = None,
    start: float | None = None,
    until: float | None = None,
) -> None:
    """Replay as plain text lines (:class:`~streamfold.render.PlainPrinter`), then a summary.
    ``framing`` and ``name`` as in :func:`feed_paced`."""
    from .render import PlainPrinter, usage_text

    printer = PlainPrinter(write)

    def on_frame(notes: Sequence[Notification], delay: float) -> None:
        printer.handle(notes)
        if delay > 0 and flush is not None:
            flush()

    feed_paced(
        source,
        reducer,
        pacer=pacer,
        on_frame=on_frame,
        sleep=sleep,
        framing=framing,
        name=name,
        speed=speed,
        start=start,
        until=until,
    )
    conversation = reducer.conversation
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted
    printer.line(
        None,
        f"end: {len(conversation.runs)} run(s) · usage {usage_text(conversation.usage)}"
        f" · frames {reducer.frames_in} ({reducer.frames_applied} applied,"
        f" {reducer.frames_dropped} dropped) · {count} diagnostic(s)",
    )


def replay_live(
    source: IO[bytes],
    console: object,
    *,
    reducer: Reducer,
    pacer: Pacer,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    title: str | None = None,
    max_fps: float = MAX_FPS,
    framing: Framing | None = None,
    name: str = "",
    speed: float | None = None,
    start: float | None = None,
    until: float | None = None,
) -> int:
    """Replay with a rich live view on ``console`` (a :class:`rich.console.Console`).

    The view is re-rendered at most ``max_fps`` times per second of ``clock`` (changes in
    between are coalesced), and right before a wait of at least one frame interval, so a
    structural change is on screen while the replay pauses on it. When the input ends the live
    display is replaced by the final view, printed normally. Returns the number of renders.
    ``framing`` and ``name`` as in :func:`feed_paced`.
    """
    from rich.console import Console
    from rich.live import Live

    from .render import LiveView

    assert isinstance(console, Console)
    view = LiveView(reducer, title=title)
    interval = 1.0 / max_fps
    last = -math.inf
    with Live(
        view.render(),
        console=console,
        auto_refresh=False,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        vertical_overflow="ellipsis",
    ) as live:

        def on_frame(notes: Sequence[Notification], delay: float) -> None:
            nonlocal last
            view.apply(notes)
            now = clock()
            if view.changed and (now - last >= interval or delay >= interval):
                live.update(view.render(), refresh=True)
                last = now

        feed_paced(
            source,
            reducer,
            pacer=pacer,
            on_frame=on_frame,
            sleep=sleep,
            framing=framing,
            name=name,
            speed=speed,
            start=start,
            until=until,
        )
    console.print(view.render(final=True))
    return view.renders


# ------------------------------------------------------------------------------- commands


class _Fail(Exception):
    """A clear error for the user (exit code 1)."""


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


_INPUTS: Final = "recording (NDJSON, SSE, ChunkRecording JSON or a streamfold recording)"


def _position(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("must be a number >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamfold",
        description="Fold, replay and inspect recorded LLM / agent streams (Loom, NNRP, …).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def pacing(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument(
            "--speed",
            type=_speed,
            default=1.0,
            metavar="X",
            help="replay speed factor (default 1; 4 = four times faster)",
        )
        group.add_argument("--instant", action="store_true", help="no delays between frames")
        sub.add_argument(
            "--plain",
            action="store_true",
            help="plain text log even on a terminal (the default when stdout is not a terminal)",
        )

    def format_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--format",
            choices=sorted(FORMATS),
            default=None,
            metavar="NAME",
            help=f"wire format ({', '.join(sorted(FORMATS))}); default: detect per frame",
        )
        sub.add_argument(
            "--framing",
            choices=FRAMINGS,
            default=None,
            help="how frames are delimited; default: detect from the first bytes and the name",
        )

    demo = commands.add_parser("demo", help="replay the bundled multi-agent recording")
    pacing(demo)

    replay = commands.add_parser("replay", help="replay a recording live")
    replay.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    pacing(replay)
    format_option(replay)
    replay.add_argument(
        "--from",
        dest="start",
        type=_position,
        default=None,
        metavar="T",
        help="start at T seconds of recorded time (a frame number for untimed files)",
    )
    replay.add_argument(
        "--until",
        type=_position,
        default=None,
        metavar="T",
        help="stop after T seconds of recorded time (a frame number for untimed files)",
    )

    inspect = commands.add_parser("inspect", help="fold a recording and print the final model")
    inspect.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    inspect.add_argument("--json", action="store_true", help="print a JSON snapshot")
    format_option(inspect)

    convert = commands.add_parser(
        "convert", help="fold a recording and print it in another shape (JSON)"
    )
    convert.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    convert.add_argument(
        "--to",
        required=True,
        choices=list(CONVERT_TARGETS),
        help="tanstack-ui-messages: TanStack AI UIMessage[] (StreamProcessor.getMessages())",
    )
    convert.add_argument(
        "--session", default=None, metavar="ID", help="only this session (default: all)"
    )
    format_option(convert)
    return parser


def _open(path: str) -> IO[bytes]:
    if path == "-":
        try:
            # A duplicate, so that closing the recording does not close the real stdin.
            return os.fdopen(os.dup(sys.stdin.fileno()), "rb")
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _Fail(f"cannot read {inline(path)}: {inline(exc.strerror or str(exc))}") from None


def _open_demo() -> IO[bytes]:
    resource = importlib.resources.files("streamfold").joinpath("data", DEMO_RECORDING)
    try:
        return resource.open("rb")
    except OSError:
        raise _Fail(
            f"the demo recording {DEMO_RECORDING} is missing from this installation"
        ) from None


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _source_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _require_rich() -> None:
    try:
        import rich  # noqa: F401
    except ImportError:
        raise _Fail("this command needs rich: pip install 'streamfold[cli]'") from None


def _cmd_replay(args: argparse.Namespace, *, demo: bool) -> int:
    _require_rich()
    source = _open_demo() if demo else _open(args.file)
    name = DEMO_RECORDING if demo else _source_name(args.file)
    framing: Framing | None = getattr(args, "framing", None)
    pacer = instant_pacer if args.instant else fixed_pacer(args.speed)
    speed = None if args.instant else args.speed
    start, until = getattr(args, "start", None), getattr(args, "until", None)
    reducer = Reducer(format=getattr(args, "format", None))
    stdout = sys.stdout
    try:
        with source:
            if _is_terminal(stdout) and not args.plain:
                from rich.console import Console

                console = Console(file=stdout, highlight=False)
                replay_live(
                    source,
                    console,
                    reducer=reducer,
                    pacer=pacer,
                    title=f"streamfold replay · {name}",
                    framing=framing,
                    name=name,
                    speed=speed,
                    start=start,
                    until=until,
                )
            else:
                replay_plain(
                    source,
                    stdout.write,
                    reducer=reducer,
                    pacer=pacer,
                    flush=stdout.flush,
                    framing=framing,
                    name=name,
                    speed=speed,
                    start=start,
                    until=until,
                )
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise _Fail(f"cannot read {inline(name)}: {inline(exc.strerror or str(exc))}") from None
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    if not args.json:
        _require_rich()
    source = _open(args.file)
    name = _source_name(args.file)
    reducer = Reducer(format=args.format)
    try:
        with source:
            fold_input(source, args.framing, name, reducer)
    except OSError as exc:
        raise _Fail(f"cannot read {inline(name)}: {inline(exc.strerror or str(exc))}") from None
    stdout = sys.stdout
    if args.json:
        stats = {
            "frames_in": reducer.frames_in,
            "frames_applied": reducer.frames_applied,
            "frames_dropped": reducer.frames_dropped,
        }
        document = to_dict(reducer.conversation, stats=stats)
        # orjson writes C0 controls as \u00XX; DEL, C1 and bidi controls are escaped here.
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
        stdout.write(escape_json_output(text) + "\n")
        return 0
    from rich.console import Console

    from .render import inspect_report

    console = Console(
        file=stdout, force_terminal=_is_terminal(stdout), highlight=False, soft_wrap=True
    )
    for line in inspect_report(reducer, source=name):
        console.print(line)
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    source = _open(args.file)
    name = _source_name(args.file)
    reducer = Reducer(format=args.format)
    try:
        with source:
            fold_input(source, args.framing, name, reducer)
    except OSError as exc:
        raise _Fail(f"cannot read {inline(name)}: {inline(exc.strerror or str(exc))}") from None
    try:
        sys.stdout.write(render_converted(reducer.conversation, args.to, args.session))
    except UsageError as exc:
        raise _Fail(str(exc)) from None
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        # Text the terminal's encoding cannot show is escaped rather than a crash.
        reconfigure(errors="backslashreplace")
    try:
        if args.command == "inspect":
            return _cmd_inspect(args)
        if args.command == "convert":
            return _cmd_convert(args)
        return _cmd_replay(args, demo=args.command == "demo")
    except _Fail as exc:
        print(f"streamfold: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`streamfold replay f | head`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

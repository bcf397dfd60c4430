"""The ``streamfold`` command line: arguments, commands, exit codes (docs/cli.md).

::

    streamfold demo    [--speed X | --instant] [--plain] [--strict]
    streamfold replay  FILE [--speed X | --instant] [--plain] [--from POS] [--until POS]
                       [--format NAME] [--framing F] [--strict]
    streamfold inspect FILE [--json] [--format NAME] [--framing F] [--strict]
    streamfold convert FILE --to tanstack-ui-messages [--session ID] [--format NAME]
                       [--framing F] [--strict]
    streamfold transcript FILE... [--format md|html|json] [-o OUT] [--session ID] (transcript.py)
    streamfold timeline FILE... --format chrome-trace|otlp-json [-o OUT] [--session ID]

Every command says how much of its input it understood: the count of dropped frames and
diagnostics goes to stderr whenever it is not zero, and an input in which no frame was applied
or no format was recognised ends with a one-line summary and exit code 3.

Exit codes: 0 ok; 1 the input could not be read; 2 usage error; 3 nothing in the input was
understood (no frame applied, or no known format); 4 ``--strict`` and the input broke its
format (the first protocol error, or a damaged recording file); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import IO, Any, Final, NoReturn

import orjson

from ..errors import ProtocolError, UsageError
from ..export.agui import AGUI_TARGETS
from ..export.tanstack import render_converted
from ..formats import FORMATS
from ..framing import Frame, RecordingProblem
from ..io.recording import Recording, read_recording
from ..model.text import dumps
from ..notifications import Notification
from ..reducer import Reducer
from ..safe_text import escape_json_output, inline, preview
from .keys import terminal_keys
from .parser import build_parser
from .replay import Player, fixed_pacer, frame_times, replay_live, replay_plain
from .transcript import cmd_timeline, cmd_transcript

__all__ = [
    "DEMO_RECORDING",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_UNDERSTOOD",
    "EXIT_OK",
    "EXIT_PROTOCOL_ERROR",
    "EXIT_UNREADABLE",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

DEMO_RECORDING: Final = "demo-multi-agent.ndjson"
"""The bundled recording ``streamfold demo`` replays (in ``streamfold/data``)."""

EXIT_OK: Final = 0
EXIT_UNREADABLE: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_UNDERSTOOD: Final = 3
EXIT_PROTOCOL_ERROR: Final = 4
EXIT_INTERNAL: Final = 70  # sysexits.h EX_SOFTWARE: a streamfold bug, never the input's fault
EXIT_INTERRUPTED: Final = 130


class _Fail(Exception):
    """A clear error for the user: one line on stderr, then ``code``."""

    def __init__(self, message: str, code: int = EXIT_UNREADABLE) -> None:
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------------- input


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


def _read(args: argparse.Namespace, *, demo: bool = False) -> tuple[Recording, str]:
    """The whole input as frames (:func:`streamfold.io.recording.read_recording`), and its name."""
    source = _open_demo() if demo else _open(args.file)
    name = DEMO_RECORDING if demo else ("<stdin>" if args.file == "-" else args.file)
    try:
        with source:
            if name.endswith(".nnrp") or getattr(args, "format", None) == "nnrp-wire":
                recording = _read_nnrp_wire(source)
            else:
                recording = read_recording(
                    source,
                    framing=getattr(args, "framing", None),
                    name=name,
                    max_line_bytes=Reducer().max_line_bytes,
                )
    except OSError as exc:
        raise _Fail(f"cannot read {inline(name)}: {inline(exc.strerror or str(exc))}") from None
    if args.strict and recording.problems:
        problem = recording.problems[0]
        where = f" line {problem.line}" if problem.line is not None else ""
        raise _Fail(
            f"{inline(name)}{where}: {inline(problem.code)}: {inline(problem.message)} (--strict)",
            EXIT_PROTOCOL_ERROR,
        )
    return recording, name


def _read_nnrp_wire(source: IO[bytes]) -> Recording:
    """An NNRP/1 byte capture (``.nnrp``, docs/nnrp.md "The wire") as frames of format
    ``nnrp-wire``: one frame per packet or per damaged span of bytes."""
    from ..formats.nnrp_wire import wire_frames

    frames = wire_frames(iter(lambda: source.read(1 << 18), b""))
    return Recording(tuple(Frame(repr(next(iter(f.values()))), value=f) for f in frames), "ndjson")


def _reducer(args: argparse.Namespace, *, strict: bool | None = None) -> Reducer:
    options: dict[str, Any] = {
        "format": getattr(args, "format", None),
        "strict": args.strict if strict is None else strict,
    }
    initial: str | None = getattr(args, "initial_messages", None)
    request: str | None = getattr(args, "run_input", None)
    path = initial if initial is not None else request
    if path is None:
        return Reducer(**options)
    try:
        with open(path, "rb") as source:
            data = orjson.loads(source.read())
        if initial is not None:
            return Reducer.from_ui_messages(data, **options)
        return Reducer.from_run_input(data, **options)
    except OSError as exc:
        raise _Fail(f"{inline(path)}: {inline(exc.strerror or str(exc))}") from None
    except orjson.JSONDecodeError as exc:
        raise _Fail(f"{inline(path)}: not JSON: {inline(str(exc))}") from None
    except UsageError as exc:
        raise _Fail(f"{inline(path)}: {inline(str(exc))}") from None


def _protocol_error(name: str, exc: ProtocolError) -> NoReturn:
    diagnostic = exc.diagnostic
    where = f" at frame {diagnostic.frame_index}" if diagnostic.frame_index is not None else ""
    raise _Fail(
        f"{inline(name)}: protocol error{where}: {inline(diagnostic.code)}:"
        f" {inline(diagnostic.message)} (--strict)",
        EXIT_PROTOCOL_ERROR,
    ) from None


def _fold(
    recording: Recording,
    reducer: Reducer,
    name: str,
    on_notes: Callable[[list[Notification]], None] | None = None,
) -> None:
    """Fold every frame of ``recording``; ``on_notes`` gets each frame's notifications (and
    those of ``close()``) as they come, for outputs that stream (``convert --to agui-sse``)."""
    try:
        for frame in recording:
            notes = reducer.feed_frame(frame)
            if on_notes is not None:
                on_notes(notes)
        notes = reducer.close()
        if on_notes is not None:
            on_notes(notes)
    except ProtocolError as exc:
        _protocol_error(name, exc)


def _fold_files(args: argparse.Namespace) -> tuple[Reducer, Recording, str]:
    """``args.files`` folded into one reducer in order (transcript, timeline); the recordings'
    problems gathered for :func:`_report`. Raises :class:`_Fail` for an unknown session."""
    reducer = _reducer(args)
    problems: list[RecordingProblem] = []
    names: list[str] = []
    for path in args.files:
        recording, name = _read(argparse.Namespace(**{**vars(args), "file": path}))
        problems += recording.problems
        names.append(name)
        try:
            for frame in recording:
                reducer.feed_frame(frame)
        except ProtocolError as exc:
            _protocol_error(name, exc)
    try:
        reducer.close()
    except ProtocolError as exc:
        _protocol_error(names[-1], exc)
    if args.session is not None and args.session not in reducer.conversation.sessions:
        raise _Fail(f"no session {inline(args.session)} in the input", EXIT_USAGE)
    return reducer, Recording((), "ndjson", problems=tuple(problems)), ", ".join(names)


def _report(reducer: Reducer, recording: Recording, name: str, *, hint: bool = True) -> int:
    """How much was understood, on stderr: exit code 3 with a one-line summary when nothing
    was; else the dropped frames and diagnostics when there are any (exit code 0)."""
    conversation = reducer.conversation
    frames_in, applied, dropped = reducer.frames_in, reducer.frames_applied, reducer.frames_dropped
    problems = len(recording.problems)
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted + problems
    shown = inline(name)
    if frames_in == 0:
        more = f" ({problems} damaged line(s) skipped)" if problems else ""
        raise _Fail(f"{shown}: no frames in the input{more}", EXIT_NOT_UNDERSTOOD)
    if applied == 0 or not reducer.decoders:
        codes = Counter(d.code for d in conversation.diagnostics).most_common(3)
        why = ", ".join(f"{inline(code)} ×{n}" for code, n in codes)
        raise _Fail(
            f"{shown}: not understood: {applied} of {frames_in} frame(s) applied and no known"
            f" format ({', '.join(sorted(FORMATS))}) recognised" + (f" ({why})" if why else ""),
            EXIT_NOT_UNDERSTOOD,
        )
    if dropped or count:
        where = " (streamfold inspect lists them)" if hint else ""
        print(
            f"streamfold: {shown}: {dropped} of {frames_in} frame(s) dropped"
            f" · {count} diagnostic(s){where}",
            file=sys.stderr,
        )
    return EXIT_OK


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


# -------------------------------------------------------------------------------- commands


def _cmd_replay(args: argparse.Namespace, *, demo: bool) -> int:
    recording, name = _read(args, demo=demo)
    speed = None if args.instant else args.speed
    times = frame_times(recording, lambda: _reducer(args, strict=False), fixed_pacer(1.0))
    reducer = _reducer(args)
    player = Player(
        recording,
        reducer,
        times=times,
        speed=speed,
        start=getattr(args, "start", None),
        until=getattr(args, "until", None),
    )
    stdout = sys.stdout
    live = _is_terminal(stdout) and not args.plain
    if live and not _has_rich():
        print(
            "streamfold: rich is not installed, so this is the plain log"
            " (pip install 'streamfold[cli]' for the live view)",
            file=sys.stderr,
        )
        live = False
    try:
        if live:
            from rich.console import Console

            console = Console(file=stdout, highlight=False)
            with terminal_keys() as read_key:
                replay_live(
                    player,
                    console,
                    title=f"streamfold replay · {name}",
                    read_key=read_key,
                    recording=recording,
                )
        else:
            replay_plain(player, stdout.write, flush=stdout.flush, recording=recording)
    except ProtocolError as exc:
        stdout.flush()
        _protocol_error(name, exc)
    stdout.flush()
    return _report(reducer, recording, name)


def _cmd_inspect(args: argparse.Namespace) -> int:
    if not args.json and not _has_rich():
        raise _Fail(
            "inspect needs rich for its report: pip install 'streamfold[cli]'"
            " (inspect --json, convert and replay --plain do not)"
        )
    recording, name = _read(args)
    reducer = _reducer(args)
    _fold(recording, reducer, name)
    stdout = sys.stdout
    if args.json:
        from ..export.json import to_dict

        stats = {
            "frames_in": reducer.frames_in,
            "frames_applied": reducer.frames_applied,
            "frames_dropped": reducer.frames_dropped,
        }
        document = to_dict(reducer.conversation, stats=stats)
        document["recording"] = {
            "framing": recording.framing,
            "problems": [
                {"code": p.code, "message": p.message, "line": p.line, "raw": p.raw}
                for p in recording.problems
            ],
        }
        # orjson writes C0 controls as \u00XX; DEL, C1 and bidi controls are escaped here.
        text = dumps(document, option=orjson.OPT_INDENT_2).decode()
        stdout.write(escape_json_output(text) + "\n")
    else:
        from rich.console import Console

        from .views.inspect import inspect_report

        console = Console(
            file=stdout, force_terminal=_is_terminal(stdout), highlight=False, soft_wrap=True
        )
        for line in inspect_report(reducer, source=name, problems=recording.problems):
            console.print(line)
    stdout.flush()
    return _report(reducer, recording, name, hint=args.json)


def _cmd_convert(args: argparse.Namespace) -> int:
    recording, name = _read(args)
    reducer = _reducer(args)
    if args.to in AGUI_TARGETS:
        return _convert_agui(args, recording, reducer, name)
    _fold(recording, reducer, name)
    try:
        text = render_converted(reducer.conversation, args.to, args.session)
    except UsageError as exc:
        raise _Fail(str(exc)) from None
    sys.stdout.write(text)
    sys.stdout.flush()
    return _report(reducer, recording, name)


def _convert_agui(
    args: argparse.Namespace, recording: Recording, reducer: Reducer, name: str
) -> int:
    """``convert --to agui-sse | agui-ndjson``: the AG-UI 1.0 events, written as each frame is
    folded (docs/agui-out.md)."""
    from ..export.agui import AGUIEncoder, ndjson_line, sse_frame

    encoder = AGUIEncoder()
    write = sse_frame if args.to == "agui-sse" else ndjson_line
    stdout = sys.stdout

    def emit(notes: list[Notification]) -> None:
        for event in encoder.encode(notes):
            stdout.write(write(event))

    _fold(recording, reducer, name, emit)
    for event in encoder.close():
        stdout.write(write(event))
    stdout.flush()
    return _report(reducer, recording, name)


def _cmd_serve(args: argparse.Namespace) -> int:
    """``streamfold serve``: the live chat page and its AG-UI SSE endpoint (docs/agui-out.md)."""
    try:
        from ..web import serve
    except ImportError as exc:
        raise _Fail(
            f"serve needs the web extra: pip install 'streamfold[web]' ({inline(str(exc))})"
        ) from None
    serve(args.source, port=args.port, speed=None if args.instant else args.speed, host=args.host)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    """``streamfold export``: many files or a split log into tables (docs/batch.md)."""
    from ..batch.cli import run_export

    return run_export(args)


_COMMANDS: Final[dict[str, Callable[[argparse.Namespace], int]]] = {
    "demo": lambda args: _cmd_replay(args, demo=True),
    "replay": lambda args: _cmd_replay(args, demo=False),
    "inspect": _cmd_inspect,
    "convert": _cmd_convert,
    "serve": _cmd_serve,
    "export": _cmd_export,
    "transcript": lambda args: cmd_transcript(args, _fold_files(args), _report, _Fail),
    "timeline": lambda args: cmd_timeline(args, _fold_files(args), _report, _Fail),
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        # Text the terminal's encoding cannot show is escaped rather than a crash.
        reconfigure(errors="backslashreplace")
    try:
        return _COMMANDS[args.command](args)
    except _Fail as exc:
        print(f"streamfold: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`streamfold replay f | head`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK
    except Exception as exc:  # a bug: one line, no traceback (docs/cli.md, exit codes)
        if os.environ.get("STREAMFOLD_DEBUG"):
            raise
        text = preview(f"{type(exc).__name__}: {exc}", 300)  # the input's text may be in it
        print(
            f"streamfold: internal error ({text}); please report it with the input"
            " (STREAMFOLD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL

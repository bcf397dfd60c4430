"""The command line's arguments: ``build_parser()``, the one ``argparse`` parser of every
``streamfold`` command (``docs/cli.md``)."""

from __future__ import annotations

import argparse
import math
from typing import Final

from .. import __version__
from ..export.agui import AGUI_TARGETS
from ..export.tanstack import CONVERT_TARGETS
from ..formats import FORMATS
from ..framing import FRAMINGS
from .replay import Position
from .transcript import add_commands as add_transcript_commands

__all__ = ["build_parser"]

_INPUTS: Final = "recording (NDJSON, SSE, ChunkRecording JSON or a streamfold recording)"


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _position(text: str) -> Position:
    try:
        return Position.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The ``streamfold`` parser: every command, its arguments and their checks (a bad value
    exits 2 with argparse's usage line)."""
    parser = argparse.ArgumentParser(
        prog="streamfold",
        description="Fold, replay and inspect recorded LLM / agent streams "
        f"({', '.join(sorted(FORMATS))}).",
        epilog="exit codes: 0 ok · 1 input unreadable · 2 usage · 3 nothing understood"
        " · 4 protocol error with --strict · 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def strict(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--strict",
            action="store_true",
            help="stop with exit code 4 at the first protocol error (a warning or error"
            " diagnostic) or problem of a recording file",
        )

    def pacing(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument(
            "--speed",
            type=_speed,
            default=1.0,
            metavar="X",
            help="replay speed factor (default 1: the recorded timing, or the fixed pace of an"
            " untimed file; 4 = four times faster)",
        )
        group.add_argument("--instant", action="store_true", help="no waiting between frames")
        sub.add_argument(
            "--plain",
            action="store_true",
            help="plain text log even on a terminal (the default when stdout is not a terminal"
            " or rich is not installed)",
        )

    def format_options(sub: argparse.ArgumentParser) -> None:
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

    def history_options(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument(
            "--initial-messages",
            default=None,
            metavar="MESSAGES.json",
            help='start from this conversation (a TanStack UIMessage[] or {"messages": [...]}),'
            " as TanStack's client starts from initialMessages; the stream continues it",
        )
        group.add_argument(
            "--run-input",
            default=None,
            metavar="REQUEST.json",
            help="start from this AG-UI RunAgentInput (messages, state, threadId); the stream"
            " continues it",
        )

    demo = commands.add_parser("demo", help="replay the bundled multi-agent recording")
    pacing(demo)
    strict(demo)

    replay = commands.add_parser("replay", help="replay a recording, live on a terminal")
    replay.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    pacing(replay)
    replay.add_argument(
        "--from",
        dest="start",
        type=_position,
        default=None,
        metavar="POS",
        help="start at POS: 12s (seconds of the replay's timeline) or frame:40 (frame index);"
        " the frames before are applied silently",
    )
    replay.add_argument(
        "--until",
        type=_position,
        default=None,
        metavar="POS",
        help="stop at POS (12s or frame:40); runs still running are shown open at cut",
    )
    format_options(replay)
    strict(replay)

    inspect = commands.add_parser("inspect", help="fold a recording and print the final model")
    inspect.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    inspect.add_argument("--json", action="store_true", help="print a JSON snapshot")
    format_options(inspect)
    history_options(inspect)
    strict(inspect)

    convert = commands.add_parser(
        "convert", help="fold a recording and print it in another shape (JSON)"
    )
    convert.add_argument("file", metavar="FILE", help=f"{_INPUTS}; - for stdin")
    convert.add_argument(
        "--to",
        required=True,
        choices=[*CONVERT_TARGETS, *AGUI_TARGETS],
        help="tanstack-ui-messages: TanStack AI UIMessage[] (StreamProcessor.getMessages()),"
        " one thread per session; agui-sse / agui-ndjson: the AG-UI 1.0 events (SSE frames or"
        " NDJSON lines), written as the input is folded",
    )
    convert.add_argument(
        "--session",
        default=None,
        metavar="ID",
        help="print this session's thread (a JSON array); default: every session's thread in"
        " a JSON object keyed by session id",
    )
    format_options(convert)
    history_options(convert)
    strict(convert)

    serve = commands.add_parser(
        "serve", help="a live chat page and AG-UI SSE endpoint for a recording or a URL"
    )
    serve.add_argument(
        "source", metavar="FILE|URL", help="a recording to play, or an upstream stream to proxy"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve_pace = serve.add_mutually_exclusive_group()
    serve_pace.add_argument(
        "--speed", type=_speed, default=1.0, metavar="X", help="replay speed factor (default 1)"
    )
    serve_pace.add_argument("--instant", action="store_true", help="no waiting between frames")

    from ..batch.cli import add_export_arguments

    export = commands.add_parser(
        "export", help="fold many files or a split log into Parquet / JSON Lines tables"
    )
    add_export_arguments(export)
    add_transcript_commands(commands, strict)
    return parser

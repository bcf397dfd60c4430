"""``streamfold transcript`` and ``streamfold timeline`` (docs/cli.md, docs/transcript.md)::

    streamfold transcript FILE... [--format md|html|json] [-o OUT] [--session ID]
                          [--input-format NAME] [--framing F] [--strict]
    streamfold timeline   FILE... --format chrome-trace|otlp-json [-o OUT] [--session ID]
                          [--input-format NAME] [--framing F] [--strict]

The files are folded into one model in the order given (one conversation spread over several
logs; ``cli/main.py`` folds them); the output goes to ``OUT`` or stdout, written one run at a
time.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

from ..formats import FORMATS
from ..framing import FRAMINGS
from ..io.recording import Recording

__all__ = [
    "TIMELINE_FORMATS",
    "TRANSCRIPT_FORMATS",
    "add_commands",
    "cmd_timeline",
    "cmd_transcript",
]

TRANSCRIPT_FORMATS: Final = ("md", "html", "json")
TIMELINE_FORMATS: Final = ("chrome-trace", "otlp-json")


def add_commands(commands: Any, strict: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the two subcommands to ``commands`` (the parser's subparsers)."""

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("files", nargs="+", metavar="FILE", help="recordings, folded in order")
        sub.add_argument("-o", "--output", dest="out", default=None, metavar="OUT",
                         help="write to OUT (default: stdout)")  # fmt: skip
        sub.add_argument("--session", default=None, metavar="ID", help="only this session")
        sub.add_argument("--input-format", dest="format", choices=sorted(FORMATS), default=None,
                         metavar="NAME", help="wire format; default: detect per frame")  # fmt: skip
        sub.add_argument("--framing", choices=FRAMINGS, default=None,
                         help="how frames are delimited; default: detect")  # fmt: skip
        strict(sub)

    transcript = commands.add_parser(
        "transcript", help="a transcript of the runs to read or share (Markdown, HTML, JSON)"
    )
    transcript.add_argument("--format", dest="output_format", choices=TRANSCRIPT_FORMATS,
                            default="md", help="md (default), html (one self-contained file)"
                            " or json (docs/transcript.md)")  # fmt: skip
    common(transcript)
    timeline = commands.add_parser(
        "timeline", help="a trace of the runs for Perfetto or an OpenTelemetry collector"
    )
    timeline.add_argument("--format", dest="output_format", choices=TIMELINE_FORMATS,
                          required=True, help="chrome-trace (Perfetto, chrome://tracing) or"
                          " otlp-json (OTLP JSON lines; needs the otel extra)")  # fmt: skip
    common(timeline)


Folded = tuple[Any, Recording, str]
"""What the command line folded: the reducer, the recording problems, the input's name."""
Report = Callable[[Any, Recording, str], int]
"""The command line's report of how much was understood (its exit code)."""


@contextlib.contextmanager
def _output(out: str | None, fail: type[Exception]) -> Iterator[IO[str]]:
    if out is None or out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        handle = open(out, "w", encoding="utf-8", buffering=1 << 16)  # noqa: SIM115
    except OSError as exc:
        raise fail(f"cannot write {out!r}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def cmd_transcript(
    args: argparse.Namespace, folded: Folded, report: Report, fail: type[Exception]
) -> int:
    """``streamfold transcript``: write the transcript (md, html or json, docs/transcript.md)
    of what the command line ``folded`` to ``args.out`` or stdout; ``fail(message)`` is its
    error for the user; returns the exit code ``report`` gives (docs/cli.md)."""
    from ..export.transcript import write_html, write_json, write_markdown

    reducer, recording, name = folded
    stats = {
        "frames_in": reducer.frames_in,
        "frames_applied": reducer.frames_applied,
        "frames_dropped": reducer.frames_dropped,
    }
    with _output(args.out, fail) as out:
        if args.output_format == "json":
            write_json(reducer.conversation, out.write, session_id=args.session, stats=stats)
        else:
            writer = write_html if args.output_format == "html" else write_markdown
            title = f"streamfold transcript · {name}"
            writer(
                reducer.conversation, out.write, session_id=args.session, stats=stats, title=title
            )
    return report(reducer, recording, name)


def cmd_timeline(
    args: argparse.Namespace, folded: Folded, report: Report, fail: type[Exception]
) -> int:
    """``streamfold timeline``: write a Chrome trace or OTLP JSON lines (docs/transcript.md,
    "Timelines") of what the command line ``folded``; as :func:`cmd_transcript` otherwise."""
    from ..export.timeline import write_chrome_trace

    reducer, recording, name = folded
    with _output(args.out, fail) as out:
        if args.output_format == "chrome-trace":
            write_chrome_trace(reducer.conversation, out.write, session_id=args.session)
        else:
            try:
                from ..export.timeline.otel import write_otlp_json

                write_otlp_json(reducer.conversation, out.write, session_id=args.session)
            except ImportError:
                message = "otlp-json needs the otel extra: pip install 'streamfold[otel]'"
                raise fail(message) from None
    return report(reducer, recording, name)

"""``streamfold transcript`` and ``streamfold timeline`` (docs/cli.md, docs/transcript.md)::

    streamfold transcript FILE... [--format md|html|json] [-o OUT] [--session ID]
                          [--input-format NAME] [--framing F] [--strict]
    streamfold timeline   FILE... --format chrome-trace|otlp-json [-o OUT] [--session ID]
                          [--input-format NAME] [--framing F] [--strict]

The files are folded into one model in the order given (one conversation spread over several
logs); the output goes to ``OUT`` or stdout, written one run at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

from ..errors import ProtocolError
from ..formats import FORMATS
from ..framing import FRAMINGS, RecordingProblem
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


def _fold_all(args: argparse.Namespace) -> tuple[Any, Recording, str]:
    from .main import _Fail, _protocol_error, _read, _reducer

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
        raise _Fail(f"no session {args.session!r} in the input", 2)
    return reducer, Recording((), "ndjson", problems=tuple(problems)), ", ".join(names)


@contextlib.contextmanager
def _output(out: str | None) -> Iterator[IO[str]]:
    from .main import _Fail

    if out is None or out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        handle = open(out, "w", encoding="utf-8", buffering=1 << 16)  # noqa: SIM115
    except OSError as exc:
        raise _Fail(f"cannot write {out!r}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def cmd_transcript(args: argparse.Namespace) -> int:
    """``streamfold transcript``: fold ``args.files`` and write the transcript (md, html or
    json, docs/transcript.md) to ``args.out`` or stdout; the exit code as in docs/cli.md."""
    from ..export.transcript import write_html, write_json, write_markdown
    from .main import _report

    reducer, recording, name = _fold_all(args)
    stats = {
        "frames_in": reducer.frames_in,
        "frames_applied": reducer.frames_applied,
        "frames_dropped": reducer.frames_dropped,
    }
    with _output(args.out) as out:
        if args.output_format == "json":
            write_json(reducer.conversation, out.write, session_id=args.session, stats=stats)
        else:
            writer = write_html if args.output_format == "html" else write_markdown
            title = f"streamfold transcript · {name}"
            writer(
                reducer.conversation, out.write, session_id=args.session, stats=stats, title=title
            )
    return _report(reducer, recording, name)


def cmd_timeline(args: argparse.Namespace) -> int:
    """``streamfold timeline``: fold ``args.files`` and write a Chrome trace or OTLP JSON lines
    (docs/transcript.md, "Timelines"); the exit code as in docs/cli.md."""
    from ..export.timeline import write_chrome_trace
    from ..export.timeline.otel import write_otlp_json
    from .main import _Fail, _report

    reducer, recording, name = _fold_all(args)
    with _output(args.out) as out:
        if args.output_format == "chrome-trace":
            write_chrome_trace(reducer.conversation, out.write, session_id=args.session)
        else:
            try:
                write_otlp_json(reducer.conversation, out.write, session_id=args.session)
            except ImportError:
                raise _Fail(
                    "otlp-json needs the otel extra: pip install 'streamfold[otel]'"
                ) from None
    return _report(reducer, recording, name)

"""``streamfold export``: the command line of the batch job (docs/batch.md "The command").

:func:`add_export_arguments` fills an argparse parser (the ``streamfold`` CLI's ``export``
sub-command uses it); :func:`main_export` runs the command (``python -m streamfold.batch``).
Exit codes: 0 ok (bad input files are rows in ``diagnostics``, not failures), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import UsageError
from .api import export
from .progress import ProgressBar

__all__ = ["add_export_arguments", "build_parser", "main_export", "run_export"]


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``streamfold export``."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, directories, globs")
    parser.add_argument(
        "--to",
        choices=("parquet", "jsonl"),
        default="parquet",
        help="output format (parquet needs the parquet extra)",
    )
    parser.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="OUT_DIR",
        help="output directory: OUT_DIR/<table>/part-*.parquet",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per core)",
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="the files are consecutive pieces of one log: fold by session",
    )
    parser.add_argument(
        "--source",
        default=None,
        metavar="NAME",
        help="with --log: the source name in every row (default: first file)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local processes or a Dask cluster (dask extra)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address (default: start a local cluster)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The ``streamfold export`` argument parser (docs/batch.md): paths, ``--to parquet|jsonl``,
    ``-o OUT_DIR``, ``--jobs``, ``--log``, ``--engine local|dask``, ``--scheduler``,
    ``--no-progress``."""
    parser = argparse.ArgumentParser(
        prog="streamfold export",
        description="Fold many recordings or logs into Parquet / JSON Lines tables.",
    )
    add_export_arguments(parser)
    return parser


def run_export(args: argparse.Namespace) -> int:
    """Run ``export`` for parsed arguments; returns the exit code."""
    if args.scheduler and args.engine != "dask":
        print("streamfold export: --scheduler needs --engine dask", file=sys.stderr)
        return 2
    bar = ProgressBar(len(args.paths), 0, enabled=not args.no_progress and sys.stderr.isatty())
    try:
        with bar:
            stats = export(
                args.paths,
                args.out,
                to=args.to,
                jobs=args.jobs,
                log=args.log,
                source=args.source,
                engine=args.engine,
                scheduler=args.scheduler,
                progress=bar,
            )
    except UsageError as exc:
        print(f"streamfold export: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(
        f"{stats.files} files, {stats.frames} frames, {stats.bytes / 1e6:.1f} MB, "
        f"{stats.errors} failed -> {args.out}",
        file=sys.stderr,
    )
    return 0


def main_export(argv: Sequence[str] | None = None) -> int:
    """``streamfold export ARGS`` (``argv`` without the program and command names)."""
    return run_export(build_parser().parse_args(argv))

"""``export``: fold many inputs into tables, on this machine or on Dask (docs/batch.md)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ..errors import UsageError
from ..tables.schema import TABLES
from ..tables.sink import OutputFormat, write_manifest
from .inputs import expand_inputs
from .local import ExportStats, Progress, default_jobs, run_files, run_log

__all__ = ["Engine", "export", "prepare_output"]

Engine = Literal["local", "dask"]


def prepare_output(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``OUT_DIR``, empty its table folders (the job owns ``OUT_DIR/<table>/``, nothing
    else there is touched) and write ``_schema.json``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        folder = out / table
        if folder.is_dir():
            shutil.rmtree(folder)
    write_manifest(out)
    return out


def export(
    paths: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    to: OutputFormat = "parquet",
    jobs: int | None = None,
    log: bool = False,
    source: str | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    progress: Progress | None = None,
) -> ExportStats:
    """Fold ``paths`` (files, directories, globs; any mix of framings and formats) into the
    tables of docs/batch.md under ``out_dir``.

    ``to``: ``"parquet"`` (extra ``parquet``) or ``"jsonl"``. ``jobs``: worker processes (one
    per core by default; Dask: workers of the local cluster it starts). ``log``: the files are
    consecutive pieces of one log; sessions are routed and folded in log order, and rows name
    ``source`` (default: the first file). ``engine="dask"`` runs on the cluster at
    ``scheduler`` (or a given ``client``), a local cluster when neither is given.
    Raises :class:`UsageError` for bad arguments; never for bad input files.
    """
    if to not in ("parquet", "jsonl"):
        raise UsageError(f"unknown output format {to!r} (parquet or jsonl)")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1")
    files = expand_inputs(paths)
    if not files:
        raise UsageError("no input files")
    if to == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError(
                "Parquet output needs pyarrow: pip install 'streamfold[parquet]' "
                "(or use --to jsonl)"
            ) from None
    out = str(prepare_output(out_dir))
    name = source if source is not None else files[0]
    if engine == "dask":
        from .dask_engine import export_dask

        return export_dask(
            files,
            out,
            to=to,
            log=log,
            source=name,
            jobs=jobs,
            scheduler=scheduler,
            client=client,
            progress=progress,
        )
    if engine != "local":
        raise UsageError(f"unknown engine {engine!r} (local or dask)")
    n = jobs or default_jobs()
    if log:
        return run_log(files, out, to, n, name, progress)
    return run_files(files, out, to, n, progress)

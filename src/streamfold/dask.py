"""Run ``streamfold export`` on a Dask cluster (extra ``dask``; docs/batch.md "Dask").

::

    from distributed import Client
    import streamfold.dask

    client = Client("tcp://scheduler:8786")          # or None: a local cluster is started
    stats = streamfold.dask.export(["logs/2026-05-*.ndjson"], "out", log=True, client=client)

This module is a thin public front for :mod:`streamfold.batch.dask_engine`; it never imports
``dask`` itself, so even run from inside the package folder it cannot stand in for the real
``dask`` package. Dask is imported when a job runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .batch.api import export as _export
from .batch.dask_engine import fold_files_task, fold_sessions_task, route_file_task
from .batch.local import ExportStats
from .tables.sink import OutputFormat

__all__ = ["ExportStats", "export", "fold_files_task", "fold_sessions_task", "route_file_task"]


def export(
    paths: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    to: OutputFormat = "parquet",
    log: bool = False,
    source: str | None = None,
    scheduler: str | None = None,
    client: Any = None,
    jobs: int | None = None,
) -> ExportStats:
    """:func:`streamfold.batch.export` with ``engine="dask"``: on ``client``, else on the
    scheduler at ``scheduler``, else on a new local cluster of ``jobs`` worker processes."""
    return _export(
        paths,
        out_dir,
        to=to,
        log=log,
        source=source,
        engine="dask",
        scheduler=scheduler,
        client=client,
        jobs=jobs,
    )

"""The Dask engine (extra ``dask``): the local engine's job on a Dask cluster.

Same units of work as the local engine (:mod:`streamfold.batch.work`), so the same rows
(docs/batch.md "Dask"):

* **Files**: the files are cut into contiguous groups, one task per group; each task folds its
  files one at a time and writes its part of every table from the worker
  (``OUT_DIR/<table>/part-dNNNNN.<ext>``).
* **--log**: one routing task per file, chained: each takes the router state the previous
  file's task left (the frame splitter mid-line, the session routing state, the frame count)
  and gives the file's frames with their session key and log index. The frames are then
  shuffled by session (``dask.bag`` ``groupby`` on the session's partition, a stable hash of the
  key) and each partition task sorts its sessions' frames back into log order, folds each
  session in its own reducer and writes its part from the worker.

``OUT_DIR`` must be reachable at the same path from every worker (a shared filesystem) when the
cluster spans machines.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..tables.rows import Rows, empty_rows
from ..tables.sink import OutputFormat, open_sink
from .local import ExportStats, Progress, default_jobs, owner, peak_rss
from .work import FrameRecord, LogRouter, SessionFolder, fold_path

__all__ = ["export_dask", "fold_files_task", "fold_sessions_task", "route_file_task"]

_FAILED = ("file_error", "internal_error")


def _write(rows: Rows, out_dir: str, fmt: OutputFormat, part: str) -> None:
    sink = open_sink(fmt, out_dir, part)
    try:
        sink.write(rows)
    finally:
        sink.close()


def fold_files_task(
    files: Sequence[str], out_dir: str, fmt: OutputFormat, part: str
) -> tuple[int, int, int, int]:
    """Fold ``files`` one at a time and write their rows as ``part``; returns ``(files,
    frames, bytes, errors)``."""
    sink = open_sink(fmt, out_dir, part)
    frames = size = errors = 0
    try:
        for path in files:
            result = fold_path(path)
            sink.write(result.rows)
            frames += result.frames
            size += result.bytes
            errors += any(r["code"] in _FAILED for r in result.rows["diagnostics"])
    finally:
        sink.close()
    return len(files), frames, size, errors


def route_file_task(state: LogRouter, path: str, last: bool) -> tuple[LogRouter, list[FrameRecord]]:
    """Route one file of the log from the router state the previous file left."""
    state = copy.deepcopy(state)  # a task's input must stay as it was (tasks may be re-run)
    records = state.route_file(path, last=last)
    return state, records


def _partition_of(partitions: int, record: FrameRecord) -> int:
    return owner(record[0], partitions)


def fold_sessions_task(
    groups: list[tuple[int, list[FrameRecord]]],
    out_dir: str,
    fmt: OutputFormat,
    source: str,
    final: LogRouter,
    part: str,
    errors: bool,
) -> int:
    """Fold the sessions of shuffled groups in log order, write them as ``part`` (with the
    router's error rows when ``errors``); returns the frames folded."""
    records = [record for _, group in groups for record in group]
    records.sort(key=lambda r: r[1])  # log order (the shuffle does not keep it)
    folder = SessionFolder()
    folder.feed_many(records)
    rows = folder.rows(source, final.frames)
    if errors:
        rows["diagnostics"].extend(final.errors)
    _write(rows, out_dir, fmt, part)
    return len(records)


def _import(name: str) -> Any:
    """A Dask module (untyped: its objects are used as ``Any``)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError("the Dask engine needs: pip install 'streamfold[dask]'") from exc


def _client(scheduler: str | None, jobs: int | None) -> tuple[Any, list[Any]]:
    distributed = _import("distributed")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster

    if scheduler:
        client = Client(scheduler)
        return client, [client]
    cluster = LocalCluster(
        n_workers=jobs or default_jobs(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    client = Client(cluster)
    return client, [client, cluster]


def export_dask(
    files: Sequence[str],
    out_dir: str,
    *,
    to: OutputFormat,
    log: bool,
    source: str,
    jobs: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: Progress | None = None,
) -> ExportStats:
    """Run the export on Dask (see the module docstring); ``client`` is used as is, otherwise
    one is made for ``scheduler`` or for a new local cluster of ``jobs`` workers (closed at the
    end)."""
    owned: list[Any] = []
    if client is None:
        client, owned = _client(scheduler, jobs)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or (jobs or 1))
        if log:
            stats = _log(client, files, out_dir, to, source, workers, progress)
        else:
            stats = _files(client, files, out_dir, to, workers, progress)
        if owned:  # workers of our own cluster: their peaks are this job's
            peaks = client.run(peak_rss).values()
            stats.worker_peak_rss = [p for p in peaks if p is not None]
        return stats
    finally:
        for item in owned:
            item.close()


def _files(
    client: Any,
    files: Sequence[str],
    out_dir: str,
    fmt: OutputFormat,
    workers: int,
    progress: Progress | None,
) -> ExportStats:
    as_completed = _import("distributed").as_completed
    count = min(len(files), workers * 4)
    size = -(-len(files) // count)
    groups = [list(files[i : i + size]) for i in range(0, len(files), size)]
    parts = [f"part-d{i:05d}" for i in range(len(groups))]
    futures = [
        client.submit(fold_files_task, group, out_dir, fmt, part, pure=False)
        for group, part in zip(groups, parts, strict=True)
    ]
    stats = ExportStats(parts=parts)
    for future in as_completed(futures):
        n, frames, nbytes, errors = future.result()
        stats.files += n
        stats.frames += frames
        stats.bytes += nbytes
        stats.errors += errors
        if progress is not None:
            progress(n, frames, nbytes)
    return stats


def _log(
    client: Any,
    files: Sequence[str],
    out_dir: str,
    fmt: OutputFormat,
    source: str,
    workers: int,
    progress: Progress | None,
) -> ExportStats:
    dask = _import("dask")
    db = _import("dask.bag")
    as_completed = _import("distributed").as_completed

    state: Any = LogRouter(name=files[0], source=source)
    routed = []
    for i, path in enumerate(files):
        step = dask.delayed(route_file_task, nout=2, pure=False)(state, path, i == len(files) - 1)
        state, records = step[0], step[1]
        routed.append(records)
    partitions = max(1, workers * 2)
    bag = db.from_delayed(routed)
    if bag.npartitions > partitions:  # the shuffle's output has as many partitions as its input
        bag = bag.repartition(npartitions=partitions)
    # Grouped by the session's partition (an int: its hash is the same in every process), so
    # each group holds whole sessions.
    grouped = bag.groupby(partial(_partition_of, partitions), shuffle="tasks")
    tasks = [
        dask.delayed(fold_sessions_task, pure=False)(
            part, out_dir, fmt, source, state, f"part-d{i:05d}", i == 0
        )
        for i, part in enumerate(grouped.to_delayed())
    ]
    stats = ExportStats(parts=[f"part-d{i:05d}" for i in range(len(tasks))])
    futures = client.compute([*tasks, state])
    for future in as_completed(futures[:-1]):
        frames = future.result()
        stats.frames += frames
        if progress is not None:
            progress(0, frames, 0)
    final: LogRouter = futures[-1].result()
    stats.files = len(files)
    stats.bytes = final.nbytes
    stats.errors = sum(1 for row in final.errors if row["code"] == "file_error")
    if progress is not None:
        progress(len(files), 0, final.nbytes)
    if not tasks:  # pragma: no cover - a bag always has a partition
        rows = empty_rows()
        rows["diagnostics"].extend(final.errors)
        _write(rows, out_dir, fmt, "part-d00000")
    return stats

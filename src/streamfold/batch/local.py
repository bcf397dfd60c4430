"""The local engine: worker processes on this machine (docs/batch.md "The local engine").

Each worker process writes its own part of every table (``OUT_DIR/<table>/part-wNN.<ext>``),
so rows never travel back to the parent; the parent only hands out work and counts progress.

* **Files** (default): workers take file paths from a bounded queue, fold one file at a time
  (:func:`~streamfold.batch.work.fold_path`) and write its rows. Memory: about one folded file
  per worker, whatever the number of files.
* **--log**: the parent reads the files in order as one stream, routes each frame to its
  session (:class:`~streamfold.batch.work.LogRouter`) and sends it, in batches through a bounded
  queue, to the worker that owns the session (a stable hash of the key). Each worker folds its
  sessions in log order (:class:`~streamfold.batch.work.SessionFolder`) and writes their rows at
  the end. Memory: the workers' folded sessions plus a few batches in flight.

A file that cannot be read becomes a ``file_error`` row; a worker that dies becomes a
``worker_died`` row (its file, or its sessions, are lost) and the job goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.context import SpawnContext
from typing import Any, Final

import attrs

from ..tables.rows import empty_rows
from ..tables.sink import OutputFormat, open_sink
from .frames import RecordingError
from .work import FrameRecord, LogRouter, SessionFolder, error_row, fold_path, read_chunks

__all__ = [
    "BATCH_FRAMES",
    "ExportStats",
    "Progress",
    "default_jobs",
    "owner",
    "peak_rss",
    "run_files",
    "run_log",
]

BATCH_FRAMES: Final = 2048
"""Frames per batch sent to a ``--log`` worker."""
_QUEUE_BATCHES: Final = 4  # batches in flight per --log worker
_POLL: Final = 0.2  # seconds between checks on the workers

Progress = Callable[[int, int, int], None]
"""Called with increments ``(files, frames, bytes)`` as work completes."""


@attrs.define
class ExportStats:
    """What a job did."""

    files: int = 0
    frames: int = 0
    bytes: int = 0
    errors: int = 0
    """Inputs (or workers) that failed: each has a ``diagnostics`` row."""
    parts: list[str] = attrs.field(factory=list)
    worker_peak_rss: list[int] = attrs.field(factory=list)
    """Peak resident memory of each worker process in bytes (local engine, where known)."""


def peak_rss() -> int | None:
    """This process's peak resident set size in bytes: ``VmHWM`` (Linux; unlike
    ``ru_maxrss`` it is not inherited from the parent across fork and exec), else ``None``."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _context() -> SpawnContext:
    # spawn: no fork of a parent that may hold threads (a progress bar, a Dask client, pytest).
    return mp.get_context("spawn")


def _part(worker: int) -> str:
    return f"part-w{worker:02d}"


# ------------------------------------------------------------------------------ files mode


def _files_worker(worker: int, out_dir: str, fmt: OutputFormat, tasks: Any, events: Any) -> None:
    sink = open_sink(fmt, out_dir, _part(worker))
    try:
        while True:
            path = tasks.get()
            if path is None:
                break
            events.put(("start", worker, path))
            result = fold_path(path)
            sink.write(result.rows)
            failed = any(
                r["code"] in ("file_error", "internal_error") for r in result.rows["diagnostics"]
            )
            events.put(("done", worker, (1, result.frames, result.bytes, int(failed))))
    finally:
        sink.close()
        events.put(("exit", worker, peak_rss()))


def _write_rows(
    out_dir: str, fmt: OutputFormat, part: str, rows: dict[str, list[dict[str, Any]]]
) -> None:
    sink = open_sink(fmt, out_dir, part)
    try:
        sink.write(rows)
    finally:
        sink.close()


def run_files(
    files: Sequence[str],
    out_dir: str,
    fmt: OutputFormat,
    jobs: int,
    progress: Progress | None = None,
) -> ExportStats:
    """Fold each file on its own in ``jobs`` worker processes (see the module docstring)."""
    ctx = _context()
    jobs = max(1, min(jobs, len(files) or 1))
    tasks: Any = ctx.Queue(maxsize=2 * jobs)
    events: Any = ctx.Queue()
    workers = {
        w: ctx.Process(target=_files_worker, args=(w, out_dir, fmt, tasks, events), daemon=True)
        for w in range(jobs)
    }
    for process in workers.values():
        process.start()
    stats = ExportStats(parts=[_part(w) for w in workers])
    in_flight: dict[int, str] = {}
    exited: set[int] = set()
    lost: list[dict[str, Any]] = []

    def handle(event: tuple[str, int, Any]) -> None:
        kind, worker, payload = event
        if kind == "start":
            in_flight[worker] = payload
        elif kind == "done":
            in_flight.pop(worker, None)
            files_, frames, size, failed = payload
            stats.files += files_
            stats.frames += frames
            stats.bytes += size
            stats.errors += failed
            if progress is not None:
                progress(files_, frames, size)
        else:
            exited.add(worker)
            if payload is not None:
                stats.worker_peak_rss.append(payload)

    def check_dead() -> None:
        for worker, process in workers.items():
            if (
                worker not in exited
                and not process.is_alive()
                and process.exitcode not in (0, None)
            ):
                exited.add(worker)
                path = in_flight.pop(worker, None)
                what = f"while folding {path}" if path else "between files"
                lost.append(
                    error_row(
                        path or "",
                        f"worker {worker} died ({process.exitcode}) {what}",
                        "worker_died",
                    )
                )
                stats.errors += 1

    pending = deque(files)
    stops = 0
    while len(exited) < jobs:
        try:
            while True:
                handle(events.get_nowait())
        except queue.Empty:
            pass
        check_dead()
        if pending or stops < jobs:
            try:
                tasks.put(pending[0] if pending else None, timeout=_POLL)
            except queue.Full:
                continue
            if pending:
                pending.popleft()
            else:
                stops += 1
            continue
        with contextlib.suppress(queue.Empty):
            handle(events.get(timeout=_POLL))
    for path in pending:  # every worker died
        lost.append(error_row(path, "not folded: every worker died", "worker_died"))
        stats.errors += 1
    for process in workers.values():
        process.join()
    if lost:
        _write_rows(out_dir, fmt, "part-main", {**empty_rows(), "diagnostics": lost})
        stats.parts.append("part-main")
    return stats


# -------------------------------------------------------------------------------- log mode


def owner(key: str, workers: int) -> int:
    """The worker (or partition) that folds session ``key``: a stable hash, the same in every
    process and engine."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % workers


def _log_worker(
    worker: int, out_dir: str, fmt: OutputFormat, source: str, batches: Any, events: Any
) -> None:
    folder = SessionFolder()
    log_frames = 0
    while True:
        item = batches.get()
        if isinstance(item, int):  # the end: the log's frame count
            log_frames = item
            break
        folder.feed_many(item)
        events.put(("frames", worker, len(item)))
    rows = folder.rows(source, log_frames)
    _write_rows(out_dir, fmt, _part(worker), rows)
    events.put(("exit", worker, peak_rss()))


def run_log(
    files: Sequence[str],
    out_dir: str,
    fmt: OutputFormat,
    jobs: int,
    source: str,
    progress: Progress | None = None,
) -> ExportStats:
    """Fold the files as consecutive pieces of one log, each session in log order (see the
    module docstring)."""
    ctx = _context()
    jobs = max(1, jobs)
    queues: list[Any] = [ctx.Queue(maxsize=_QUEUE_BATCHES) for _ in range(jobs)]
    events: Any = ctx.Queue()
    workers = [
        ctx.Process(
            target=_log_worker, args=(w, out_dir, fmt, source, queues[w], events), daemon=True
        )
        for w in range(jobs)
    ]
    for process in workers:
        process.start()
    stats = ExportStats(parts=[_part(w) for w in range(jobs)])
    exited: set[int] = set()
    dead: set[int] = set()

    def drain(block: bool = False) -> None:
        try:
            while True:
                kind, worker, payload = events.get(timeout=_POLL) if block else events.get_nowait()
                block = False
                if kind == "frames":
                    stats.frames += payload
                    if progress is not None:
                        progress(0, payload, 0)
                else:
                    exited.add(worker)
                    if payload is not None:
                        stats.worker_peak_rss.append(payload)
        except queue.Empty:
            pass
        for w, process in enumerate(workers):
            if w not in exited and not process.is_alive() and process.exitcode not in (0, None):
                exited.add(w)
                dead.add(w)

    def send(worker: int, item: list[FrameRecord] | int) -> None:
        while worker not in dead:
            try:
                queues[worker].put(item, timeout=_POLL)
                return
            except queue.Full:
                drain()

    router = LogRouter(name=files[0] if files else "", source=source)
    buffers: list[list[FrameRecord]] = [[] for _ in range(jobs)]

    def dispatch(records: list[FrameRecord]) -> None:
        for record in records:
            w = owner(record[0], jobs)
            buffer = buffers[w]
            buffer.append(record)
            if len(buffer) >= BATCH_FRAMES:
                send(w, buffer)
                buffers[w] = []
        drain()

    for i, path in enumerate(files):
        records: list[FrameRecord] = []
        size = 0
        try:
            for chunk in read_chunks(path):
                size += len(chunk)
                router.route_bytes(chunk, records)
                if len(records) >= BATCH_FRAMES:
                    dispatch(records)
                    records = []
        except (OSError, RecordingError) as exc:
            router.errors.append(error_row(source, f"{path}: {type(exc).__name__}: {exc}"))
            stats.errors += 1
        if i == len(files) - 1:
            records += router.finish()
        dispatch(records)
        stats.files += 1
        stats.bytes += size
        if progress is not None:
            progress(1, 0, size)
    if not files:
        router.finish()
    for w in range(jobs):
        if buffers[w]:
            send(w, buffers[w])
        send(w, router.frames)
    while len(exited) < jobs:
        drain(block=True)
    for process in workers:
        process.join()
    errors = list(router.errors)
    for w in sorted(dead):
        errors.append(
            error_row(source, f"worker {w} died; the sessions it folded are lost", "worker_died")
        )
        stats.errors += 1
    if errors:
        _write_rows(out_dir, fmt, "part-main", {**empty_rows(), "diagnostics": errors})
        stats.parts.append("part-main")
    return stats


def default_jobs() -> int:
    """One worker per core."""
    return os.cpu_count() or 1

"""The batch job's progress bar (rich, on stderr): files done, frames folded, MB/s."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """A ``rich`` progress bar over ``total_files``, or nothing when rich is missing or
    ``enabled`` is false. Call it with increments ``(files, frames, bytes)``."""

    def __init__(self, total_files: int, total_bytes: int, *, enabled: bool = True) -> None:
        self.frames = 0
        self.bytes = 0
        self._start = time.monotonic()
        self._progress: Any = None
        self._task: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:  # the cli extra is not installed: no bar
            return
        self._progress = Progress(
            TextColumn("files"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[frames]:,} frames"),
            TextColumn("{task.fields[rate]:.1f} MB/s"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task("export", total=total_files, frames=0, rate=0.0)
        self._total_bytes = total_bytes

    def __call__(self, files: int, frames: int, size: int) -> None:
        self.frames += frames
        self.bytes += size
        if self._progress is not None:
            elapsed = max(time.monotonic() - self._start, 1e-9)
            self._progress.update(
                self._task,
                advance=files,
                frames=self.frames,
                rate=self.bytes / elapsed / 1e6,
            )

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

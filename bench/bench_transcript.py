"""Transcripts and timelines of a large recording: time and memory of each writer, against
folding the same frames and against the JSON export of the model (``docs/transcript.md``,
"Large inputs"), measured in the same run.

Run: ``.venv/bin/python bench/bench_transcript.py [FRAMES]`` (default 1,000,000 frames).

The input is the Loom agent script of ``bench/streams.py`` (ReAct runs: reasoning, text, tool
calls, usage, one session per run), generated and fed run by run, with an arrival time per
frame, so the input itself is never held. Each writer writes into a sink that only counts
characters. For each step it prints the time, the time relative to folding, the characters
written, and how far the process's resident memory rose above where it was when the step
began (sampled every 5 ms from ``/proc/self/statm`` by a thread): a streaming writer adds little
to the model's own memory, which the fold step shows.
Timings live here, never in tests.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streams import loom_run, script

from streamfold.export.json import to_json
from streamfold.export.timeline import write_chrome_trace
from streamfold.export.transcript import write_html, write_json, write_markdown
from streamfold.reducer import Reducer

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / (1 << 20)


class Sampler:
    """The highest resident memory seen while a step runs."""

    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


class Sink:
    """Counts what a writer writes and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> None:
        self.chars += len(text)


def fold(frames: int) -> tuple[Reducer, int]:
    reducer = Reducer(max_diagnostics=1000)
    fed = 0
    for run in script():
        for line in loom_run(run):
            reducer.feed(orjson.loads(line), raw=line, at=fed * 0.002)
            fed += 1
        if fed >= frames:
            break
    reducer.close()
    return reducer, fed


def step(name: str, action: Callable[[], int], base: float | None) -> float:
    gc.collect()
    before = rss_mib()
    with Sampler() as sampler:
        start = time.perf_counter()
        chars = action()
        took = time.perf_counter() - start
    ratio = f"{took / base:6.2f}x" if base else "  1.00x"
    grew = sampler.peak - before
    print(f"{name:<22} {took:8.2f} s {ratio} {chars / 1e6:9.1f} M chars   peak +{grew:7.1f} MiB")
    return took


def main() -> None:
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"streamfold transcript/timeline benchmark: {frames:,} Loom frames")
    print(f"{'step':<22} {'time':>10} {'vs fold':>7} {'written':>16}   memory")
    holder: dict[str, Any] = {}

    def do_fold() -> int:
        holder["reducer"], holder["fed"] = fold(frames)
        return 0

    base = step("fold (the model)", do_fold, None)
    conversation = holder["reducer"].conversation
    runs = len(conversation.runs)
    print(f"{'':<22} {runs:,} runs, {holder['fed']:,} frames, resident {rss_mib():.0f} MiB")

    def sink(writer: Callable[..., None]) -> Callable[[], int]:
        def action() -> int:
            out = Sink()
            writer(conversation, out.write)
            return out.chars

        return action

    step("transcript json", sink(write_json), base)
    step("transcript md", sink(write_markdown), base)
    step("transcript html", sink(write_html), base)
    step("timeline chrome-trace", sink(write_chrome_trace), base)
    try:
        from streamfold.export.timeline.otel import write_otlp_json
    except ImportError:
        print("timeline otlp-json: skipped (pip install 'streamfold[otel]')")
    else:
        step("timeline otlp-json", sink(write_otlp_json), base)
    # Last: its freed memory stays resident and would hide the writers' own growth.
    step("json export (peer)", lambda: len(to_json(conversation, indent=False)), base)


if __name__ == "__main__":
    main()

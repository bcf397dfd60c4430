"""Many short sessions: per-frame cost at 10^3 and 10^5 sessions against one long stream.

Run: ``python bench/bench_sessions.py`` (10^5 sessions, a few minutes) or
``--sessions 20000`` for a quicker look; ``--write`` updates its section of
``bench/results.md`` (between the ``bench_sessions`` markers).

For each format of ``bench/streams.py`` it renders:

* **long**: the usual stream (runs of ~300 frames, one session each), as many frames as the
  10^5-session stream;
* **short**: finished sessions of one short turn (~15-20 frames each: a few reasoning and
  text deltas, usage, the run's end), 10^3 of them and 10^5 of them, every one its own session
  (its own Loom ``session_id``, AG-UI ``threadId``, NNRP ``session_id``).

Each is folded with ``feed_line`` in a fresh process that holds only its lines (one ``bytes``
each, which the collector does not track), three ways: the collector as CPython sets it up
(*gc*), the collector off (*no gc*), and the strategy of ``streamfold.collector``
(*freeze*: ``FreezeSettled.reached`` after every frame, which is what ``fold`` / ``fold_file``
and the batch workers do). ``orjson.loads`` of the same lines is timed in the same process (the
floor). Ratios are against the long stream measured in the same run. Timings belong here, never
in tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import streams  # noqa: E402
from sections import write_section  # noqa: E402

RESULTS = HERE / "results.md"
MODES = ("gc", "no gc", "freeze")


def short_stream(fmt: str, sessions: int, seed: int = 11) -> list[bytes]:
    """``sessions`` finished one-turn sessions of the script, each its own session."""
    render = streams._RENDER[fmt]
    lines: list[bytes] = []
    for n, run in enumerate(streams.script(seed)):
        if n == sessions:
            break
        turn = run.turns[-1]
        short = replace(
            run,
            turns=(replace(turn, reasoning=turn.reasoning[:4], text=turn.text[:12], tools=()),),
        )
        out = render(short)
        if fmt == "agui":  # one thread per run (the renderer puts every run in one thread)
            thread = f'"thread-{n}"'.encode()
            out = [line.replace(b'"thread-bench-1"', thread) for line in out]
        lines += out
    return lines


def child(path: str, fmt: str, mode: str) -> None:
    """Fold the file's lines in this fresh process; print the timings as JSON."""
    from streamfold import Reducer
    from streamfold.collector import FreezeSettled

    name = {"loom": "loom", "agui": "tanstack", "nnrp": "nnrp"}[fmt]
    blob = Path(path).read_bytes()
    lines = blob.splitlines()
    del blob
    warm = Reducer(format=name)  # imports and first-call paths, outside the timing
    for line in lines[:3000]:
        warm.feed_line(line)
    del warm
    start = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    floor = time.perf_counter() - start
    gc.collect()
    pauses: list[float] = []
    t0 = [0.0]

    def clock(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                t0[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - t0[0])

    gc.callbacks.append(clock)
    if mode == "no gc":
        gc.disable()
    reducer = Reducer(format=name)
    feed = reducer.feed_line
    start = time.perf_counter()
    if mode == "freeze":
        with FreezeSettled() as settle:
            reached = settle.reached
            for line in lines:
                feed(line)
                reached(reducer.frames_in)
    else:
        for line in lines:
            feed(line)
    elapsed = time.perf_counter() - start
    gc.enable()
    gc.callbacks.remove(clock)
    print(
        json.dumps(
            {
                "frames": len(lines),
                "sessions": len(reducer.conversation.sessions),
                "seconds": elapsed,
                "floor": floor,
                "full_gcs": len(pauses),
                "gc_seconds": sum(pauses),
            }
        )
    )


def run_child(path: Path, fmt: str, mode: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(path), fmt, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000, help="the large count")
    parser.add_argument("--small", type=int, default=1_000, help="the small count")
    parser.add_argument("--formats", nargs="+", default=list(streams.FORMATS))
    parser.add_argument("--write", action="store_true", help="update the results file")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        for fmt in args.formats:
            many = short_stream(fmt, args.sessions)
            few = short_stream(fmt, args.small)
            long = streams.make_stream(fmt, len(many), with_openai=False).lines
            cases = [
                ("long", long, MODES),
                (f"short ×{args.small:,}", few, ("gc",)),
                (f"short ×{args.sessions:,}", many, MODES),
            ]
            base: float | None = None
            for label, lines, modes in cases:
                path = Path(tmp) / f"{fmt}.ndjson"
                path.write_bytes(b"\n".join(lines) + b"\n")
                for mode in modes:
                    r = run_child(path, fmt, mode)
                    us = r["seconds"] / r["frames"] * 1e6
                    if base is None:
                        base = us
                    r.update(fmt=fmt, stream=label, mode=mode, us=us, ratio=us / base)
                    rows.append(r)
                    print(
                        f"{fmt:5} {label:14} {mode:7} {r['frames']:>9,} frames "
                        f"{r['sessions']:>7,} sessions {us:6.2f} µs/frame "
                        f"{us / base:5.2f}× long  ÷floor {r['seconds'] / r['floor']:5.2f}×  "
                        f"full GCs {r['full_gcs']} ({r['gc_seconds']:.2f} s)",
                        flush=True,
                    )
    if args.write:
        write(rows, args)


def write(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    out = [
        "## Many short sessions (`bench/bench_sessions.py`)",
        "",
        f"Written by `python bench/bench_sessions.py --write` on {time.strftime('%Y-%m-%d %H:%M')}"
        f"; {os.cpu_count()} cores, load average {load} at the end; CPython "
        f"{platform.python_version()}. `feed_line` per frame in a fresh process per row. *long*: "
        "the usual stream (one session per ~300-frame run) with as many frames as the large "
        "short-session stream; *short*: one-turn sessions of ~15-20 frames. *gc*: the collector "
        "as CPython sets it up; *no gc*: disabled; *freeze*: `streamfold.collector."
        "FreezeSettled` (what `fold`, `fold_file` and the batch workers do). *× long*: µs per "
        "frame ÷ the long stream's with the collector on, same run. Issue #24's goal: ≤ 2× at "
        "10^5 sessions, with and without the collector.",
        "",
        "| format | stream | collector | frames | µs/frame | × long | ÷ orjson.loads "
        "| full collections (s) |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        out.append(
            f"| {r['fmt']} | {r['stream']} | {r['mode']} | {r['frames']:,} | {r['us']:.2f} | "
            f"{r['ratio']:.2f}× | {r['seconds'] / r['floor']:.2f}× | "
            f"{r['full_gcs']} ({r['gc_seconds']:.2f}) |"
        )
    write_section(args.out, "bench_sessions", out)


if __name__ == "__main__":
    main()

"""Resume cost: snapshot and restore time and size per MB of model.

Run: ``python bench/bench_snapshot.py`` (this checkout) or
``python bench/bench_snapshot.py --compare OTHER/src`` to time another streamfold tree (e.g. an
older commit checked out with ``git worktree add``) in the same run, each in a fresh process,
and print the ratio this ÷ other. Not part of the test suite: timings belong here, never in tests.

Streams: the three deterministic bench streams (``bench/streams.py``: Loom ReAct + tools, AG-UI
text + tools, NNRP token chunks) and the bundled ``examples/recordings/loom-multi-agent.ndjson``
scaled up (its sessions repeated under new ids, ``frames / 500`` times). Each is folded through
``feed_bytes`` / ``feed_sse`` up to two thirds of its bytes (cut inside a line: runs open, text
partial, a partial line buffered), then timed:

* *snapshot*: ``to_bytes(reducer)`` (the snapshot dict and its JSON bytes);
* *restore*: ``from_bytes(data)`` (a reducer that can continue);
* *bytes*: the size of that JSON.

``from_bytes`` is ``Reducer.from_snapshot`` (``streamfold.persist.from_bytes`` before v4).

"Per MB of model" divides by the size of the model's JSON export (``inspect --json`` without
indentation) of the same reducer, so streams of different sizes compare.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

LABELS = {
    "loom": "Loom ReAct + tools",
    "agui": "AG-UI text + tools",
    "nnrp": "NNRP token chunks",
    "recording": "loom-multi-agent.ndjson scaled",
}


def _codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any], Callable[[Any], bytes]]:
    """``to_bytes``, ``from_bytes`` and the model export of whichever streamfold is on the path
    (the resume format moved from ``streamfold.persist`` to ``streamfold.snapshot``, and the
    export from ``streamfold.snapshot`` to ``streamfold.export.json``)."""
    import importlib

    from streamfold import Reducer

    try:
        resume = importlib.import_module("streamfold.snapshot")
        to_bytes, from_bytes = resume.to_bytes, Reducer.from_snapshot
        export = importlib.import_module("streamfold.export.json")
    except (ImportError, AttributeError):  # before snapshot v4
        resume = importlib.import_module("streamfold.persist")
        to_bytes, from_bytes = resume.to_bytes, resume.from_bytes
        export = importlib.import_module("streamfold.snapshot")

    def model_json(reducer: Any) -> bytes:
        data: bytes = export.to_json(reducer.conversation, indent=False)
        return data

    return to_bytes, from_bytes, model_json


def _recording(copies: int) -> bytes:
    lines = (ROOT / "examples" / "recordings" / "loom-multi-agent.ndjson").read_bytes()
    out: list[bytes] = []
    for k in range(copies):
        for line in lines.splitlines():
            if not line.strip():
                continue
            frame = orjson.loads(line)
            if isinstance(frame.get("session_id"), str):
                frame["session_id"] = f"{frame['session_id']}~{k}"
            out.append(orjson.dumps(frame))
    return b"\n".join(out) + b"\n"


def _input(name: str, frames: int) -> tuple[bytes, str]:
    if name == "recording":
        return _recording(max(1, frames // 500)), "ndjson"  # 431 frames a copy
    from streams import make_stream, sse

    stream = make_stream(name, frames, with_openai=False)
    if name == "agui":
        return sse(stream.lines), "sse"
    return stream.ndjson, "ndjson"


def _best(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(name: str, frames: int, repeat: int) -> dict[str, float]:
    """One stream in this process: the numbers of one table row."""
    from streamfold import Reducer

    to_bytes, from_bytes, model_json = _codec()
    data, framing = _input(name, frames)
    reducer = Reducer()
    cut = len(data) * 2 // 3
    (reducer.feed_sse if framing == "sse" else reducer.feed_bytes)(data[:cut])
    model = len(model_json(reducer))
    saved = to_bytes(reducer)
    snap = _best(repeat, lambda: to_bytes(reducer))
    restore = _best(repeat, lambda: from_bytes(saved))
    mb = model / 1e6
    return {
        "frames": reducer.frames_in,
        "model_bytes": model,
        "snapshot_bytes": len(saved),
        "snapshot_us_per_mb": snap * 1e6 / mb,
        "restore_us_per_mb": restore * 1e6 / mb,
        "bytes_per_model_byte": len(saved) / model,
    }


def _child(src: Path, name: str, frames: int, repeat: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", name, str(frames), str(repeat)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} under {src}: {proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _best_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: min(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another streamfold src/ to time too")
    parser.add_argument(
        "--rounds", type=int, default=3, help="child processes per tree, alternating; best kept"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, frames, repeat = args.child
        print(json.dumps(measure(name, int(frames), int(repeat))))
        return
    this = ROOT / "src"
    header = "| stream | frames | model MB | snapshot µs/MB | restore µs/MB | bytes ÷ model |"
    if args.compare:
        header += " snapshot ÷ other | restore ÷ other | bytes ÷ other |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name in LABELS:
        # Alternate the trees, a fresh process each time, and keep each number's best: other
        # load on the machine then slows both alike instead of whichever ran during it.
        runs: dict[Path, list[dict[str, float]]] = {this: []}
        if args.compare:
            runs[args.compare] = []
        for _ in range(args.rounds):
            for src, results in runs.items():
                results.append(_child(src, name, args.frames, args.repeat))
        new = _best_of(runs[this])
        row = (
            f"| {LABELS[name]} | {int(new['frames']):,} | {new['model_bytes'] / 1e6:.2f} "
            f"| {new['snapshot_us_per_mb']:,.0f} | {new['restore_us_per_mb']:,.0f} "
            f"| {new['bytes_per_model_byte']:.2f} |"
        )
        if args.compare:
            old = _best_of(runs[args.compare])
            row += (
                f" {new['snapshot_us_per_mb'] / old['snapshot_us_per_mb']:.2f}× "
                f"({old['snapshot_us_per_mb']:,.0f}) "
                f"| {new['restore_us_per_mb'] / old['restore_us_per_mb']:.2f}× "
                f"({old['restore_us_per_mb']:,.0f}) "
                f"| {new['snapshot_bytes'] / old['snapshot_bytes']:.2f}× "
                f"({old['bytes_per_model_byte']:.2f}) |"
            )
        print(row, flush=True)


if __name__ == "__main__":
    main()

"""Batch export throughput: frames/s for 1 and N workers on each engine, peak RSS per worker.

Run: ``python bench/bench_batch.py`` (a small log, about a minute) or ``--full`` (about 1 GB,
10k sessions). Generates one log of Loom, NNRP and AG-UI sessions running at the same time
(Loom and NNRP interleaved frame by frame, AG-UI a response at a time), rotated into files, then
runs ``streamfold.batch.export`` on it per engine (local processes, Dask LocalCluster), per mode
(each file on its own; ``--log``) and per worker count, each in a fresh process. Writes its
section of ``bench/results.md`` (between the ``bench_batch`` markers) with ``--write``.
Not part of the test suite: timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sections import write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"


# ------------------------------------------------------------------------------- the log


def loom_session(sid: str, turns: int, rng: random.Random) -> list[bytes]:
    """A Loom session: ``turns`` think/act node pairs with text, a tool call and usage."""
    out: list[dict[str, Any]] = []
    eid = 0

    def ev(**fields: Any) -> None:
        nonlocal eid
        eid += 1
        out.append({"session_id": sid, "node_id": f"{sid}-n", "event_id": eid, **fields})

    for t in range(turns):
        ev(type="node_enter", id="think")
        for _ in range(rng.randint(20, 60)):
            ev(type="message_chunk", content=" word" * rng.randint(1, 4), id="think")
        call = f"call_{sid}_{t}"
        ev(type="tool_call_chunk", call_id=call, name="search", arguments_delta='{"q": "')
        ev(type="tool_call_chunk", call_id=None, arguments_delta='streamfold"}')
        ev(
            type="usage",
            prompt_tokens=1000 + t,
            completion_tokens=50 + t,
            total_tokens=1050 + 2 * t,
        )
        ev(type="node_exit", id="think", result="Ok")
        ev(type="node_enter", id="act")
        ev(type="tool_start", call_id=call, name="search")
        ev(type="tool_output", call_id=call, name="search", content="result " * 20)
        ev(type="tool_end", call_id=call, name="search", result="ok")
        ev(type="node_exit", id="act", result="Ok")
    lines = [orjson.dumps(e) for e in out]
    lines.append(
        orjson.dumps({"session_id": f"thread-{sid}", "event_id": eid + 1, "reply": "done"})
    )
    return lines


def template(name: str) -> list[bytes]:
    path = ROOT / "examples" / "recordings" / name
    return [line for line in path.read_bytes().splitlines() if line.strip()]


NNRP = template("nnrp-clean.ndjson")
AGUI = template("tanstack-agui-client-tool.ndjson")


def nnrp_session(n: int) -> list[bytes]:
    sid = f"0x{n + 0x1000:08x}".encode()
    out = []
    for line in NNRP:
        for old in (b'"0x00000011"', b'"0x00000022"', b"17", b"34"):
            line = line.replace(b'"session_id":' + old, b'"session_id":"' + sid + b'"')
        out.append(line)
    return out


def agui_session(n: int) -> list[bytes]:
    return [
        line.replace(b"thread-streamfold-1", f"thread-{n}".encode()).replace(
            b"run-tanstack-agui-client-tool", f"run-{n}".encode()
        )
        for line in AGUI
    ]


def generate(
    folder: Path, sessions: int, turns: int, files: int, seed: int = 7
) -> tuple[list[Path], int]:
    """Write the log as ``files`` rotated pieces; returns the paths and the frame count.

    Streams to disk a group of concurrent sessions at a time, so memory stays at one group's
    frames whatever the log's size; the pieces are cut at byte offsets, so a line can continue
    from one file into the next, as in a rotated log."""
    rng = random.Random(seed)
    frames = 0
    batch = 64  # sessions running at the same time
    whole = folder / "app.log"
    with whole.open("wb") as fh:
        for start in range(0, sessions, batch):
            streams = []
            agui: list[bytes] = []
            for n in range(start, min(start + batch, sessions)):
                kind = n % 8
                if kind < 6:
                    streams.append(loom_session(f"s{n}", turns, rng))
                elif kind == 6:
                    streams.append(nnrp_session(n))
                else:
                    agui += agui_session(n)
            lines: list[bytes] = []
            positions = [0] * len(streams)
            live = list(range(len(streams)))
            while live:
                i = rng.choice(live)
                lines.append(streams[i][positions[i]])
                positions[i] += 1
                if positions[i] == len(streams[i]):
                    live.remove(i)
            lines += agui
            frames += len(lines)
            fh.write(b"\n".join(lines) + b"\n")
    total = whole.stat().st_size
    size = -(-total // files)
    paths = []
    with whole.open("rb") as fh:
        for k in range(files):
            path = folder / f"app.log.{k:04d}"
            path.write_bytes(fh.read(size))
            paths.append(path)
    whole.unlink()
    return paths, frames


# ---------------------------------------------------------------------------------- a run


def one(engine: str, log: bool, jobs: int, paths: list[str], out: str) -> dict[str, Any]:
    """One export in this (fresh) process: time, frames, peak RSS per worker (MB)."""
    from streamfold.batch import export
    from streamfold.batch.local import peak_rss

    client: Any = None
    cluster: Any = None
    if engine == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    t0 = time.perf_counter()
    stats = export(paths, out, log=log, jobs=jobs, engine=engine, client=client, source="log")  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    if client is not None:
        peaks = list(client.run(peak_rss).values())
        client.close()
        cluster.close()
    else:
        peaks = stats.worker_peak_rss
    peak = max(p or 0 for p in peaks) / 2**20
    router = (peak_rss() or 0) / 2**20
    return {
        "seconds": elapsed,
        "frames": stats.frames,
        "bytes": stats.bytes,
        "worker_rss_mb": peak,
        "parent_rss_mb": router,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="about 1 GB, 10k sessions")
    parser.add_argument("--sessions", type=int, default=400)
    parser.add_argument("--turns", type=int, default=6, help="think/act turns per Loom session")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="N")
    parser.add_argument("--engines", nargs="+", default=["local", "dask"])
    parser.add_argument("--write", action="store_true", help="update the results file")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, log, jobs, out, *paths = orjson.loads(args.one)
        print(orjson.dumps(one(engine, log, jobs, paths, out)).decode())
        return
    if args.full:
        args.sessions, args.turns, args.files = 10_000, 22, 200
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths, frames = generate(folder, args.sessions, args.turns, args.files)
        size = sum(p.stat().st_size for p in paths)
        print(
            f"log: {args.sessions} sessions, {frames:,} frames, {size / 1e6:.1f} MB in "
            f"{len(paths)} files (generated in {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        rows = []
        for engine in args.engines:
            for log in (False, True):
                for jobs in sorted({1, args.jobs}):
                    spec = [engine, log, jobs, str(folder / "out"), *map(str, paths)]
                    proc = subprocess.run(
                        [sys.executable, __file__, "--one", orjson.dumps(spec).decode()],
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if proc.returncode != 0:
                        print(proc.stderr[-2000:], file=sys.stderr)
                        raise SystemExit(1)
                    r = orjson.loads(proc.stdout.strip().splitlines()[-1])
                    r.update(engine=engine, mode="--log" if log else "files", jobs=jobs)
                    rows.append(r)
                    print(
                        f"{engine:5} {r['mode']:6} jobs={jobs}: "
                        f"{r['frames'] / r['seconds']:>10,.0f} "
                        f"frames/s, {r['bytes'] / r['seconds'] / 1e6:6.1f} MB/s, "
                        f"{r['seconds']:6.1f} s, worker peak RSS {r['worker_rss_mb']:.0f} MB, "
                        f"parent {r['parent_rss_mb']:.0f} MB",
                        flush=True,
                    )
    if args.write:
        write(rows, args, frames, size)


def write(rows: list[dict[str, Any]], args: argparse.Namespace, frames: int, size: int) -> None:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "## Batch export (`bench/bench_batch.py`)",
        "",
        f"Written by `python bench/bench_batch.py{' --full' if args.full else ''} --write` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}: a log of {args.sessions:,} sessions "
        f"({frames:,} frames, {size / 1e6:.0f} MB, {args.files} files; Loom and NNRP interleaved "
        f"frame by frame, AG-UI a response at a time). {os.cpu_count()} cores, load average "
        f"{load} at the end (other processes share the cores); CPython "
        f"{platform.python_version()}. Each run in a fresh process; *files* folds each file on "
        "its own, *--log* routes sessions across files. Worker peak RSS: the largest worker "
        "process (`VmHWM`; local: worker processes; Dask: LocalCluster of single-threaded worker "
        "processes). Parent: the process that routes (`--log`) and hands out work.",
        "",
        "| engine | mode | workers | frames/s | MB/s | seconds | worker peak RSS "
        "| parent peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['mode']} | {r['jobs']} | {r['frames'] / r['seconds']:,.0f} | "
            f"{r['bytes'] / r['seconds'] / 1e6:.1f} | {r['seconds']:.1f} | "
            f"{r['worker_rss_mb']:.0f} MB | {r['parent_rss_mb']:.0f} MB |"
        )
    write_section(args.out, "bench_batch", lines)


if __name__ == "__main__":
    main()

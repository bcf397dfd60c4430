"""streamfold benchmark suite (issue #7): one command, ratios measured side by side in one run.

Run::

    .venv/bin/pip install -e '.[bench]'      # openai, for the ChatCompletionStreamState peer
    npm ci --prefix conformance              # optional: TanStack's StreamProcessor (node >= 20)
    .venv/bin/python bench/run.py            # 10k, 100k, 1M frames; a few minutes
    .venv/bin/python bench/run.py --quick    # 10k and 100k only

and then ``bench/bench_scale.py``'s streams (tool-heavy messages, many sessions, heap per
retained byte, NNRP's OpenAI-profile fast path) with their peers (openai-python, pydantic-ai,
TanStack, ``@ag-ui/client``, the AI SDK), into its own section (``--scale``).

Prints a markdown report and writes it to ``bench/results.md``. For each stream of
``bench/streams.py`` (Loom ReAct with tools, AG-UI text + tools, NNRP token chunks) it measures:

* streamfold ``feed_line`` vs plain ``orjson.loads`` of the same lines (the floor; the target is
  within 5x for these text-delta-dominated streams), and the chunked byte path (``feed_bytes``
  for NDJSON, ``feed_sse`` for AG-UI's SSE);
* a bare Python fold of the same lines (``bare_fold``: parse, append each delta to a list per
  id, nothing else), a yardstick for what bounds the ``orjson.loads`` ratio;
* streamfold vs openai-python's ``ChatCompletionStreamState`` on the same text and tool calls as
  OpenAI chunks (orjson parse + ``construct_type`` + ``handle_chunk`` + ``get_final_completion``
  per completion, which is what the SDK's stream does per SSE event);
* streamfold vs TanStack's ``StreamProcessor`` (Node, ``bench/peer_tanstack.mjs``) on the same
  AG-UI NDJSON;
* per-frame cost at each size (it must stay flat), peak memory for the largest size (a separate
  process, peak RSS growth while feeding a file), and the latency of single ``feed_line``
  calls during the largest stream (p50/p99/p99.9/max, with the garbage collector's pauses).

All ratios are *streamfold time / other time*: below 1 means streamfold is faster.
Timings are best-of-N wall clock (N=5 below 100k frames, 3 at 100k, 2 at 1M) with the garbage
collector on. The floor and streamfold are timed in a fresh process per stream that holds only
that stream (``timing_child``), its input frozen out of the collector's view (``best_of``).
Not part of the test suite: timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import streams

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_SCRIPT = HERE / "peer_tanstack.mjs"
CHUNK = 65536
LABELS = {
    "loom": "Loom ReAct + tools",
    "agui": "AG-UI text + tools",
    "nnrp": "NNRP token chunks",
}
FLOOR_TARGET = 5.0
FLAT_LIMIT = 1.25  # per-frame cost at the largest size / at the smallest


# ------------------------------------------------------------------------------ helpers


def streamfold_format(fmt: str) -> str | None:
    """streamfold's format name for a bench stream, or None when its decoder is missing."""
    from streamfold.formats import FORMATS

    module = {"loom": "loom", "agui": "tanstack", "nnrp": "nnrp"}[fmt]
    for name, cls in FORMATS.items():
        if cls.__module__.startswith(f"streamfold.formats.{module}"):
            return name
    return None


class GcClock:
    """Total time spent in garbage collections while active (gc.callbacks), and the pauses."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, int]] = []  # (generation, ns)
        self._start = 0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter_ns()
        else:
            self.pauses.append((info["generation"], time.perf_counter_ns() - self._start))

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    @property
    def seconds(self) -> float:
        return sum(ns for _, ns in self.pauses) / 1e9


@dataclass
class Timing:
    seconds: float
    gc_seconds: float
    result: Any


def best_of(repeat: int, fn: Callable[[], object]) -> Timing:
    """Best wall-clock time of ``repeat`` calls (garbage collector on, its time recorded).

    The bench's own data (the input lines, the peers' chunks: millions of objects at 1M
    frames) is frozen out of the collector's view while a call runs (``gc.freeze``), so a full
    collection during the call walks what the call built, as in an application that holds
    only the folded state; otherwise every full collection would also walk the input.
    """
    best = Timing(float("inf"), 0.0, None)
    for _ in range(repeat):
        gc.collect()
        gc.freeze()
        try:
            with GcClock() as clock:
                start = time.perf_counter()
                result = fn()
                elapsed = time.perf_counter() - start
        finally:
            gc.unfreeze()
        if elapsed < best.seconds:
            best = Timing(elapsed, clock.seconds, result)
        del result
    return best


def chunks(blob: bytes) -> list[bytes]:
    return [blob[i : i + CHUNK] for i in range(0, len(blob), CHUNK)]


def framed(fmt: str, lines: list[bytes]) -> tuple[str, bytes]:
    if fmt == "agui":
        return "feed_sse", streams.sse(lines)
    return "feed_bytes", b"\n".join(lines) + b"\n"


# ------------------------------------------------------------------------- measurements


def parse_all(lines: list[bytes]) -> None:
    loads = orjson.loads
    for line in lines:
        loads(line)


def bare_fold(fmt: str, lines: list[bytes]) -> int:
    """The least a Python reducer can do per frame, as a yardstick for what bounds the
    ``orjson.loads`` ratio: parse every line and append each delta frame's text to a list per
    message or call id. No validation, no ordering, no model, no notifications (a real reducer
    does all four). Returns the number of lists."""
    loads = orjson.loads
    texts: dict[Any, list[str]] = {}
    get = texts.get
    if fmt == "loom":
        for line in lines:
            d = loads(line)
            kind = d.get("type")
            if kind == "message_chunk" or kind == "thought_chunk" or kind == "tool_call_chunk":
                key = (d.get("session_id"), d.get("node_id"), kind)
                field = "content" if kind != "tool_call_chunk" else "arguments_delta"
                delta = d.get(field)
                if (target := get(key)) is None:
                    target = texts[key] = []
                target.append(delta)
    elif fmt == "agui":
        for line in lines:
            d = loads(line)
            kind = d.get("type")
            if kind == "TEXT_MESSAGE_CONTENT" or kind == "TOOL_CALL_ARGS":
                key = d.get("messageId") or d.get("toolCallId")
                if (target := get(key)) is None:
                    target = texts[key] = []
                target.append(d.get("delta"))
    else:
        for line in lines:
            d = loads(line)
            if d.get("message_type") == "RESULT_PUSH":
                key = d["common_header"]["frame_id"]
                if (target := get(key)) is None:
                    target = texts[key] = []
                target.append(d["payload_frame"].get("token_chunk"))
    return len(texts)


def fold_lines(name: str, lines: list[bytes]) -> int:
    """Fold the stream with ``feed_line``; the number of frames dropped (the model itself is
    not returned: kept alive, it would sit on the heap during the next repetition)."""
    from streamfold import Reducer

    r = Reducer(format=name)
    feed = r.feed_line
    for line in lines:
        feed(line)
    r.close()
    return r.frames_dropped


def fold_framed(name: str, method: str, pieces: list[bytes]) -> int:
    from streamfold import Reducer

    r = Reducer(format=name)
    feed = getattr(r, method)
    for piece in pieces:
        feed(piece)
    r.close()
    return r.frames_dropped


def timing_child(name: str, fmt: str, path: str, repeat: str, warm_up: str) -> None:
    """In a fresh process holding only this stream (its lines, then its 64 KiB chunks): the
    floor (``orjson.loads`` of every line), ``feed_line`` and the framed path, each best of
    ``repeat``; prints JSON. The parent's own data (the openai rendering, other sizes) would
    otherwise share the heap and the caches with the timed code."""
    n_repeat = int(repeat)
    with open(path, "rb") as fh:
        lines = fh.read().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    floor = best_of(n_repeat, lambda: parse_all(lines)).seconds
    bare = best_of(n_repeat, lambda: bare_fold(fmt, lines)).seconds
    if warm_up == "1":
        fold_lines(name, lines)
    t = best_of(n_repeat, lambda: fold_lines(name, lines))
    method, blob = framed(fmt, lines)
    lines = []
    pieces = chunks(blob)
    del blob
    gc.collect()
    framed_t = best_of(n_repeat, lambda: fold_framed(name, method, pieces))
    out = {
        "floor": floor,
        "bare": bare,
        "line": t.seconds,
        "line_gc": t.gc_seconds,
        "dropped": t.result,
        "framed": framed_t.seconds,
        "framed_gc": framed_t.gc_seconds,
        "framed_method": method,
    }
    print(json.dumps(out))


def run_timing_child(
    name: str, fmt: str, path: Path, repeat: int, *, warm_up: bool
) -> dict[str, Any]:
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, script, "--time-child", name, fmt, str(path), str(repeat)]
    cmd.append("1" if warm_up else "0")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-400:]}
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def openai_available() -> str | None:
    try:
        import openai  # noqa: F401
        from openai.lib.streaming.chat import ChatCompletionStreamState  # noqa: F401
    except ImportError as exc:
        return f"openai not installed ({exc}); pip install -e '.[bench]'"
    return None


def openai_fold(
    completions: Iterable[list[bytes]], deadline: float = math.inf, *, final: bool = True
) -> tuple[list[Any], int]:
    """openai-python's ``ChatCompletionStreamState``, one per completion, fed its chunk lines
    (``orjson.loads`` + ``construct_type`` + ``handle_chunk``, what the SDK's stream does per SSE
    event), then ``get_final_completion`` when ``final``. The states are kept (what a client
    holds; streamfold keeps its model too). Stops at ``deadline`` (``perf_counter``) and
    returns the states and the chunks taken."""
    from openai._models import construct_type
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    loads = orjson.loads
    clock = time.perf_counter
    states: list[Any] = []
    done = 0
    for lines in completions:
        state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
        states.append(state)
        for line in lines:
            chunk = construct_type(type_=ChatCompletionChunk, value=loads(line))
            for _ in state.handle_chunk(chunk):  # type: ignore[arg-type]
                pass
            done += 1
            if not done & 255 and clock() > deadline:
                return states, done
        if final:
            state.get_final_completion()
    return states, done


def node_available() -> str | None:
    if shutil.which("node") is None:
        return "node not found on PATH"
    if not (ROOT / "conformance/node_modules/@tanstack/ai/package.json").exists():
        return "conformance/ not installed (npm ci --prefix conformance)"
    return None


def run_node(path: Path, repeat: int, budget: float, latency: bool) -> dict[str, Any]:
    cmd = ["node", "--max-old-space-size=8192", str(NODE_SCRIPT), str(path)]
    cmd += ["--repeat", str(repeat), "--budget-s", str(budget)]
    if latency:
        cmd.append("--latency")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget * repeat * 3 + 120)
    if proc.returncode != 0:
        return {"error": (proc.stdout + proc.stderr).strip()[-400:]}
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def child(name: str, path: str, frames: str) -> None:
    """In a fresh process (so the bench's own data is not on the heap): read the NDJSON file
    line by line, time every ``feed_line`` and every garbage collection, and report the peak
    RSS growth and the latency distribution as JSON."""
    from array import array

    from streamfold import Reducer

    n = int(frames)
    lat = array("q", bytes(8 * n))
    r = Reducer(format=name)
    feed = r.feed_line
    clock_ns = time.perf_counter_ns
    gc.collect()
    base = proc_status_kib("VmRSS")
    i = 0
    with open(path, "rb") as fh, GcClock() as clock:
        start = time.perf_counter()
        for line in fh:
            t = clock_ns()
            feed(line)
            lat[i] = clock_ns() - t
            i += 1
        r.close()
        elapsed = time.perf_counter() - start
    peak = proc_status_kib("VmHWM")
    assert i == n, (i, n)
    ordered = sorted(lat)

    def q(f: float) -> float:
        return ordered[min(n - 1, int(f * n))] / 1e3

    gen2 = [ns for gen, ns in clock.pauses if gen == 2]
    out = {
        "base_kib": base,
        "peak_kib": peak,
        "frames": r.frames_in,
        "dropped": r.frames_dropped,
        "gc_objects": len(gc.get_objects()),
        "seconds": elapsed,
        "gc_seconds": clock.seconds,
        "p50": q(0.5),
        "p99": q(0.99),
        "p999": q(0.999),
        "max": ordered[-1] / 1e3,
        "over_50us": sum(1 for x in lat if x > 50_000),
        "over_1ms": sum(1 for x in lat if x > 1_000_000),
        "over_16ms": sum(1 for x in lat if x > 16_000_000),
        "gc2": len(gen2),
        "gc2_max_ms": max(gen2, default=0) / 1e6,
    }
    print(json.dumps(out))


def proc_status_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in KiB.

    Not ``ru_maxrss``: on Linux a child's ru_maxrss starts at its parent's RSS when it was
    spawned (the bench parent holds the 1M-frame streams), which hides the child's own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(name: str, path: Path, frames: int) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, str(path), str(frames)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-400:]}
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


# ------------------------------------------------------------------------------ results


@dataclass
class Row:
    fmt: str
    size: int
    frames: int = 0
    bytes: int = 0
    delta_share: float = 0.0
    floor: float = 0.0  # seconds
    bare: float | None = None  # seconds of bare_fold: the least a Python reducer does
    line: float | None = None
    line_gc: float = 0.0  # seconds of garbage collection within ``line``
    framed: float | None = None
    framed_method: str = ""
    framed_gc: float = 0.0
    dropped: int = 0
    openai: float | None = None  # seconds for the whole equivalent stream (estimated if sampled)
    openai_chunks: int = 0
    openai_sampled: int = 0  # chunks actually timed (== openai_chunks when not sampled)
    tanstack: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def us(self, seconds: float | None, per: int | None = None) -> float | None:
        return None if seconds is None else seconds / (per or self.frames) * 1e6


@dataclass
class Report:
    sizes: list[int]
    rows: dict[tuple[str, int], Row] = field(default_factory=dict)
    latency: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


DELTA_MARKERS = (b'_chunk"', b"TEXT_MESSAGE_CONTENT", b"TOOL_CALL_ARGS", b'"RESULT_PUSH"')


def measure(fmt: str, size: int, args: argparse.Namespace, report: Report, tmp: Path) -> None:
    largest = size == max(report.sizes)
    repeat = 2 if size >= 1_000_000 else args.repeat
    if size < 100_000:
        repeat = max(repeat, 5)  # short runs are the noisiest; they are also cheap
    t0 = time.perf_counter()
    s = streams.make_stream(fmt, size, with_openai=not report.skipped.get("openai"))
    row = Row(fmt, size, frames=len(s.lines), bytes=sum(map(len, s.lines)) + len(s.lines))
    deltas = sum(1 for line in s.lines if any(m in line for m in DELTA_MARKERS))
    row.delta_share = deltas / row.frames
    report.rows[fmt, size] = row
    say(f"{fmt} {size:>9,}: {row.frames:,} frames generated in {time.perf_counter() - t0:.1f}s")

    lines = s.lines
    path = tmp / f"{fmt}-{size}.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    name = streamfold_format(fmt)
    if name is None:
        row.notes.append("streamfold.formats.tanstack missing: no streamfold timing")
    else:
        # The floor and streamfold in a fresh process that holds only this stream: in this
        # one, the openai rendering and the previous sizes' leftovers would be on the heap
        # (millions of objects at 1M frames, which made the 1M rows ~15% slower than the same
        # code in a process of its own) and the per-frame step would measure the bench.
        timed = run_timing_child(name, fmt, path, repeat, warm_up=size < 1_000_000)
        if "error" in timed:
            raise SystemExit(f"timing child failed for {fmt} {size}: {timed['error']}")
        row.floor, row.line, row.line_gc = timed["floor"], timed["line"], timed["line_gc"]
        row.bare = timed["bare"]
        row.framed, row.framed_method = timed["framed"], timed["framed_method"]
        row.framed_gc = timed["framed_gc"]
        row.dropped = timed["dropped"]
        if row.dropped:
            row.notes.append(f"{row.dropped:,} of {row.frames:,} frames dropped by streamfold")
    say(f"   floor {row.us(row.floor):.2f} µs/frame, streamfold {fmt_us(row.us(row.line))}")

    if not report.skipped.get("openai"):
        completions = s.openai
        row.openai_chunks = s.openai_chunks
        step = 1
        if not args.full_peers and row.openai_chunks > args.peer_max:
            step = -(-row.openai_chunks // args.peer_max)
            completions = completions[::step]
        row.openai_sampled = sum(map(len, completions))
        orep = repeat if row.openai_sampled <= 20_000 else 1
        seconds = best_of(orep, lambda: openai_fold(completions)).seconds
        row.openai = seconds * row.openai_chunks / row.openai_sampled
        if step > 1:
            row.notes.append(f"openai at {row.frames:,} frames: 1 completion in {step} timed")
        say(f"   openai {row.us(row.openai, row.openai_chunks):.1f} µs/chunk")
    del s

    lines = []  # free the stream before the child processes run
    gc.collect()
    if fmt == "agui" and not report.skipped.get("tanstack"):
        row.tanstack = run_node(path, repeat, args.budget, latency=size <= 100_000)
        ts = row.tanstack
        if "error" in ts:
            say(f"   tanstack error: {ts['error']}")
        else:
            say(
                f"   tanstack {ts['us_per_frame_total']:.2f} µs/frame"
                + ("" if ts["completed"] else f" (stopped at {ts['processed']:,} frames)")
            )
    if largest and name is not None:
        say("   latency and memory (child process) …")
        result = run_child(name, path, row.frames)
        report.latency[fmt] = result
        report.memory[fmt] = {"input_bytes": path.stat().st_size, **result}
    path.unlink()


# ------------------------------------------------------------------------------ output


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fmt_us(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×"


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def git_describe() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head[:72] + (" (+ uncommitted changes in src/)" if dirty else "")


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    if "model name" in info:
        cpu = info["model name"]
        extra = [f"{k} {info[k]}" for k in ("cpu family", "model", "cache size") if info.get(k)]
        if extra:
            cpu += f" ({', '.join(extra)})"
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    packages = ", ".join(
        f"{d} {version(d)}" for d in ("streamfold", "orjson", "attrs", "openai", "pydantic")
    )
    node = "not found"
    if shutil.which("node"):
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        pkg = ROOT / "conformance/node_modules/@tanstack/ai/package.json"
        if pkg.exists():
            node += f", @tanstack/ai {json.loads(pkg.read_text())['version']}"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("CPU", f"{cpu}; {os.cpu_count()} logical cores, {usable} usable"),
        ("Load average (1/5/15 min) at the end", f"{load} (other processes share the cores)"),
        ("Memory", mem or "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Packages", packages),
        ("Node", node),
        ("streamfold commit", git_describe()),
    ]


def verdicts(report: Report) -> list[str]:
    """One line per requirement of issue #7, computed from the measurements."""
    sizes = report.sizes
    small, big = min(sizes), max(sizes)
    out = []
    rows = [r for r in report.rows.values() if r.line is not None]
    if rows:
        spans = {}
        for f in streams.FORMATS:
            ratios = [r.line / r.floor for r in rows if r.fmt == f and r.line]
            if ratios:
                spans[LABELS[f]] = (min(ratios), max(ratios))
        ok = all(hi <= FLOOR_TARGET for _, hi in spans.values())
        listed = ", ".join(f"{k} {lo:.1f}–{hi:.1f}×" for k, (lo, hi) in spans.items())
        out.append(
            f"Within {FLOOR_TARGET:.0f}× of `orjson.loads`: **{'yes' if ok else 'no'}** "
            f"(streamfold ÷ floor over the sizes: {listed})."
        )
        bare_floor, line_bare = [], []
        for f in streams.FORMATS:
            bare = [r for r in rows if r.fmt == f and r.bare and r.line]
            if bare:
                lo, hi = min(r.bare / r.floor for r in bare), max(r.bare / r.floor for r in bare)
                bare_floor.append(f"{LABELS[f]} {lo:.1f}–{hi:.1f}×")
                lo, hi = min(r.line / r.bare for r in bare), max(r.line / r.bare for r in bare)
                line_bare.append(f"{LABELS[f]} {lo:.1f}–{hi:.1f}×")
        if bare_floor:
            out.append(
                "What bounds it: a bare Python fold (parse, then append each delta to a list per "
                "id; no validation, model or notifications) is already this much slower than "
                f"`orjson.loads`: {', '.join(bare_floor)}; streamfold ÷ the bare fold: "
                f"{', '.join(line_bare)}."
            )
        flat, flat_net = [], []
        for f in streams.FORMATS:
            a, b = report.rows.get((f, small)), report.rows.get((f, big))
            if a and b and a.line and b.line and a is not b:
                ua, ub = a.line / a.frames, b.line / b.frames
                na, nb = (a.line - a.line_gc) / a.frames, (b.line - b.line_gc) / b.frames
                flat.append(f"{LABELS[f]} {ub / ua:.2f}×")
                flat_net.append(nb / na)
        if flat:
            out.append(
                f"Per-frame cost {size_label(big)} ÷ {size_label(small)}: {', '.join(flat)}; "
                f"without garbage-collection time at most {max(flat_net):.2f}× "
                f"(flat = ≤ {FLAT_LIMIT:.2f}×)."
            )
    lats = {f: lat for f, lat in report.latency.items() if "error" not in lat}
    if lats:
        p99 = max(lat["p99"] for lat in lats.values())
        stalls = sum(lat["over_16ms"] for lat in lats.values())
        longest = max(lat["max"] for lat in lats.values()) / 1e3
        gc2 = sum(lat["gc2"] for lat in lats.values())
        gc2_max = max(lat["gc2_max_ms"] for lat in lats.values())
        out.append(
            f"Single `feed_line` p99 ≤ {p99:.1f} µs on every stream (target ≪ 50 µs); "
            f"{stalls} calls over 16 ms in {len(lats)} × {size_label(big)} frames, the longest "
            f"{longest:.1f} ms; {gc2} full garbage collections ran during those streams, the "
            f"longest {gc2_max:.1f} ms."
        )
    peers = []
    oa = [r.line / r.openai for r in rows if r.openai]
    if oa:
        peers.append(f"{1 / max(oa):.0f}–{1 / min(oa):.0f}× faster than openai-python")
    ts = [r for r in rows if r.tanstack and "error" not in r.tanstack]
    done = [r for r in ts if r.tanstack["completed"]]  # type: ignore[index]
    if done:
        speed = [(r.tanstack["parse_s"] + r.tanstack["process_s"]) / r.line for r in done]  # type: ignore[index,operator]
        peers.append(
            f"{min(speed):.1f}–{max(speed):.1f}× faster than TanStack's StreamProcessor "
            "where it finished"
        )
    stopped = [r for r in ts if not r.tanstack["completed"]]  # type: ignore[index]
    if stopped:
        r = stopped[0]
        peers.append(
            f"TanStack did not finish {r.frames:,} frames in the budget (its cost per chunk grows "
            "with the number of messages)"
        )
    if peers:
        out.append("Peers: " + "; ".join(peers) + ".")
    return out


def render(report: Report, args: argparse.Namespace) -> str:
    sizes = report.sizes
    fmts = [f for f in streams.FORMATS if any((f, n) in report.rows for n in sizes)]
    out: list[str] = []
    w = out.append
    w("# streamfold benchmark results")
    w("")
    cmd = "python bench/run.py" + (" --quick" if args.quick else "")
    w(
        f"Written by `{cmd}` on {time.strftime('%Y-%m-%d %H:%M')} in {report.seconds:.0f} s. "
        "Streams: `bench/streams.py` (deterministic, seed 7). Ratios are **streamfold time ÷ "
        "other time** (below 1 = streamfold faster). Best of "
        f"{max(args.repeat, 5)} runs below 100k frames, {args.repeat} at 100k, 2 at 1M; "
        "garbage collector on. `orjson.loads` and streamfold are timed in a fresh process per "
        "stream that holds only that stream's lines, frozen out of the collector's view "
        "(`gc.freeze`), so that its collections walk what the timed code built and the "
        "bench's other data (the openai rendering, other sizes) shares neither the heap nor "
        "the caches with it."
    )
    w("")
    w("## Summary")
    w("")
    for line in verdicts(report):
        w(f"- {line}")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for key, value in machine():
        w(f"| {key} | {value} |")
    w("")

    w("## Throughput")
    w("")
    w(
        "µs per frame (per OpenAI chunk for openai). *÷ floor*: streamfold `feed_line` vs "
        f"`orjson.loads` of the same lines (target ≤ {FLOOR_TARGET:.0f}×). *bare fold*: the least "
        "a Python reducer does (`bare_fold`: parse, then append each delta to a list per id; no "
        "validation, no model, no notifications), µs per frame and ÷ `orjson.loads`, a yardstick "
        "for what interpreted code costs per frame. *÷ openai*: the whole "
        "stream vs openai-python `ChatCompletionStreamState` on the same text and tool calls "
        "(one state per completion). *÷ TanStack*: vs `StreamProcessor.processChunk` "
        "(+ `JSON.parse`) on the same AG-UI NDJSON."
    )
    w("")
    w(
        "| stream | frames | delta frames | orjson | streamfold feed_line | ÷ floor "
        "| bare fold (÷ floor) | framed (64 KiB) | openai µs/chunk | ÷ openai "
        "| TanStack | ÷ TanStack |"
    )
    w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for fmt in fmts:
        for n in sizes:
            row = report.rows.get((fmt, n))
            if row is None:
                continue
            floor_r = ratio(row.line, row.floor)
            if row.line is not None:
                ok = row.line / row.floor <= FLOOR_TARGET
                floor_r += " ✓" if ok else " ✗"
            bare_s = "—"
            if row.bare is not None:
                bare_s = f"{fmt_us(row.us(row.bare))} ({ratio(row.bare, row.floor)})"
            framed_s = "—"
            if row.framed is not None:
                framed_s = f"{fmt_us(row.us(row.framed))} ({row.framed_method})"
            oa = row.us(row.openai, row.openai_chunks) if row.openai else None
            oa_s = fmt_us(oa, 1) + (" *" if row.openai_sampled < row.openai_chunks else "")
            ts = row.tanstack
            ts_s, ts_r = "—", "—"
            if ts is not None and "error" not in ts:
                ts_s = f"{ts['us_per_frame_total']:.2f}"
                if ts["completed"]:
                    ts_r = ratio(row.line, ts["parse_s"] + ts["process_s"])
                else:
                    ts_s += f" † (stopped at {ts['processed']:,})"
                    # Compare the same prefix: streamfold's average rate holds for any prefix.
                    t_ts = ts["us_per_frame_total"] * ts["processed"] / 1e6
                    t_sf = row.line * ts["processed"] / row.frames if row.line else None
                    ts_r = ratio(t_sf, t_ts) + " †"
            elif ts is not None:
                ts_s = "error"
            w(
                f"| {LABELS[fmt]} | {row.frames:,} | {row.delta_share:.0%} "
                f"| {fmt_us(row.us(row.floor))} | {fmt_us(row.us(row.line))} | {floor_r} "
                f"| {bare_s} | {framed_s} | {oa_s} | {ratio(row.line, row.openai)} "
                f"| {ts_s} | {ts_r} |"
            )
    w("")
    notes = sorted({f"{LABELS[r.fmt]}: {n}" for r in report.rows.values() for n in r.notes})
    for note in notes:
        w(f"- {note}")
    if any(r.openai_sampled < r.openai_chunks for r in report.rows.values()):
        w(
            f"- \\* openai above {args.peer_max:,} chunks: timed on an evenly spaced sample of the "
            "stream's completions and scaled to the whole stream (each completion gets a fresh "
            "state, so its cost does not depend on the stream's length; `--full-peers` times "
            "all of them)."
        )
    if any(r.tanstack and not r.tanstack.get("completed", True) for r in report.rows.values()):
        w(
            f"- † TanStack stopped after the {args.budget:.0f} s budget (`--budget-s`); its "
            "µs/frame and ratio are for the part it processed (see flatness below)."
        )
    for what, why in report.skipped.items():
        w(f"- {what} skipped: {why}")
    w("")

    w("## Per-frame cost vs stream length (must stay flat)")
    w("")
    head = " | ".join(f"@{size_label(n)}" for n in sizes)
    w(
        "streamfold `feed_line` µs/frame at each size (garbage collection's share in brackets); "
        f"*flat* means the largest size costs at most {FLAT_LIMIT:.2f}× the smallest per frame, "
        "with and without the collector's time. *Framed*: the same for the 64 KiB byte path "
        "(`feed_bytes`/`feed_sse`), which returns a chunk's notifications together (see below). "
        "TanStack: µs per chunk in the first and the last tenth of each run."
    )
    w("")
    w(
        f"| stream | {head} | largest ÷ smallest | without GC time "
        "| framed: largest ÷ smallest (without GC) | TanStack µs/chunk, first → last tenth |"
    )
    w("|---|" + "--:|" * len(sizes) + "--:|--:|--:|---|")
    for fmt in fmts:
        rows = [report.rows.get((fmt, n)) for n in sizes]
        vals = [r.us(r.line) if r else None for r in rows]
        net = [r.us(r.line - r.line_gc) if r and r.line else None for r in rows]
        cells = " | ".join(
            fmt_us(v) + (f" ({r.line_gc / r.line:.0%})" if r and r.line else "")
            for v, r in zip(vals, rows, strict=True)
        )
        flat = flat_net = "—"
        if vals[0] and vals[-1]:
            growth = vals[-1] / vals[0]
            flat = f"{growth:.2f}×" + (" ✓" if growth <= FLAT_LIMIT else " ✗")
        if net[0] and net[-1]:
            growth = net[-1] / net[0]
            flat_net = f"{growth:.2f}×" + (" ✓" if growth <= FLAT_LIMIT else " ✗")
        framed = "—"
        a, b = rows[0], rows[-1]
        if a and b and a is not b and a.framed and b.framed:
            growth = (b.framed / b.frames) / (a.framed / a.frames)
            net_growth = ((b.framed - b.framed_gc) / b.frames) / (
                (a.framed - a.framed_gc) / a.frames
            )
            mark = " ✓" if growth <= FLAT_LIMIT else " ✗"
            framed = f"{growth:.2f}×{mark} ({net_growth:.2f}×)"
        tenths = "—"
        if fmt == "agui":
            parts = []
            for r in rows:
                ts = r.tanstack if r else None
                if ts and "window_us" in ts and ts["window_us"]:
                    win = ts["window_us"]
                    parts.append(f"{size_label(r.size)}: {win[0]:.1f} → {win[-1]:.1f}")  # type: ignore[union-attr]
            tenths = "; ".join(parts) or "—"
        w(f"| {LABELS[fmt]} | {cells} | {flat} | {flat_net} | {framed} | {tenths} |")
    w("")
    w(
        "The byte paths return all of a chunk's notifications in one list (about 400 frames' "
        "worth in a 64 KiB chunk), so those notifications are alive when young collections run: "
        "they are promoted, and CPython counts them towards the growth that triggers a full "
        "collection, which then runs about twice as often as with `feed_line` (whose caller "
        "drops each frame's notifications at once). Live streams arrive in small chunks; "
        "`streamfold.fold` / `fold_file` drop each frame's notifications at once; "
        "`docs/performance.md` says what else a replay of a large file can do."
    )
    w("")

    big = size_label(max(sizes))
    if report.memory:
        w(f"## Peak memory, {big} frames")
        w("")
        w(
            "A fresh process reads the NDJSON file line by line into `feed_line` and keeps the "
            "whole folded conversation (every text delta, tool call and run): its peak RSS "
            "(`VmHWM`) minus its RSS after import. TanStack: the Node process's RSS / heap "
            "at the end of its run (its whole input is parsed in memory too)."
        )
        w("")
        w(
            "| stream | frames | input MB | peak RSS growth MB | bytes/frame | ÷ input "
            "| GC-tracked objects | TanStack RSS / heap MB |"
        )
        w("|---|--:|--:|--:|--:|--:|--:|--:|")
        for fmt in fmts:
            m = report.memory.get(fmt)
            if not m:
                continue
            if "error" in m:
                w(f"| {LABELS[fmt]} | error: {m['error'][:80]} | | | | | | |")
                continue
            grow = (m["peak_kib"] - m["base_kib"]) * 1024
            ts = report.rows[fmt, max(sizes)].tanstack
            ts_s = "—"
            if ts and "rss_mb" in ts:
                ts_s = f"{ts['rss_mb']:.0f} / {ts['heap_used_mb']:.0f}"
                if not ts["completed"]:
                    ts_s += f" (at {ts['processed']:,})"
            w(
                f"| {LABELS[fmt]} | {m['frames']:,} | {m['input_bytes'] / 1e6:.0f} "
                f"| {grow / 1e6:.1f} | {grow / m['frames']:.0f} | {grow / m['input_bytes']:.2f}× "
                f"| {m['gc_objects']:,} | {ts_s} |"
            )
        w("")

    if report.latency:
        w(f"## Latency of one `feed_line` call during the {big}-frame stream")
        w("")
        w(
            "The same child process as the memory table (so the bench's own data is not on the "
            "heap) times every call (`perf_counter_ns`; includes the JSON parse). A UI frame is "
            "16 ms; a single feed should stay far below 50 µs. Gen-2: full collections of the "
            "garbage collector during the stream and the longest one (the call during which a "
            "full collection runs pays for all of it). TanStack: `processChunk` at the largest "
            "size its run completed."
        )
        w("")
        w(
            "| stream | p50 µs | p99 µs | p99.9 µs | max µs | calls > 50 µs | > 1 ms | > 16 ms "
            "| gen-2 GCs (longest ms) | TanStack p99 / max µs |"
        )
        w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for fmt in fmts:
            lat = report.latency.get(fmt)
            if not lat or "error" in lat:
                continue
            ts_lat = None
            for n in reversed(sizes):
                ts = (report.rows.get((fmt, n)) or Row(fmt, n)).tanstack
                if ts and "latency_us" in ts:
                    ts_lat = f"{ts['latency_us']['p99']:.1f} / {ts['latency_us']['max']:.0f} "
                    ts_lat += f"(@{size_label(n)})"
                    break
            w(
                f"| {LABELS[fmt]} | {lat['p50']:.1f} | {lat['p99']:.1f} | {lat['p999']:.1f} "
                f"| {lat['max']:.0f} | {lat['over_50us']:,} | {lat['over_1ms']:,} "
                f"| {lat['over_16ms']:,} | {lat['gc2']} ({lat['gc2_max_ms']:.0f}) "
                f"| {ts_lat or '—'} |"
            )
        w("")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:4])
        return
    if argv[:1] == ["--time-child"]:
        timing_child(*argv[1:6])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="10k and 100k frames only")
    p.add_argument("--sizes", type=int, nargs="+", help="frame counts (overrides --quick)")
    p.add_argument("--formats", nargs="+", choices=streams.FORMATS, default=list(streams.FORMATS))
    p.add_argument("--repeat", type=int, default=3, help="best of N below 1M frames")
    p.add_argument("--no-peers", action="store_true", help="skip openai and TanStack")
    p.add_argument(
        "--peer-max",
        type=int,
        default=30_000,
        help="openai: time at most ~N chunks (a sample of completions)",
    )
    p.add_argument("--full-peers", action="store_true", help="openai on every completion")
    p.add_argument("--budget-s", dest="budget", type=float, default=30.0, help="TanStack budget")
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    p.add_argument(
        "--scale",
        choices=("full", "quick", "tiny", "none"),
        help="bench/bench_scale.py's streams (tool-heavy, many sessions, memory per byte, NNRP "
        "fast path) with their peers; default: quick with --quick, else full",
    )
    args = p.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])

    start = time.perf_counter()
    report = Report(sorted(sizes))
    if args.no_peers:
        report.skipped["openai"] = report.skipped["tanstack"] = "--no-peers"
    else:
        if why := openai_available():
            report.skipped["openai"] = why
        if why := node_available():
            report.skipped["tanstack"] = why
    for what, why in report.skipped.items():
        say(f"{what}: skipped ({why})")
    with tempfile.TemporaryDirectory(prefix="streamfold-bench-") as tmp:
        for fmt in args.formats:
            for n in report.sizes:
                measure(fmt, n, args, report, Path(tmp))
                gc.collect()
    report.seconds = time.perf_counter() - start
    text = render(report, args)
    args.out.write_text(text + kept_sections(args.out), encoding="utf-8")
    print(text)
    scale = args.scale or ("quick" if args.quick else "full")
    if scale != "none":
        import bench_scale

        sizes = {"full": bench_scale.FULL, "quick": bench_scale.QUICK, "tiny": bench_scale.TINY}
        say(f"bench_scale ({scale})")
        print("\n".join(bench_scale.run_scale(sizes[scale], args.out, peers=not args.no_peers)))
    say(f"written to {args.out}")


KEPT: Final = "<!-- kept: the sections below are written by other scripts and by hand;"


def kept_sections(path: Path) -> str:
    """What follows the ``KEPT`` marker in the report being replaced (snapshot, batch and
    transcript numbers, hand-measured sections): this script rewrites only its own part."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = old.find(KEPT)
    return "" if at < 0 else "\n" + old[at:]


if __name__ == "__main__":
    main()

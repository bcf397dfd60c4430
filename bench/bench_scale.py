"""Streams at scale (issue #24), streamfold and its peers in one run: tool-heavy messages, many
sessions, heap per retained byte, and NNRP's OpenAI-profile fast path.

Run by ``bench/run.py`` (its ``bench_scale`` section of ``bench/results.md``), or alone::

    .venv/bin/pip install -e '.[bench]'     # openai-python and pydantic-ai, the Python peers
    npm ci --prefix conformance             # TanStack AI, @ag-ui/client, the AI SDK (node >= 20)
    .venv/bin/python bench/bench_scale.py [--quick] [--out bench/results.md]

The content comes from ``bench/streams.py``'s deterministic script and is rendered once per
wire format, so every fold below reads the same text and tool calls:

* **tool-heavy**: one run whose assistant message makes K parallel tool calls (arguments
  streamed in pieces), then their K results, at two sizes of K. The cost per frame must not
  grow with K: a fold that looks a tool result's call up by scanning the message's parts is
  quadratic in K.
* **many sessions**: S finished one-turn sessions (the shape of ``bench/bench_sessions.py``,
  each its own session), against the long stream with as many frames. Peers get a fresh state
  per session, as a client has one per conversation, over the first sessions only (their cost
  per session does not depend on how many came before).
* **memory**: one message of N five-byte text deltas, open (no end yet) and closed: heap kept
  per byte of text (``tracemalloc``; the Python peers too, not the Node clients, whose V8
  ``heapUsed`` gave no stable figure). Goal: at most 3 bytes per byte.
* **NNRP fast path**: the script's runs in NNRP's OpenAI event profile, in its token profile,
  and as AG-UI; µs per frame and the p99 of single ``feed_line`` calls. Goal: ≤ 1.5× AG-UI per
  frame, p99 ≤ 20 µs.

Every measurement runs in a fresh process that holds only its own stream (``--child``), best
of N, the collector on and the input frozen out of its view (``run.best_of``). The peers:

* openai-python ``ChatCompletionStreamState`` over the same content as OpenAI chunks
  (``orjson.loads`` + ``construct_type`` + ``handle_chunk`` per chunk, as in ``run.py``);
* pydantic-ai's ``ModelResponsePartsManager`` over the same OpenAI chunks (``orjson.loads``,
  then ``handle_text_delta`` / ``handle_tool_call_delta`` per chunk and ``get_parts`` per
  completion, which is what its OpenAI model's stream does, without the SDK's chunk models;
  tool results become ``ToolReturnPart``);
* TanStack AI's ``StreamProcessor``, ``@ag-ui/client``'s ``runAgent`` and the AI SDK's
  ``readUIMessageStream`` (``bench/peer_scale.mjs``) over the AG-UI NDJSON.

Peers read their own units (OpenAI chunks, UI message chunks), so they are compared on the
whole content: *µs per AG-UI frame* is a fold's time divided by the number of AG-UI frames of
the same content. Timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import streams  # noqa: E402
from run import best_of, git_describe, openai_fold, parse_all  # noqa: E402
from sections import write_section  # noqa: E402

RESULTS = HERE / "results.md"
SF_FORMAT = {"loom": "loom", "agui": "tanstack", "nnrp": "nnrp", "nnrp-openai": "nnrp"}
LABEL = {"loom": "Loom", "agui": "AG-UI", "nnrp": "NNRP token", "nnrp-openai": "NNRP OpenAI"}
NODE_PEERS = ("tanstack", "agui-client", "vercel")
PY_PEERS = ("openai", "pydantic-ai")
PEER_LABEL = {
    "openai": "openai-python",
    "pydantic-ai": "pydantic-ai",
    "tanstack": "TanStack",
    "agui-client": "@ag-ui/client",
    "vercel": "Vercel ai",
}
# the last line that still belongs to an open message (for the memory stream's "open" rows)
DELTA_MARK = {
    "loom": b'"message_chunk"',
    "agui": b'"TEXT_MESSAGE_CONTENT"',
    "nnrp": b'"token_chunk"',
    "nnrp-openai": b"output_text.delta",
    "openai": b'"content":"word ',
}
MEMORY_DELTA = "word "


@dataclass(frozen=True)
class Sizes:
    tools: tuple[int, int]  # K parallel tool calls, small and large
    sessions: int  # short sessions for streamfold
    peer_sessions: int  # the first sessions, for the peers
    memory: int  # text deltas of the memory stream
    script: int  # frames of the NNRP fast-path stream
    repeat: int
    budget: float  # seconds a peer may take on one stream before it stops (Python and Node)


FULL = Sizes((200, 2000), 100_000, 10_000, 200_000, 100_000, 3, 30.0)
QUICK = Sizes((50, 500), 10_000, 1_000, 50_000, 30_000, 2, 20.0)
TINY = Sizes((5, 20), 50, 10, 500, 500, 1, 10.0)  # the smoke test


# -------------------------------------------------------------------------------- content


def tool_heavy(k: int, seed: int = 5) -> list[streams.Run]:
    rng = random.Random(seed)
    text = streams._deltas(rng, 20)
    calls = tuple(streams._tool(rng, 0, 0, i) for i in range(k))
    calls = tuple(replace(c, call_id=f"{c.call_id}{i:05d}") for i, c in enumerate(calls))
    turn = streams.Turn((), text, calls, 1500, len(text))
    return [streams.Run(0, "Book everything.", (turn,))]


def short_sessions(n: int, seed: int = 11) -> list[streams.Run]:
    out = []
    for run in streams.script(seed):
        if len(out) == n:
            break
        turn = run.turns[-1]
        short = replace(turn, reasoning=turn.reasoning[:4], text=turn.text[:12], tools=())
        out.append(replace(run, turns=(short,)))
    return out


def long_runs(frames: int, fmt: str = "agui") -> list[streams.Run]:
    out: list[streams.Run] = []
    n = 0
    for run in streams.script(7):
        if n >= frames:
            break
        out.append(run)
        n += len(streams._RENDER[fmt](run))
    return out


def one_message(n: int) -> list[streams.Run]:
    turn = streams.Turn((), (MEMORY_DELTA,) * n, (), 10, n)
    return [streams.Run(0, "Say it.", (turn,))]


def content(spec: str) -> list[streams.Run]:
    kind, _, arg = spec.partition(":")
    n = int(arg.split(":")[0])
    if kind == "tools":
        return tool_heavy(n)
    if kind == "sessions":
        return short_sessions(n)
    if kind == "long":
        return long_runs(n)
    if kind == "memory":
        return one_message(n)
    raise ValueError(spec)


def render(fmt: str, runs: Iterable[streams.Run], *, sessions: bool = False) -> list[bytes]:
    """NDJSON lines of ``fmt``; ``sessions``: every run in its own AG-UI thread."""
    out: list[bytes] = []
    for n, run in enumerate(runs):
        lines = streams._RENDER[fmt](run)
        if sessions and fmt == "agui":
            thread = f'"thread-{n}"'.encode()
            lines = [line.replace(b'"thread-bench-1"', thread) for line in lines]
        out += lines
    return out


def openai_completions(runs: Iterable[streams.Run]) -> list[list[bytes]]:
    return [c for run in runs for c in streams.openai_run(run, reasoning=False, tools=True)]


def open_prefix(lines: list[bytes], mark: bytes) -> list[bytes]:
    last = max(i for i, line in enumerate(lines) if mark in line)
    return lines[: last + 1]


# ---------------------------------------------------------------------------- the folds


def fold_streamfold(fmt: str, lines: list[bytes]) -> Any:
    from streamfold import Reducer

    reducer = Reducer(format=SF_FORMAT[fmt])
    feed = reducer.feed_line
    for line in lines:
        feed(line)
    return reducer


def fold_pydantic(
    completions: list[list[bytes]], results: list[tuple[str, str, str]], deadline: float
) -> tuple[list[Any], int]:
    """pydantic-ai's parts manager fed the OpenAI chunks, one manager per completion (stops at
    ``deadline``; returns the responses and the chunks taken)."""
    from pydantic_ai._parts_manager import ModelResponsePartsManager
    from pydantic_ai.messages import ModelRequest, ModelResponse, ToolReturnPart
    from pydantic_ai.models import ModelRequestParameters
    from pydantic_ai.usage import RequestUsage

    loads = orjson.loads
    out: list[Any] = []
    parameters = ModelRequestParameters()
    clock = time.perf_counter
    done = 0
    for lines in completions:
        manager = ModelResponsePartsManager(parameters)
        usage = RequestUsage()
        for line in lines:
            chunk = loads(line)
            if u := chunk.get("usage"):
                usage = RequestUsage(
                    input_tokens=u["prompt_tokens"], output_tokens=u["completion_tokens"]
                )
            for choice in chunk["choices"]:
                delta = choice["delta"]
                if content := delta.get("content"):
                    for _ in manager.handle_text_delta(vendor_part_id="content", content=content):
                        pass
                for call in delta.get("tool_calls") or ():
                    function = call.get("function") or {}
                    manager.handle_tool_call_delta(
                        vendor_part_id=call["index"],
                        tool_name=function.get("name"),
                        args=function.get("arguments"),
                        tool_call_id=call.get("id"),
                    )
            done += 1
            if not done & 255 and clock() > deadline:
                return out, done
        out.append(ModelResponse(parts=manager.get_parts(), usage=usage))
    if results:
        returns = [ToolReturnPart(name, content, call_id) for name, content, call_id in results]
        out.append(ModelRequest(parts=returns))
    return out, done


def tool_results(runs: Iterable[streams.Run]) -> list[tuple[str, str, str]]:
    return [(c.name, c.result, c.call_id) for run in runs for turn in run.turns for c in turn.tools]


# ------------------------------------------------------------------------- the children


def child(who: str, spec: str, mode: str, repeat: str, budget: str = "inf") -> None:
    """In a fresh process: build ``spec``'s content, fold it as ``who``; print JSON. A Python
    peer stops after ``budget`` seconds and says how far it got (``done_events``)."""
    runs = content(spec)
    sessions = spec.startswith("sessions:")
    if sessions and spec.count(":") == 2:  # "sessions:S:P": the peers' first P sessions
        runs = runs[: int(spec.split(":")[2])]
    closed = not spec.endswith(":open")
    fold: Callable[[], Any]
    if who in PY_PEERS:
        completions = openai_completions(runs)
        if not closed:
            completions[-1] = open_prefix(completions[-1], DELTA_MARK["openai"])
        seconds = float(budget)
        if who == "openai":
            fold = lambda: openai_fold(  # noqa: E731
                completions, time.perf_counter() + seconds, final=closed
            )
        else:
            results = tool_results(runs)
            fold = lambda: fold_pydantic(  # noqa: E731
                completions, results, time.perf_counter() + seconds
            )
        units = sum(map(len, completions))
        lines: list[bytes] = []
    else:
        fmt = who.removeprefix("streamfold:")
        lines = render(fmt, runs, sessions=sessions)
        if not closed:
            lines = open_prefix(lines, DELTA_MARK[fmt])
        fold = lambda: fold_streamfold(fmt, lines)  # noqa: E731
        units = len(lines)
    runs = []
    out: dict[str, Any] = {"who": who, "units": units}
    if mode == "time":
        start = time.perf_counter()
        first = fold()  # warm-up: imports and caches
        elapsed = time.perf_counter() - start
        done = first[1] if who in PY_PEERS else units
        del first
        if done < units:  # a peer past its budget: its one (partial) run
            out |= {"seconds": elapsed, "events": units, "done_events": done, "completed": False}
        else:
            timing = best_of(int(repeat), fold)
            out |= {"seconds": timing.seconds, "gc_seconds": timing.gc_seconds}
        if lines:
            out["floor"] = best_of(int(repeat), lambda: parse_all(lines)).seconds
    elif mode == "latency":
        reducer = fold_streamfold(who.removeprefix("streamfold:"), lines[:2000])
        del reducer
        from streamfold import Reducer

        feed = Reducer(format=SF_FORMAT[who.removeprefix("streamfold:")]).feed_line
        clock = time.perf_counter_ns
        lat = []
        for line in lines:
            t0 = clock()
            feed(line)
            lat.append(clock() - t0)
        lat.sort()
        out |= {q: lat[min(len(lat) - 1, int(len(lat) * p))] / 1e3 for q, p in PCTS.items()}
    else:  # memory
        fold()  # warm-up
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept = fold()
        gc.collect()
        out["heap_bytes"] = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        if who in PY_PEERS:  # what it took before its budget ran out
            out |= {"events": units, "heap_events": kept[1]}
        del kept
    print(json.dumps(out))


PCTS = {"p50": 0.5, "p99": 0.99, "p999": 0.999}


def run_child(
    who: str, spec: str, mode: str, repeat: int, budget: float = float("inf")
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", who, spec, mode, str(repeat), str(budget)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_node(peer: str, path: Path, sizes: Sizes) -> dict[str, Any]:
    cmd = ["node", "--max-old-space-size=8192", str(HERE / "peer_scale.mjs"), peer, str(path)]
    cmd += ["--repeat", str(sizes.repeat), "--budget-s", str(sizes.budget)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=sizes.budget * 8 + 120)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------- the run


@dataclass
class Scale:
    sizes: Sizes
    peers: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    rows: dict[str, Any] = field(default_factory=dict)


def available_peers() -> tuple[list[str], dict[str, str]]:
    peers, skipped = [], {}
    for name, module in (("openai", "openai"), ("pydantic-ai", "pydantic_ai")):
        try:
            __import__(module)
            peers.append(name)
        except ImportError:
            skipped[name] = f"{module} not installed (pip install -e '.[bench]')"
    modules = HERE.parent / "conformance" / "node_modules"
    for name in NODE_PEERS:
        if shutil.which("node") is None:
            skipped[name] = "node not found"
        elif not (modules / "@tanstack" / "ai").is_dir():
            skipped[name] = "run: npm ci --prefix conformance"
        else:
            peers.append(name)
    return peers, skipped


def say(text: str) -> None:
    print(f"[bench_scale] {text}", file=sys.stderr, flush=True)


def peers_on(scale: Scale, spec: str, agui_frames: int, agui_path: Path) -> dict[str, Any]:
    """Each peer's time on ``spec``'s content, as µs per AG-UI frame of the same content."""
    out: dict[str, Any] = {}
    for peer in scale.peers:
        if peer in PY_PEERS:
            r = run_child(peer, spec, "time", scale.sizes.repeat, scale.sizes.budget)
        else:
            r = run_node(peer, agui_path, scale.sizes)
        if "seconds" in r:  # a peer stopped at its budget: per frame of the part it took
            share = r["done_events"] / r["events"] if "done_events" in r else 1.0
            r["us_per_agui_frame"] = r["seconds"] / (agui_frames * share) * 1e6
        say(f"  {peer}: {r.get('us_per_agui_frame', r.get('error'))}")
        out[peer] = r
    return out


def measure(scale: Scale, tmp: Path) -> None:
    s = scale.sizes
    rows = scale.rows
    # tool-heavy
    for k in s.tools:
        spec = f"tools:{k}"
        say(spec)
        agui = render("agui", tool_heavy(k))
        path = tmp / f"tools-{k}.ndjson"
        path.write_bytes(b"\n".join(agui) + b"\n")
        row: dict[str, Any] = {"agui_frames": len(agui)}
        for fmt in ("loom", "agui", "nnrp-openai"):
            row[fmt] = run_child(f"streamfold:{fmt}", spec, "time", s.repeat)
        row["peers"] = peers_on(scale, spec, len(agui), path)
        rows[spec] = row
    # many sessions
    say(f"sessions:{s.sessions}")
    for fmt in ("loom", "agui", "nnrp"):
        short = run_child(f"streamfold:{fmt}", f"sessions:{s.sessions}", "time", s.repeat)
        frames = short.get("units", s.sessions * 16)
        long = run_child(f"streamfold:{fmt}", f"long:{frames}", "time", s.repeat)
        rows[f"sessions:{fmt}"] = {"short": short, "long": long}
    prefix = short_sessions(s.peer_sessions)
    agui = render("agui", prefix, sessions=True)
    path = tmp / "sessions.ndjson"
    path.write_bytes(b"\n".join(agui) + b"\n")
    spec = f"sessions:{s.peer_sessions}:{s.peer_sessions}"
    rows["sessions:peers"] = {
        "agui_frames": len(agui),
        "streamfold": run_child("streamfold:agui", spec, "time", s.repeat),
        "peers": peers_on(scale, spec, len(agui), path),
    }
    # memory per retained byte
    say(f"memory:{s.memory}")
    for state in ("open", "closed"):
        spec = f"memory:{s.memory}:{state}"
        row = {fmt: run_child(f"streamfold:{fmt}", spec, "memory", 1) for fmt in SF_FORMAT}
        for peer in scale.peers:
            if peer in PY_PEERS:  # the Node clients: no stable heap figure (peer_scale.mjs)
                row[peer] = run_child(peer, spec, "memory", 1, s.budget)
        rows[spec] = row
    # NNRP fast path
    spec = f"long:{s.script}"
    say(spec)
    row = {fmt: run_child(f"streamfold:{fmt}", spec, "time", s.repeat) for fmt in SF_FORMAT}
    row["latency"] = {
        fmt: run_child(f"streamfold:{fmt}", spec, "latency", 1)
        for fmt in ("agui", "nnrp", "nnrp-openai")
    }
    agui_frames = row["agui"].get("units", 1)
    if "openai" in scale.peers:
        peer = run_child("openai", spec, "time", s.repeat, s.budget)
        if "seconds" in peer:
            share = peer["done_events"] / peer["events"] if "done_events" in peer else 1.0
            peer["us_per_agui_frame"] = peer["seconds"] / (agui_frames * share) * 1e6
        row["openai"] = peer
    rows["nnrp"] = row


# ------------------------------------------------------------------------------ the report


def us(r: dict[str, Any] | None, key: str = "seconds") -> float | None:
    if not r or key not in r or not r.get("units"):
        return None
    return float(r[key]) / r["units"] * 1e6


def num(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def heap_per_byte(r: dict[str, Any], text: int) -> tuple[float | None, str]:
    """Heap bytes per byte of text, and a note when a peer stopped at its budget (then the text
    is what it took: its chunks, less the few around the deltas)."""
    heap = r.get("heap_bytes")
    if heap is None:
        return None, ""
    taken = r.get("heap_events")
    if taken is not None and taken < r["events"]:
        return heap / max(1, (taken - 2) * len(MEMORY_DELTA)), f" (first {taken:,} events)"
    return heap / text, ""


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def report(scale: Scale, seconds: float) -> list[str]:
    s, rows = scale.sizes, scale.rows
    w: list[str] = []
    small, large = s.tools
    w.append("## Streams at scale (`bench/bench_scale.py`, issue #24)")
    w.append("")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    w.append(
        f"Written by `python bench/bench_scale.py` on {time.strftime('%Y-%m-%d %H:%M')} in "
        f"{seconds:.0f} s (commit {git_describe().split()[0]}; load average {load} at the end; "
        f"{sys.implementation.name} {sys.version.split()[0]}). Each number is a fresh "
        f"process, best of {s.repeat}, collector on. Peers read their own units (OpenAI chunks, "
        "UI message chunks), so they are compared on the same content: *µs per AG-UI frame* is a "
        "fold's time ÷ the AG-UI frames of that content. *streamfold ÷ peer*: below 1, "
        "streamfold is faster. Skipped: "
        + (", ".join(f"{k} ({v})" for k, v in scale.skipped.items()) or "none")
        + "."
    )
    goals: list[str] = []

    # tool-heavy
    w += ["", f"### Tool-heavy messages: {small:,} and {large:,} parallel tool calls", ""]
    w.append(
        "One assistant message calls K tools (arguments streamed in pieces), then the K results "
        "arrive. *growth*: µs per frame at the large K ÷ at the small one (flat = ≤ 1.25×; a "
        "fold that rescans the message for each result grows with K). NNRP's OpenAI profile "
        "carries the calls, not the results."
    )
    w += [
        "",
        "| fold | µs per frame, K small | K large | growth | streamfold AG-UI ÷ this, K large |",
    ]
    w.append("|---|--:|--:|--:|--:|")
    a, b = rows[f"tools:{small}"], rows[f"tools:{large}"]
    sf_large = us(b["agui"])
    growths = []
    for fmt in ("loom", "agui", "nnrp-openai"):
        g = div(us(b[fmt]), us(a[fmt]))
        growths.append(g or 99.0)
        w.append(
            f"| streamfold {LABEL[fmt]} | {num(us(a[fmt]))} | {num(us(b[fmt]))} | "
            f"{num(g, 2, '×')} | — |"
        )
    for peer in scale.peers:
        pa, pb = a["peers"].get(peer, {}), b["peers"].get(peer, {})
        ua, ub = pa.get("us_per_agui_frame"), pb.get("us_per_agui_frame")
        note = "" if pb.get("completed", True) else f" (stopped at {pb['done_events']:,})"
        w.append(
            f"| {PEER_LABEL[peer]} (per AG-UI frame) | {num(ua)} | {num(ub)}{note} | "
            f"{num(div(ub, ua), 2, '×')} | {num(div(sf_large, ub), 3, '×')} |"
        )
    goals.append(
        f"- Tool-heavy messages flat (≤ 1.25× from {small:,} to {large:,} calls): "
        f"{verdict(max(growths) <= 1.25)} (streamfold {min(growths):.2f}–{max(growths):.2f}×)."
    )

    # many sessions
    w += ["", f"### Many sessions: {s.sessions:,} short sessions in one reducer", ""]
    w.append(
        "*× long*: µs per frame ÷ the long stream's (runs of ~300 frames) with as many frames, "
        "same run. Issue #24's goal: ≤ 2×. `bench/bench_sessions.py` adds the collector off and "
        "the freeze strategy."
    )
    w += ["", "| format | frames | µs per frame | long | × long | ÷ `orjson.loads` |"]
    w.append("|---|--:|--:|--:|--:|--:|")
    times = []
    for fmt in ("loom", "agui", "nnrp"):
        r = rows[f"sessions:{fmt}"]
        x = div(us(r["short"]), us(r["long"]))
        times.append(x or 99.0)
        w.append(
            f"| {LABEL[fmt]} | {r['short'].get('units', 0):,} | {num(us(r['short']))} | "
            f"{num(us(r['long']))} | {num(x, 2, '×')} | "
            f"{num(div(r['short'].get('seconds'), r['short'].get('floor')), 1, '×')} |"
        )
    goals.append(
        f"- Many sessions ≤ 2× the long stream per frame at {s.sessions:,} sessions, collector on: "
        f"{verdict(max(times) <= 2.0)} ({min(times):.2f}–{max(times):.2f}×)."
    )
    p = rows["sessions:peers"]
    sf = us(p["streamfold"])
    w += ["", f"The first {s.peer_sessions:,} sessions ({p['agui_frames']:,} AG-UI frames), a "]
    w[-1] += "fresh state per session for each peer:"
    w += ["", "| fold | µs per AG-UI frame | streamfold ÷ this |", "|---|--:|--:|"]
    w.append(f"| streamfold AG-UI | {num(sf)} | — |")
    for peer in scale.peers:
        u = p["peers"].get(peer, {}).get("us_per_agui_frame")
        w.append(f"| {PEER_LABEL[peer]} | {num(u)} | {num(div(sf, u), 3, '×')} |")

    # memory
    text = s.memory * len(MEMORY_DELTA)
    w += ["", f"### Heap per retained byte: one message of {s.memory:,} five-byte deltas", ""]
    w.append(
        "Heap the fold keeps ÷ the UTF-8 bytes of the text (`tracemalloc` after a warm-up). "
        "*open*: the stream stops after the last delta; *closed*: the message ended. Goal: ≤ 3 "
        "B per byte. The Node clients are left out: V8's `heapUsed` after a full collection "
        "moved between 0.0 and 6.3 B per byte with the order of the folds in the process."
    )
    w += ["", "| fold | open | closed |", "|---|--:|--:|"]
    worst = 0.0
    o, c = rows[f"memory:{s.memory}:open"], rows[f"memory:{s.memory}:closed"]
    for who in [*SF_FORMAT, *(p for p in scale.peers if p in PY_PEERS)]:
        cells = [heap_per_byte(r.get(who, {}), text) for r in (o, c)]
        if who in SF_FORMAT:
            worst = max([worst, *(v if v is not None else 99.0 for v, _ in cells)])
        name = f"streamfold {LABEL[who]}" if who in SF_FORMAT else PEER_LABEL[who]
        w.append(f"| {name} | " + " | ".join(num(v, 2, " B") + cut for v, cut in cells) + " |")
    goals.append(
        "- ≤ 3 bytes of heap per retained byte, open or closed, every format: "
        f"{verdict(worst <= 3.0)} (at most {worst:.2f} B)."
    )

    # NNRP
    r = rows["nnrp"]
    w += ["", "### NNRP: the OpenAI profile's fast path, the token profile, AG-UI", ""]
    w.append(
        f"The script's runs ({r['agui'].get('units', 0):,} AG-UI frames) in each format. "
        "*÷ AG-UI*: µs per frame ÷ AG-UI's. Latency: single `feed_line` calls over the whole "
        "stream (a second process). Goals: NNRP ≤ 1.5× AG-UI per frame, p99 ≤ 20 µs; every "
        "format ≤ 4× `orjson.loads` of its lines (issue #24, item 5)."
    )
    w += [
        "",
        "| format | frames | µs per frame | ÷ AG-UI | ÷ `orjson.loads` "
        "| p50 µs | p99 µs | p99.9 µs |",
    ]
    w.append("|---|--:|--:|--:|--:|--:|--:|--:|")
    agui = us(r["agui"])
    floors = []
    for fmt in SF_FORMAT:
        lat = r["latency"].get(fmt, {})
        f = div(r[fmt].get("seconds"), r[fmt].get("floor"))
        floors.append(f or 99.0)
        w.append(
            f"| {LABEL[fmt]} | {r[fmt].get('units', 0):,} | {num(us(r[fmt]))} | "
            f"{num(div(us(r[fmt]), agui), 2, '×')} | {num(f, 1, '×')} | {num(lat.get('p50'), 1)} | "
            f"{num(lat.get('p99'), 1)} | {num(lat.get('p999'), 1)} |"
        )
    if "openai" in r and "us_per_agui_frame" in r["openai"]:
        u = r["openai"]["us_per_agui_frame"]
        w.append(
            f"\nopenai-python on the same content: {u:.2f} µs per AG-UI frame; streamfold NNRP "
            f"(OpenAI profile, same content) ÷ openai-python: "
            f"{num(div(r['nnrp-openai']['seconds'] / r['agui']['units'] * 1e6, u), 3, '×')}"
            + (
                ""
                if r["openai"].get("completed", True)
                else " (openai-python stopped at its budget)"
            )
            + "."
        )
    nnrp = [div(us(r[f]), agui) or 99.0 for f in ("nnrp", "nnrp-openai")]
    p99 = [r["latency"].get(f, {}).get("p99", 99.0) for f in ("nnrp", "nnrp-openai")]
    goals.append(
        f"- NNRP ≤ 1.5× AG-UI per frame: {verdict(max(nnrp) <= 1.5)} (OpenAI profile "
        f"{nnrp[1]:.2f}×, token profile {nnrp[0]:.2f}×); p99 ≤ 20 µs: {verdict(max(p99) <= 20)} "
        f"({p99[1]:.1f} / {p99[0]:.1f} µs)."
    )
    goals.append(
        f"- ≤ 4× `orjson.loads` on every format: {verdict(max(floors) <= 4.0)} "
        + ", ".join(f"{LABEL[f]} {x:.1f}×" for f, x in zip(SF_FORMAT, floors, strict=True))
        + "."
    )
    return [*w[:3], "", "### Goals", "", *goals, *w[3:]]


def run_scale(sizes: Sizes, out: Path | None, *, peers: bool = True) -> list[str]:
    start = time.perf_counter()
    found, skipped = available_peers() if peers else ([], {"peers": "--no-peers"})
    scale = Scale(sizes, found, skipped)
    with tempfile.TemporaryDirectory(prefix="streamfold-scale-") as tmp:
        measure(scale, Path(tmp))
    lines = report(scale, time.perf_counter() - start)
    if out is not None:
        write_section(out, "bench_scale", lines)
    return lines


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:6])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller streams (a few minutes)")
    p.add_argument("--tiny", action="store_true", help="tiny streams (the smoke test)")
    p.add_argument("--no-peers", action="store_true", help="streamfold only")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (its section)")
    args = p.parse_args(argv)
    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    print("\n".join(run_scale(sizes, args.out, peers=not args.no_peers)))


if __name__ == "__main__":
    main()

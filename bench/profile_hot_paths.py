"""Where streamfold's time goes per frame, for each bench stream.

Run: ``.venv/bin/python bench/profile_hot_paths.py [--frames 100000] [--top 15] [FORMAT ...]``.

Two views per format (``bench/streams.py`` streams, ``loom``, ``agui``, ``nnrp``):

1. **Stages, no profiler** (best of 3, µs per frame): ``orjson.loads`` of every line; the
   decoder alone (``decoder.decode`` on the parsed frames, a fresh decoder); ``Reducer.feed`` on
   the parsed frames (decode + apply + bookkeeping); ``Reducer.feed_line`` (everything). The
   differences give parse / decode / apply+bookkeeping / feed_line's own overhead without the
   distortion of a profiler.
2. **cProfile** of ``feed_line`` over the stream: the functions with the most own time, with
   calls per frame, and the own time grouped by area (parse, reducer, decoder, model, event and
   notification construction). cProfile inflates call-heavy code, so read the shares, not the
   absolute numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import streams
from run import streamfold_format

from streamfold import Reducer
from streamfold.formats import make_decoder


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    out = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def stages(name: str, lines: list[bytes]) -> dict[str, float]:
    frames = [orjson.loads(line) for line in lines]
    n = len(lines)

    def parse() -> None:
        loads = orjson.loads
        for line in lines:
            loads(line)

    def decode() -> None:
        d = make_decoder(name)
        for i, frame in enumerate(frames):
            d.decode(frame, i)

    def feed() -> None:
        r = Reducer(format=name)
        for frame in frames:
            r.feed(frame)

    def feed_line() -> None:
        r = Reducer(format=name)
        for line in lines:
            r.feed_line(line)

    steps = {"parse": parse, "decode": decode, "feed": feed, "feed_line": feed_line}
    return {k: best(f) / n * 1e6 for k, f in steps.items()}


AREAS = (
    ("orjson", "parse (orjson)"),
    ("reducer.py", "reducer (apply + bookkeeping)"),
    ("formats/", "decoder"),
    ("model.py", "model (TextBuffer, parts)"),
    ("streamfold.model", "model (TextBuffer, parts)"),
    ("streamfold.events", "event objects (attrs __init__)"),
    ("events.py", "event objects (attrs __init__)"),
    ("streamfold.notifications", "notification objects (attrs __init__)"),
    ("notifications.py", "notification objects (attrs __init__)"),
    ("framing/", "framing"),
)


def area(key: tuple[str, int, str]) -> str:
    filename, _, func = key
    text = f"{filename}:{func}"
    for needle, label in AREAS:
        if needle in text:
            return label
    if filename == "~":
        return "builtins (dict.get, isinstance, list.append, …)"
    return "other"


def profile(name: str, lines: list[bytes], top: int) -> None:
    r = Reducer(format=name)
    feed = r.feed_line
    prof = cProfile.Profile()
    prof.enable()
    for line in lines:
        feed(line)
    prof.disable()
    st = pstats.Stats(prof)
    n = len(lines)
    total = st.total_tt  # type: ignore[attr-defined]
    raw = st.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)
    print(f"  cProfile: {total / n * 1e6:.2f} µs/frame under the profiler")
    print(f"  {'own µs/frame':>12} {'share':>6} {'calls/frame':>11}  function")
    for (filename, lineno, func), (_cc, nc, tt, _ct, _callers) in rows[:top]:
        where = filename.split("/src/")[-1] if "/src/" in filename else filename
        print(
            f"  {tt / n * 1e6:>12.3f} {tt / total:>6.1%} {nc / n:>11.2f}  {where}:{lineno} {func}"
        )
    by_area: dict[str, float] = defaultdict(float)
    for key, (_cc, _nc, tt, _ct, _callers) in raw.items():
        by_area[area(key)] += tt
    print("  by area:")
    for label, tt in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"    {tt / total:>6.1%}  {label}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("formats", nargs="*", default=list(streams.FORMATS))
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--top", type=int, default=15)
    args = p.parse_args()
    for fmt in args.formats:
        name = streamfold_format(fmt)
        if name is None:
            print(f"{fmt}: no streamfold decoder")
            continue
        lines = streams.make_stream(fmt, args.frames, with_openai=False).lines
        print(f"== {fmt} ({name}): {len(lines):,} frames")
        t = stages(name, lines)
        print(
            f"  stages (µs/frame): parse {t['parse']:.2f} | decode {t['decode']:.2f} | "
            f"apply+bookkeeping {t['feed'] - t['decode']:.2f} | "
            f"feed_line overhead {t['feed_line'] - t['feed'] - t['parse']:.2f} | "
            f"feed_line total {t['feed_line']:.2f} ({t['feed_line'] / t['parse']:.1f}× parse)"
        )
        profile(name, lines, args.top)


if __name__ == "__main__":
    main()

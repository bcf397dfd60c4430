"""A seeded mutation run over every format: many mutated real streams, folded and accounted.

    .venv/bin/python fuzz/mutation_run.py --streams 1000000 --jobs 2 --seed 23

Each stream is a real recording of one format (``tests/support/mutations.py``), mutated by the
same mutator as the hypothesis properties (drops, duplicates, swaps, truncations, corrupt bytes,
retyped fields, huge strings, nesting past ``max_json_depth`` and past orjson, deep JSON text,
integers past 64 bits, invalid UTF-8, unknown types, null fields), fed line by line to a lenient
reducer and closed. Checked per stream: nothing raises; ``frames_in == frames_applied +
frames_dropped``; every dropped frame has a dropped diagnostic (its own frame index); every
line fed is a frame. Every 500th stream also goes through every writer (JSON export, snapshot
and back, transcripts, trace, table rows). The totals per format are printed as JSON; any
failure is printed with its seed and stream number, so ``--only N`` replays it.
Results of the runs so far: docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.support.mutations import RandomPick, mutate, streams_of_every_format  # noqa: E402

from streamfold import Reducer  # noqa: E402

STREAMS = streams_of_every_format()
FORMATS = sorted(STREAMS)


def one(seed: int, number: int, outputs: bool) -> tuple[str, dict[str, int], str | None]:
    """Fold stream ``number`` of the run ``seed``: its format, counts and a failure if any."""
    rng = random.Random(f"{seed}:{number}")
    fmt = FORMATS[number % len(FORMATS)]
    lines = mutate(rng.choice(STREAMS[fmt]), RandomPick(rng))
    counts = {"streams": 1, "lines": len(lines)}
    try:
        reducer = Reducer()
        for line in lines:
            reducer.feed_line(line)
        reducer.close()
        conv = reducer.conversation
        counts |= {
            "frames_in": reducer.frames_in,
            "applied": reducer.frames_applied,
            "dropped": reducer.frames_dropped,
            "diagnostics": len(conv.diagnostics) + conv.diagnostics_evicted,
        }
        assert reducer.frames_in == len(lines), "a line was not one frame"
        assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
        if not conv.diagnostics_evicted:
            reported = {d.frame_index for d in conv.diagnostics if d.dropped}
            assert len(reported) == reducer.frames_dropped, "a dropped frame without its report"
        if outputs:
            from tests.test_adversarial import check_outputs

            check_outputs(reducer)
    except Exception:  # the report names the stream; the run goes on
        return (
            fmt,
            counts | {"failures": 1},
            f"seed {seed} stream {number}: " + (traceback.format_exc(limit=-3)),
        )
    return fmt, counts, None


def run_batch(args: tuple[int, int, int]) -> tuple[dict[str, dict[str, int]], list[str]]:
    seed, start, stop = args
    totals: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    for number in range(start, stop):
        fmt, counts, failure = one(seed, number, number % 500 == 0)
        into = totals.setdefault(fmt, {})
        for key, value in counts.items():
            into[key] = into.get(key, 0) + value
        if failure is not None:
            failures.append(failure)
    return totals, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", type=int, help="replay one stream number")
    args = parser.parse_args(argv)
    if args.only is not None:
        fmt, counts, failure = one(args.seed, args.only, True)
        print(fmt, counts, failure or "ok")
        return 1 if failure else 0
    start = time.perf_counter()
    step = 5_000
    batches = [(args.seed, i, min(i + step, args.streams)) for i in range(0, args.streams, step)]
    totals: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for batch_totals, batch_failures in pool.map(run_batch, batches):
            for fmt, counts in batch_totals.items():
                into = totals.setdefault(fmt, {})
                for key, value in counts.items():
                    into[key] = into.get(key, 0) + value
            failures += batch_failures
    report: dict[str, Any] = {
        "seed": args.seed,
        "streams": args.streams,
        "seconds": round(time.perf_counter() - start, 1),
        "formats": totals,
        "failures": len(failures),
    }
    print(json.dumps(report, indent=2))
    for failure in failures[:20]:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

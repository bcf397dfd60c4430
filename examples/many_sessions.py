"""Fold many sessions into one reducer and keep them all, without the collector walking them
again and again.

Run: ``python examples/many_sessions.py [SESSIONS]`` (default 2,000). It folds the bundled
Loom recording once per session (each copy its own ``session_id``) through a feed loop of its
own, with ``streamfold.collector.FreezeSettled``, and prints what it kept and how many full
collections ran. ``docs/performance.md#many-sessions-and-the-collector`` explains the strategy.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

from streamfold import Reducer
from streamfold.collector import FreezeSettled

RECORDING = Path(__file__).parent / "recordings" / "loom-react-parallel-tools.ndjson"


def session_lines(sessions: int) -> Iterator[bytes]:
    """The recording's lines (a ReAct run with parallel tools, ~200 frames), once per session,
    each copy under its own session_id (its reply line keeps the thread's, as the CLI writes
    it)."""
    lines = [line for line in RECORDING.read_bytes().splitlines() if line.strip()]
    for n in range(sessions):
        tag = f'"run-{n}"'.encode()
        for line in lines:
            yield line.replace(b'"run-1732150000418384744"', tag)


# --8<-- [start:loop]
def fold_many(lines: Iterator[bytes]) -> Reducer:
    """Fold every line into one reducer, freezing what is folded every 100k frames."""
    reducer = Reducer(format="loom")
    with FreezeSettled() as settle:  # gc.unfreeze() when the block ends
        for line in lines:
            reducer.feed_line(line)
            settle.reached(reducer.frames_in)
    reducer.close()
    return reducer


# --8<-- [end:loop]


def main(sessions: int = 2_000) -> tuple[Reducer, int]:
    full = 0

    def count(phase: str, info: dict[str, int]) -> None:
        nonlocal full
        full += phase == "stop" and info["generation"] == 2

    gc.callbacks.append(count)
    try:
        reducer = fold_many(session_lines(sessions))
    finally:
        gc.callbacks.remove(count)
    conversation = reducer.conversation
    runs = sum(len(s.runs) for s in conversation.sessions.values())
    print(f"{reducer.frames_in:,} frames, {len(conversation.sessions):,} sessions, {runs:,} runs")
    print(f"full collections while folding: {full}; frozen now: {gc.get_freeze_count()}")
    return reducer, full


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)

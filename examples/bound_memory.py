"""Bound a reducer's memory on a long or hostile stream: limits that end in a notification,
never an unbounded buffer.

Run: ``python examples/bound_memory.py``. The how-to ``docs/how-to/bound-memory.md`` explains
each limit.
"""

from __future__ import annotations

from pathlib import Path

from streamfold import Reducer
from streamfold.notifications import Evicted, Truncated

RECORDINGS = Path(__file__).parent / "recordings"


# --8<-- [start:limits]
def fold_bounded(paths: list[Path]) -> tuple[Reducer, list[Evicted], list[Truncated]]:
    """Fold several logs into one reducer that keeps at most one finished session, 200
    characters per text, 8 open runs and 50 diagnostics."""
    reducer = Reducer(
        max_sessions=1,  # older finished sessions leave the model (Evicted carries them)
        max_text_chars=200,  # per text / reasoning part, tool arguments, tool output
        max_open_runs=8,  # one more ends the oldest open run as "incomplete"
        max_diagnostics=50,  # a ring: older ones are counted in diagnostics_evicted
    )
    evicted: list[Evicted] = []
    truncated: list[Truncated] = []
    for path in paths:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(65536), b""):
                for note in reducer.feed_bytes(chunk):
                    if isinstance(note, Evicted):
                        evicted.append(note)  # save note.session somewhere if you need it
                    elif isinstance(note, Truncated):
                        truncated.append(note)
    reducer.close()
    return reducer, evicted, truncated


# --8<-- [end:limits]


def main() -> tuple[Reducer, list[Evicted], list[Truncated]]:
    paths = [RECORDINGS / "loom-multi-agent.ndjson", RECORDINGS / "loom-repl-session.ndjson"]
    reducer, evicted, truncated = fold_bounded(paths)
    conversation = reducer.conversation
    print(f"sessions kept: {len(conversation.sessions)}, evicted: {len(evicted)}")
    print(f"texts cut at 200 characters: {len(truncated)}")
    print(f"usage over everything (evicted included): {conversation.usage.total_tokens} tokens")
    return reducer, evicted, truncated


if __name__ == "__main__":
    main()

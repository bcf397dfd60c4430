"""Fold many recordings in parallel, one reducer per file in worker processes.

Run: ``python examples/fold_many.py [DIR]`` (default: ``examples/recordings``).
The how-to ``docs/how-to/scale.md`` explains why nothing needs coordinating.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from streamfold import fold_file

DEFAULT = Path(__file__).parent / "recordings"


# --8<-- [start:many]
def summary(path: Path) -> tuple[str, int, int, int]:
    """(file name, runs, total tokens, diagnostics) of one recording."""
    conversation = fold_file(path)
    usage = conversation.usage.total_tokens
    return path.name, len(conversation.runs), usage, len(conversation.diagnostics)


def fold_many(paths: list[Path], workers: int = 2) -> list[tuple[str, int, int, int]]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(summary, paths))


# --8<-- [end:many]


def main(directory: Path = DEFAULT) -> list[tuple[str, int, int, int]]:
    paths = sorted(directory.glob("loom-*.ndjson")) + sorted(directory.glob("nnrp-*.ndjson"))
    rows = fold_many(paths)
    for name, runs, tokens, diagnostics in rows:
        print(f"{name}: {runs} runs, {tokens} tokens, {diagnostics} diagnostics")
    return rows


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)

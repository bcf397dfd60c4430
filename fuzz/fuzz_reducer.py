"""Coverage-guided fuzzing of the framing and the decoders with atheris.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_reducer.py -atheris_runs=200000 fuzz/corpus

Each input is split in two by its first byte: a framing choice (NDJSON bytes, SSE bytes, or
NDJSON lines seeded with a real recording's line) and the data. The property is the reducer's
contract: lenient mode never raises, and every frame is accounted for. The seed corpus is
built from examples/recordings on first run. Findings and the runs done so far: docs/fuzzing.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from streamfold import Reducer
    from streamfold.snapshot import to_bytes

ROOT = Path(__file__).resolve().parent.parent


def check(reducer: Reducer) -> None:
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    for run in reducer.conversation.runs:
        assert run.status.is_terminal


def one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 4, data[1:]
    reducer = Reducer()
    if mode == 0:
        reducer.feed_bytes(body)
    elif mode == 1:
        reducer.feed_sse(body)
    elif mode == 2:
        half = len(body) // 2
        reducer.feed_bytes(body[:half])
        reducer = Reducer.from_snapshot(to_bytes(reducer))  # resume mid-stream
        reducer.feed_bytes(body[half:])
    else:
        for line in body.split(b"\n"):
            reducer.feed_line(line)
    reducer.close()
    check(reducer)


def seed_corpus(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    for i, path in enumerate(sorted((ROOT / "examples" / "recordings").iterdir())):
        if path.suffix in (".ndjson", ".sse"):
            data = path.read_bytes()[:4096]
            mode = b"\x01" if path.suffix == ".sse" else b"\x00"
            (directory / f"seed-{i}").write_bytes(mode + data)


if __name__ == "__main__":
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    for c in corpus:
        seed_corpus(Path(c))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()

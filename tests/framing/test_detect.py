"""Framing detection: decided in one place (streamfold.framing.detect), never early."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import attrs
import pytest

import streamfold
from streamfold import aio
from streamfold.export.json import to_dict
from streamfold.framing import FrameSplitter
from streamfold.framing.detect import DETECT_LIMIT, FRAMINGS, Framing, detect_framing
from streamfold.io.recording import read_recording
from streamfold.io.sync import fold, fold_file, reduce_sync

from ..support.streams import HEADS, RECORDINGS, recording_bytes


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_detection_never_guesses_early(kind: str) -> None:
    data = HEADS[kind]
    want = kind.removesuffix("-compact")
    assert detect_framing(data, final=True) == want
    for cut in range(len(data)):
        got = detect_framing(data[:cut], final=False)
        assert got in (None, want), cut


def test_detection_of_small_and_empty_streams() -> None:
    assert detect_framing(b"", final=False) is None
    assert detect_framing(b"", final=True) == "ndjson"
    assert detect_framing(b"", "x.sse", final=True) == "sse"
    assert detect_framing(b'{"a":1}', final=True) == "ndjson"
    assert detect_framing(b"da", final=False) is None
    assert detect_framing(b"data: 1", final=False) == "sse"


# ------------------------------------------------------ one place decides, every intake agrees

ROOT = RECORDINGS.parents[1]
EXAMPLES = sorted(p for p in RECORDINGS.rglob("*") if p.suffix in (".ndjson", ".sse"))
CHUNK_RECORDINGS = sorted((ROOT / "conformance" / "scenarios").glob("legacy-corpus-*.json"))
BY_SUFFIX: dict[str, Framing] = {".ndjson": "ndjson", ".sse": "sse", ".json": "chunk-recording"}


def _cases() -> list[tuple[str, bytes, Framing]]:
    cases: list[tuple[str, bytes, Framing]] = []
    for path in [*EXAMPLES, *CHUNK_RECORDINGS]:
        recorded = path.name.endswith(".recording.ndjson")  # examples/recordings/timed/
        want: Framing = "recording" if recorded else BY_SUFFIX[path.suffix]
        cases.append((path.name, path.read_bytes(), want))
    for path in EXAMPLES[::4]:  # some of them as streamfold recordings, with arrival times
        source = read_recording(path)
        timed = [attrs.evolve(f, t=i / 100) for i, f in enumerate(source.frames)]
        cases.append((path.stem + ".recording.ndjson", recording_bytes(timed), "recording"))
    return cases


CASES = _cases()


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_every_kind_of_recording_is_covered() -> None:
    assert len(EXAMPLES) >= 20 and CHUNK_RECORDINGS
    assert {want for _, _, want in CASES} == set(FRAMINGS)


@pytest.mark.parametrize(("name", "data", "want"), CASES, ids=[c[0] for c in CASES])
def test_every_intake_gives_every_recording_its_framing(
    name: str, data: bytes, want: Framing, tmp_path: Path
) -> None:
    # The decision, with and without the file name, on the whole file and on its head.
    assert detect_framing(data, name) == want
    assert detect_framing(data) == want
    assert detect_framing(data[:DETECT_LIMIT], name, final=False) == want
    pieces = _pieces(data, 61)
    # FrameSplitter, the sync and async reductions and fold_file all ask framing.detect, on
    # the stream as it arrives in small pieces: they all reach the same answer.
    splitter = FrameSplitter(name=name)
    for piece in pieces:
        splitter.feed(piece)
    splitter.close()
    assert splitter.framing == want
    reduction = reduce_sync(pieces, name=name)
    reduction.run()
    assert reduction.framing == want

    async def reduce_async() -> Framing | None:
        async def source() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        async with aio.reduce(source(), name=name) as stream:
            await stream.run()
        return stream.framing

    assert anyio.run(reduce_async) == want
    path = tmp_path / name
    path.write_bytes(data)
    expected = to_dict(fold([data], framing=want), stats={})
    assert to_dict(fold_file(path), stats={}) == expected
    assert to_dict(fold(pieces, framing=None, name=name), stats={}) == expected


def test_detection_is_written_once() -> None:
    # Every rule of the decision needs the SSE field names or the recording header key: no
    # module but framing/detect.py spells them (a second detection would have to).
    src = Path(streamfold.__file__).parent
    spelled: dict[str, set[object]] = {}
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in (b"retry:", "streamfold_recording"):
                spelled.setdefault(path.relative_to(src).as_posix(), set()).add(node.value)
    assert spelled == {"framing/detect.py": {b"retry:", "streamfold_recording"}}

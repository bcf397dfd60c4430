"""Cross-format detection: every recording of ``examples/recordings/`` is claimed by exactly its
own format from its first frame, by confidence (``docs/write-a-format.md``, "Detection"), and no
other format's decoder is ever made while folding it. Recordings are ``<format>-*`` files, and
the AG-UI senders' recordings in ``agui/`` (read by the TanStack / AG-UI format). A new format
adds its recordings and this test covers it; no other format's tests change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold import Reducer, fold_file
from streamfold.formats import FORMATS, detect_format

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"
# Raw frame streams only: ``*.recording.ndjson`` files (``timed/``) are streamfold recordings, a
# container framing whose frames are the TanStack streams beside them (docs/recording.md).
STREAMS = sorted(
    p
    for p in RECORDINGS.rglob("*")
    if p.suffix in (".ndjson", ".sse") and not p.name.endswith(".recording.ndjson")
)
# Recordings of other senders of a format, in a folder named for the protocol they speak.
FOLDERS = {"agui": "tanstack"}


def first_frame(path: Path) -> dict[str, Any]:
    """The first JSON object of an NDJSON or SSE file (REPL prompts and SSE fields skipped)."""
    for line in path.read_bytes().splitlines():
        if path.suffix == ".sse":
            if not line.startswith(b"data:"):
                continue
            line = line[5:]
        brace = line.find(b"{")
        if brace < 0:
            continue
        try:
            frame = orjson.loads(line[brace:])
        except orjson.JSONDecodeError:
            continue
        if type(frame) is dict:
            return frame
    raise AssertionError(f"{path.name} has no JSON object")


def own_format(path: Path) -> str:
    """The format a file is named for: the longest format name it starts with (then ``-``)."""
    if path.parent != RECORDINGS:
        return FOLDERS[path.parent.name]
    return max((n for n in FORMATS if path.name.startswith(f"{n}-")), key=len)


def test_every_format_has_recordings() -> None:
    assert {own_format(p) for p in STREAMS} == {"loom", "nnrp", "tanstack", "vercel-ui"}


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: str(p.relative_to(RECORDINGS)))
def test_claimed_by_its_own_format_from_the_first_frame(path: Path) -> None:
    frame = first_frame(path)
    own = own_format(path)
    confidences = {name: float(cls.detect(frame)) for name, cls in FORMATS.items()}
    assert detect_format(frame) == own
    assert confidences[own] > 0
    others = {name: c for name, c in confidences.items() if name != own}
    assert all(c < confidences[own] for c in others.values()), confidences
    reducer = Reducer()
    fold_file(path, reducer)
    assert set(reducer.decoders) == {own}


# The provider corpus (the live OpenAI and Anthropic APIs' streams, kept beside the checkout and
# not copied into examples/recordings/): each file is claimed by its folder's format.
from .providers.corpus import corpus_streams  # noqa: E402

PROVIDER_STREAMS = [
    p for fmt in ("openai-chat", "openai-responses", "anthropic") for p in corpus_streams(fmt)
]


@pytest.mark.parametrize("path", PROVIDER_STREAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_provider_streams_are_claimed_by_their_format(path: Path) -> None:
    frame = first_frame(path)
    own = path.parent.name
    confidences = {name: float(cls.detect(frame)) for name, cls in FORMATS.items()}
    assert detect_format(frame) == own, confidences
    assert all(c < confidences[own] for name, c in confidences.items() if name != own)
    reducer = Reducer()
    reducer.feed_sse(path.read_bytes())
    reducer.close()
    assert set(reducer.decoders) == {own}

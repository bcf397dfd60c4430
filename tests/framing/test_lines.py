"""NDJSON framing: any byte split gives the same lines; bounds hold; the same lines as the
previous implementation (``framing_reference.py``) for any stream and chunking."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold.framing.lines import LineSplitter, OversizedLine

from ..support.streams import RECORDINGS
from . import reference as ref

NDJSON_FILES = sorted(RECORDINGS.glob("*.ndjson"))

LINES = [
    '{"type":"message_chunk","content":"héllo wörld ✓ 🎉","id":"think"}'.encode(),
    b'{"type":"node_exit","id":"think","result":"Ok"}',
    "> not json ✗".encode(),
]
STREAM = b"\xef\xbb\xbf" + b"\r\n".join(LINES) + b"\r\n\r\n   \n"


def split_all(data: bytes, cuts: list[int], max_line_bytes: int = 1 << 20) -> list[object]:
    splitter = LineSplitter(max_line_bytes)
    out: list[object] = []
    prev = 0
    for cut in sorted(cuts):
        out += splitter.feed(data[prev:cut])
        prev = cut
    out += splitter.feed(data[prev:])
    out += splitter.close()
    return out


def test_bom_crlf_and_blank_lines() -> None:
    assert split_all(STREAM, []) == LINES


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_every_single_split_point(cut: int) -> None:
    # Includes cuts inside the BOM and inside multi-byte UTF-8 characters.
    assert split_all(STREAM, [cut]) == LINES


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_random_splits(cuts: list[int]) -> None:
    assert split_all(STREAM, cuts) == LINES


def test_unterminated_last_line_is_flushed_at_close() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert splitter.feed(b":2}") == []
    assert splitter.close() == [b'{"b":2}']


def test_oversized_line_is_skipped_without_buffering_it_whole() -> None:
    splitter = LineSplitter(max_line_bytes=100, keep=10)
    out = splitter.feed(b'{"ok":1}\n' + b"x" * 150)
    assert out == [b'{"ok":1}']
    # The partial oversized line is not held in memory.
    assert splitter.buffered == 0
    for _ in range(100):
        assert splitter.feed(b"y" * 1000) == []
        assert splitter.buffered == 0
    out = splitter.feed(b'yy\n{"next":2}\n')
    assert out == [OversizedLine(150 + 100_000 + 2, b"x" * 10), b'{"next":2}']


def test_oversized_complete_line_in_one_chunk() -> None:
    splitter = LineSplitter(max_line_bytes=5, keep=3)
    assert splitter.feed(b"abcdefgh\nab\n") == [OversizedLine(8, b"abc"), b"ab"]


def test_bytearray_chunks_give_bytes_lines() -> None:
    # Not in the typed API (bytes), but bytearray chunks always worked: they still do.
    chunks: list[Any] = [bytearray(b'{"a":1}\n{"b"'), bytearray(b":2}\n")]
    splitter = LineSplitter()
    out = splitter.feed(chunks[0]) + splitter.feed(chunks[1])
    assert out == [b'{"a":1}', b'{"b":2}']
    assert all(type(line) is bytes for line in out)


def test_invalid_limit_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineSplitter(0)


# ----------------------------------------------------------------------- property tests

# Line content never holds \n; \r inside a line is kept, a trailing one is removed.
CONTENT = st.one_of(
    st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from([b"", b" ", b"\t \x0b", b'{"a":"h\xc3\xa9"}', b"x\r", b"\r", b"a\rb"]),
)
END = st.sampled_from([b"\n", b"\n", b"\r\n"])
LONG = st.integers(41, 120).map(lambda n: b"y" * n)  # oversized for the limit of 40
STREAM_NDJSON = st.tuples(
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb"]),
    st.lists(st.one_of(st.tuples(CONTENT, END), st.tuples(LONG, st.just(b"\n"))), max_size=30),
    st.sampled_from([b"", b"tail", b"\r", b"y" * 50]),  # an unterminated last line
).map(lambda t: t[0] + b"".join(c + e for c, e in t[1]) + t[2])


def feed_chunks(
    splitter: LineSplitter | ref.LineSplitter, chunks: list[bytes], raw: bool = False
) -> list[object]:
    """All lines; ``raw``: blank lines too (``feed_raw``, the SSE splitter's mode)."""
    feed = splitter.feed_raw if raw else splitter.feed
    close = splitter.close_raw if raw else splitter.close
    out: list[object] = []
    for chunk in chunks:
        out += feed(chunk)
    out += close()
    return out


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in pairwise(points)]


@given(STREAM_NDJSON, st.sampled_from([40, 1 << 20]), st.data())
def test_any_chunking_gives_the_same_lines(stream: bytes, limit: int, data: st.DataObject) -> None:
    chunks = cut(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    whole = feed_chunks(LineSplitter(limit, keep=8), [stream])
    assert feed_chunks(LineSplitter(limit, keep=8), chunks) == whole


@given(STREAM_NDJSON, st.sampled_from([1, 8, 40, 1 << 20]), st.data())
def test_same_lines_as_the_previous_implementation(
    stream: bytes, limit: int, data: st.DataObject
) -> None:
    # Any content here (\r and oversized lines mixed), empty chunks included: the result must
    # be the previous implementation's, chunk for chunk, quirks included.
    chunks = cut(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    for raw in (False, True):
        new, old = LineSplitter(limit, keep=8), ref.LineSplitter(limit, keep=8)
        assert feed_chunks(new, chunks, raw) == feed_chunks(old, chunks, raw)


@pytest.mark.parametrize("path", NDJSON_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("size", [1, 7, 100, 4096, 1 << 16])
def test_recordings_same_as_the_previous_implementation(path: Path, size: int) -> None:
    data = path.read_bytes()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    expected = feed_chunks(ref.LineSplitter(), chunks)
    assert feed_chunks(LineSplitter(), chunks) == expected
    assert feed_chunks(LineSplitter(), [data]) == expected

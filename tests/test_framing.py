"""NDJSON framing: any byte split gives the same lines; bounds hold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold.framing import LineSplitter, OversizedLine

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


def test_invalid_limit_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineSplitter(0)

"""SSE framing: the event-stream rules, and any chunking gives the same events.

The property tests also compare :class:`~streamfold.framing.SSESplitter` with the implementation
it replaced (``framing_reference.py``), chunk for chunk: the fast paths must not change a thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold.framing import sse
from streamfold.framing.lines import OversizedLine
from streamfold.framing.sse import SSEEvent, SSESplitter, SSESplitterState
from streamfold.snapshot.schema import converter

from ..support.streams import RECORDINGS
from . import reference

SSE_FILES = sorted(RECORDINGS.glob("*.sse"))
BOM = b"\xef\xbb\xbf"


class Splitter(Protocol):
    retry: int | None

    @property
    def last_event_id(self) -> str | None: ...

    def feed(self, data: bytes) -> list[SSEEvent | OversizedLine]: ...

    def close(self) -> list[SSEEvent | OversizedLine]: ...


Result = tuple[list[SSEEvent | OversizedLine], str | None, int | None]


def run(splitter: Splitter, chunks: Iterable[bytes]) -> Result:
    out: list[SSEEvent | OversizedLine] = []
    for chunk in chunks:
        out += splitter.feed(chunk)
    out += splitter.close()
    return out, splitter.last_event_id, splitter.retry


def cut(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` split at the given offsets (duplicates dropped: no empty chunks)."""
    points = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in pairwise(points)]


def events(data: bytes, max_line_bytes: int = 1 << 20) -> list[SSEEvent | OversizedLine]:
    return run(SSESplitter(max_line_bytes), [data])[0]


# ------------------------------------------------------------------------------ the rules


def test_data_events_and_multi_line_data() -> None:
    assert events(b'data: {"a":1}\n\ndata:x\ndata:  y\ndata:\n\n') == [
        SSEEvent('{"a":1}'),
        SSEEvent("x\n y\n"),  # one leading space removed, and only one
    ]


def test_event_type_id_and_retry() -> None:
    splitter = SSESplitter()
    out = splitter.feed(b"event: delta\nid: 7\nretry: 1500\ndata: a\n\ndata: b\n\n")
    assert out == [SSEEvent("a", "delta", "7"), SSEEvent("b", None, "7")]
    assert splitter.retry == 1500
    assert splitter.last_event_id == "7"
    # An id with NUL is ignored; an empty id resets the cursor; a bad retry is ignored.
    out = splitter.feed(b"id: x\x00y\nretry: 1s\ndata: c\n\nid\nid:\ndata: d\n\n")
    assert out == [SSEEvent("c", None, "7"), SSEEvent("d", None, "")]
    assert splitter.retry == 1500


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, "-1", "+5", " 5"])
def test_a_retry_that_is_not_ascii_digits_is_ignored(value: str) -> None:
    """Issue #23: ``"²".isdigit()`` is true in Python and ``int("²")`` raises; a 5,000-digit
    value passes Python's int-from-text limit. Both are ignored, never raised."""
    splitter = SSESplitter()
    out = splitter.feed(f"retry: 100\n\nretry: {value}\ndata: x\n\n".encode())
    assert out == [SSEEvent("x")]
    assert splitter.retry == 100
    reducer = Reducer()
    reducer.feed_sse(f"retry: {value}\ndata: {{}}\n\n".encode())  # no exception


def test_comments_unknown_fields_and_lines_without_colon_are_ignored() -> None:
    stream = b": keep-alive\nfoo: bar\ndata\ndata: x\n:\n\n"
    assert events(stream) == [SSEEvent("x")]


def test_event_without_data_is_not_dispatched_and_resets_the_type() -> None:
    assert events(b"event: ping\n\ndata: x\n\n") == [SSEEvent("x")]


def test_typed_events_and_other_blocks_mixed() -> None:
    # Whole events in one chunk after a first one (the bulk path), in shapes close to the
    # common "event: NAME\ndata: VALUE" one.
    stream = (
        b"data: 0\n\n"
        b"event: a\ndata: 1\n\n"
        b"event: b\nid: 9\n\n"  # as many \n as a typed event, but no data line
        b"event: c\ndata: 2\ndata: 3\n\n"
        b"event: \ndata: 4\n\n"
        b"data: 5\nevent: d\n\n"
    )
    assert events(stream) == [
        SSEEvent("0"),
        SSEEvent("1", "a"),
        SSEEvent("2\n3", "c", "9"),
        SSEEvent("4", "", "9"),
        SSEEvent("5", "d", "9"),
    ]
    assert events(b"data: 0\n\nevent: a\ndata: 1\n\nevent: b\nid: 9\n\n") == [
        SSEEvent("0"),
        SSEEvent("1", "a"),
    ]


def test_bytearray_chunks() -> None:
    # Not in the typed API (bytes), but bytearray chunks always worked: they still do.
    chunks: list[Any] = [bytearray(b"data: a\n\ndata"), bytearray(b": b\n\ndata: c")]
    splitter = SSESplitter()
    out = splitter.feed(chunks[0]) + splitter.feed(chunks[1]) + splitter.close()
    assert out == [SSEEvent("a"), SSEEvent("b"), SSEEvent("c")]


def test_cr_crlf_and_lf_line_ends() -> None:
    stream = b"event: e\rdata: a\r\n\r\ndata: b\n\rdata: c\r\r"
    expected = [SSEEvent("a", "e"), SSEEvent("b"), SSEEvent("c")]
    assert events(stream) == expected
    for i in range(len(stream) + 1):  # a \r\n pair split across chunks is one line end
        assert run(SSESplitter(), [stream[:i], stream[i:]])[0] == expected, i


def test_empty_chunk_between_cr_and_lf_changes_nothing() -> None:
    chunks = [b"data: a\r", b"", b"\ndata: b\r\n\r\n"]
    assert run(SSESplitter(), chunks)[0] == [SSEEvent("a\nb")]


def test_bom_is_dropped_even_when_split() -> None:
    stream = BOM + b"data: x\n\n"
    for i in range(4):
        assert run(SSESplitter(), [stream[:i], stream[i:]])[0] == [SSEEvent("x")]
    assert events(b"data: " + BOM + b"\n\n") == [SSEEvent("\ufeff")]  # only at the start


def test_bare_json_line_is_an_event() -> None:
    stream = b'{"a":1}\ndata: x\n{"b":2}\n\n'
    assert events(stream) == [SSEEvent('{"a":1}'), SSEEvent("x"), SSEEvent('{"b":2}')]


def test_invalid_utf8_is_replaced() -> None:
    assert events(b"data: \xff\xe2\x82\ndata: \xe2\x82\xac\n\n") == [SSEEvent("\ufffd\ufffd\n€")]


def test_unterminated_event_is_dispatched_at_close() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: a\n\ndata: b\ndata: c") == [SSEEvent("a")]
    assert splitter.close() == [SSEEvent("b\nc")]


def test_events_built_in_bulk_equal_constructed_ones() -> None:
    # sse._new_events sets SSEEvent's slots directly instead of calling its __init__: that
    # is only right while the attrs __init__ does nothing else than set these three fields.
    assert [f.name for f in attrs.fields(SSEEvent)] == ["data", "event", "last_event_id"]
    for f in attrs.fields(SSEEvent):
        assert f.validator is None
        assert f.converter is None
        assert f.default in (attrs.NOTHING, None)  # no factory
    assert not hasattr(SSEEvent, "__attrs_post_init__")
    built = sse._new_events(["a", "é"], "7")
    expected = [SSEEvent("a", None, "7"), SSEEvent("é", None, "7")]
    assert built == expected
    assert [(repr(e), hash(e)) for e in built] == [(repr(e), hash(e)) for e in expected]


def test_oversized_line_is_skipped() -> None:
    splitter = SSESplitter(max_line_bytes=20)
    out = splitter.feed(b"data: ok\n\ndata: " + b"x" * 30)
    assert out == [SSEEvent("ok")]
    assert splitter.feed(b"x" * 1000) == []
    assert splitter._lines.buffered == 0
    out = splitter.feed(b"\n\ndata: next\n\n")
    # The head is what was buffered when the line went over the limit.
    assert out == [OversizedLine(1036, b"data: " + b"x" * 30), SSEEvent("next")]


def test_oversized_event_data_is_dropped() -> None:
    # Each data line counts its characters + 1; the event's data so far is dropped at 22 > 20.
    out = events(b"data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\ndata: ok\n\n", 20)
    assert out == [OversizedLine(22, b"0123456789"), SSEEvent("0123456789"), SSEEvent("ok")]


# ----------------------------------------------------------------------- property tests

# Line content never holds \r or \n (they end lines); bytes may be invalid UTF-8.
PAYLOAD = st.one_of(
    st.binary(max_size=24).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(max_size=12).map(lambda t: t.encode().replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b'{"type":"TEXT_MESSAGE_CONTENT","delta":"h\xc3\xa9"}', b"[DONE]", b""]),
)
LINE = st.one_of(
    PAYLOAD.map(lambda v: b"data: " + v),
    PAYLOAD.map(lambda v: b"data:" + v),
    PAYLOAD.map(lambda v: b"event: " + v),
    st.sampled_from([b"1", b"", b"a\x00b", b"\xff"]).map(lambda v: b"id: " + v),
    st.sampled_from([b"100", b"x", b"", b"12a"]).map(lambda v: b"retry: " + v),
    PAYLOAD.map(lambda v: b":" + v),
    PAYLOAD.map(lambda v: b"foo: " + v),
    PAYLOAD.map(lambda v: b"{" + v),
    st.sampled_from([b"", b"data", b" data: x", b"\xef\xbb\xbfdata: x"]),
    st.integers(20, 90).map(lambda n: b"data: " + b"x" * n),  # oversized for the small limits
)
END = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"\r"])
# The common cases, a whole ``data:`` event (after an ``event:`` line or not), as blocks of
# their own so that runs of them occur.
SIMPLE_EVENT = PAYLOAD.map(lambda v: b"data: " + v + b"\n\n")
TYPED_EVENT = st.tuples(PAYLOAD, PAYLOAD).map(lambda t: b"event: " + t[0] + b"\ndata: " + t[1])
BLOCK = st.one_of(
    SIMPLE_EVENT,
    SIMPLE_EVENT,
    TYPED_EVENT.map(lambda b: b + b"\n\n"),
    st.lists(TYPED_EVENT.map(lambda b: b + b"\n\n"), min_size=2, max_size=6).map(b"".join),
    st.tuples(PAYLOAD, LINE).map(lambda t: b"event: " + t[0] + b"\n" + t[1] + b"\n\n"),
    st.lists(st.tuples(LINE, END), min_size=1, max_size=4).map(
        lambda lines: b"".join(line + end for line, end in lines)
    ),
)
STREAM = st.tuples(st.sampled_from([b"", BOM, BOM[:2]]), st.lists(BLOCK, max_size=30)).map(
    lambda t: t[0] + b"".join(t[1])
)
LIMIT = st.sampled_from([24, 64, 1 << 20])


def headless(result: Result) -> Result:
    """Oversized lines without their heads: with a limit below the 4096 bytes kept, the head is
    what was buffered when the line went over, which depends on the chunking."""
    out = [OversizedLine(e.size, b"") if isinstance(e, OversizedLine) else e for e in result[0]]
    return out, result[1], result[2]


@given(STREAM, LIMIT, st.data())
def test_any_chunking_gives_the_same_events(stream: bytes, limit: int, data: st.DataObject) -> None:
    whole = headless(run(SSESplitter(limit), [stream]))
    chunks = cut(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    assert headless(run(SSESplitter(limit), chunks)) == whole
    # Empty chunks anywhere are no-ops.
    with_empty = [b"", *(piece for chunk in chunks for piece in (chunk, b""))]
    assert headless(run(SSESplitter(limit), with_empty)) == whole


@given(STREAM, LIMIT, st.data())
def test_same_events_as_the_previous_implementation(
    stream: bytes, limit: int, data: st.DataObject
) -> None:
    chunks = cut(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    assert run(SSESplitter(limit), chunks) == run(reference.SSESplitter(limit), chunks)


@given(st.lists(st.binary(max_size=200), max_size=8))
def test_arbitrary_bytes_same_as_the_previous_implementation(chunks: list[bytes]) -> None:
    chunks = [c for c in chunks if c]
    for limit in (16, 1 << 20):
        assert run(SSESplitter(limit), chunks) == run(reference.SSESplitter(limit), chunks)


@pytest.mark.parametrize("path", SSE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("size", [1, 7, 100, 4096, 1 << 16])
def test_recordings_same_as_the_previous_implementation(path: Path, size: int) -> None:
    data = path.read_bytes()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    expected = run(reference.SSESplitter(), chunks)
    assert run(SSESplitter(), chunks) == expected
    assert run(SSESplitter(), [data]) == expected
    assert len(expected[0]) == data.count(b"\n\n")


@given(STREAM, LIMIT, st.data())
def test_snapshot_mid_stream_and_continue(stream: bytes, limit: int, data: st.DataObject) -> None:
    # The splitter's state goes through the snapshot's schema unchanged: a restored splitter
    # continues exactly where the original was (partial line, pending event, \r at the end of
    # the previous chunk).
    chunks = cut(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    at = data.draw(st.integers(0, len(chunks)))
    first = SSESplitter(limit)
    out: list[SSEEvent | OversizedLine] = []
    for chunk in chunks[:at]:
        out += first.feed(chunk)
    encoded = orjson.dumps(converter.unstructure(first.state()))
    state = converter.structure(orjson.loads(encoded), SSESplitterState)
    resumed = SSESplitter.from_state(state, limit)
    events, last_id, retry = run(resumed, chunks[at:])
    assert (out + events, last_id, retry) == run(SSESplitter(limit), chunks)

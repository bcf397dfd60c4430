"""Unit and property tests for the NNRP sequence reassembler (no reducer involved)."""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold.errors import UsageError
from streamfold.formats.nnrp.reassembly import (
    Chunk,
    NoticeKind,
    Outcome,
    Piece,
    RangeMode,
    SequenceReassembler,
)


class Lane:
    """Feeds a reassembler and keeps the resulting text and notices."""

    def __init__(self, **kwargs: object) -> None:
        # unit tests read ranges half-open unless they are about the range mode
        kwargs.setdefault("range_mode", "half_open")
        self.r = SequenceReassembler(**kwargs)  # type: ignore[arg-type]
        self.parts: list[str] = []
        self.notices: list[tuple[NoticeKind, int | None, int | None]] = []
        self.all_notices: list[object] = []

    def _take(self, out: Outcome) -> Outcome:
        for piece in out.pieces:
            if piece.replace:
                self.parts = [piece.text]
            else:
                self.parts.append(piece.text)
        for n in out.notices:
            self.notices.append((n.kind, n.start, n.end))
            self.all_notices.append(n)
        return out

    def push(
        self,
        data: str | bytes,
        start: int | None = None,
        end: int | None = None,
        **kw: bool,
    ) -> Outcome:
        return self._take(self.r.push(Chunk(data, start, end, **kw)))

    def feed(self, chunks: Iterable[Chunk]) -> None:
        for chunk in chunks:
            self._take(self.r.push(chunk))

    def finish(self) -> Outcome:
        return self._take(self.r.finish())

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def waiting(self) -> bool:
        return self.r.waiting

    def kinds(self) -> list[NoticeKind]:
        return [k for k, _, _ in self.notices]


# ---------------------------------------------------------------------------------- basics


def test_in_order_appends_each_chunk_once() -> None:
    lane = Lane()
    out = lane.push("Hel", 0, 3)
    assert [p.text for p in out.pieces] == ["Hel"]
    assert out.notices == []
    lane.push("lo", 3, 5)
    lane.push(" world", 5, 11)
    lane.finish()
    assert lane.text == "Hello world"
    assert lane.notices == []
    assert lane.r.frontier == 11
    assert lane.r.missing == []
    assert lane.r.range_mode == "half_open"


def test_first_chunk_sets_base_by_default() -> None:
    lane = Lane()
    lane.push(" and then", 128, 136)
    lane.push(" retries", 136, 140)
    assert lane.text == " and then retries"
    assert lane.r.base == 128


def test_first_sequence_holds_a_late_start() -> None:
    lane = Lane(first_sequence=0)
    lane.push("b", 2, 4)
    assert lane.text == ""
    assert lane.kinds() == [NoticeKind.HELD]
    lane.push("a", 0, 2)
    assert lane.text == "ab"


def test_reorder_within_window() -> None:
    lane = Lane()
    lane.push("A", 0, 1)
    lane.push("C", 2, 3)
    lane.push("D", 3, 4)
    assert lane.text == "A"
    assert lane.r.held_count == 2
    lane.push("B", 1, 2)
    assert lane.text == "ABCD"
    assert lane.r.held_count == 0
    assert lane.r.held_peak == 2
    assert lane.kinds() == [NoticeKind.HELD, NoticeKind.HELD]


def test_duplicate_of_applied_range_is_dropped() -> None:
    lane = Lane()
    lane.push("Hel", 0, 3)
    lane.push("lo", 3, 5)
    out = lane.push("Hel", 0, 3)
    assert out.pieces == []
    assert out.notices[0].kind is NoticeKind.DUPLICATE
    assert not out.notices[0].retransmit
    out = lane.push("lo", 3, 5, retransmit=True)
    assert out.notices[0].kind is NoticeKind.DUPLICATE
    assert out.notices[0].retransmit
    # a sub-range of applied text is a duplicate too
    assert lane.push("e", 1, 2).notices[0].kind is NoticeKind.DUPLICATE
    assert lane.text == "Hello"
    assert lane.r.duplicates == 3


def test_duplicate_of_held_chunk() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    out = lane.push("c", 2, 3)
    assert out.notices[0].kind is NoticeKind.DUPLICATE
    assert lane.r.held_count == 1
    lane.push("b", 1, 2)
    assert lane.text == "abc"


def test_held_range_with_other_text_is_a_conflict() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    out = lane.push("X", 2, 3)
    assert out.notices[0].kind is NoticeKind.OVERLAP
    lane.push("b", 1, 2)
    assert lane.text == "abc"
    assert lane.r.conflicts == 1


def test_retransmit_that_fills_a_hole_is_applied() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    lane.push("b", 1, 2, retransmit=True)
    assert lane.text == "abc"


def test_partial_overlap_with_applied_text_is_not_spliced() -> None:
    lane = Lane()
    lane.push("Hello", 0, 5)
    out = lane.push("lo world", 3, 11)
    assert out.pieces == []
    assert out.notices[0].kind is NoticeKind.OVERLAP
    assert (out.notices[0].start, out.notices[0].end) == (3, 11)
    assert lane.text == "Hello"
    # the uncovered tail becomes a permanent gap if nobody sends it
    lane.push("!", 11, 12)
    lane.finish()
    assert lane.text == "Hello!"
    assert lane.r.missing == [(5, 11)]


def test_partial_overlap_between_held_chunks() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("cd", 2, 4)
    out = lane.push("de", 3, 5)
    assert out.notices[0].kind is NoticeKind.OVERLAP
    assert lane.r.held_count == 1


def test_in_order_chunk_wins_over_an_overlapping_held_chunk() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("cd", 2, 4)  # held
    lane.push("bc", 1, 3)  # in order: applied; the held chunk now overlaps it
    assert lane.text == "abc"
    assert lane.kinds()[-1] is NoticeKind.OVERLAP
    assert lane.r.held_count == 0


def test_held_chunk_covered_by_an_in_order_chunk_is_a_duplicate() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)  # held
    lane.push("bcd", 1, 4)
    assert lane.text == "abcd"
    assert lane.kinds()[-1] is NoticeKind.DUPLICATE


def test_gap_at_finish_is_reported_and_held_text_kept_in_order() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    lane.push("e", 4, 5)
    out = lane.finish()
    assert [n.kind for n in out.notices] == [NoticeKind.GAP, NoticeKind.GAP]
    assert lane.text == "ace"
    assert lane.r.missing == [(1, 2), (3, 4)]


def test_gap_marker() -> None:
    lane = Lane(gap_marker="…")
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    lane.finish()
    assert lane.text == "a…c"


def test_finish_is_idempotent_and_push_after_finish_raises() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.finish()
    assert lane.finish().pieces == []
    assert lane.r.finished
    with pytest.raises(RuntimeError):
        lane.push("b", 1, 2)


# ------------------------------------------------------------------------ window overflow


def test_overflow_by_count_gives_up_the_oldest_gap() -> None:
    lane = Lane(max_held_chunks=2)
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    lane.push("d", 3, 4)
    assert lane.text == "a"
    out = lane.push("f", 5, 6)  # third held chunk: over the window
    assert NoticeKind.OVERFLOW in [n.kind for n in out.notices]
    assert lane.text == "acd"
    assert lane.r.missing == [(1, 2)]
    assert lane.r.overflows == 1
    assert lane.r.held_count == 1
    # the late chunk for the given-up gap can't be spliced in
    out = lane.push("b", 1, 2)
    assert out.notices[0].kind is NoticeKind.LATE_FILL
    lane.push("e", 4, 5)
    assert lane.text == "acdef"
    lane.finish()
    assert lane.r.missing == [(1, 2)]


def test_overflow_by_size() -> None:
    lane = Lane(max_held_bytes=4)
    lane.push("a", 0, 1)
    lane.push("ccc", 2, 3)
    assert lane.text == "a"
    lane.push("ddd", 3, 4)  # 6 > 4 held bytes
    assert lane.text == "acccddd"
    assert lane.r.missing == [(1, 2)]
    assert lane.r.held_size == 0


def test_zero_window_never_holds() -> None:
    lane = Lane(max_held_chunks=0)
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    assert lane.text == "ac"
    assert lane.r.missing == [(1, 2)]


def test_chunks_inside_a_given_up_gap_are_late_fills() -> None:
    lane = Lane(max_held_chunks=1)
    lane.push("a", 0, 1)
    lane.push("d", 3, 4)
    assert lane.r.missing == []
    lane.push("e", 4, 5)  # two held chunks: over the window
    assert lane.r.missing == [(1, 3)]
    assert lane.text == "ade"
    assert lane.push("c", 2, 3).notices[0].kind is NoticeKind.LATE_FILL
    assert lane.push("bcd", 1, 4).notices[0].kind is NoticeKind.LATE_FILL
    assert lane.push("e", 4, 5).notices[0].kind is NoticeKind.DUPLICATE
    assert lane.r.conflicts == 2


# --------------------------------------------------------------------- range modes / auto


def test_inclusive_mode() -> None:
    lane = Lane(range_mode="inclusive")
    lane.push("ab", 0, 1)
    lane.push("c", 2, 2)
    lane.push("d", 3, 3)
    assert lane.text == "abcd"
    assert lane.r.frontier == 4


def test_auto_detects_inclusive_from_adjacency() -> None:
    lane = Lane(range_mode="auto")
    lane.push(" and then", 128, 135)
    assert lane.r.range_mode == "auto"
    out = lane.push(" retries", 136, 139)
    # one step of +1 could be a one-token hole: wait for a second one
    assert out.notices[0].kind is NoticeKind.HELD
    assert lane.r.range_mode == "auto"
    out = lane.push(" over TCP", 140, 142)
    assert out.notices[0].kind is NoticeKind.RANGE_MODE
    assert lane.r.range_mode == "inclusive"
    assert lane.text == " and then retries over TCP"
    assert lane.r.frontier == 143
    # an inclusive duplicate is still recognised
    assert lane.push(" retries", 136, 139).notices[0].kind is NoticeKind.DUPLICATE


def test_auto_decides_inclusive_at_finish_on_one_step() -> None:
    lane = Lane(range_mode="auto")
    lane.push("ab", 0, 1)
    lane.push("cd", 2, 3)
    lane.finish()
    assert lane.r.range_mode == "inclusive"
    assert lane.text == "abcd"
    assert lane.r.missing == []


def test_auto_decides_at_overflow() -> None:
    lane = Lane(range_mode="auto", max_held_chunks=1)
    lane.push("ab", 0, 1)
    lane.push("cd", 2, 3)  # held, undecided
    lane.push("gh", 6, 7)  # over the window: decide (inclusive), then there is room again
    assert lane.r.range_mode == "inclusive"
    assert lane.text == "abcd"
    assert lane.r.missing == []
    assert lane.r.held_count == 1


def test_auto_detects_inclusive_from_single_token_chunk() -> None:
    lane = Lane(range_mode="auto")
    lane.push("a", 0, 0)
    assert lane.r.range_mode == "inclusive"
    lane.push("b", 1, 1)
    assert lane.text == "ab"


def test_auto_locks_half_open_on_adjacency() -> None:
    lane = Lane(range_mode="auto")
    lane.push("ab", 0, 2)
    lane.push("cd", 2, 4)
    assert lane.r.range_mode == "half_open"
    out = lane.push("f", 5, 6)  # now a real gap, not an inclusive hint
    assert out.notices[0].kind is NoticeKind.HELD


def test_auto_detects_inclusive_among_held_chunks() -> None:
    lane = Lane(range_mode="auto", first_sequence=0)
    lane.push("c", 5, 9)  # held: the lane starts at 0
    lane.push("ab", 0, 4)  # applied; the held chunk starts one past its end (one step)
    assert lane.r.range_mode == "auto"
    assert lane.text == "ab"
    lane.push("d", 10, 14)  # a second step: inclusive; everything drains
    assert lane.r.range_mode == "inclusive"
    assert lane.text == "abcd"
    assert lane.r.frontier == 15


def test_explicit_half_open_rejects_empty_range_with_text() -> None:
    lane = Lane(range_mode="half_open")
    out = lane.push("x", 3, 3)
    assert out.notices[0].kind is NoticeKind.BAD_RANGE
    assert lane.text == ""


def test_bad_ranges() -> None:
    lane = Lane()
    assert lane.push("x", 5, 3).notices[0].kind is NoticeKind.BAD_RANGE
    assert lane.push("x", -1, 3).notices[0].kind is NoticeKind.BAD_RANGE
    assert lane.text == ""


def test_empty_marker_chunk_is_a_no_op() -> None:
    lane = Lane()
    lane.push("ab", 0, 2)
    out = lane.push("", 2, 2)
    assert out.pieces == []
    assert out.notices == []
    assert lane.r.frontier == 2


def test_empty_text_with_a_real_range_advances_the_frontier() -> None:
    lane = Lane()
    lane.push("ab", 0, 2)
    lane.push("", 2, 3)  # a special token that renders as nothing
    lane.push("c", 3, 4)
    assert lane.text == "abc"
    assert lane.notices == []


def test_chunk_before_base() -> None:
    """Before the configured first position: can't be placed."""
    lane = Lane(first_sequence=4)
    lane.push("b", 4, 8)
    out = lane.push("a", 0, 4)
    assert out.notices[0].kind is NoticeKind.BEFORE_BASE
    assert lane.text == "b"


def test_chunk_before_the_first_one_received_is_placed_before_it() -> None:
    """Issue #17: the first chunk to arrive is not the lane's first; earlier ones arriving in
    the start window go before it (one replace), not dropped."""
    lane = Lane()
    lane.push("c", 8, 12)
    lane.push("d", 12, 16)
    held = lane.push("a", 0, 4)  # not contiguous yet: held
    assert held.notices[0].kind is NoticeKind.HELD
    assert lane.text == "cd"
    out = lane.push("b", 4, 8)
    assert out.pieces[-1].replace
    assert lane.text == "abcd"
    assert lane.r.base == 0 and not lane.r.waiting
    lane.push("e", 16, 20)
    lane.finish()
    assert lane.text == "abcde"
    assert lane.r.missing == []


def test_start_window_closes_and_places_what_never_joined() -> None:
    lane = Lane(max_held_chunks=3, gap_marker="…")
    lane.push("c", 8, 12)
    lane.push("a", 0, 4)  # [4, 8) never arrives
    lane.finish()
    assert lane.text == "a…c"
    assert lane.r.missing == [(4, 8)]
    late = Lane(max_held_chunks=2)
    late.push("c", 8, 12)
    late.push("d", 12, 16)
    late.push("e", 16, 20)  # the window is over
    out = late.push("a", 4, 8)
    assert out.notices[0].kind is NoticeKind.BEFORE_BASE
    assert late.text == "cde"


def test_bad_config() -> None:
    with pytest.raises(UsageError, match="range_mode"):
        SequenceReassembler(range_mode="closed")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="bounds"):
        SequenceReassembler(max_held_chunks=-1)


# --------------------------------------------------------------------- unsequenced chunks


def test_unsequenced_chunks_append_in_arrival_order() -> None:
    lane = Lane()
    lane.push("a")
    lane.push("b")
    assert lane.text == "ab"
    assert lane.notices == []


def test_unsequenced_chunk_in_a_sequenced_lane_is_noted_once() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("b")
    lane.push("c")
    assert lane.text == "abc"
    assert lane.kinds() == [NoticeKind.UNSEQUENCED]


def test_unsequenced_retransmit_is_dropped() -> None:
    lane = Lane()
    lane.push("a")
    out = lane.push("a", retransmit=True)
    assert out.notices[0].kind is NoticeKind.DUPLICATE
    assert lane.text == "a"


# ----------------------------------------------------------------------------- snapshots


def test_snapshots_replace_the_text() -> None:
    lane = Lane()
    lane.push("He", 0, 1, replace=True)
    lane.push("Hello", 0, 3, replace=True)
    assert lane.text == "Hello"
    out = lane.push("He", 0, 1, replace=True)  # older snapshot
    assert out.notices[0].kind is NoticeKind.DUPLICATE
    assert lane.text == "Hello"
    lane.push("Hi", replace=True)  # no range: arrival order
    assert lane.text == "Hi"


def test_snapshot_heals_missing_and_supersedes_held_chunks() -> None:
    lane = Lane(max_held_chunks=0)
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    assert lane.r.missing == [(1, 2)]
    lane.r.max_held_chunks = 4
    lane.push("e", 4, 5)  # held
    lane.push("abcd", 0, 4, replace=True)
    assert lane.r.missing == []
    assert lane.text == "abcde"
    lane.push("abcdef", 0, 6, replace=True)
    lane.push("zz", 5, 7)  # overlaps the snapshot's coverage
    assert lane.text == "abcdef"
    assert lane.kinds()[-1] is NoticeKind.OVERLAP


def test_snapshot_supersedes_held_chunk() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    out = lane.push("abc", 0, 3, replace=True)
    assert [n.kind for n in out.notices] == [NoticeKind.DUPLICATE]
    assert lane.r.held_count == 0
    assert lane.text == "abc"


def test_snapshot_bytes() -> None:
    lane = Lane()
    lane.push("é".encode()[:1])  # dangling partial character
    lane.push("héllo".encode(), 0, 5, replace=True)
    assert lane.text == "héllo"
    out = lane.push(b"\xff", 0, 6, replace=True)
    assert out.notices[0].kind is NoticeKind.INVALID_UTF8


# ---------------------------------------------------------------------------------- bytes


def test_multibyte_character_split_across_byte_chunks() -> None:
    data = "naïve 日本 🎉".encode()
    lane = Lane()
    for i in range(len(data)):
        lane.push(data[i : i + 1], i, i + 1)
    lane.finish()
    assert lane.text == "naïve 日本 🎉"
    assert lane.notices == []


def test_split_character_reordered() -> None:
    data = "日本".encode()
    lane = Lane()
    lane.push(data[0:2], 0, 2)
    lane.push(data[4:6], 4, 6)
    lane.push(data[2:4], 2, 4)
    assert lane.text == "日本"


def test_character_cut_by_a_gap_becomes_replacement() -> None:
    data = "ab日".encode()
    lane = Lane()
    lane.push(data[0:3], 0, 3)  # "ab" + first byte of 日
    lane.push(b"z", 5, 6)
    lane.finish()
    assert lane.text == "ab\ufffdz"
    assert NoticeKind.INVALID_UTF8 in lane.kinds()
    assert lane.r.missing == [(3, 5)]


def test_invalid_utf8_is_reported() -> None:
    lane = Lane()
    lane.push(b"a\xffb", 0, 3)
    assert lane.text == "a\ufffdb"
    assert lane.kinds() == [NoticeKind.INVALID_UTF8]


def test_a_real_replacement_character_is_not_reported() -> None:
    lane = Lane()
    lane.push("a\ufffd".encode(), 0, 2)
    assert lane.notices == []


def test_string_after_dangling_bytes_flushes_the_decoder() -> None:
    lane = Lane()
    lane.push("é".encode()[:1], 0, 1)
    lane.push("x", 1, 2)
    assert lane.text == "\ufffdx"


def test_stats_are_json_safe() -> None:
    lane = Lane()
    lane.push("a", 0, 1)
    lane.push("c", 2, 3)
    lane.finish()
    stats = lane.r.stats()
    assert stats["missing"] == [[1, 2]]
    assert stats["held_peak"] == 1
    assert stats["range_mode"] == "half_open"


# ------------------------------------------------------------------------ property tests


def _chunks(
    text: str,
    cuts: list[int],
    *,
    as_bytes: bool,
    inclusive: bool,
    min_len: int = 1,
    offset: int = 0,
) -> list[Chunk]:
    """Cut ``text`` (or its UTF-8 bytes) at ``cuts``; positions are byte/char offsets."""
    data: str | bytes = text.encode() if as_bytes else text
    points = [0]
    for p in sorted({c % (len(data) + 1) for c in cuts}):
        if p - points[-1] >= min_len and len(data) - p >= min_len:
            points.append(p)
    points.append(len(data))
    out = []
    for a, b in itertools.pairwise(points):
        if a == b:
            continue
        end = b - 1 if inclusive else b
        out.append(Chunk(data[a:b], a + offset, end + offset, tag=a))
    return out


texts = st.text(min_size=1, max_size=40)
cuts = st.lists(st.integers(min_value=0, max_value=200), max_size=12)


def _run(chunks: list[Chunk], **kwargs: object) -> Lane:
    lane = Lane(**kwargs)
    lane.feed(chunks)
    lane.finish()
    return lane


@given(
    text=texts,
    cuts=cuts,
    as_bytes=st.booleans(),
    inclusive=st.booleans(),
    data=st.data(),
)
def test_any_permutation_within_window_plus_duplicates_gives_in_order_text(
    text: str, cuts: list[int], as_bytes: bool, inclusive: bool, data: st.DataObject
) -> None:
    chunks = _chunks(text, cuts, as_bytes=as_bytes, inclusive=inclusive)
    mode = "inclusive" if inclusive else "half_open"
    assert _run(chunks, first_sequence=0, range_mode=mode).text == text
    # window = number of chunks: every permutation fits
    order = data.draw(st.permutations(chunks))
    dup_count = data.draw(st.integers(min_value=0, max_value=8))
    delivered = list(order)
    for _ in range(dup_count):
        dup = data.draw(st.sampled_from(chunks))
        pos = data.draw(st.integers(min_value=0, max_value=len(delivered)))
        delivered.insert(pos, Chunk(dup.data, dup.start, dup.end, retransmit=True, tag=dup.tag))
    lane = _run(delivered, first_sequence=0, max_held_chunks=len(chunks), range_mode=mode)
    assert lane.text == text
    assert lane.r.missing == []
    assert lane.r.conflicts == 0
    assert lane.r.duplicates == dup_count


@given(text=texts, cuts=cuts, as_bytes=st.booleans(), data=st.data())
def test_permutation_in_auto_mode_when_the_first_chunk_leads(
    text: str, cuts: list[int], as_bytes: bool, data: st.DataObject
) -> None:
    """Auto base and auto range mode: the first chunk arrives first, the rest in any order."""
    inclusive = data.draw(st.booleans())
    # chunks of at least two positions: a one-position hole is ambiguous in auto mode
    shifted = _chunks(text, cuts, as_bytes=as_bytes, inclusive=inclusive, min_len=2, offset=100)
    rest = data.draw(st.permutations(shifted[1:]))
    lane = _run([shifted[0], *rest], max_held_chunks=len(shifted), range_mode="auto")
    if inclusive and len(shifted) > 1 and lane.r.range_mode != "inclusive":
        # only a sender whose chunks are all single tokens could stay undecided
        pytest.fail(f"inclusive not detected: {lane.r.stats()}")
    assert lane.text == text


@given(
    text=st.text(min_size=1, max_size=120),
    cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=40),
    window=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    as_bytes=st.booleans(),
)
def test_block_local_shuffles_fit_the_window(
    text: str, cuts: list[int], window: int, seed: int, as_bytes: bool
) -> None:
    """Shuffling inside consecutive blocks of ``window + 1`` chunks never holds more than
    ``window`` chunks, so the text is exact."""
    chunks = _chunks(text, cuts, as_bytes=as_bytes, inclusive=False)
    rng = random.Random(seed)
    delivered: list[Chunk] = []
    for i in range(0, len(chunks), window + 1):
        block = chunks[i : i + window + 1]
        rng.shuffle(block)
        delivered.extend(block)
    lane = _run(delivered, first_sequence=0, max_held_chunks=window, range_mode="half_open")
    assert lane.text == text
    assert lane.r.held_peak <= window
    assert lane.r.overflows == 0


@given(
    text=st.text(alphabet="abcdefgh", min_size=1, max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=20),
    window=st.integers(min_value=0, max_value=4),
    data=st.data(),
)
def test_any_delivery_is_exact_or_reports_what_is_missing(
    text: str, cuts: list[int], window: int, data: st.DataObject
) -> None:
    """Arbitrary order, losses and duplicates, any window: the text is exactly the delivered
    chunks outside the missing ranges, in sequence order, and every undelivered chunk below
    the frontier lies in a missing range."""
    chunks = _chunks(text, cuts, as_bytes=False, inclusive=False)
    delivered = data.draw(
        st.lists(st.sampled_from(chunks), max_size=len(chunks) * 2).flatmap(st.permutations)
    )
    lane = _run(delivered, first_sequence=0, max_held_chunks=window, range_mode="half_open")
    received = {c.start for c in delivered}
    missing = {p for a, b in lane.r.missing for p in range(a, b)}

    def in_missing(c: Chunk) -> bool:
        assert c.start is not None
        assert c.end is not None
        return any(p in missing for p in range(c.start, c.end))

    expected = "".join(str(c.data) for c in chunks if c.start in received and not in_missing(c))
    assert lane.text == expected
    frontier = lane.r.frontier or 0
    for c in chunks:
        assert c.start is not None
        if c.start not in received and c.start < frontier:
            assert in_missing(c)
    if received == {c.start for c in chunks} and lane.r.overflows == 0:
        assert lane.text == text
        assert lane.r.missing == []


@given(text=st.text(min_size=1, max_size=30), data=st.data())
def test_multibyte_split_anywhere_in_bytes_survives(text: str, data: st.DataObject) -> None:
    raw = text.encode()
    cuts_ = data.draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=len(raw)))
    chunks = _chunks(text, cuts_, as_bytes=True, inclusive=False)
    lane = _run(chunks)
    assert lane.text == text
    assert NoticeKind.INVALID_UTF8 not in lane.kinds()


def test_empty_marker_sets_a_fence() -> None:
    lane = Lane()
    lane.push("ab", 0, 2)
    assert not lane.waiting()
    lane.push("", 6, 6)  # the sequence reaches 6
    assert lane.waiting()
    lane.push("cd", 2, 4)
    assert lane.waiting()
    lane.push("ef", 4, 6)
    assert not lane.waiting()
    lane.finish()
    assert lane.r.missing == []


def test_fence_short_at_finish_is_a_gap() -> None:
    lane = Lane()
    lane.push("ab", 0, 2)
    lane.push("", 6, 6)
    out = lane.finish()
    assert [(n.kind, n.start, n.end) for n in out.notices] == [(NoticeKind.GAP, 2, 6)]
    assert lane.r.missing == [(2, 6)]
    assert lane.r.frontier == 6


def test_fence_before_any_chunk() -> None:
    lane = Lane(first_sequence=0)
    lane.push("", 3, 3)
    assert lane.waiting()
    lane.finish()
    assert lane.r.missing == [(0, 3)]


# ------------------------------------------------------------------- in-order fast path

_steps = st.tuples(
    st.sampled_from(["abc", "d", "ef", "gh", "ij", "kl", "", b"\xc3", b"\xa9!"]),
    st.sampled_from([0, 0, 0, 0, 0, 0, 0, 1, 2, -1, -3]),  # start, from the previous end
    st.sampled_from([1, 1, 1, 2, 3, 0, -1]),  # length in positions
    st.sampled_from([False] * 7 + [True]),  # replace
    st.booleans(),  # retransmit
)


def _state(r: SequenceReassembler) -> dict[str, object]:
    state = {slot: copy.deepcopy(getattr(r, slot)) for slot in SequenceReassembler.__slots__}
    if r._decoder is not None:
        state["_decoder"] = r._decoder.getstate()
    return state


@given(
    steps=st.lists(_steps, max_size=16),
    mode=st.sampled_from(["auto", "half_open", "inclusive"]),
    inclusive=st.booleans(),
    first=st.sampled_from([None, 0, 2, -1]),
    window=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_append_next_is_push_for_the_next_text_chunk(
    steps: list[tuple[str | bytes, int, int, bool, bool]],
    mode: RangeMode,
    inclusive: bool,
    first: int | None,
    window: int,
    data: st.DataObject,
) -> None:
    """Before every push, ``append_next`` on a copy of the lane either does exactly what the
    push does (one text piece, no notices, the same state after) or nothing at all."""
    chunks, position = [], first or 0
    for i, (text, gap, length, replace, retransmit) in enumerate(steps):
        start = position + gap
        end = start + length - (1 if inclusive else 0)
        position = start + length
        chunks.append(Chunk(text, start, end, replace=replace, retransmit=retransmit, tag=i))
    for i in data.draw(st.lists(st.integers(0, max(0, len(chunks) - 2)), max_size=4)):
        chunks[i : i + 2] = chunks[i : i + 2][::-1]  # a few chunks a step late
    lane = SequenceReassembler(range_mode=mode, first_sequence=first, max_held_chunks=window)
    for chunk in chunks:
        assert chunk.start is not None
        assert chunk.end is not None
        probe, before = copy.deepcopy(lane), _state(lane)
        outcome = lane.push(chunk)
        if isinstance(chunk.data, str) and not chunk.replace:
            applied = probe.append_next(chunk.data, chunk.start, chunk.end)
            if applied is None:
                assert _state(probe) == before
            else:
                assert applied == chunk.data
                assert outcome == Outcome([Piece(applied)] if applied else [], [])
                assert _state(probe) == _state(lane)
    lane.finish()
    assert lane.append_next("x", lane.frontier or 0, (lane.frontier or 0) + 1) is None


def test_append_next_takes_only_the_next_range_of_a_decided_lane() -> None:
    lane = SequenceReassembler(range_mode="auto")
    lane.push(Chunk("a", 0, 1))
    assert lane.append_next("b", 1, 2) is None  # range mode undecided: push() decides it
    lane.push(Chunk("b", 1, 2))
    assert lane.range_mode == "half_open"
    assert lane.append_next("c", 2, 3) == "c"
    assert lane.append_next("", 3, 4) == ""
    assert (lane.frontier, lane.applied_chunks) == (4, 4)
    assert lane.append_next("e", 5, 6) is None  # not the next range
    assert lane.append_next("x", 4, 4) is None  # empty half-open range
    assert lane.append_next("x", 4, 3) is None
    lane.push(Chunk("e", 5, 6))  # held
    assert lane.append_next("d", 4, 5) is None  # push() also drains what was held
    inclusive = SequenceReassembler(range_mode="inclusive")
    assert inclusive.append_next("a", 0, 0) is None  # the first chunk sets the base
    inclusive.push(Chunk("a", 0, 0))
    assert inclusive.append_next("b", 1, 1) == "b"
    assert inclusive.frontier == 2
    raw = SequenceReassembler(range_mode="half_open")
    raw.push(Chunk(b"\xc3", 0, 1))
    assert raw.append_next("b", 1, 2) is None  # the byte decoder must be flushed first

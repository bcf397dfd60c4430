"""``SeenIds`` (event_ids seen in a Loom run, by ranges of one type) answers as a dict would."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold.formats.loom.seen import SeenIds

ADDS = st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["message_chunk", "tool_call"])))


@given(ADDS)
def test_seen_ids_answer_as_a_dict_does(adds: list[tuple[int, str]]) -> None:
    seen, reference = SeenIds(), {}
    for event_id, kind in adds:
        seen.add(event_id, kind)
        reference[event_id] = kind
    assert [seen.get(i) for i in range(-1, 63)] == [reference.get(i) for i in range(-1, 63)]
    ranges = list(seen.ranges())
    for (_, end, kind), (start, _, other) in pairwise(ranges):
        assert end < start  # sorted and disjoint
        assert not (end + 1 == start and kind == other)  # and as few as can be
    assert list(SeenIds(ranges).ranges()) == ranges  # what a snapshot restores


def test_in_order_frames_of_one_type_are_one_range() -> None:
    seen = SeenIds()
    for event_id in range(1, 100_001):
        seen.add(event_id, "message_chunk" if event_id > 1 else "node_enter")
    assert list(seen.ranges()) == [(1, 1, "node_enter"), (2, 100_000, "message_chunk")]


@pytest.mark.parametrize(
    "ranges", [[(5, 4, "a")], [(1, 5, "a"), (5, 6, "b")], [(9, 9, "a"), (1, 2, "a")]]
)
def test_damaged_ranges_are_refused(ranges: list[tuple[int, int, str]]) -> None:
    with pytest.raises(ValueError, match="out of order or overlapping"):
        SeenIds(ranges)

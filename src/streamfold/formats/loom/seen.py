"""The event_ids seen in a Loom run, and each one's type, for duplicate detection (docs/loom.md,
A3): a frame whose event_id was seen with the same type is a replay; with another type, a reuse.

A run's frames come in event_id order, mostly in long stretches of one type (a turn's
``message_chunk`` deltas), so the ids are kept as ranges of consecutive ids of one type: memory
grows with the number of type changes, not with the number of frames. (A dict entry and an int
per frame cost ≈80 bytes: 16 bytes of heap per byte of text for 5-byte deltas; issue #24.)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["SeenIds"]


class SeenIds:
    """Event ids and their types as sorted, disjoint ranges ``[start, end]`` of one type, as few
    as can be (two touching ranges never share a type).

    The last range is kept in three attributes (``tail_start``, ``tail_end``, ``tail_kind``) so
    that the decoder extends it with two attribute reads and a store, the next frame of the same
    type being the common case; :meth:`add` handles the rest: O(1) in order, O(log r) plus a list
    insert for an id out of order (r ranges). :meth:`get` is O(log r)."""

    __slots__ = ("_ends", "_kinds", "_starts", "tail_end", "tail_kind", "tail_start")

    def __init__(self, ranges: Iterable[tuple[int, int, str]] = ()) -> None:
        """From ``(start, end, type)`` ranges in id order (a snapshot's); ``ValueError`` for
        ranges that overlap, are out of order or are empty."""
        self._starts: list[int] = []  # the ranges before the tail
        self._ends: list[int] = []
        self._kinds: list[str] = []
        self.tail_start = self.tail_end = -1
        self.tail_kind: str | None = None  # None: no range at all
        for start, end, kind in ranges:
            if end < start or (self.tail_kind is not None and start <= self.tail_end):
                raise ValueError("event id ranges out of order or overlapping")
            self._push_tail()
            self.tail_start, self.tail_end, self.tail_kind = start, end, kind

    def __len__(self) -> int:
        """The number of ranges (not of ids)."""
        return len(self._starts) + (self.tail_kind is not None)

    def get(self, event_id: int) -> str | None:
        """The type seen with ``event_id``, or ``None``."""
        if self.tail_kind is not None and self.tail_start <= event_id <= self.tail_end:
            return self.tail_kind
        index = bisect_right(self._starts, event_id) - 1
        if index >= 0 and event_id <= self._ends[index]:
            return self._kinds[index]
        return None

    def add(self, event_id: int, kind: str) -> None:
        """Record ``event_id`` as seen with type ``kind`` (replacing its earlier type)."""
        if self.tail_kind is None:
            self.tail_start = self.tail_end = event_id
            self.tail_kind = kind
            return
        if event_id > self.tail_end:  # in order: O(1)
            if event_id == self.tail_end + 1 and self.tail_kind == kind:
                self.tail_end, self.tail_kind = event_id, kind  # (kind: the caller's object)
            else:
                self._push_tail()
                self.tail_start = self.tail_end = event_id
                self.tail_kind = kind
            return
        self._push_tail()  # out of order: work on the lists, then take the last range back
        self._insert(event_id, kind)
        self.tail_start, self.tail_end, self.tail_kind = (
            self._starts.pop(),
            self._ends.pop(),
            self._kinds.pop(),
        )

    def ranges(self) -> Iterator[tuple[int, int, str]]:
        """``(start, end, type)`` of each range, in id order (inclusive ends)."""
        yield from zip(self._starts, self._ends, self._kinds, strict=True)
        if self.tail_kind is not None:
            yield self.tail_start, self.tail_end, self.tail_kind

    def _push_tail(self) -> None:
        if self.tail_kind is not None:
            self._starts.append(self.tail_start)
            self._ends.append(self.tail_end)
            self._kinds.append(self.tail_kind)
            self.tail_kind = None

    def _insert(self, event_id: int, kind: str) -> None:
        """``add`` on the lists alone (every range is in them)."""
        starts, ends, kinds = self._starts, self._ends, self._kinds
        index = bisect_right(starts, event_id) - 1
        if index >= 0 and event_id <= ends[index]:  # seen with another type: split its range
            if kinds[index] == kind:
                return
            start, end, old = starts[index], ends[index], kinds[index]
            pieces = [
                (start, event_id - 1, old),
                (event_id, event_id, kind),
                (event_id + 1, end, old),
            ]
            pieces = [p for p in pieces if p[0] <= p[1]]
            starts[index : index + 1] = [p[0] for p in pieces]
            ends[index : index + 1] = [p[1] for p in pieces]
            kinds[index : index + 1] = [p[2] for p in pieces]
            position = index + (start < event_id)
        else:
            position = index + 1
            starts.insert(position, event_id)
            ends.insert(position, event_id)
            kinds.insert(position, kind)
        self._merge(position)

    def _merge(self, position: int) -> None:
        """Join the range at ``position`` with a neighbour that touches it and has its type."""
        starts, ends, kinds = self._starts, self._ends, self._kinds
        after = position + 1
        touches = after < len(starts) and starts[after] == ends[position] + 1
        if touches and kinds[after] == kinds[position]:
            ends[position] = ends[after]
            del starts[after], ends[after], kinds[after]
        before = position - 1
        touches = before >= 0 and ends[before] + 1 == starts[position]
        if touches and kinds[before] == kinds[position]:
            ends[before] = ends[position]
            del starts[position], ends[position], kinds[position]

"""Resume: a reducer's complete state as a versioned, documented JSON document (snapshot
version 4), and back. The format and its trust model: ``docs/snapshot.md``.

::

    from streamfold import Reducer
    from streamfold.snapshot import to_bytes

    saved = to_bytes(reducer)                     # or reducer.snapshot(): the dict
    resumed = Reducer.from_snapshot(saved)        # bytes or the dict; feed on

A snapshot is data. Restoring one never imports, calls or constructs anything the data names:
the schema is fixed (:mod:`streamfold.snapshot.schema`), every object is built through its
constructor and validators, sizes are checked before anything is allocated
(:data:`DEFAULT_MAX_SNAPSHOT_BYTES`), and anything else raises
:class:`~streamfold.errors.SnapshotError` before a reducer exists. It is safe to load a
snapshot from an untrusted source.

This package is the codec of the reducer's resume state (:class:`ResumeState`); the reducer's
``snapshot()`` / ``from_snapshot()`` call it, and it never imports the reducer.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

from ..errors import SnapshotError
from . import values
from .document import SNAPSHOT_VERSION, decode, encode
from .state import ResumeState

__all__ = [
    "DEFAULT_MAX_SNAPSHOT_BYTES",
    "SNAPSHOT_VERSION",
    "ResumeState",
    "SnapshotError",
    "Snapshottable",
    "load",
    "load_bytes",
    "snapshot",
    "to_bytes",
]

DEFAULT_MAX_SNAPSHOT_BYTES: Final = 1 << 30
"""1 GiB: the largest snapshot :func:`load_bytes` (``Reducer.from_snapshot(bytes)``) reads
unless told otherwise; larger input is refused before it is parsed. A snapshot is about 1.1-1.5×
the size of the model's JSON export (``bench/results.md``)."""


class Snapshottable(Protocol):
    """What :func:`snapshot` needs of a reducer: its resume state (reducer.py)."""

    def _resume_state(self) -> ResumeState: ...


def snapshot(reducer: Snapshottable) -> dict[str, Any]:
    """The reducer's complete state as a JSON-safe ``dict`` (the layout of docs/snapshot.md).

    The dict shares the stream's own JSON values (run state, tool inputs, custom values) with
    the reducer rather than copying them: serialize it, or treat it as read-only. Raises
    :class:`SnapshotError` for a reducer holding a decoder that is not a registered format's.
    """
    return encode(reducer._resume_state())


def to_bytes(reducer: Snapshottable) -> bytes:
    """:func:`snapshot` as compact JSON bytes (orjson; integers beyond 64 bits and values
    nested past 254 levels are written exactly too, see :mod:`streamfold.snapshot.values`).
    Raises :class:`SnapshotError` for a value that is not JSON."""
    return values.dumps(snapshot(reducer))


def load(data: Any) -> ResumeState:
    """The resume state in a snapshot ``dict`` (:func:`snapshot` output, or parsed JSON).
    Raises :class:`SnapshotError` for anything that is not a complete snapshot of a supported
    version; nothing is half-loaded."""
    return decode(data)


def load_bytes(data: bytes, *, max_snapshot_bytes: int = DEFAULT_MAX_SNAPSHOT_BYTES) -> ResumeState:
    """:func:`load` from :func:`to_bytes` output. Raises :class:`SnapshotError` for input over
    ``max_snapshot_bytes`` (before parsing it) or that is not JSON."""
    if len(data) > max_snapshot_bytes:
        raise SnapshotError(
            f"snapshot of {len(data)} bytes is over max_snapshot_bytes={max_snapshot_bytes}"
        )
    return decode(values.loads(data))

"""The Vercel UI message stream decoder's state as a snapshot cursor (the
``decoders.vercel-ui`` section of a resume snapshot, ``docs/snapshot.md``). The decoder keeps its
state in a plain attrs class (:mod:`.state`), so the cursor is that state."""

from __future__ import annotations

from typing import Final

from ...errors import SnapshotError
from .decoder import VercelUIDecoder
from .state import VercelState

__all__ = ["CURSOR", "DECODER", "VERSION", "load", "save"]

VERSION: Final = 1
DECODER: Final = VercelUIDecoder
CURSOR: Final = VercelState

_CALL_STATES: Final = frozenset({"input", "ready", "done"})


def save(decoder: VercelUIDecoder) -> VercelState:
    """The decoder's state between two frames."""
    return decoder.state


def load(cursor: VercelState) -> VercelUIDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    if (cursor.run_id is None) != (cursor.message_id is None):
        raise SnapshotError("a run without its message", "decoders.vercel-ui.message_id")
    if cursor.run_id is None and (cursor.calls or cursor.step_open):
        raise SnapshotError("calls without an open message", "decoders.vercel-ui.calls")
    if not set(cursor.calls.values()) <= _CALL_STATES:
        raise SnapshotError("an unknown call state", "decoders.vercel-ui.calls")
    return VercelUIDecoder(cursor)

"""The Anthropic Messages decoder's state as a snapshot cursor (the ``decoders.anthropic``
section of a resume snapshot, ``docs/snapshot.md``). The decoder keeps its state in plain attrs
classes (:mod:`.state`), so the cursor is that state."""

from __future__ import annotations

from typing import Final

from ...errors import SnapshotError
from .decoder import AnthropicDecoder
from .state import AnthropicState

__all__ = ["CURSOR", "DECODER", "VERSION", "load", "save"]

VERSION: Final = 1
DECODER: Final = AnthropicDecoder
CURSOR: Final = AnthropicState

_KINDS: Final = frozenset({"text", "reasoning", "tool", "other"})


def save(decoder: AnthropicDecoder) -> AnthropicState:
    """The decoder's state between two frames."""
    return decoder.state


def load(cursor: AnthropicState) -> AnthropicDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    if (cursor.run_id is None) != (cursor.message_id is None):
        raise SnapshotError("a run without its message", "decoders.anthropic.message_id")
    if cursor.run_id is None and cursor.blocks:
        raise SnapshotError("blocks without an open message", "decoders.anthropic.blocks")
    if any(block.kind not in _KINDS for block in cursor.blocks.values()):
        raise SnapshotError("an unknown block kind", "decoders.anthropic.blocks")
    return AnthropicDecoder(cursor)
